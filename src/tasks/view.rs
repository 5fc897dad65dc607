//! What the API shows of tasks.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::flow::access::Allowed;
use crate::flow::model::{Attachment, TaskSource};
use crate::flow::{ChecklistItem, Node, Priority, Task, TaskKind, TaskStatus};
use crate::markdown::to_safe_html;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskView {
    pub id: u64,
    pub rev: u64,
    pub project_id: u64,
    pub title: String,
    pub description: String,
    /// Rendered and sanitised: safe to insert as HTML.
    pub description_html: String,
    pub kind: TaskKind,
    pub business_type: Option<String>,
    pub priority: Priority,
    pub due_at: Option<DateTime<Utc>>,
    pub creator_id: u64,
    pub status: TaskStatus,
    pub archived: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub current_node: Option<usize>,
    pub nodes: Vec<Node>,
    pub checklist: Vec<ChecklistItem>,
    pub watchers: Vec<u64>,
    pub editors: Vec<u64>,
    pub attachments: Vec<Attachment>,
    pub overdue: bool,
    pub source: Option<TaskSource>,
    pub allowed: Allowed,
    /// Custom field values.
    #[schema(value_type = Object)]
    pub fields: BTreeMap<String, serde_json::Value>,
    /// The definitions that apply (the project's and the template's), for the form.
    pub field_defs: Vec<crate::projects::fields::FieldDef>,
    pub template_id: Option<u64>,
}

impl TaskView {
    pub fn new(t: &Task, allowed: Allowed, now: DateTime<Utc>) -> TaskView {
        TaskView {
            id: t.id,
            rev: t.rev,
            project_id: t.project_id,
            title: t.title.clone(),
            description: t.description.clone(),
            description_html: to_safe_html(&t.description),
            kind: t.kind,
            business_type: t.business_type.clone(),
            priority: t.priority,
            due_at: t.due_at,
            creator_id: t.creator_id,
            status: t.status,
            archived: t.archived,
            created_at: t.created_at,
            updated_at: t.updated_at,
            finished_at: t.finished_at,
            current_node: t.current_node().map(|_| t.current),
            nodes: t.nodes.clone(),
            checklist: t.checklist.clone(),
            watchers: t.watchers.clone(),
            editors: t.editors.clone(),
            attachments: t.attachments.clone(),
            overdue: t.is_overdue(now),
            source: t.source.clone(),
            allowed,
            fields: t.fields.clone(),
            field_defs: Vec::new(),
            template_id: t.template_id,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskSummary {
    pub id: u64,
    pub project_id: u64,
    pub title: String,
    pub kind: TaskKind,
    pub priority: Priority,
    pub business_type: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub status: TaskStatus,
    pub archived: bool,
    pub overdue: bool,
    pub current_handler_id: Option<u64>,
    pub current_action: Option<String>,
    pub current_index: Option<usize>,
    pub node_count: usize,
    pub creator_id: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Custom field values, for list columns.
    #[schema(value_type = Object)]
    pub fields: BTreeMap<String, serde_json::Value>,
}

/// What a [`TaskSummary`] is made of: read from a stored task with
/// [`crate::store::Store::get_part`], so a list skips the rest of each task.
#[derive(Debug, Clone, Deserialize)]
pub struct TaskHead {
    id: u64,
    project_id: u64,
    title: String,
    kind: TaskKind,
    priority: Priority,
    business_type: Option<String>,
    due_at: Option<DateTime<Utc>>,
    creator_id: u64,
    nodes: Vec<NodeHead>,
    current: usize,
    status: TaskStatus,
    archived: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    #[serde(default)]
    fields: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize)]
struct NodeHead {
    handler_id: u64,
    #[serde(default)]
    action: String,
    due_at: Option<DateTime<Utc>>,
}

impl TaskHead {
    /// The same fields of a task at hand.
    pub fn of(t: &Task) -> TaskHead {
        TaskHead {
            id: t.id,
            project_id: t.project_id,
            title: t.title.clone(),
            kind: t.kind,
            priority: t.priority,
            business_type: t.business_type.clone(),
            due_at: t.due_at,
            creator_id: t.creator_id,
            nodes: t
                .nodes
                .iter()
                .map(|n| NodeHead {
                    handler_id: n.handler_id,
                    action: n.action.clone(),
                    due_at: n.due_at,
                })
                .collect(),
            current: t.current,
            status: t.status,
            archived: t.archived,
            created_at: t.created_at,
            updated_at: t.updated_at,
            fields: t.fields.clone(),
        }
    }
}

impl TaskSummary {
    pub fn new(t: &Task, now: DateTime<Utc>) -> TaskSummary {
        TaskSummary::of_head(TaskHead::of(t), now)
    }

    /// As `Task::current_node`, `current_due` and `is_overdue` say, over the head.
    pub fn of_head(h: TaskHead, now: DateTime<Utc>) -> TaskSummary {
        let open = h.status == TaskStatus::Open;
        let current = h.nodes.get(h.current).filter(|_| open);
        let due = current.and_then(|n| n.due_at).or(h.due_at);
        TaskSummary {
            id: h.id,
            project_id: h.project_id,
            title: h.title,
            kind: h.kind,
            priority: h.priority,
            business_type: h.business_type,
            due_at: due,
            status: h.status,
            archived: h.archived,
            overdue: open && due.is_some_and(|d| d < now),
            // nobody yet on an unclaimed claim step
            current_handler_id: current
                .map(|n| n.handler_id)
                .filter(|h| *h != crate::flow::kinds::NOBODY),
            current_action: current.map(|n| n.action.clone()),
            current_index: current.map(|_| h.current),
            node_count: h.nodes.len(),
            creator_id: h.creator_id,
            created_at: h.created_at,
            updated_at: h.updated_at,
            fields: h.fields,
        }
    }
}

#[cfg(test)]
mod head_tests {
    use super::*;
    use crate::flow::NodeState;
    use crate::store::{decode_part, encode};
    use chrono::TimeZone;

    /// The summary read from a stored task's head is the summary of the whole task:
    /// open or done, with or without a step deadline, before and after it.
    #[test]
    fn a_summary_from_the_stored_head_equals_one_from_the_task() {
        let t0 = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
        let mut open = Task::one_step(2, t0);
        open.id = 5;
        open.due_at = Some(t0 + chrono::Duration::days(2));
        open.description = "long text".repeat(50);
        let mut step_due = open.clone();
        step_due.nodes[0].due_at = Some(t0 + chrono::Duration::days(1));
        step_due.nodes[0].action = "check".into();
        let mut done = open.clone();
        done.status = TaskStatus::Done;
        done.nodes[0].state = NodeState::Done;
        for t in [open, step_due, done] {
            let bytes = encode(&t).unwrap();
            let head: TaskHead = decode_part::<Task, TaskHead>(&bytes).unwrap();
            for now in [t0, t0 + chrono::Duration::days(3)] {
                assert_eq!(
                    serde_json::to_value(TaskSummary::of_head(head.clone(), now)).unwrap(),
                    serde_json::to_value(TaskSummary::new(&t, now)).unwrap()
                );
            }
        }
    }
}
