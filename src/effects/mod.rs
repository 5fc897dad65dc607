//! The consequences of a change, staged in the same atomic write as the change itself.
//!
//! Services decide (`flow::apply` returns the new state, typed events and notices) and
//! store their change, then hand what it causes to [`stage`]: the task log line with
//! the events' facts, the statistics counters (through that line), inbox messages and
//! their outbox items. This is the layer above those consumers, one small module each,
//! so none of them reaches into another (see `docs/architecture.md`). The other services
//! describe what they did as [`events::Event`]s and hand them to [`stage_events`].

pub mod events;
pub mod inbox;
pub mod log;
pub mod messages;
pub mod scenario_stats;
pub mod write_back;

use chrono::{DateTime, Utc};

use crate::actor::Actor;
use crate::error::ServiceResult;
use crate::flow::apply::Outcome;
use crate::flow::Task;
use crate::inbox::service::{insert, NewMessage};
use crate::store::{Store, StoreError, WriteTx};

/// Stages everything a flow change on `task` (already staged, as it is now) causes:
/// its log line with the events' facts, the statistics (a scenario task's end in its
/// scenario's analytics too), and the messages.
pub fn stage(
    tx: &mut WriteTx<'_>,
    store: &Store,
    task: &Task,
    actor: &Actor,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    log::write_events(
        tx,
        task.id,
        actor,
        outcome.log.clone(),
        &outcome.events,
        now,
    )?;
    write_back::on_flow(
        tx,
        task,
        actor,
        &outcome.events,
        outcome.log.reason.as_deref(),
        now,
    )?;
    scenario_stats::on_flow(tx, task, &outcome.events, now)?;
    inbox::post_notices(tx, store, task, actor, &outcome.notices, now)
}

/// Stages everything the services' `events` (done by `actor`) cause: task-log lines
/// (and through them the statistics), inbox messages and their outbox items, read
/// marks. The one way a service other than the flow operations reaches those sinks.
pub fn stage_events(
    tx: &mut WriteTx<'_>,
    actor: &Actor,
    events: &[events::Event],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    log::on_events(tx, actor, events, now)?;
    write_back::on_events(tx, actor, events, now)?;
    messages::on_events(tx, actor, events, now)
}

/// Stages an inbox message and its external deliveries (e-mail, webhooks, as the
/// recipient's preferences say) in the caller's write: none lost, none doubled.
pub fn notify(tx: &mut WriteTx<'_>, m: NewMessage, now: DateTime<Utc>) -> Result<u64, StoreError> {
    let msg = insert(tx, m, now)?;
    crate::delivery::outbox::enqueue(tx, &msg, now)?;
    Ok(msg.id)
}
