//! Consumer: a scenario task that ends (finished by its handlers, or auto-closed)
//! counts in its scenario's analytics, in the record of the day it fired (see
//! `stats::scenario_days`).

use chrono::{DateTime, Utc};

use crate::flow::events::{Event, Finish};
use crate::flow::Task;
use crate::stats::scenario_days::{bump, Ended};
use crate::store::{StoreError, WriteTx};
use crate::tasklog::TaskLog;

/// The consumer: counts the end of each scenario task a flow change among `events`
/// ended.
pub fn on_events(
    tx: &mut WriteTx<'_>,
    events: &[super::events::Event],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for e in events {
        if let super::events::Event::Flowed(c) = e {
            on_flow(tx, &c.task, &c.facts, now)?;
        }
    }
    Ok(())
}

/// Counts `task`'s end among `events`, if it is a scenario task that ended.
fn on_flow(
    tx: &mut WriteTx<'_>,
    task: &Task,
    events: &[Event],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Some(src) = &task.source else {
        return Ok(());
    };
    let Some(how) = events.iter().find_map(|e| match e {
        Event::Finished { how } => Some(*how),
        _ => None,
    }) else {
        return Ok(());
    };
    // A scenario deleted since keeps no analytics.
    let Some(scenario) = tx.lookup("scenario_key", &src.scenario_id)? else {
        return Ok(());
    };
    let ended = match how {
        Finish::Completed => Ended::Finished {
            late: task.due_at.is_some_and(|d| now > d),
            commented: commented(tx, task.id)?,
        },
        Finish::AutoClosed => Ended::AutoClosed,
    };
    let lasted = now.signed_duration_since(src.fired_at).num_seconds();
    bump(tx, scenario, src.fired_at, |d| d.ended(ended, lasted))
}

/// Whether anyone commented on the task (its log has a comment line).
fn commented(tx: &WriteTx<'_>, task: u64) -> Result<bool, StoreError> {
    Ok(tx
        .get::<TaskLog>(task)?
        .is_some_and(|l| l.lines.iter().any(|line| line.action == "comment")))
}
