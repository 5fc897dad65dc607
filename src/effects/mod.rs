//! The consequences of a change, staged in the same atomic write as the change itself.
//!
//! Every service decides and stores its change, then describes what it did as
//! [`events::Event`]s and hands them to [`stage`], the one entry point: a flow
//! operation's outcome (`flow::apply` returns the new state, typed flow facts and
//! notices) becomes an [`events::Event::Flowed`] (see [`flowed`]), the other services'
//! changes have their own kinds. Each consumer is one small module with one function
//! over the events, and none of them reaches into another (see
//! `docs/architecture.md`): `log` (task-log lines with their facts, and through them
//! the statistics counters), `write_back` (outbox items for a write-back target),
//! `scenario_stats` (a scenario task's end in its scenario's analytics) and `messages`
//! (inbox messages with their outbox items, read marks).

pub mod events;
pub mod log;
pub mod messages;
mod notices;
pub mod scenario_stats;
pub mod write_back;

use chrono::{DateTime, Utc};

use crate::actor::Actor;
use crate::error::ServiceResult;
use crate::flow::apply::{Notice, Outcome};
use crate::flow::Task;
use crate::inbox::service::{insert, NewMessage};
use crate::store::{Store, StoreError, WriteTx};

use events::{Event, FlowChange};

/// Stages everything `events` (done by `actor`) cause: task-log lines (and through
/// them the statistics), write-back items, scenario analytics, inbox messages and
/// their outbox items, read marks. Consumers run one after the other, each over all
/// the events in their order.
pub fn stage(
    tx: &mut WriteTx<'_>,
    actor: &Actor,
    events: &[Event],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    log::on_events(tx, actor, events, now)?;
    write_back::on_events(tx, actor, events, now)?;
    scenario_stats::on_events(tx, events, now)?;
    messages::on_events(tx, actor, events, now)
}

/// The flow change `outcome` made to `task` (already staged, as it is now) as the
/// event [`stage`] takes. A withdrawal takes back what the inbox said to the one it
/// withdraws from (assigned, urged): their unread messages about the task, read in
/// `store` as it was before this write, are marked read with it.
pub fn flowed(store: &Store, task: Task, outcome: Outcome) -> ServiceResult<Event> {
    let taken_back = notices::taken_back(store, task.id, &outcome.notices)?;
    Ok(Event::Flowed(Box::new(FlowChange {
        taken_back,
        ..FlowChange::new(task, outcome)
    })))
}

/// The messages of the arrival at a new task's first step (`notices`: its CC
/// recipients, a failed condition's error to its admins) as the event [`stage`] takes;
/// `None` when they can tell nobody, so that creating a task does not copy it for
/// nothing.
pub fn arrival(task: &Task, notices: Vec<Notice>) -> Option<Event> {
    notices::may_tell(task, &notices)
        .then(|| Event::Flowed(Box::new(FlowChange::notices_only(task.clone(), notices))))
}

/// Stages an inbox message and its external deliveries (e-mail, webhooks, as the
/// recipient's preferences say) in the caller's write: none lost, none doubled.
fn notify(tx: &mut WriteTx<'_>, m: NewMessage, now: DateTime<Utc>) -> Result<u64, StoreError> {
    let msg = insert(tx, m, now)?;
    crate::delivery::outbox::enqueue(tx, &msg, now)?;
    Ok(msg.id)
}
