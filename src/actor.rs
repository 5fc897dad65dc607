//! Who is asking: the identity every service call and policy check is made for.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The actor name of lines the server writes by itself.
pub const SERVER_NAME: &str = "system";

#[derive(Debug, Clone)]
pub struct Actor {
    /// `None` for the local administrator using the CLI on the server machine.
    pub user_id: Option<u64>,
    pub name: String,
    pub role: Role,
    pub department_id: Option<u64>,
}

impl Actor {
    pub fn user(id: u64, name: &str, role: Role, department_id: Option<u64>) -> Actor {
        Actor {
            user_id: Some(id),
            name: name.to_string(),
            role,
            department_id,
        }
    }

    /// The operator at the server's console (CLI, admin socket): full rights, since
    /// they can read the data directory anyway.
    pub fn system() -> Actor {
        Actor {
            user_id: None,
            name: "cli".into(),
            role: Role::CompanyAdmin,
            department_id: None,
        }
    }

    /// The server acting on its own (reminders, escalation, auto-close): shown as
    /// "system" in task logs, which the UI translates, never as the console operator.
    pub fn server() -> Actor {
        Actor {
            user_id: None,
            name: SERVER_NAME.into(),
            role: Role::CompanyAdmin,
            department_id: None,
        }
    }

    pub fn is(&self, user_id: u64) -> bool {
        self.user_id == Some(user_id)
    }
}

/// The three roles of the product brief.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    CompanyAdmin,
    DepartmentAdmin,
    Member,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "company_admin" => Some(Role::CompanyAdmin),
            "department_admin" => Some(Role::DepartmentAdmin),
            "member" => Some(Role::Member),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::CompanyAdmin => "company_admin",
            Role::DepartmentAdmin => "department_admin",
            Role::Member => "member",
        }
    }
}

/// The one normalisation of a username: every lookup, index entry and per-account
/// limit uses it, so no spelling of a name ("  Admin ") reaches around another.
pub fn username_key(name: &str) -> String {
    name.trim().to_lowercase()
}
