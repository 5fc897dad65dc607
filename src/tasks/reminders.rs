//! Due-soon and overdue reminders.
//!
//! Each open task is indexed by the next time a reminder may be due
//! (`tasks::record::ix::REMIND_AT`), so a scheduler tick reads only the tasks whose time
//! has come instead of scanning all of them. What was sent is kept in the task
//! (`ReminderState`) and written in the same batch as the inbox messages, so after a
//! restart nothing is lost and nothing is sent twice.

use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};

use crate::actor::Actor;
use crate::effects::notify;
use crate::error::ServiceResult;
use crate::flow::model::ReminderState;
use crate::flow::{Task, TaskStatus};
use crate::inbox::service::NewMessage;
use crate::inbox::MessageKind;
use crate::store::Store;
use crate::time::time_key;

use super::log;
use super::record::ix;

static LEAD: OnceLock<Duration> = OnceLock::new();

/// Sets how long before the deadline "due soon" goes out (config `due_soon`; once per
/// process, at start). The index is derived from the task alone, so the lead is a
/// process setting rather than an argument.
pub fn set_lead(lead: std::time::Duration) {
    let _ = LEAD.set(Duration::from_std(lead).unwrap_or(Duration::hours(24)));
}

fn lead() -> Duration {
    *LEAD.get().unwrap_or(&Duration::hours(24))
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

/// When the next reminder or escalation for `t` is due, if any: pure over the task.
pub fn next_at(t: &Task) -> Option<DateTime<Utc>> {
    if t.status != TaskStatus::Open || t.archived {
        return None;
    }
    let escalation = t
        .source
        .as_ref()
        .and_then(|s| s.escalations.iter().filter(|e| !e.sent).map(|e| e.at).min());
    match (next_reminder_at(t), escalation) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
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

fn next_reminder_at(t: &Task) -> Option<DateTime<Utc>> {
    let due = t.current_due()?;
    let s = current_state(t);
    match s.overdue_sent_at {
        // Checked: times in stored tasks are bounded at the request boundary, but a
        // reminder must never be the thing that panics inside a write.
        Some(last) => last.checked_add_signed(Duration::days(1)),
        // A deadline nearer than the lead is "due soon" at once; one already passed
        // goes straight to overdue (see `due_now`).
        None if !s.due_soon_sent => Some(due.checked_sub_signed(lead()).unwrap_or(due)),
        None => Some(due),
    }
}

/// Which reminder is due at `now`, and the state after sending it.
pub fn due_now(t: &Task, now: DateTime<Utc>) -> Option<(MessageKind, ReminderState)> {
    if t.status != TaskStatus::Open || t.archived {
        return None;
    }
    let at = next_reminder_at(t)?;
    if at > now {
        return None;
    }
    let due = t.current_due()?;
    let mut s = current_state(t);
    if now < due {
        s.due_soon_sent = true;
        Some((MessageKind::DueSoon, s))
    } else {
        s.due_soon_sent = true;
        s.overdue_sent_at = Some(now);
        Some((MessageKind::Overdue, s))
    }
}

/// Sends every reminder due at `now`; returns how many went out.
pub fn tick(store: &Store, now: DateTime<Utc>) -> ServiceResult<usize> {
    let upto = time_key(now);
    let mut sent = 0;
    for id in store.ids_by_range(ix::REMIND_AT, &upto)? {
        sent += store.write(|tx| {
            let Some(mut t) = tx.get::<Task>(id)? else {
                return Ok::<_, crate::error::ServiceError>(0);
            };
            let escalations = escalations_due(&t, now);
            let reminder = due_now(&t, now);
            if escalations.is_empty() && reminder.is_none() {
                return Ok(0);
            }
            for i in escalations {
                let Some(src) = t.source.as_mut() else { break };
                src.escalations[i].sent = true;
                let text = format!(
                    "'{}' is not finished in time (escalation level {})",
                    t.title,
                    i + 1
                );
                for user_id in src.escalations[i].notify.clone() {
                    notify(
                        tx,
                        NewMessage {
                            user_id,
                            kind: MessageKind::Escalation,
                            task_id: Some(t.id),
                            task_title: Some(t.title.clone()),
                            actor_id: None,
                            text: text.clone(),
                            reason: None,
                        },
                        now,
                    )?;
                }
                log::write(
                    tx,
                    t.id,
                    &Actor::server(),
                    log::line("escalation", text),
                    None,
                    now,
                )?;
            }
            let Some((kind, state)) = reminder else {
                tx.update_bookkeeping(&mut t)?;
                return Ok(1);
            };
            t.reminders = state;
            let handler = t.current_handler();
            let mut to: Vec<u64> = handler.into_iter().collect();
            if kind == MessageKind::Overdue && !to.contains(&t.creator_id) {
                to.push(t.creator_id);
            }
            let text = match kind {
                MessageKind::DueSoon => format!("'{}' is due soon", t.title),
                _ => format!("'{}' is overdue", t.title),
            };
            for user_id in to {
                notify(
                    tx,
                    NewMessage {
                        user_id,
                        kind,
                        task_id: Some(t.id),
                        task_title: Some(t.title.clone()),
                        actor_id: None,
                        text: text.clone(),
                        reason: None,
                    },
                    now,
                )?;
            }
            log::write(
                tx,
                t.id,
                &Actor::server(),
                log::line(kind.as_str(), text),
                None,
                now,
            )?;
            tx.update_bookkeeping(&mut t)?;
            Ok(1)
        })?;
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn task(due: Option<DateTime<Utc>>) -> Task {
        let t0 = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
        Task {
            id: 1,
            rev: 1,
            due_at: due,
            ..Task::one_step(2, t0)
        }
    }

    #[test]
    fn due_soon_then_overdue_then_daily() {
        let due = Utc.with_ymd_and_hms(2026, 5, 5, 12, 0, 0).unwrap();
        let mut t = task(Some(due));
        assert_eq!(next_at(&t), Some(due - Duration::hours(24)));
        assert!(due_now(&t, due - Duration::hours(25)).is_none());
        let (k, s) = due_now(&t, due - Duration::hours(23)).unwrap();
        assert_eq!(k, MessageKind::DueSoon);
        t.reminders = s;
        assert_eq!(next_at(&t), Some(due));
        assert!(due_now(&t, due - Duration::hours(1)).is_none(), "not twice");
        let (k, s) = due_now(&t, due + Duration::minutes(1)).unwrap();
        assert_eq!(k, MessageKind::Overdue);
        t.reminders = s;
        assert_eq!(
            next_at(&t),
            Some(due + Duration::minutes(1) + Duration::days(1))
        );
        assert!(due_now(&t, due + Duration::hours(5)).is_none());
        assert_eq!(
            due_now(&t, due + Duration::days(2)).unwrap().0,
            MessageKind::Overdue
        );
    }

    #[test]
    fn nothing_without_a_deadline_or_when_finished() {
        assert_eq!(next_at(&task(None)), None);
        let mut t = task(Some(Utc::now()));
        t.status = TaskStatus::Done;
        assert_eq!(next_at(&t), None);
    }

    #[test]
    fn escalations_fire_once_at_their_time() {
        use crate::flow::model::{Escalation, TaskSource};
        let t0 = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
        let mut t = task(None);
        t.source = Some(TaskSource {
            scenario_id: "s".into(),
            scenario_name: "s".into(),
            scenario_version: 1,
            fired_at: t0,
            record_kind: "order".into(),
            record_id: "SO-1".into(),
            record: serde_json::json!({}),
            escalations: vec![
                Escalation {
                    at: t0 + Duration::hours(24),
                    notify: vec![9],
                    sent: false,
                },
                Escalation {
                    at: t0 + Duration::hours(72),
                    notify: vec![9],
                    sent: false,
                },
            ],
            on_finish: vec![],
            auto_close: false,
        });
        assert_eq!(next_at(&t), Some(t0 + Duration::hours(24)));
        assert!(escalations_due(&t, t0 + Duration::hours(23)).is_empty());
        assert_eq!(escalations_due(&t, t0 + Duration::hours(25)), vec![0]);
        if let Some(s) = t.source.as_mut() {
            s.escalations[0].sent = true;
        }
        assert_eq!(next_at(&t), Some(t0 + Duration::hours(72)));
        assert!(
            escalations_due(&t, t0 + Duration::hours(25)).is_empty(),
            "not twice"
        );
        t.status = TaskStatus::Done;
        assert!(
            escalations_due(&t, t0 + Duration::hours(100)).is_empty(),
            "none once finished"
        );
    }

    #[test]
    fn a_new_deadline_or_step_starts_afresh() {
        let due = Utc.with_ymd_and_hms(2026, 5, 5, 12, 0, 0).unwrap();
        let mut t = task(Some(due));
        let (_, s) = due_now(&t, due + Duration::minutes(1)).unwrap();
        t.reminders = s;
        t.due_at = Some(due + Duration::days(10));
        assert_eq!(next_at(&t), Some(due + Duration::days(9)));
    }

    #[test]
    fn a_deadline_nearer_than_the_lead_is_due_soon_at_once_and_a_past_one_overdue() {
        let t0 = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
        let t = task(Some(t0 + Duration::hours(2)));
        assert_eq!(due_now(&t, t0).unwrap().0, MessageKind::DueSoon);
        let late = task(Some(t0 - Duration::hours(2)));
        let (kind, state) = due_now(&late, t0).unwrap();
        assert_eq!(kind, MessageKind::Overdue);
        assert!(state.due_soon_sent, "no due-soon after the deadline");
    }
}
