//! The request bodies of creating and editing a task, and the limits they keep.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::flow::kinds::ClaimFrom;
use crate::flow::model::CcOn;
use crate::flow::{NodeKind, Priority, TaskKind};

pub const MAX_NODES: usize = 50;
pub const MAX_CHECKLIST: usize = 100;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeInput {
    /// A single step's handler (absent for the other kinds).
    #[serde(default)]
    pub handler_id: u64,
    #[serde(default)]
    pub action: String,
    #[serde(default, deserialize_with = "crate::time::option")]
    pub due_at: Option<DateTime<Utc>>,
    /// `single` (default), `all` (会签), `any` (或签) or `claim` (抢单).
    #[serde(default)]
    pub kind: NodeKind,
    /// All/any steps: their handlers (2 to 20); `handler_id` is then ignored.
    #[serde(default)]
    pub handlers: Vec<u64>,
    /// Claim steps: who may claim (listed users, a department, a role).
    #[serde(default)]
    pub claim_from: Option<ClaimFrom>,
    /// A rhai expression over `fields` (and `r`, a scenario task's record): the step
    /// is skipped when it is false.
    #[serde(default)]
    pub condition: Option<String>,
    /// Users told (CC, 抄送) when the flow reaches the step and/or when it is done.
    #[serde(default)]
    pub cc: Vec<u64>,
    #[serde(default)]
    pub cc_on: CcOn,
}

/// What a step says beyond its handler: its condition and its CC recipients (see
/// `docs/flows.md`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepRule {
    pub condition: Option<String>,
    pub cc: Vec<u64>,
    pub cc_on: CcOn,
}

impl NodeInput {
    pub(super) fn rule(&self) -> StepRule {
        StepRule {
            condition: self.condition.clone(),
            cc: self.cc.clone(),
            cc_on: self.cc_on,
        }
    }
}

impl NodeEdit {
    /// The step it describes, as a new one would (its id aside).
    pub(super) fn into_input(self) -> NodeInput {
        NodeInput {
            handler_id: self.handler_id,
            action: self.action,
            due_at: self.due_at,
            kind: self.kind,
            handlers: self.handlers,
            claim_from: self.claim_from,
            condition: self.condition,
            cc: self.cc,
            cc_on: self.cc_on,
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTask {
    pub kind: TaskKind,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub business_type: Option<String>,
    pub priority: Option<Priority>,
    #[serde(default, deserialize_with = "crate::time::option")]
    pub due_at: Option<DateTime<Utc>>,
    pub nodes: Vec<NodeInput>,
    #[serde(default)]
    pub checklist: Vec<String>,
    #[serde(default)]
    pub watchers: Vec<u64>,
    #[serde(default)]
    pub editors: Vec<u64>,
    /// The template the nodes came from: its custom fields apply beside the project's.
    pub template_id: Option<u64>,
    /// Custom field values, checked against the project's and template's fields.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fields: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeEdit {
    /// The node's id when it already exists.
    pub id: Option<u32>,
    #[serde(default)]
    pub handler_id: u64,
    #[serde(default)]
    pub action: String,
    #[serde(default, deserialize_with = "crate::time::option")]
    pub due_at: Option<DateTime<Utc>>,
    /// `single` (default), `all` (会签), `any` (或签) or `claim` (抢单).
    #[serde(default)]
    pub kind: NodeKind,
    /// All/any steps: their handlers (2 to 20); `handler_id` is then ignored.
    #[serde(default)]
    pub handlers: Vec<u64>,
    /// Claim steps: who may claim (listed users, a department, a role).
    #[serde(default)]
    pub claim_from: Option<ClaimFrom>,
    /// A rhai expression over `fields` (and `r`, a scenario task's record): the step
    /// is skipped when it is false.
    #[serde(default)]
    pub condition: Option<String>,
    /// Users told (CC, 抄送) when the flow reaches the step and/or when it is done.
    #[serde(default)]
    pub cc: Vec<u64>,
    #[serde(default)]
    pub cc_on: CcOn,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistEdit {
    pub id: Option<u32>,
    pub text: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskPatch {
    pub rev: u64,
    pub title: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "crate::patch::some")]
    #[schema(value_type = Option<String>)]
    pub business_type: Option<Option<String>>,
    pub priority: Option<Priority>,
    #[serde(default, deserialize_with = "crate::time::patch")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub due_at: Option<Option<DateTime<Utc>>>,
    pub nodes: Option<Vec<NodeEdit>>,
    pub watchers: Option<Vec<u64>>,
    pub editors: Option<Vec<u64>>,
    pub checklist: Option<Vec<ChecklistEdit>>,
    /// Custom field values: the whole set (an absent key is cleared).
    #[schema(value_type = Option<Object>)]
    pub fields: Option<BTreeMap<String, serde_json::Value>>,
}
