//! Node kinds beyond one handler: countersign (all, 会签), any-sign (any, 或签),
//! claim from a group (claim, 抢单) and steps added on the way (加签). The rules that
//! use them are in `rules`; the changes in `apply`. See `docs/flows.md`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{Node, NodeState};

/// The `handler_id` of a claim step nobody has claimed yet (user ids start at 1).
pub const NOBODY: u64 = 0;

/// How a step is handled. Stored tasks written before kinds existed are `single`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// One handler (`handler_id`).
    #[default]
    Single,
    /// Countersign (会签): every share must be done.
    All,
    /// Any-sign (或签): the first share done completes the step; the others close.
    Any,
    /// Claim (抢单): no handler until a candidate claims it; then like `single`.
    Claim,
}

/// Where one handler of an all/any step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShareState {
    /// The step is not current.
    Waiting,
    /// Received, not begun.
    Active,
    Started,
    Done,
    /// Another handler completed an any-sign step first: nothing more to do.
    Closed,
}

/// One handler's part of an all/any step, with its own times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Share {
    pub handler_id: u64,
    pub state: ShareState,
    pub received_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub done_at: Option<DateTime<Utc>>,
}

impl Share {
    pub fn new(handler_id: u64) -> Share {
        Share {
            handler_id,
            state: ShareState::Waiting,
            received_at: None,
            started_at: None,
            done_at: None,
        }
    }

    /// Received and not finished: its handler still has something to do.
    pub fn is_open(&self) -> bool {
        matches!(self.state, ShareState::Active | ShareState::Started)
    }
}

/// Who may claim a claim step, as the creator gave it. The service resolves it into
/// user ids (`candidates`) when the task is saved: the spec is kept so the detail
/// can say "department X" and a later edit can resolve it again, but who may claim is
/// always the stored list (no join at claim time).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ClaimFrom {
    /// Listed users.
    #[serde(default)]
    pub users: Vec<u64>,
    /// Every project member placed in this department.
    #[serde(default)]
    pub department_id: Option<u64>,
    /// Every project member with this role (`member`, `department_admin`,
    /// `company_admin`).
    #[serde(default)]
    pub role: Option<String>,
}

/// Who added a step on the way (加签), why, and on which side of their own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Added {
    pub by: u64,
    pub reason: String,
    pub at: DateTime<Utc>,
    /// `true`: added before the adder's step (it comes back to them after).
    pub before: bool,
}

impl Node {
    /// Everyone who handles this step now: its handler, its shares' handlers, or
    /// nobody (an unclaimed claim step).
    pub fn handlers(&self) -> Vec<u64> {
        match self.kind {
            NodeKind::All | NodeKind::Any => self.shares.iter().map(|s| s.handler_id).collect(),
            NodeKind::Single | NodeKind::Claim if self.handler_id == NOBODY => vec![],
            NodeKind::Single | NodeKind::Claim => vec![self.handler_id],
        }
    }

    /// Those with something left to do on this (current) step, with their state as
    /// `active` or `started`.
    pub fn open_handlers(&self) -> Vec<(u64, NodeState)> {
        match self.kind {
            NodeKind::All | NodeKind::Any => self
                .shares
                .iter()
                .filter(|s| s.is_open())
                .map(|s| {
                    let st = if s.state == ShareState::Active {
                        NodeState::Active
                    } else {
                        NodeState::Started
                    };
                    (s.handler_id, st)
                })
                .collect(),
            _ if matches!(self.state, NodeState::Active | NodeState::Started) => self
                .handlers()
                .into_iter()
                .map(|h| (h, self.state))
                .collect(),
            _ => vec![],
        }
    }

    /// `user` has an open part of this step (their share, or the step itself).
    pub fn is_open_for(&self, user: u64) -> bool {
        self.open_handlers().iter().any(|(h, _)| *h == user)
    }

    /// A claim step still waiting for someone to claim it.
    pub fn is_unclaimed(&self) -> bool {
        self.kind == NodeKind::Claim && self.handler_id == NOBODY
    }

    /// Nothing of the step has begun: no share started or done, nobody claimed it.
    pub fn untouched(&self) -> bool {
        match self.kind {
            NodeKind::All | NodeKind::Any => {
                self.state == NodeState::Active
                    && self.shares.iter().all(|s| s.state == ShareState::Active)
            }
            NodeKind::Claim => self.state == NodeState::Active && self.is_unclaimed(),
            NodeKind::Single => self.state == NodeState::Active,
        }
    }

    /// The share of `user`, if they hold one.
    pub fn share_mut(&mut self, user: u64) -> Option<&mut Share> {
        self.shares.iter_mut().find(|s| s.handler_id == user)
    }

    /// Puts the step back to not reached; its shares too (a return or withdrawal).
    pub fn reset(&mut self) {
        self.state = NodeState::Waiting;
        self.received_at = None;
        self.started_at = None;
        self.done_at = None;
        for s in &mut self.shares {
            *s = Share::new(s.handler_id);
        }
    }
}
