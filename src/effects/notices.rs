//! Part of the `messages` consumer: the inbox messages (and, through `notify`, their
//! e-mail and webhooks) of a flow change's notices, for the people it concerns.

use chrono::{DateTime, Utc};

use crate::actor::Actor;
use crate::error::ServiceResult;
use crate::flow::apply::{Notice, NoticeKind};
use crate::flow::events::{Event as FlowEvent, Finish};
use crate::flow::{Task, TaskStatus};
use crate::inbox::service::{unread_about_task, NewMessage};
use crate::inbox::MessageKind;
use crate::store::{Store, StoreError, WriteTx};

fn message_kind(k: NoticeKind) -> MessageKind {
    match k {
        NoticeKind::Assigned => MessageKind::Assigned,
        NoticeKind::Transferred => MessageKind::Transferred,
        NoticeKind::Returned => MessageKind::Returned,
        NoticeKind::Withdrawn => MessageKind::Withdrawn,
        NoticeKind::Urged => MessageKind::Urged,
        NoticeKind::Finished => MessageKind::Finished,
        // Existing inbox kinds, so preferences and deliveries need no new switch: a
        // step to claim asks something of them like an assigned one; a closed share
        // is finished for them.
        NoticeKind::Claimable => MessageKind::Assigned,
        NoticeKind::ShareClosed => MessageKind::Finished,
        NoticeKind::CcReached | NoticeKind::CcDone => MessageKind::Cc,
        NoticeKind::ConditionFailed => MessageKind::ConditionFailed,
    }
}

fn text(kind: NoticeKind, title: &str, actor: &str) -> String {
    match kind {
        NoticeKind::Assigned => format!("'{title}' has reached your step"),
        NoticeKind::Transferred => format!("{actor} transferred '{title}' to you"),
        NoticeKind::Returned => format!("{actor} returned '{title}' to you"),
        NoticeKind::Withdrawn => format!("{actor} withdrew '{title}' from you"),
        NoticeKind::Urged => format!("{actor} is waiting for you on '{title}'"),
        NoticeKind::Finished => format!("'{title}' is finished"),
        NoticeKind::Claimable => format!("'{title}' has a step you may claim"),
        NoticeKind::ShareClosed => {
            format!("{actor} completed the step of '{title}': your share is closed")
        }
        NoticeKind::CcReached => format!("CC: '{title}' has reached a step you follow"),
        NoticeKind::CcDone => format!("CC: a step you follow of '{title}' is done"),
        NoticeKind::ConditionFailed => {
            format!("'{title}' stopped: a step's condition could not be evaluated")
        }
    }
}

/// Who is told: the flow's notices, adjusted for scenario tasks (their nominal creator
/// only when watching; the scenario's on-finish recipients beside the others, unless
/// the task closed by itself: then nobody is told, it simply leaves their lists).
fn recipients(task: &Task, actor: &Actor, notices: &[Notice], facts: &[FlowEvent]) -> Vec<Notice> {
    let mut out = notices.to_vec();
    if task.source.is_some() && !task.watchers.contains(&task.creator_id) {
        out.retain(|n| !(n.kind == NoticeKind::Finished && n.to == task.creator_id));
    }
    let auto_closed = facts.iter().any(|e| {
        matches!(
            e,
            FlowEvent::Finished {
                how: Finish::AutoClosed
            }
        )
    });
    if task.status == TaskStatus::Done && !auto_closed {
        for u in task
            .source
            .as_ref()
            .map(|s| s.on_finish.clone())
            .unwrap_or_default()
        {
            if !actor.is(u) && !out.iter().any(|n| n.to == u) {
                out.push(Notice {
                    to: u,
                    kind: NoticeKind::Finished,
                    reason: None,
                });
            }
        }
    }
    out
}

/// Whether a flow change on `task` with `notices` may tell anyone: beside the
/// notices, only a finished task's on-finish recipients are told (see
/// [`recipients`]).
pub(super) fn may_tell(task: &Task, notices: &[Notice]) -> bool {
    !notices.is_empty() || task.status == TaskStatus::Done
}

/// The unread messages about task `task_id` of those `notices` withdraw a step from,
/// as `store` holds them.
pub(super) fn taken_back(
    store: &Store,
    task_id: u64,
    notices: &[Notice],
) -> ServiceResult<Vec<u64>> {
    let mut out = Vec::new();
    for n in notices.iter().filter(|n| n.kind == NoticeKind::Withdrawn) {
        out.extend(unread_about_task(store, n.to, task_id)?);
    }
    Ok(out)
}

/// Stages the messages of a flow change (`notices`, `facts`) on `task` made by
/// `actor`.
pub(super) fn post(
    tx: &mut WriteTx<'_>,
    task: &Task,
    actor: &Actor,
    notices: &[Notice],
    facts: &[FlowEvent],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for n in recipients(task, actor, notices, facts) {
        super::notify(
            tx,
            NewMessage {
                user_id: n.to,
                kind: message_kind(n.kind),
                task_id: Some(task.id),
                task_title: Some(task.title.clone()),
                actor_id: actor.user_id,
                text: text(n.kind, &task.title, &actor.name),
                reason: n.reason.clone(),
            },
            now,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::model::TaskSource;

    fn finished_scenario_task() -> Task {
        let now = DateTime::from_timestamp(1_764_000_000, 0).unwrap();
        let mut t = Task::one_step(7, now);
        t.status = TaskStatus::Done;
        t.source = Some(TaskSource {
            scenario_id: "late".into(),
            scenario_name: "Late".into(),
            scenario_version: 1,
            fired_at: now,
            record_kind: "order".into(),
            record_id: "1".into(),
            record: serde_json::json!({}),
            escalations: vec![],
            on_finish: vec![9],
            auto_close: true,
            write_back: None,
        });
        t
    }

    #[test]
    fn on_finish_recipients_hear_of_a_completion_not_of_an_auto_close() {
        let t = finished_scenario_task();
        let bob = Actor::user(7, "bob", crate::actor::Role::Member, None);
        let completed = [FlowEvent::Finished {
            how: Finish::Completed,
        }];
        let told: Vec<_> = recipients(&t, &bob, &[], &completed)
            .iter()
            .map(|n| (n.to, n.kind))
            .collect();
        assert_eq!(told, vec![(9, NoticeKind::Finished)]);
        let closed = [FlowEvent::Finished {
            how: Finish::AutoClosed,
        }];
        assert!(recipients(&t, &Actor::server(), &[], &closed).is_empty());
    }

    #[test]
    fn an_open_task_without_notices_tells_nobody_a_finished_one_may() {
        let finished = finished_scenario_task();
        assert!(may_tell(&finished, &[]), "its on-finish recipients");
        let open = Task {
            status: TaskStatus::Open,
            ..finished
        };
        assert!(!may_tell(&open, &[]));
        let cc = Notice {
            to: 3,
            kind: NoticeKind::CcReached,
            reason: None,
        };
        assert!(may_tell(&open, &[cc]));
    }
}
