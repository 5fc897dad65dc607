//! Who may perform which flow operation: the one function the server and the UI ask.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
}

impl Op {
    pub const ALL: [Op; 6] = [
        Op::Complete,
        Op::Start,
        Op::Transfer,
        Op::Return,
        Op::Urge,
        Op::Withdraw,
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
}

/// Decides whether user `actor` may perform `op` on `task` now. Admin rights do not
/// matter here: nobody but the handlers named in the flow rules may move a flow.
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
    let is_current = node.handler_id == actor;
    let previous = c.checked_sub(1).and_then(|p| task.nodes.get(p));
    match op {
        Op::Complete | Op::Transfer => is_current.then_some(()).ok_or(Denied::NotCurrentHandler),
        Op::Start => {
            if !is_current {
                Err(Denied::NotCurrentHandler)
            } else if node.state != NodeState::Active {
                Err(Denied::AlreadyStarted)
            } else {
                Ok(())
            }
        }
        Op::Return => {
            if !is_current {
                Err(Denied::NotCurrentHandler)
            } else if c == 0 {
                Err(Denied::FirstNode)
            } else {
                Ok(())
            }
        }
        Op::Urge | Op::Withdraw => {
            let Some(prev) = previous else {
                return Err(Denied::NoPreviousNode);
            };
            // The urger's own node is done (it is behind the current one). Someone who
            // also handles the current step acts on it instead.
            if prev.handler_id != actor || is_current || prev.state != NodeState::Done {
                return Err(Denied::NotPreviousHandler);
            }
            if op == Op::Withdraw && node.state != NodeState::Active {
                return Err(Denied::AlreadyStarted);
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
