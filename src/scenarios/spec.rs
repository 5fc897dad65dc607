//! The task a scenario asks for, as the script returns it from `fn task(r)`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    /// Username of the handler.
    pub handler: String,
    #[serde(default)]
    pub action: String,
    /// Own deadline, days after the task is created.
    pub due_in_days: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationSpec {
    /// Hours after the reference time.
    pub after_hours: f64,
    /// `due` (default) or `created`.
    #[serde(default)]
    pub from: Option<String>,
    /// Usernames to notify.
    pub notify: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskSpec {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub business_type: Option<String>,
    /// low, normal, high or urgent
    pub priority: Option<String>,
    pub due_in_days: Option<f64>,
    pub nodes: Vec<NodeSpec>,
    #[serde(default)]
    pub watchers: Vec<String>,
    #[serde(default)]
    pub editors: Vec<String>,
    #[serde(default)]
    pub escalation: Vec<EscalationSpec>,
    #[serde(default)]
    pub on_finish: Vec<String>,
    /// Finish the task by itself when the condition clears.
    #[serde(default)]
    pub auto_close: bool,
}

pub fn from_dynamic(d: &rhai::Dynamic) -> Result<TaskSpec, String> {
    rhai::serde::from_dynamic::<TaskSpec>(d)
        .map_err(|e| format!("fn task returned an unusable task: {e}"))
}
