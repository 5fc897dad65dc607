use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::kinds::{Added, ClaimFrom, NodeKind, Share, NOBODY};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NodeState {
    /// Not reached yet.
    Waiting,
    /// Current; its handler has received it but not begun.
    Active,
    /// Current; its handler began (Start, or any progress such as a checklist tick).
    Started,
    Done,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// One handler, optional checklist.
    Simple,
    Workflow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Open,
    Done,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Node {
    /// Stable within the task, so edits can tell nodes apart.
    pub id: u32,
    pub handler_id: u64,
    /// What the handler is to do (处理事项).
    pub action: String,
    pub due_at: Option<DateTime<Utc>>,
    pub state: NodeState,
    pub received_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub done_at: Option<DateTime<Utc>>,
    /// How the step is handled; `single` for tasks stored before kinds existed.
    #[serde(default)]
    pub kind: NodeKind,
    /// All/any steps: one share per handler (`handler_id` is then the first's).
    #[serde(default)]
    pub shares: Vec<Share>,
    /// Claim steps: who may claim (as given) …
    #[serde(default)]
    pub claim_from: Option<ClaimFrom>,
    /// … and those users, resolved when the task was saved.
    #[serde(default)]
    pub candidates: Vec<u64>,
    /// Set on a step added on the way (加签).
    #[serde(default)]
    pub added: Option<Added>,
    /// Reach this step only when this rhai expression over the task's custom fields
    /// (`fields.amount`) and, for scenario tasks, the source record (`r.x`) is true;
    /// otherwise the flow skips it (see `docs/flows.md`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// Told (抄送) when the flow reaches this step and/or when it is done; they may
    /// view the task like watchers, with no operations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<u64>,
    #[serde(default)]
    pub cc_on: CcOn,
    /// The flow passed this step by because its condition was false (state `done`,
    /// nobody completed it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
    /// Evaluating the condition failed when the flow reached this step: the step
    /// stays current (never skipped silently) and its admins see why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_error: Option<String>,
}

/// When a step's CC recipients are told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CcOn {
    #[default]
    Reached,
    Done,
    Both,
}

impl CcOn {
    pub fn on_reached(self) -> bool {
        matches!(self, CcOn::Reached | CcOn::Both)
    }
    pub fn on_done(self) -> bool {
        matches!(self, CcOn::Done | CcOn::Both)
    }
}

impl Node {
    /// A step not yet reached, as the services build them.
    pub fn waiting(
        id: u32,
        handler_id: u64,
        action: String,
        due_at: Option<DateTime<Utc>>,
    ) -> Node {
        Node {
            id,
            handler_id,
            action,
            due_at,
            state: NodeState::Waiting,
            received_at: None,
            started_at: None,
            done_at: None,
            condition: None,
            cc: Vec::new(),
            cc_on: CcOn::Reached,
            skipped: false,
            condition_error: None,
            ..Node::default_single()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChecklistItem {
    pub id: u32,
    pub text: String,
    pub done: bool,
    pub done_by: Option<u64>,
    pub done_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Attachment {
    pub id: u64,
    pub name: String,
    pub size: u64,
    pub content_type: String,
    pub uploaded_by: u64,
    pub uploaded_at: DateTime<Utc>,
}

/// Why a scenario created this task: kept with the task, shown in its detail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TaskSource {
    pub scenario_id: String,
    pub scenario_name: String,
    pub scenario_version: u64,
    pub fired_at: DateTime<Utc>,
    pub record_kind: String,
    pub record_id: String,
    #[schema(value_type = Object)]
    pub record: serde_json::Value,
    /// Notify these people when the flow is late (the scenario's escalation levels).
    #[serde(default)]
    pub escalations: Vec<Escalation>,
    /// Told when the task finishes, beside the creator and watchers.
    #[serde(default)]
    pub on_finish: Vec<u64>,
    /// Finish the task by itself when the scenario's condition clears.
    #[serde(default)]
    pub auto_close: bool,
    /// The write-back target its scenario named (`const WRITE_BACK`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_back: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Escalation {
    /// When this level fires.
    pub at: DateTime<Utc>,
    pub notify: Vec<u64>,
    pub sent: bool,
}

/// A completed node's deadline and on-time verdict as they stood when it was
/// completed. Recorded once, with the completion's log line, and never recomputed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Completion {
    /// The deadline that applied: the node's own, else the task's; `null` when there
    /// was none.
    pub due_at: Option<DateTime<Utc>>,
    /// Completed at or before `due_at` (always true without a deadline).
    pub on_time: bool,
    /// True for completions made before Baton recorded these facts: the verdict was
    /// taken once, by the schema-2 migration, from the statistics of the time (see
    /// `docs/statistics.md`), and `due_at` is the deadline known at the migration.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub inferred: bool,
}

impl Completion {
    /// On time means at or before the deadline; no deadline is always on time.
    pub fn judge(due_at: Option<DateTime<Utc>>, at: DateTime<Utc>) -> Completion {
        Completion {
            due_at,
            on_time: due_at.is_none_or(|d| at <= d),
            inferred: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: u64,
    pub rev: u64,
    pub project_id: u64,
    pub title: String,
    pub description: String,
    pub kind: TaskKind,
    pub business_type: Option<String>,
    pub priority: Priority,
    pub due_at: Option<DateTime<Utc>>,
    pub creator_id: u64,
    pub nodes: Vec<Node>,
    /// Index of the current node while open.
    pub current: usize,
    pub status: TaskStatus,
    pub checklist: Vec<ChecklistItem>,
    pub watchers: Vec<u64>,
    pub editors: Vec<u64>,
    pub attachments: Vec<Attachment>,
    /// Everyone who has ever been the handler of a node ("handled" it).
    pub past_handlers: Vec<u64>,
    pub archived: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub source: Option<TaskSource>,
    /// Next id for nodes and checklist items.
    pub next_local_id: u32,
    /// Which reminders went out, so none is sent twice (also across restarts).
    #[serde(default)]
    pub reminders: ReminderState,
    /// Custom field values (自定义字段), validated against the definitions of the
    /// task's project and template (`projects::fields`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub fields: std::collections::BTreeMap<String, serde_json::Value>,
    /// The template the task was made from, whose field definitions also apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_id: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderState {
    /// The deadline the fields below refer to; a new deadline starts afresh.
    pub for_due: Option<DateTime<Utc>>,
    /// The node (by id) and handler they refer to; a new step starts afresh.
    pub for_node: Option<(u32, u64)>,
    pub due_soon_sent: bool,
    pub overdue_sent_at: Option<DateTime<Utc>>,
}

/// Test fixture shared by the modules that store or judge tasks.
#[cfg(test)]
#[path = "model_fixture.rs"]
mod fixture;

impl Node {
    /// A waiting single step of nobody: the fields a kind adds, at their defaults
    /// (spread into literals: `Node { id, handler_id, .., ..Node::default_single() }`).
    pub fn default_single() -> Node {
        Node {
            id: 0,
            handler_id: NOBODY,
            action: String::new(),
            due_at: None,
            state: NodeState::Waiting,
            received_at: None,
            started_at: None,
            done_at: None,
            kind: NodeKind::Single,
            shares: vec![],
            claim_from: None,
            candidates: vec![],
            added: None,
            condition: None,
            cc: Vec::new(),
            cc_on: CcOn::Reached,
            skipped: false,
            condition_error: None,
        }
    }
}

impl Task {
    pub fn current_node(&self) -> Option<&Node> {
        match self.status {
            TaskStatus::Open => self.nodes.get(self.current),
            TaskStatus::Done => None,
        }
    }

    /// The current step's (first) handler; `None` while finished or unclaimed.
    pub fn current_handler(&self) -> Option<u64> {
        self.current_node()
            .map(|n| n.handler_id)
            .filter(|h| *h != NOBODY)
    }

    /// `user` has an open part of the current step (their share, or the step).
    pub fn is_open_for(&self, user: u64) -> bool {
        self.current_node().is_some_and(|n| n.is_open_for(user))
    }

    /// The effective deadline of the current step: the node's own, else the task's.
    pub fn current_due(&self) -> Option<DateTime<Utc>> {
        self.current_node().and_then(|n| n.due_at).or(self.due_at)
    }

    /// The facts of completing the current node at `at`, fixed at that moment: the
    /// deadline that applies now and whether `at` met it. Statistics keep these with
    /// the completion so a later deadline change never rewrites the past.
    pub fn completion_at(&self, at: DateTime<Utc>) -> Option<Completion> {
        self.current_node()?;
        Some(Completion::judge(self.current_due(), at))
    }

    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.status == TaskStatus::Open && self.current_due().is_some_and(|d| d < now)
    }

    /// Everyone named on the task: creator, handlers (now, later, before), watchers,
    /// editors, the steps' CC recipients.
    pub fn participants(&self) -> Vec<u64> {
        let mut all = vec![self.creator_id];
        for n in &self.nodes {
            all.extend(n.handlers());
            all.extend(&n.candidates);
        }
        all.extend(&self.past_handlers);
        all.extend(&self.watchers);
        all.extend(&self.editors);
        all.extend(self.nodes.iter().flat_map(|n| n.cc.iter()));
        all.sort_unstable();
        all.dedup();
        all.retain(|u| *u != NOBODY);
        all
    }

    /// The step before the current one that the flow did not pass by (return and
    /// withdrawal go there).
    pub fn previous_index(&self) -> Option<usize> {
        (0..self.current)
            .rev()
            .find(|i| self.nodes.get(*i).is_some_and(|n| !n.skipped))
    }

    pub fn alloc_id(&mut self) -> u32 {
        self.next_local_id += 1;
        self.next_local_id
    }
}
