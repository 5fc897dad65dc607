//! Consumer: the task log, and through each line the statistics counters.

use chrono::{DateTime, Utc};

use crate::actor::Actor;
use crate::flow::apply::LogLine;
use crate::flow::events::{self, Event};
use crate::flow::Completion;
use crate::store::{StoreError, WriteTx};
use crate::tasklog::LogEntry;

/// Stages the log line of a flow change with the facts its events carry: who
/// completed a step (with that moment's deadline and verdict) and who received one.
pub fn write_events(
    tx: &mut WriteTx<'_>,
    task_id: u64,
    actor: &Actor,
    line: LogLine,
    events: &[Event],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let completion = events::completion(events);
    insert(
        tx,
        LogEntry {
            subject_id: completion.map(|(by, _, _)| by),
            received_by: events::received_by(events),
            completion: completion.map(|(_, due_at, on_time)| Completion {
                due_at,
                on_time,
                inferred: false,
            }),
            ..LogEntry::new(task_id, actor, line, now)
        },
    )
}

/// Stages one log entry; statistics counters and the overdue index change in the
/// same write (they count from the line's recorded facts, see `stats::record`).
pub fn insert(tx: &mut WriteTx<'_>, mut e: LogEntry) -> Result<(), StoreError> {
    tx.insert(&mut e)?;
    crate::stats::record::on_log(tx, &e)?;
    Ok(())
}
