//! What the API shows of tasks.

use chrono::{DateTime, Utc};
use serde::Serialize;
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
}

impl TaskSummary {
    pub fn new(t: &Task, now: DateTime<Utc>) -> TaskSummary {
        let current = t.current_node();
        TaskSummary {
            id: t.id,
            project_id: t.project_id,
            title: t.title.clone(),
            kind: t.kind,
            priority: t.priority,
            business_type: t.business_type.clone(),
            due_at: t.current_due(),
            status: t.status,
            archived: t.archived,
            overdue: t.is_overdue(now),
            current_handler_id: current.map(|n| n.handler_id),
            current_action: current.map(|n| n.action.clone()),
            current_index: current.map(|_| t.current),
            node_count: t.nodes.len(),
            creator_id: t.creator_id,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}
