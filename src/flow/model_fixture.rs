//! A test fixture shared by the modules that store or judge tasks, kept out of
//! `model.rs` so the model reads as the model.

use chrono::{DateTime, Utc};

use super::{Node, NodeState, Priority, Task, TaskKind, TaskStatus};

/// Test fixture shared by the modules that store or judge tasks.
impl Task {
    /// An open one-step task of `handler`, created and received at `at`, no deadline.
    pub(crate) fn one_step(handler: u64, at: DateTime<Utc>) -> Task {
        Task {
            id: 0,
            rev: 0,
            project_id: 1,
            title: "t".into(),
            description: String::new(),
            kind: TaskKind::Simple,
            business_type: None,
            priority: Priority::Normal,
            due_at: None,
            creator_id: 1,
            nodes: vec![Node {
                id: 1,
                handler_id: handler,
                action: String::new(),
                due_at: None,
                state: NodeState::Active,
                received_at: Some(at),
                started_at: None,
                done_at: None,
                ..Node::default_single()
            }],
            current: 0,
            status: TaskStatus::Open,
            checklist: vec![],
            watchers: vec![],
            editors: vec![],
            attachments: vec![],
            past_handlers: vec![handler],
            archived: false,
            created_at: at,
            updated_at: at,
            finished_at: None,
            source: None,
            next_local_id: 1,
            reminders: Default::default(),
            fields: Default::default(),
            template_id: None,
        }
    }
}
