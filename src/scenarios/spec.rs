//! The task a scenario asks for, as the script returns it from `fn task(r)`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A number a script wrote as `2` or `2.5`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    pub fn get(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    /// Username of the handler.
    pub handler: String,
    #[serde(default)]
    pub action: String,
    /// Own deadline, days after the task is created.
    #[schema(value_type = Option<f64>)]
    pub due_in_days: Option<Num>,
    /// Reach the step only when this rhai expression over `fields` and `r` (the
    /// source record) is true (条件节点).
    #[serde(default)]
    pub condition: Option<String>,
    /// Usernames told (抄送) when the flow reaches the step and/or when it is done.
    #[serde(default)]
    pub cc: Vec<String>,
    /// `reached` (default), `done` or `both`.
    #[serde(default)]
    pub cc_on: crate::flow::model::CcOn,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationSpec {
    /// Hours after the reference time.
    #[schema(value_type = f64)]
    pub after_hours: Num,
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
    #[schema(value_type = Option<f64>)]
    pub due_in_days: Option<Num>,
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
    /// Custom field values (`fields: #{ amount: r.amount }`), checked against the
    /// target project's fields like the API's.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fields: std::collections::BTreeMap<String, serde_json::Value>,
}

pub fn from_dynamic(d: &rhai::Dynamic) -> Result<TaskSpec, String> {
    rhai::serde::from_dynamic::<TaskSpec>(d)
        .map_err(|e| format!("fn task returned an unusable task: {e}"))
}
