//! The task log: every operation, edit and comment, with who, when and why.
//!
//! Services do not write it: their events do, through `effects::stage`.
//! [`write_completion`] is left for the schema backfill, which re-creates lines of the
//! past.

use chrono::{DateTime, Utc};

use crate::actor::Actor;
pub use crate::flow::apply::LogLine;
use crate::flow::Completion;
use crate::store::{StoreError, WriteTx};

pub use crate::tasklog::{list, LogEntry, TaskLog, Undoes, IX_TASK};

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
    crate::effects::log::insert(
        tx,
        LogEntry {
            subject_id,
            received_by,
            completion,
            ..LogEntry::new(task_id, actor, line, now)
        },
    )
}

/// A log line without a reason.
pub fn line(action: &str, detail: impl Into<String>) -> LogLine {
    LogLine {
        action: action.to_string(),
        detail: detail.into(),
        reason: None,
    }
}
