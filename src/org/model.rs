use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::actor::Actor;
pub use crate::actor::{username_key, Role};
use crate::store::Record;

impl Actor {
    /// The actor a signed-in user acts as.
    pub fn from_user(u: &User) -> Actor {
        Actor::user(u.id, &u.username, u.role, u.department_id)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub enum Language {
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub id: u64,
    pub rev: u64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub department_id: Option<u64>,
    pub role: Role,
    /// Member of the built-in ERP Notifications project.
    pub erp: bool,
    pub language: Language,
    pub disabled: bool,
    /// PHC string (argon2id).
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    /// Sessions created before this instant are invalid.
    pub sessions_valid_after: DateTime<Utc>,
}

impl User {
    /// A company admin who can still log in: the one the server falls back to as
    /// creator or handler, and of whom at least one must remain.
    pub fn is_active_company_admin(&self) -> bool {
        self.role == Role::CompanyAdmin && !self.disabled
    }

    /// An enabled department admin placed in department `dept` (that department's
    /// own, not one above it).
    pub fn is_department_admin_of(&self, dept: u64) -> bool {
        self.role == Role::DepartmentAdmin && !self.disabled && self.department_id == Some(dept)
    }
}

impl Record for User {
    const KIND: &'static str = "user";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![("username", username_key(&self.username))]
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Department {
    pub id: u64,
    pub rev: u64,
    pub name: String,
    pub parent_id: Option<u64>,
}

impl Record for Department {
    const KIND: &'static str = "department";
    crate::id_and_rev!();
}

/// What the API shows of a user: everything but the password hash.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserView {
    pub id: u64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub department_id: Option<u64>,
    pub role: Role,
    pub erp: bool,
    pub language: Language,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub rev: u64,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            email: u.email.clone(),
            department_id: u.department_id,
            role: u.role,
            erp: u.erp,
            language: u.language,
            disabled: u.disabled,
            created_at: u.created_at,
            rev: u.rev,
        }
    }
}
