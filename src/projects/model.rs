use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::store::Record;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Builtin {
    /// ERP Notifications: receives scenario tasks; its members are the ERP-flagged users.
    Erp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Project {
    pub id: u64,
    pub rev: u64,
    pub name: String,
    pub department_id: Option<u64>,
    /// Unused for the ERP project, whose members follow the users' ERP flag.
    pub members: Vec<u64>,
    pub business_types: Vec<String>,
    pub archived: bool,
    pub builtin: Option<Builtin>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    /// Custom fields (自定义字段) the project's tasks carry.
    #[serde(default)]
    pub fields: Vec<super::fields::FieldDef>,
}

impl Record for Project {
    const KIND: &'static str = "project";
    crate::id_and_rev!();
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProjectView {
    pub id: u64,
    pub name: String,
    pub department_id: Option<u64>,
    pub members: Vec<u64>,
    pub business_types: Vec<String>,
    pub archived: bool,
    pub builtin: Option<Builtin>,
    pub created_at: DateTime<Utc>,
    pub rev: u64,
    pub fields: Vec<super::fields::FieldDef>,
}

impl ProjectView {
    pub fn new(p: &Project, members: Vec<u64>) -> Self {
        ProjectView {
            id: p.id,
            name: p.name.clone(),
            department_id: p.department_id,
            members,
            business_types: p.business_types.clone(),
            archived: p.archived,
            builtin: p.builtin,
            created_at: p.created_at,
            rev: p.rev,
            fields: p.fields.clone(),
        }
    }
}
