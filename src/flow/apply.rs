//! Performing an allowed flow operation: new node states, who is told, what is logged.
//!
//! This file holds what every operation shares (the input, the outcome, the checks
//! in [`apply`]); the operations themselves live by family: `progress` (start,
//! complete, checklist, auto-close), `handover` (transfer, return, withdraw), `claim`
//! (claim, release, urge) and `add_sign`.

use chrono::{DateTime, Utc};

use super::events::Event;
use super::kinds::{Share, ShareState};
use super::model::{NodeState, Task};
use super::rules::{decide_by, By, Denied, Op};
pub use super::skip::Gate;

mod add_sign;
mod claim;
mod handover;
mod progress;

pub use self::progress::check;

/// What the caller supplies with an operation.
#[derive(Debug, Clone, Default)]
pub struct OpInput {
    /// Transfer: the new handler. Add-sign: the added step's handler.
    pub to: Option<u64>,
    pub reason: Option<String>,
    /// Add-sign: what the added step's handler is to do.
    pub action: Option<String>,
    /// The steps' conditions as the service evaluated them (this module runs no
    /// scripts): which steps the flow passes by, which failed.
    pub gate: Gate,
}

/// Kinds of notice a flow change produces (inbox message kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Assigned,
    Transferred,
    Returned,
    Withdrawn,
    Urged,
    Finished,
    /// A claim step the recipient is a candidate for may be claimed.
    Claimable,
    /// Another handler completed the any-sign step: the recipient's share closed.
    ShareClosed,
    /// CC (抄送): the flow reached a step that names the recipient.
    CcReached,
    /// CC (抄送): a step that names the recipient is done.
    CcDone,
    /// A step's condition could not be evaluated; the flow stopped there.
    ConditionFailed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub to: u64,
    pub kind: NoticeKind,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub action: String,
    pub detail: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub notices: Vec<Notice>,
    pub log: LogLine,
    /// What happened, in order, with the facts of this moment.
    pub events: Vec<Event>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Denied(#[from] Denied),
    /// A request value that cannot work; `field` names it so the answer can say which.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
}

fn invalid(field: &'static str, message: impl Into<String>) -> ApplyError {
    ApplyError::Invalid {
        field,
        message: message.into(),
    }
}

fn clean_reason(r: &Option<String>) -> Option<String> {
    r.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn line(action: &str, detail: String, reason: Option<String>) -> LogLine {
    LogLine {
        action: action.into(),
        detail,
        reason,
    }
}

fn notices(
    to: impl IntoIterator<Item = u64>,
    kind: NoticeKind,
    reason: &Option<String>,
) -> Vec<Notice> {
    to.into_iter()
        .map(|to| Notice {
            to,
            kind,
            reason: reason.clone(),
        })
        .collect()
}

/// Marks `task.nodes[i]` as newly received by its handlers (every share of an
/// all/any step active again); says so as one event per handler. An unclaimed claim
/// step is received by nobody: its candidates are told (see [`reached_notices`]).
pub(super) fn activate(task: &mut Task, i: usize, now: DateTime<Utc>) -> Vec<Event> {
    let task_due = task.due_at;
    let Some(n) = task.nodes.get_mut(i) else {
        return vec![];
    };
    n.state = NodeState::Active;
    n.received_at = Some(now);
    n.started_at = None;
    n.done_at = None;
    for s in &mut n.shares {
        *s = Share {
            state: ShareState::Active,
            received_at: Some(now),
            ..Share::new(s.handler_id)
        };
    }
    let (id, due, handlers) = (n.id, n.due_at.or(task_due), n.handlers());
    for h in &handlers {
        if !task.past_handlers.contains(h) {
            task.past_handlers.push(*h);
        }
    }
    handlers
        .into_iter()
        .map(|handler| Event::StepReached {
            node: id,
            handler,
            due,
        })
        .collect()
}

/// Who is told that step `i` reached them: its handlers with `kind`, or the
/// candidates of an unclaimed claim step that they may claim it.
pub(super) fn reached_notices(
    task: &Task,
    i: usize,
    kind: NoticeKind,
    reason: &Option<String>,
) -> Vec<Notice> {
    let Some(n) = task.nodes.get(i) else {
        return vec![];
    };
    if n.is_unclaimed() {
        notices(n.candidates.clone(), NoticeKind::Claimable, &None)
    } else {
        notices(n.handlers(), kind, reason)
    }
}

/// Checks `op` with [`decide_by`] and applies it. The target of a transfer or an
/// add-sign must already be known to be a project member (the service checks
/// membership). `by` is a user id or [`By::Server`] (auto-close).
pub fn apply(
    task: &mut Task,
    by: impl Into<By>,
    op: Op,
    input: &OpInput,
    now: DateTime<Utc>,
) -> Result<Outcome, ApplyError> {
    let by = by.into();
    decide_by(by, task, op)?;
    let reason = clean_reason(&input.reason);
    let actor = match by {
        By::User(u) => u,
        // `decide_by` lets the server do nothing but auto-close and skip.
        By::Server => {
            let outcome = match op {
                Op::Skip => super::skip::skip_current(task, &input.gate, now)?,
                _ => progress::close_by_itself(task, reason, now),
            };
            task.updated_at = now;
            return Ok(outcome);
        }
    };
    let outcome = match op {
        Op::AutoClose => progress::close_by_itself(task, reason, now),
        Op::Skip => super::skip::skip_current(task, &input.gate, now)?,
        Op::Start => progress::start(task, actor, reason, now),
        Op::Complete => progress::complete(task, actor, reason, &input.gate, now),
        Op::Transfer => handover::transfer(task, actor, input, reason, now)?,
        Op::Return => handover::give_back(task, actor, reason, now)?,
        Op::Urge => claim::urge(task, actor, reason),
        Op::Withdraw => handover::withdraw(task, actor, reason, now),
        Op::Claim => claim::claim(task, actor, reason, now),
        Op::Release => claim::release(task, actor, reason, now),
        Op::AddBefore | Op::AddAfter => {
            add_sign::add_node(task, actor, op == Op::AddBefore, input, reason, now)?
        }
    };
    task.updated_at = now;
    Ok(outcome)
}
