//! Write-back records: the targets company admins set up, a project's choice of one,
//! and what an outbox item for a target carries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::store::Record;

pub mod ix {
    /// Targets by name (scenarios and projects name them).
    pub const NAME: &str = "write_back_name";
    /// A project's chosen target, by project id.
    pub const PROJECT: &str = "write_back_project";
}

/// Where a company's ERP or shop hears of task events. The secret is write-only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteBackTarget {
    pub id: u64,
    pub rev: u64,
    /// What scenarios (`const WRITE_BACK`) and projects name; fixed once created.
    pub name: String,
    pub url: String,
    pub secret: Option<String>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for WriteBackTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteBackTarget")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("url", &self.url)
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .field("enabled", &self.enabled)
            .finish()
    }
}

impl Record for WriteBackTarget {
    const KIND: &'static str = "write_back_target";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![(ix::NAME, self.name.clone())]
    }
}

/// The target a project's tasks write back to (unless their scenario names one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectWriteBack {
    pub id: u64,
    pub rev: u64,
    pub project_id: u64,
    pub target: String,
}

impl Record for ProjectWriteBack {
    const KIND: &'static str = "project_write_back";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![(ix::PROJECT, self.project_id.to_string())]
    }
}

/// What an outbox item for a write-back target carries: the event's default body,
/// fixed when it happened, and the scenario whose `fn write_back` may reshape it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WriteBackPayload {
    /// `created`, `step_completed`, `returned` or `finished` (`X-Baton-Event`).
    pub event: String,
    /// The scenario key of the task's source, if any.
    pub scenario: Option<String>,
    /// The default body without `task.link` (added when sent, from `public_url`).
    #[schema(value_type = Object)]
    pub body: serde_json::Value,
}
