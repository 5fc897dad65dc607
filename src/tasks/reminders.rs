//! Due-soon and overdue reminders.
//!
//! Each open task is indexed by the next time a reminder may be due
//! (`tasks::record::ix::REMIND_AT`), so a scheduler tick reads only the tasks whose time
//! has come instead of scanning all of them. What was sent is kept in the task
//! (`ReminderState`) and written in the same batch as the inbox messages, so after a
//! restart nothing is lost and nothing is sent twice.

use chrono::{DateTime, Duration, Utc};

use crate::actor::Actor;
use crate::effects::events::{Event, Reminder, TaskRef};
use crate::effects::stage;
use crate::error::ServiceResult;
use crate::flow::model::ReminderState;
use crate::flow::{Task, TaskStatus};
use crate::store::Store;
use crate::time::time_key;

use super::record::ix;

/// The lead of "due soon" (config `due_soon`) as a signed duration; an out-of-range
/// value (years beyond chrono's range) means "as early as can be said": a day.
pub fn lead_of(due_soon: std::time::Duration) -> Duration {
    Duration::from_std(due_soon).unwrap_or(Duration::hours(24))
}

/// Schema step 4 → 5: the reminder index held the due-soon time (deadline minus the
/// lead of that process); it now holds tagged entries ([`schedule`]).
pub fn reindex(store: &Store) -> Result<(), crate::store::StoreError> {
    let n = store.rebuild_multi_index::<Task>(ix::REMIND_AT)?;
    tracing::info!(entries = n, "reminder schedule rebuilt");
    Ok(())
}

/// The reminder state as it applies to the task's current step and deadline.
fn current_state(t: &Task) -> ReminderState {
    let node = t.current_node().map(|n| (n.id, n.handler_id));
    if t.reminders.for_due == t.current_due() && t.reminders.for_node == node {
        t.reminders.clone()
    } else {
        ReminderState {
            for_due: t.current_due(),
            for_node: node,
            ..Default::default()
        }
    }
}

/// When the next overdue reminder or escalation for `t` is due, if any: pure over the
/// task (a pending "due soon" comes before it; see [`schedule`]).
pub fn next_at(t: &Task) -> Option<DateTime<Utc>> {
    if t.status != TaskStatus::Open || t.archived {
        return None;
    }
    match (next_reminder_at(t), next_escalation(t)) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The time of the first escalation of a scenario task not sent yet.
fn next_escalation(t: &Task) -> Option<DateTime<Utc>> {
    t.source
        .as_ref()
        .and_then(|s| s.escalations.iter().filter(|e| !e.sent).map(|e| e.at).min())
}

/// Escalation levels of a scenario task that are due at `now` and not yet sent.
pub fn escalations_due(t: &Task, now: DateTime<Utc>) -> Vec<usize> {
    if t.status != TaskStatus::Open || t.archived {
        return Vec::new();
    }
    t.source
        .as_ref()
        .map(|s| {
            s.escalations
                .iter()
                .enumerate()
                .filter(|(_, e)| !e.sent && e.at <= now)
                .map(|(i, _)| i)
                .collect()
        })
        .unwrap_or_default()
}

/// The next overdue reminder: at the deadline, then a day after the last one. The
/// due-soon reminder before it depends on the configured lead, so it is scheduled by
/// its deadline instead ([`due_soon_of`]).
fn next_reminder_at(t: &Task) -> Option<DateTime<Utc>> {
    let due = t.current_due()?;
    match current_state(t).overdue_sent_at {
        // Checked: times in stored tasks are bounded at the request boundary, but a
        // reminder must never be the thing that panics inside a write.
        Some(last) => last.checked_add_signed(Duration::days(1)),
        None => Some(due),
    }
}

/// The deadline whose "due soon" reminder is still to go out, if any: indexed as
/// it is, so the tick finds it by `deadline <= now + lead` whatever the lead is now.
pub fn due_soon_of(t: &Task) -> Option<DateTime<Utc>> {
    if t.status != TaskStatus::Open || t.archived {
        return None;
    }
    let due = t.current_due()?;
    let s = current_state(t);
    (!s.due_soon_sent && s.overdue_sent_at.is_none()).then_some(due)
}

/// When the reminder of `t` that `lead` ahead of the deadline asks for is due.
fn reminder_at(t: &Task, lead: Duration) -> Option<DateTime<Utc>> {
    match due_soon_of(t) {
        // A deadline nearer than the lead is "due soon" at once; one already passed
        // goes straight to overdue (see `due_now`).
        Some(due) => Some(due.checked_sub_signed(lead).unwrap_or(due)),
        None => next_reminder_at(t),
    }
}

/// Which reminder is due at `now` with "due soon" `lead` ahead of the deadline, and
/// the state after sending it.
pub fn due_now(t: &Task, now: DateTime<Utc>, lead: Duration) -> Option<(Reminder, ReminderState)> {
    if t.status != TaskStatus::Open || t.archived {
        return None;
    }
    let at = reminder_at(t, lead)?;
    if at > now {
        return None;
    }
    let due = t.current_due()?;
    let mut s = current_state(t);
    if now < due {
        s.due_soon_sent = true;
        Some((Reminder::DueSoon, s))
    } else {
        s.due_soon_sent = true;
        s.overdue_sent_at = Some(now);
        Some((Reminder::Overdue, s))
    }
}

/// [`ix::REMIND_AT`] tag of an entry due at its time: overdue, escalation.
const AT: &str = "t";
/// [`ix::REMIND_AT`] tag of a pending "due soon", by the deadline.
const DEADLINE: &str = "d";

/// The reminder index entries of `t`: one, but two when an escalation comes before
/// the deadline of a pending "due soon" (the lead is not known here, so the earlier
/// of the two cannot be chosen).
pub fn schedule(t: &Task) -> Vec<String> {
    let entry = |tag: &str, at: DateTime<Utc>| format!("{tag}/{}", time_key(at));
    let Some(due) = due_soon_of(t) else {
        return next_at(t).map(|at| entry(AT, at)).into_iter().collect();
    };
    let mut out = vec![entry(DEADLINE, due)];
    if let Some(e) = next_escalation(t).filter(|e| *e < due) {
        out.push(entry(AT, e));
    }
    out
}

/// The open tasks a tick at `now` must look at: overdue reminders and escalations
/// whose time has come, and deadlines within `lead` whose "due soon" is pending.
fn candidates(store: &Store, now: DateTime<Utc>, lead: Duration) -> ServiceResult<Vec<u64>> {
    let soon = now.checked_add_signed(lead).unwrap_or(now);
    // `{tag}/{time}0` ends the entries up to `time`: '0' follows the '/' before an id.
    let upto = |tag: &str, at: DateTime<Utc>| {
        store.ids_in_range(
            ix::REMIND_AT,
            &format!("{tag}/"),
            &format!("{tag}/{}0", time_key(at)),
            usize::MAX,
        )
    };
    let mut ids = upto(AT, now)?;
    ids.extend(upto(DEADLINE, soon)?);
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Sends every reminder due at `now` ("due soon" `lead` ahead of the deadline, the
/// config's `due_soon`); returns how many tasks had one.
pub fn tick(store: &Store, now: DateTime<Utc>, lead: Duration) -> ServiceResult<usize> {
    let mut sent = 0;
    for id in candidates(store, now, lead)? {
        sent += store.write(|tx| {
            let Some(mut t) = tx.get::<Task>(id)? else {
                return Ok::<_, crate::error::ServiceError>(0);
            };
            let escalations = escalations_due(&t, now);
            let reminder = due_now(&t, now, lead);
            if escalations.is_empty() && reminder.is_none() {
                return Ok(0);
            }
            let mut events = Vec::new();
            for i in escalations {
                let Some(src) = t.source.as_mut() else { break };
                src.escalations[i].sent = true;
                events.push(Event::Escalated {
                    task: TaskRef {
                        id: t.id,
                        title: t.title.clone(),
                    },
                    level: i + 1,
                    notify: src.escalations[i].notify.clone(),
                });
            }
            if let Some((kind, state)) = reminder {
                t.reminders = state;
                events.push(Event::Reminded {
                    task: TaskRef {
                        id: t.id,
                        title: t.title.clone(),
                    },
                    kind,
                    handler: t
                        .current_node()
                        .map(|n| {
                            if n.is_unclaimed() {
                                n.candidates.clone()
                            } else {
                                n.open_handlers().into_iter().map(|(h, _)| h).collect()
                            }
                        })
                        .unwrap_or_default(),
                    creator: t.creator_id,
                });
            }
            stage(tx, &Actor::server(), &events, now)?;
            tx.update_bookkeeping(&mut t)?;
            Ok(1)
        })?;
    }
    Ok(sent)
}

#[cfg(test)]
#[path = "reminders_tests.rs"]
mod tests;
