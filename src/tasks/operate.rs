//! Flow operations through the API: version check, the pure decision, one durable
//! write with the log line and the inbox messages.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::context::visible_task;
use super::service::MAX_NODES;
use super::view::TaskView;
use crate::actor::Actor;
use crate::effects;
use crate::effects::events::{Event, FlowChange};
use crate::error::{ServiceError, ServiceResult};
use crate::flow::apply::{apply, check, ApplyError, Gate, OpInput};
use crate::flow::{By, Denied, Op, Task};
use crate::inbox::service::unread_about_task;
use crate::store::{Store, WriteTx};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpRequest {
    /// The task revision the caller acted on; a stale one gets 409.
    pub rev: u64,
    /// Transfer: the new handler. Add-sign: the added step's handler.
    pub to: Option<u64>,
    /// Return, add-sign: required. Other operations: an optional note.
    pub reason: Option<String>,
    /// Add-sign (`add_before`, `add_after`): what the added step's handler is to do;
    /// `to` names that handler.
    pub action: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    pub rev: u64,
    pub done: bool,
}

/// The verdicts of the task's step conditions, evaluated only when it has any.
fn gate_of(task: &Task, now: DateTime<Utc>) -> Gate {
    if task.nodes.iter().any(|n| n.condition.is_some()) {
        super::conditions::gate(task, now)
    } else {
        Gate::default()
    }
}

/// After the fields changed (staged in `tx` as `task`): the current step's condition
/// is evaluated again while its handler has not started it. False: the server skips
/// it (Op::Skip, by the system). An error: kept on the step, its admins told. True:
/// an earlier error is cleared.
pub fn recheck_current(
    tx: &mut WriteTx<'_>,
    store: &Store,
    task: &mut Task,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let Some(node) = task.current_node() else {
        return Ok(());
    };
    if node.condition.is_none() || node.state != crate::flow::NodeState::Active {
        return Ok(());
    }
    let id = node.id;
    let before = node.condition_error.clone();
    let gate = gate_of(task, now);
    let rev = task.rev;
    let system = Actor::system();
    if gate.skips(id) {
        let input = OpInput {
            gate,
            ..OpInput::default()
        };
        let mut outcome = apply(task, By::Server, Op::Skip, &input, now).map_err(map_apply)?;
        if let Some(p) = store.get::<crate::projects::Project>(task.project_id)? {
            super::conditions::tell_admins(store, &p, &mut outcome.notices)?;
        }
        tx.update(task, rev)?;
        let flowed = effects::flowed(store, task.clone(), outcome)?;
        effects::stage(tx, &system, &[flowed], now)?;
        return Ok(());
    }
    let after = gate.failure(id).map(str::to_string);
    if after == before {
        return Ok(());
    }
    task.nodes[task.current].condition_error = after;
    tx.update(task, rev)?;
    let mut notices = crate::flow::skip::arrival_notices(task, None)
        .into_iter()
        .filter(|n| n.kind == crate::flow::apply::NoticeKind::ConditionFailed)
        .collect::<Vec<_>>();
    if let Some(p) = store.get::<crate::projects::Project>(task.project_id)? {
        super::conditions::tell_admins(store, &p, &mut notices)?;
    }
    let change = FlowChange::notices_only(task.clone(), notices);
    effects::stage(tx, &system, &[Event::Flowed(Box::new(change))], now)?;
    Ok(())
}

fn map_apply(e: ApplyError) -> ServiceError {
    match e {
        ApplyError::Denied(d) => ServiceError::Forbidden(d.to_string()),
        ApplyError::Invalid { field, message } => ServiceError::invalid(field, message),
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
        let input = OpInput {
            to: req.to,
            reason: req.reason.clone(),
            action: req.action.clone(),
            gate: gate_of(&task, now),
        };
        if matches!(op, Op::AddBefore | Op::AddAfter) && task.nodes.len() >= MAX_NODES {
            return Err(ServiceError::invalid(
                "to",
                format!("a task has at most {MAX_NODES} steps"),
            ));
        }
        let mut outcome = apply(&mut task, uid, op, &input, now).map_err(|e| match e {
            // Someone else claimed first: a conflict with the task as it is now, like
            // a stale revision (two claims on one revision: the second gets either).
            ApplyError::Denied(d @ Denied::AlreadyClaimed) if op == Op::Claim => {
                ServiceError::Conflict(d.to_string())
            }
            e => map_apply(e),
        })?;
        super::conditions::tell_admins(store, &ctx.project, &mut outcome.notices)?;
        // Only now, once the flow rules let this caller transfer (nothing is stored
        // yet): someone who may not transfer is refused as such, not told about `to`.
        if matches!(op, Op::Transfer | Op::AddBefore | Op::AddAfter) {
            if let Some(to) = req.to {
                ctx.check_members(&[to], "to")?;
            }
        }
        tx.update(&mut task, req.rev)?;
        // One log line per operation, carrying its events' facts (who received the
        // step, a completion's deadline and verdict), the statistics, the messages.
        let flowed = effects::flowed(store, task.clone(), outcome)?;
        effects::stage(
            tx,
            actor,
            &[
                flowed,
                Event::Seen {
                    messages: seen.clone(),
                },
            ],
            now,
        )?;
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
        effects::stage(
            tx,
            actor,
            &[
                Event::ItemChecked { task: id, line },
                Event::Seen {
                    messages: seen.clone(),
                },
            ],
            now,
        )?;
        Ok(TaskView::new(&task, ctx.allowed(actor, &task), now))
    })
}
