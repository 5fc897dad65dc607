//! The task log: every operation, edit and comment, with who, when and why.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::actor::Actor;
pub use crate::flow::apply::LogLine;
use crate::flow::Completion;
use crate::store::{Record, StoreError, WriteTx};

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

pub const IX_TASK: &str = "tasklog";

impl Record for LogEntry {
    const KIND: &'static str = "tasklog";
    crate::id_and_rev!();
    fn multi_keys(&self) -> Vec<(&'static str, String)> {
        vec![(IX_TASK, self.task_id.to_string())]
    }
}

/// Stages a log entry in the caller's write.
pub fn write(
    tx: &mut WriteTx<'_>,
    task_id: u64,
    actor: &Actor,
    line: LogLine,
    subject_id: Option<u64>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    insert(tx, task_id, actor, line, subject_id, None, None, now)
}

/// Stages the log line of a flow event that handed the current step to `received_by`.
pub fn write_flow(
    tx: &mut WriteTx<'_>,
    task_id: u64,
    actor: &Actor,
    line: LogLine,
    subject_id: Option<u64>,
    received_by: Option<u64>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    insert(tx, task_id, actor, line, subject_id, received_by, None, now)
}

/// Stages the log line of a node completion by `handler`, with the facts of that
/// moment (deadline, verdict) that statistics keep for good, and who received the
/// next step through it.
#[allow(clippy::too_many_arguments)]
pub fn write_completion(
    tx: &mut WriteTx<'_>,
    task_id: u64,
    actor: &Actor,
    line: LogLine,
    handler: u64,
    completion: Completion,
    received_by: Option<u64>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    insert(
        tx,
        task_id,
        actor,
        line,
        Some(handler),
        received_by,
        Some(completion),
        now,
    )
}

#[allow(clippy::too_many_arguments)]
fn insert(
    tx: &mut WriteTx<'_>,
    task_id: u64,
    actor: &Actor,
    line: LogLine,
    subject_id: Option<u64>,
    received_by: Option<u64>,
    completion: Option<Completion>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut e = LogEntry {
        id: 0,
        rev: 0,
        task_id,
        at: now,
        actor_id: actor.user_id,
        actor_name: actor.name.clone(),
        action: line.action,
        detail: line.detail,
        reason: line.reason,
        subject_id,
        received_by,
        completion,
    };
    tx.insert(&mut e)?;
    // Statistics counters and the overdue index change in the same write.
    crate::stats::record::on_log(tx, &e)?;
    Ok(())
}

/// A log line without a reason.
pub fn line(action: &str, detail: impl Into<String>) -> LogLine {
    LogLine {
        action: action.to_string(),
        detail: detail.into(),
        reason: None,
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
