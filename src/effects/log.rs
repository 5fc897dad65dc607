//! Consumer: the task log, and through each line the statistics counters.

use chrono::{DateTime, Utc};

use crate::actor::Actor;
use crate::flow::apply::LogLine;
use crate::flow::events::{self, Event};
use crate::flow::Completion;
use crate::store::{StoreError, WriteTx};
use crate::tasklog::{LogEntry, TaskLog, Undoes};

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
            undoes: events
                .iter()
                .any(|e| matches!(e, Event::Withdrawn { .. }))
                .then_some(Undoes::LastReceipt),
            completion: completion.map(|(_, due_at, on_time)| Completion {
                due_at,
                on_time,
                inferred: false,
            }),
            ..LogEntry::new(task_id, actor, line, now)
        },
    )
}

/// Appends one line to its task's log (one key: the task's [`TaskLog`]); the
/// statistics counters change in the same write, counted from the line's facts with
/// the task's earlier lines replayed (see `stats::record::on_line`).
pub fn insert(tx: &mut WriteTx<'_>, mut e: LogEntry) -> Result<(), StoreError> {
    e.id = tx.next_id()?;
    e.rev = 1;
    let stored = tx.get::<TaskLog>(e.task_id)?;
    let earlier = stored.as_ref().map_or(&[][..], |l| l.lines.as_slice());
    crate::stats::record::on_line(tx, earlier, &e)?;
    match stored {
        Some(mut log) => {
            let rev = log.rev;
            log.lines.push(e);
            tx.update(&mut log, rev)
        }
        None => tx.insert_owned(&mut TaskLog {
            id: e.task_id,
            rev: 0,
            lines: vec![e],
        }),
    }
}
