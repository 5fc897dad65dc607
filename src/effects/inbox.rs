//! Consumer: inbox messages (and, through `notify`, their e-mail and webhooks) for the
//! people a flow change concerns.

use chrono::{DateTime, Utc};

use crate::actor::Actor;
use crate::error::ServiceResult;
use crate::flow::apply::{Notice, NoticeKind};
use crate::flow::{Task, TaskStatus};
use crate::inbox::service::{mark_read, unread_about_task, NewMessage};
use crate::inbox::MessageKind;
use crate::store::{Store, WriteTx};

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
/// only when watching; the scenario's on-finish recipients beside the others).
fn recipients(task: &Task, actor: &Actor, notices: &[Notice]) -> Vec<Notice> {
    let mut out = notices.to_vec();
    if task.source.is_some() && !task.watchers.contains(&task.creator_id) {
        out.retain(|n| !(n.kind == NoticeKind::Finished && n.to == task.creator_id));
    }
    if task.status == TaskStatus::Done {
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

/// Stages the messages of a flow change on `task` made by `actor`.
pub fn post_notices(
    tx: &mut WriteTx<'_>,
    store: &Store,
    task: &Task,
    actor: &Actor,
    notices: &[Notice],
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    for n in notices.iter().filter(|n| n.kind == NoticeKind::Withdrawn) {
        // The step was taken back: what the inbox said before about it (assigned,
        // urged) no longer asks anything of them; the withdrawal says it all.
        mark_read(tx, &unread_about_task(store, n.to, task.id)?)?;
    }
    post_messages(tx, task, actor, notices, now)
}

/// Stages the messages of `notices` (none of them a withdrawal, which needs the store
/// to mark what it takes back) about `task` made by `actor`.
pub fn post_messages(
    tx: &mut WriteTx<'_>,
    task: &Task,
    actor: &Actor,
    notices: &[Notice],
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    for n in recipients(task, actor, notices) {
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
