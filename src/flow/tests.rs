//! The permission table: every operation × every kind of actor × node position ×
//! node state, checked against the rules written out independently below.
//!
//! The fixtures here are shared with the other test files of `flow`, wired below as
//! child modules: `ops_tests.rs`, `auto_close_tests.rs` and `events_tests.rs`.

use chrono::{Duration, TimeZone, Utc};

use super::apply::{apply, check, NoticeKind, OpInput};
use super::kinds::{NodeKind, Share, ShareState, NOBODY};
use super::model::*;
use super::rules::{allowed_ops, decide, Denied, Op};
use crate::actor::Actor;
use crate::org::Role;

// user ids
const CREATOR: u64 = 1;
const WATCHER: u64 = 2;
const EDITOR: u64 = 3;
const MEMBER: u64 = 4;
const DEPT_ADMIN: u64 = 5;
const COMPANY_ADMIN: u64 = 6;
const OUTSIDER: u64 = 7;
// handlers of nodes 0..k are 10, 11, 12, ...
const H: u64 = 10;

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

fn task(k: usize) -> Task {
    let nodes = (0..k)
        .map(|i| Node {
            id: i as u32 + 1,
            handler_id: H + i as u64,
            action: format!("step {i}"),
            due_at: None,
            state: if i == 0 {
                NodeState::Active
            } else {
                NodeState::Waiting
            },
            received_at: (i == 0).then(t0),
            started_at: None,
            done_at: None,
            ..Node::default_single()
        })
        .collect();
    Task {
        id: 100,
        rev: 1,
        project_id: 1,
        title: "t".into(),
        description: String::new(),
        kind: if k == 1 {
            TaskKind::Simple
        } else {
            TaskKind::Workflow
        },
        business_type: None,
        priority: Priority::Normal,
        due_at: None,
        creator_id: CREATOR,
        nodes,
        current: 0,
        status: TaskStatus::Open,
        checklist: vec![],
        watchers: vec![WATCHER],
        editors: vec![EDITOR],
        attachments: vec![],
        past_handlers: vec![H],
        archived: false,
        created_at: t0(),
        updated_at: t0(),
        finished_at: None,
        source: None,
        next_local_id: k as u32,
        reminders: Default::default(),
        fields: Default::default(),
        template_id: None,
    }
}

/// A task of `k` nodes whose current node is `pos`, in `state` (Done means the
/// whole task finished after that node, only meaningful for the last node).
fn at(k: usize, pos: usize, state: NodeState) -> Task {
    let mut t = task(k);
    for i in 0..k {
        t.nodes[i].state = if i < pos {
            NodeState::Done
        } else if i == pos {
            state
        } else {
            NodeState::Waiting
        };
    }
    t.current = pos;
    if state == NodeState::Done {
        t.status = TaskStatus::Done;
    }
    t
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Current,
    Previous,
    OtherHandler,
    Creator,
    Watcher,
    Editor,
    Member,
    DeptAdmin,
    CompanyAdmin,
    NonMember,
    /// The second handler of an all/any current step (its share stays active).
    CoHandler,
    /// A candidate of a claim current step who has not claimed it.
    Candidate,
    /// The second handler of an all/any previous step.
    PreviousCo,
}

const EVERYONE: [Who; 13] = [
    Who::Current,
    Who::Previous,
    Who::OtherHandler,
    Who::Creator,
    Who::Watcher,
    Who::Editor,
    Who::Member,
    Who::DeptAdmin,
    Who::CompanyAdmin,
    Who::NonMember,
    Who::CoHandler,
    Who::Candidate,
    Who::PreviousCo,
];

// second handlers and candidates of the kinds' fixtures
const CO: u64 = 20;
const PREV_CO: u64 = 21;
const CANDIDATE: u64 = 30;

fn id_of(who: Who, k: usize, pos: usize) -> Option<u64> {
    match who {
        Who::Current => Some(H + pos as u64),
        Who::Previous => pos.checked_sub(1).map(|p| H + p as u64),
        // a handler of a node that is neither current nor previous
        Who::OtherHandler => (0..k)
            .find(|i| *i != pos && Some(*i) != pos.checked_sub(1))
            .map(|i| H + i as u64),
        Who::Creator => Some(CREATOR),
        Who::Watcher => Some(WATCHER),
        Who::Editor => Some(EDITOR),
        Who::Member => Some(MEMBER),
        Who::DeptAdmin => Some(DEPT_ADMIN),
        Who::CompanyAdmin => Some(COMPANY_ADMIN),
        Who::NonMember => Some(OUTSIDER),
        Who::CoHandler => Some(CO),
        Who::Candidate => Some(CANDIDATE),
        Who::PreviousCo => Some(PREV_CO),
    }
}

/// The shape of the current step: its kind and how far it got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cur {
    /// A single step in this state (Done: the task finished with it).
    Single(NodeState),
    /// Countersign of Current and CoHandler.
    All(Shares),
    /// Any-sign of Current and CoHandler.
    Any(Shares),
    /// A claim step of Current and Candidate nobody claimed.
    Unclaimed,
    /// A claim step Current claimed, in this state.
    Claimed(NodeState),
}

/// How far the shares of an all/any step got: CoHandler's share is always active.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shares {
    Untouched,
    /// Current started theirs.
    OneStarted,
    /// Current completed theirs (all only: an any step would be done).
    OneDone,
}

/// The kind of the previous step (done).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prev {
    Single,
    /// Countersign of Previous and PreviousCo, both done.
    All,
    /// Any-sign: Previous completed it, PreviousCo's share closed.
    Any,
    /// Claimed and completed by Previous.
    Claim,
}

fn share(h: u64, state: ShareState) -> Share {
    Share {
        state,
        received_at: Some(t0()),
        ..Share::new(h)
    }
}

/// A task of `k` nodes whose current node `pos` has shape `cur`, after a `prev` step.
fn shaped(k: usize, pos: usize, cur: Cur, prev: Prev) -> Task {
    let state = match cur {
        Cur::Single(s) | Cur::Claimed(s) => s,
        Cur::All(Shares::Untouched) | Cur::Any(Shares::Untouched) | Cur::Unclaimed => {
            NodeState::Active
        }
        Cur::All(_) | Cur::Any(_) => NodeState::Started,
    };
    let mut t = at(k, pos, state);
    if let Some(p) = pos.checked_sub(1) {
        let n = &mut t.nodes[p];
        let me = n.handler_id;
        match prev {
            Prev::Single => {}
            Prev::All => {
                n.kind = NodeKind::All;
                n.shares = vec![
                    share(me, ShareState::Done),
                    share(PREV_CO, ShareState::Done),
                ];
            }
            Prev::Any => {
                n.kind = NodeKind::Any;
                n.shares = vec![
                    share(me, ShareState::Done),
                    share(PREV_CO, ShareState::Closed),
                ];
            }
            Prev::Claim => {
                n.kind = NodeKind::Claim;
                n.candidates = vec![me, CANDIDATE];
            }
        }
    }
    let n = &mut t.nodes[pos];
    let me = n.handler_id;
    let mine = |s: Shares| match s {
        Shares::Untouched => ShareState::Active,
        Shares::OneStarted => ShareState::Started,
        Shares::OneDone => ShareState::Done,
    };
    match cur {
        Cur::Single(_) => {}
        Cur::All(s) | Cur::Any(s) => {
            n.kind = if matches!(cur, Cur::All(_)) {
                NodeKind::All
            } else {
                NodeKind::Any
            };
            n.shares = vec![share(me, mine(s)), share(CO, ShareState::Active)];
        }
        Cur::Unclaimed | Cur::Claimed(_) => {
            n.kind = NodeKind::Claim;
            n.candidates = vec![me, CANDIDATE];
            if cur == Cur::Unclaimed {
                n.handler_id = NOBODY;
            }
        }
    }
    t
}

/// The brief's and issue 16's rules, written as plainly as possible.
fn expected(op: Op, who: Who, pos: usize, cur: Cur, prev: Prev) -> bool {
    if cur == Cur::Single(NodeState::Done) {
        return false; // the task is finished
    }
    let first = pos == 0;
    // who has an open part of the current step: the step, or their share
    let holder = match cur {
        Cur::Single(_) | Cur::Claimed(_) => who == Who::Current,
        Cur::All(s) | Cur::Any(s) => {
            who == Who::CoHandler || (who == Who::Current && s != Shares::OneDone)
        }
        Cur::Unclaimed => false,
    };
    // what they hold is received, not begun
    let holds_unstarted = holder
        && match cur {
            Cur::Single(s) | Cur::Claimed(s) => s == NodeState::Active,
            Cur::All(s) | Cur::Any(s) => who == Who::CoHandler || s == Shares::Untouched,
            Cur::Unclaimed => false,
        };
    let previous = !first
        && (who == Who::Previous
            || (who == Who::PreviousCo && matches!(prev, Prev::All | Prev::Any)));
    let untouched = matches!(
        cur,
        Cur::Single(NodeState::Active)
            | Cur::All(Shares::Untouched)
            | Cur::Any(Shares::Untouched)
            | Cur::Unclaimed
    );
    match op {
        Op::Complete | Op::Transfer | Op::AddAfter => holder,
        Op::AddBefore => holder && cur != Cur::All(Shares::OneDone),
        Op::Start => holds_unstarted,
        Op::Return => holder && !first,
        Op::Claim => cur == Cur::Unclaimed && matches!(who, Who::Current | Who::Candidate),
        Op::Release => cur == Cur::Claimed(NodeState::Active) && who == Who::Current,
        Op::Urge => previous && !holder,
        Op::Withdraw => previous && !holder && untouched,
        Op::AutoClose | Op::Skip => false,
    }
}

#[test]
fn permission_table() {
    let shapes: Vec<(usize, usize, &str)> = vec![
        (1, 0, "single"),
        (3, 0, "first"),
        (3, 1, "middle"),
        (3, 2, "last"),
    ];
    let mut currents = vec![
        Cur::Single(NodeState::Active),
        Cur::Single(NodeState::Started),
        Cur::Single(NodeState::Done),
        Cur::Unclaimed,
        Cur::Claimed(NodeState::Active),
        Cur::Claimed(NodeState::Started),
        Cur::All(Shares::OneDone),
    ];
    for s in [Shares::Untouched, Shares::OneStarted] {
        currents.extend([Cur::All(s), Cur::Any(s)]);
    }
    let mut checked = 0;
    for (k, pos, label) in shapes {
        for cur in &currents {
            if *cur == Cur::Single(NodeState::Done) && pos + 1 != k {
                continue; // only the last node being done finishes a task
            }
            for prev in [Prev::Single, Prev::All, Prev::Any, Prev::Claim] {
                if pos == 0 && prev != Prev::Single {
                    continue; // no previous step
                }
                let t = shaped(k, pos, *cur, prev);
                for who in EVERYONE {
                    let Some(actor) = id_of(who, k, pos) else {
                        continue;
                    };
                    for op in Op::ALL {
                        let want = expected(op, who, pos, *cur, prev);
                        let got = decide(actor, &t, op).is_ok();
                        assert_eq!(
                            got, want,
                            "{op:?} by {who:?} on {label} node {cur:?} after {prev:?}"
                        );
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 10_000, "{checked}");
}

fn now(min: i64) -> chrono::DateTime<Utc> {
    t0() + Duration::minutes(min)
}

fn auto_closing(mut t: Task) -> Task {
    t.source = Some(TaskSource {
        scenario_id: "s".into(),
        scenario_name: "s".into(),
        scenario_version: 1,
        fired_at: t0(),
        record_kind: "order".into(),
        record_id: "SO-1".into(),
        record: serde_json::json!({}),
        escalations: vec![],
        on_finish: vec![],
        auto_close: true,
        write_back: None,
    });
    t
}

#[path = "auto_close_tests.rs"]
mod auto_close;
#[path = "events_tests.rs"]
mod events;
#[path = "ops_tests.rs"]
mod ops;
