//! The task log record: every operation, edit and comment on a task, with who, when
//! and why. Its own module, below both writers (`tasks::log`) and readers
//! (`stats`, which replays it), so neither reaches into the other.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::actor::Actor;
use crate::flow::apply::LogLine;
use crate::flow::Completion;
use crate::store::{Record, StoreError};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LogEntry {
    pub id: u64,
    #[serde(default)]
    pub rev: u64,
    pub task_id: u64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<u64>,
    pub actor_name: String,
    pub action: String,
    pub detail: String,
    pub reason: Option<String>,
    /// For statistics: the user who became handler of a node, or completed one.
    #[serde(default)]
    pub subject_id: Option<u64>,
    /// On a `complete` line: the deadline and on-time verdict as they stood at that
    /// moment. Statistics count from this, never from the task's current deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion: Option<Completion>,
    /// The user who became the current step's handler through this event (creation,
    /// completion, transfer, return, withdrawal). Kept on the event's own line so the
    /// log has one line per event; logs written before this field have a separate
    /// `receive` line instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_by: Option<u64>,
}

impl LogEntry {
    /// A new line by `actor` at `now` (its id and revision are given when it is
    /// stored); the statistics facts start empty, for the writer to fill in.
    pub fn new(task_id: u64, actor: &Actor, line: LogLine, now: DateTime<Utc>) -> LogEntry {
        LogEntry {
            id: 0,
            rev: 0,
            task_id,
            at: now,
            actor_id: actor.user_id,
            actor_name: actor.name.clone(),
            action: line.action,
            detail: line.detail,
            reason: line.reason,
            subject_id: None,
            completion: None,
            received_by: None,
        }
    }
}

pub const IX_TASK: &str = "tasklog";

impl Record for LogEntry {
    const KIND: &'static str = "tasklog";
    crate::id_and_rev!();
    fn multi_keys(&self) -> Vec<(&'static str, String)> {
        vec![(IX_TASK, self.task_id.to_string())]
    }
}

pub fn list(store: &crate::store::Store, task_id: u64) -> Result<Vec<LogEntry>, StoreError> {
    let mut ids = store.ids_by(IX_TASK, &task_id.to_string())?;
    ids.reverse();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(e) = store.get::<LogEntry>(id)? {
            out.push(e);
        }
    }
    Ok(out)
}
