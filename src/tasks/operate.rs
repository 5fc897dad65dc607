//! Flow operations through the API: version check, the pure decision, one durable
//! write with the log line and the inbox messages.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::context::visible_task;
use super::log;
use super::view::TaskView;
use crate::actor::Actor;
use crate::effects::notify;
use crate::error::{ServiceError, ServiceResult};
use crate::flow::apply::{apply, check, ApplyError, NoticeKind, OpInput};
use crate::flow::{NodeState, Op, Task};
use crate::inbox::service::{mark_read, unread_about_task, NewMessage};
use crate::inbox::MessageKind;
use crate::store::Store;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpRequest {
    /// The task revision the caller acted on; a stale one gets 409.
    pub rev: u64,
    /// Transfer: the new handler.
    pub to: Option<u64>,
    /// Return: required. Other operations: an optional note.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    pub rev: u64,
    pub done: bool,
}

fn map_apply(e: ApplyError) -> ServiceError {
    match e {
        ApplyError::Denied(d) => ServiceError::Forbidden(d.to_string()),
        ApplyError::Invalid { field, message } => ServiceError::invalid(field, message),
    }
}

fn message_kind(k: NoticeKind) -> MessageKind {
    match k {
        NoticeKind::Assigned => MessageKind::Assigned,
        NoticeKind::Transferred => MessageKind::Transferred,
        NoticeKind::Returned => MessageKind::Returned,
        NoticeKind::Withdrawn => MessageKind::Withdrawn,
        NoticeKind::Urged => MessageKind::Urged,
        NoticeKind::Finished => MessageKind::Finished,
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
    }
}

/// Who became the handler of a step through this operation (for statistics).
fn new_handler(before: &Task, after: &Task, op: Op) -> Option<u64> {
    match op {
        Op::Start | Op::Urge => None,
        Op::Complete if after.current == before.current => None,
        _ => after
            .current_node()
            .filter(|n| n.state == NodeState::Active)
            .map(|n| n.handler_id),
    }
}

pub fn operate(
    store: &Store,
    actor: &Actor,
    id: u64,
    op: Op,
    req: OpRequest,
    now: DateTime<Utc>,
) -> ServiceResult<TaskView> {
    let uid = actor
        .user_id
        .ok_or_else(|| ServiceError::forbidden("flow operations are made by users"))?;
    let seen = unread_about_task(store, uid, id)?;
    let (view, _) = store.write(|tx| {
        // Read inside the write: the writer lock makes check-and-apply atomic.
        let (_, ctx, _) = visible_task(store, actor, id)?;
        let mut task: Task = tx.load(id)?;
        if task.rev != req.rev {
            return Err(ServiceError::Conflict(format!(
                "task {id} was changed by someone else (revision {} is current); reload it",
                task.rev
            )));
        }
        let before = task.clone();
        let input = OpInput {
            to: req.to,
            reason: req.reason.clone(),
        };
        let outcome = apply(&mut task, uid, op, &input, now).map_err(map_apply)?;
        // Only now, once the flow rules let this caller transfer (nothing is stored
        // yet): someone who may not transfer is refused as such, not told about `to`.
        if op == Op::Transfer {
            if let Some(to) = req.to {
                ctx.check_members(&[to], "to")?;
            }
        }
        tx.update(&mut task, req.rev)?;
        // One line per event: whoever received the step through it is on the same
        // line. A completion also carries its deadline and verdict, fixed now from the
        // task as it stood before the step was marked done.
        let received_by = new_handler(&before, &task, op);
        match before.completion_at(now).filter(|_| op == Op::Complete) {
            Some(c) => {
                log::write_completion(tx, id, actor, outcome.log.clone(), uid, c, received_by, now)?
            }
            None => log::write_flow(
                tx,
                id,
                actor,
                outcome.log.clone(),
                (op == Op::Complete).then_some(uid),
                received_by,
                now,
            )?,
        }
        let mut notices = outcome.notices.clone();
        if task.source.is_some() && !task.watchers.contains(&task.creator_id) {
            // A scenario task's creator is the nominal admin: told only when watching.
            notices.retain(|n| !(n.kind == NoticeKind::Finished && n.to == task.creator_id));
        }
        if task.status == crate::flow::TaskStatus::Done {
            // The scenario's on-finish recipients, beside creator and watchers.
            for u in task
                .source
                .as_ref()
                .map(|s| s.on_finish.clone())
                .unwrap_or_default()
            {
                if u != uid && !notices.iter().any(|n| n.to == u) {
                    notices.push(crate::flow::apply::Notice {
                        to: u,
                        kind: NoticeKind::Finished,
                        reason: None,
                    });
                }
            }
        }
        for n in &notices {
            if n.kind == NoticeKind::Withdrawn {
                // The step was taken back: what the inbox said before about it (assigned,
                // urged) no longer asks anything of them; the withdrawal says it all.
                mark_read(tx, &unread_about_task(store, n.to, id)?)?;
            }
            notify(
                tx,
                NewMessage {
                    user_id: n.to,
                    kind: message_kind(n.kind),
                    task_id: Some(id),
                    task_title: Some(task.title.clone()),
                    actor_id: Some(uid),
                    text: text(n.kind, &task.title, &actor.name),
                    reason: n.reason.clone(),
                },
                now,
            )?;
        }
        mark_read(tx, &seen)?;
        let allowed = ctx.allowed(actor, &task);
        Ok::<_, ServiceError>((TaskView::new(&task, allowed, now), ()))
    })?;
    Ok(view)
}

pub fn check_item(
    store: &Store,
    actor: &Actor,
    id: u64,
    item: u32,
    req: CheckRequest,
    now: DateTime<Utc>,
) -> ServiceResult<TaskView> {
    let uid = actor
        .user_id
        .ok_or_else(|| ServiceError::forbidden("checklist items are ticked by users"))?;
    let seen = unread_about_task(store, uid, id)?;
    store.write(|tx| {
        let (_, ctx, _) = visible_task(store, actor, id)?;
        let mut task: Task = tx.load(id)?;
        if task.rev != req.rev {
            return Err(ServiceError::Conflict(format!(
                "task {id} was changed by someone else; reload it"
            )));
        }
        let line = check(&mut task, uid, item, req.done, now).map_err(map_apply)?;
        tx.update(&mut task, req.rev)?;
        log::write(tx, id, actor, line, None, now)?;
        mark_read(tx, &seen)?;
        Ok(TaskView::new(&task, ctx.allowed(actor, &task), now))
    })
}
