//! Who may perform which flow operation: the one function the server and the UI ask.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::kinds::{NodeKind, ShareState};
use super::model::{NodeState, Task, TaskStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Complete,
    Start,
    Transfer,
    Return,
    Urge,
    Withdraw,
    /// A candidate takes an unclaimed claim step (抢单/认领).
    Claim,
    /// The claimer gives a claim step back before starting it.
    Release,
    /// A handler adds a step before theirs (前加签): it comes back to them after.
    AddBefore,
    /// A handler adds a step after theirs (后加签).
    AddAfter,
    /// Finishing a scenario task whose condition cleared: the server's own operation,
    /// never a user's (not in [`Op::ALL`], never parsed from a request).
    #[serde(skip)]
    AutoClose,
    /// Passing the current step by because its condition is false: the server's own
    /// operation (the system actor), like [`Op::AutoClose`].
    #[serde(skip)]
    Skip,
}

/// Who performs a flow operation: a user, or the server by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    User(u64),
    Server,
}

impl From<u64> for By {
    fn from(user: u64) -> By {
        By::User(user)
    }
}

impl Op {
    /// The operations a user may ask for; the server's own are not among them.
    pub const ALL: [Op; 10] = [
        Op::Complete,
        Op::Start,
        Op::Transfer,
        Op::Return,
        Op::Urge,
        Op::Withdraw,
        Op::Claim,
        Op::Release,
        Op::AddBefore,
        Op::AddAfter,
    ];

    pub fn parse(s: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|op| op.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Complete => "complete",
            Op::Start => "start",
            Op::Transfer => "transfer",
            Op::Return => "return",
            Op::Urge => "urge",
            Op::Withdraw => "withdraw",
            Op::Claim => "claim",
            Op::Release => "release",
            Op::AddBefore => "add_before",
            Op::AddAfter => "add_after",
            Op::AutoClose => "auto_close",
            Op::Skip => "skip",
        }
    }
}

/// Why an operation is refused; the message is shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("the task is finished")]
    Finished,
    #[error("the task is archived")]
    Archived,
    #[error("only the handler of the current step may do this")]
    NotCurrentHandler,
    #[error("only the handler of the previous step may do this")]
    NotPreviousHandler,
    #[error("the first step cannot be returned")]
    FirstNode,
    #[error("the current step has already been started")]
    AlreadyStarted,
    #[error("there is no previous step")]
    NoPreviousNode,
    #[error("only the server performs this operation")]
    ServerOnly,
    #[error("the task does not close by itself")]
    NotAutoClosing,
    #[error("nobody has claimed this step yet")]
    Unclaimed,
    #[error("this step is not one to claim")]
    NotClaimStep,
    #[error("someone has already claimed this step")]
    AlreadyClaimed,
    #[error("only the step's candidates may claim it")]
    NotCandidate,
    #[error("a share of this step is already done; add a step after it instead")]
    ShareDone,
    #[error("the current step has no condition")]
    NoCondition,
}

/// Decides whether `by` may perform `op` on `task` now: users through [`decide`]; the
/// server only auto-closes (an open scenario task that asked for it) and skips (an
/// open task's current step that has a condition and is not started).
pub fn decide_by(by: By, task: &Task, op: Op) -> Result<(), Denied> {
    let actor = match by {
        By::User(u) => u,
        By::Server => {
            if op != Op::AutoClose && op != Op::Skip {
                return Err(Denied::NotCurrentHandler);
            }
            if task.archived {
                return Err(Denied::Archived);
            }
            if task.status == TaskStatus::Done {
                return Err(Denied::Finished);
            }
            if op == Op::Skip {
                let node = task.current_node().ok_or(Denied::Finished)?;
                if node.condition.is_none() {
                    return Err(Denied::NoCondition);
                }
                if node.state != NodeState::Active {
                    return Err(Denied::AlreadyStarted);
                }
                return Ok(());
            }
            if !task.source.as_ref().is_some_and(|s| s.auto_close) {
                return Err(Denied::NotAutoClosing);
            }
            return Ok(());
        }
    };
    decide(actor, task, op)
}

/// Decides whether user `actor` may perform `op` on `task` now. Admin rights do not
/// matter here: nobody but the handlers named in the flow rules may move a flow. The
/// rules per node kind are written out in `docs/flows.md`.
pub fn decide(actor: u64, task: &Task, op: Op) -> Result<(), Denied> {
    if task.archived {
        return Err(Denied::Archived);
    }
    if task.status == TaskStatus::Done {
        return Err(Denied::Finished);
    }
    let c = task.current;
    let Some(node) = task.nodes.get(c) else {
        return Err(Denied::Finished);
    };
    // Their share (all/any) or the step (single, claimed) is open for them.
    let holds = node.is_open_for(actor);
    // The step before, passing by those the flow skipped.
    let previous = task.previous_index().and_then(|p| task.nodes.get(p));
    // The operations of a handler: nobody has them on an unclaimed step.
    let handler_only = || {
        if node.is_unclaimed() {
            Err(Denied::Unclaimed)
        } else if !holds {
            Err(Denied::NotCurrentHandler)
        } else {
            Ok(())
        }
    };
    match op {
        Op::AutoClose | Op::Skip => Err(Denied::ServerOnly),
        Op::Complete | Op::Transfer | Op::AddAfter => handler_only(),
        Op::Start => {
            handler_only()?;
            let active = match node.kind {
                NodeKind::All | NodeKind::Any => node
                    .shares
                    .iter()
                    .any(|s| s.handler_id == actor && s.state == ShareState::Active),
                NodeKind::Single | NodeKind::Claim => node.state == NodeState::Active,
            };
            active.then_some(()).ok_or(Denied::AlreadyStarted)
        }
        Op::AddBefore => {
            handler_only()?;
            // Adding before sends the whole step back to waiting: not once a share is
            // done, whose work would be lost.
            if node.shares.iter().any(|s| s.state == ShareState::Done) {
                return Err(Denied::ShareDone);
            }
            Ok(())
        }
        Op::Return => {
            handler_only()?;
            if previous.is_none() {
                Err(Denied::FirstNode)
            } else {
                Ok(())
            }
        }
        Op::Claim => {
            if node.kind != NodeKind::Claim {
                Err(Denied::NotClaimStep)
            } else if !node.is_unclaimed() {
                Err(Denied::AlreadyClaimed)
            } else if !node.candidates.contains(&actor) {
                Err(Denied::NotCandidate)
            } else {
                Ok(())
            }
        }
        Op::Release => {
            if node.kind != NodeKind::Claim {
                Err(Denied::NotClaimStep)
            } else if node.is_unclaimed() {
                Err(Denied::Unclaimed)
            } else if node.handler_id != actor {
                Err(Denied::NotCurrentHandler)
            } else if node.state != NodeState::Active {
                Err(Denied::AlreadyStarted)
            } else {
                Ok(())
            }
        }
        Op::Urge | Op::Withdraw => {
            let Some(prev) = previous else {
                return Err(Denied::NoPreviousNode);
            };
            // The urger's own step is done (it is behind the current one): any of its
            // handlers. Someone with an open part of the current step acts on it instead.
            if !prev.handlers().contains(&actor) || holds || prev.state != NodeState::Done {
                return Err(Denied::NotPreviousHandler);
            }
            if op == Op::Withdraw && !node.untouched() {
                return Err(
                    if node.kind == NodeKind::Claim && node.state == NodeState::Active {
                        Denied::AlreadyClaimed
                    } else {
                        Denied::AlreadyStarted
                    },
                );
            }
            Ok(())
        }
    }
}

/// The operations `actor` may perform now, for the UI's buttons.
pub fn allowed_ops(actor: u64, task: &Task) -> Vec<Op> {
    Op::ALL
        .into_iter()
        .filter(|op| decide(actor, task, *op).is_ok())
        .collect()
}
