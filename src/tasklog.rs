//! The task log record: every operation, edit and comment on a task, with who, when
//! and why. Its own module, below both writers (`tasks::log`) and readers
//! (`stats`, which replays it), so neither reaches into the other.
//!
//! Since schema 5 a task's lines are one value, [`TaskLog`], under the task's own id:
//! appending a line rewrites one key and needs no index entry, and statistics replay
//! the task's stored facts from it instead of keeping a tally of their own. Before, each
//! line was a record of its own (kind `tasklog`, indexed by task); that layout is
//! still read by the schema steps that convert it.

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
    /// The others who received the step with `received_by` (every handler of an
    /// all/any step reached at once); a withdrawal undoes them together.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub received_also: Vec<u64>,
    /// What the event took back from statistics: the last receipt (a withdrawal) or
    /// the whole task (its deletion). With `completion` and `received_by`, the typed
    /// facts statistics count from; they never read `action`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undoes: Option<Undoes>,
}

/// See [`LogEntry::undoes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Undoes {
    /// The step was withdrawn before its handler started it: their receipt is undone.
    LastReceipt,
    /// The task was deleted: it leaves every statistic.
    Task,
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
            received_also: vec![],
            undoes: None,
        }
    }
}

/// A task's whole log, oldest line first, stored under the task's id.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TaskLog {
    /// The task's id.
    pub id: u64,
    pub rev: u64,
    pub lines: Vec<LogEntry>,
}

impl Record for TaskLog {
    const KIND: &'static str = "log";
    crate::id_and_rev!();
}

/// Lines of the layout before schema 5 by task.
pub const IX_TASK: &str = "tasklog";

/// One line as its own record: the layout before schema 5, kept only so the schema
/// steps (and restore of an older backup) can read and convert it.
impl Record for LogEntry {
    const KIND: &'static str = "tasklog";
    crate::id_and_rev!();
    fn multi_keys(&self) -> Vec<(&'static str, String)> {
        vec![(IX_TASK, self.task_id.to_string())]
    }
}

/// The log of task `task_id`, oldest line first.
pub fn list(store: &crate::store::Store, task_id: u64) -> Result<Vec<LogEntry>, StoreError> {
    Ok(store
        .get::<TaskLog>(task_id)?
        .map(|l| l.lines)
        .unwrap_or_default())
}
