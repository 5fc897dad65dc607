//! The permission table: every operation × every kind of actor × node position ×
//! node state, checked against the rules written out independently below.

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

#[test]
fn denial_reasons_say_why() {
    let t = at(3, 0, NodeState::Active);
    assert_eq!(decide(H, &t, Op::Return), Err(Denied::FirstNode));
    assert_eq!(
        decide(CREATOR, &t, Op::Complete),
        Err(Denied::NotCurrentHandler)
    );
    let t = at(3, 1, NodeState::Started);
    assert_eq!(decide(H, &t, Op::Withdraw), Err(Denied::AlreadyStarted));
    assert_eq!(decide(H + 1, &t, Op::Start), Err(Denied::AlreadyStarted));
    let t = at(3, 2, NodeState::Done);
    assert_eq!(decide(H + 1, &t, Op::Urge), Err(Denied::Finished));
    let mut t = at(3, 1, NodeState::Active);
    t.archived = true;
    assert_eq!(decide(H + 1, &t, Op::Complete), Err(Denied::Archived));
}

#[test]
fn same_person_on_consecutive_nodes_acts_as_current_handler() {
    let mut t = at(3, 1, NodeState::Active);
    t.nodes[0].handler_id = H + 1;
    assert_eq!(
        allowed_ops(H + 1, &t),
        vec![
            Op::Complete,
            Op::Start,
            Op::Transfer,
            Op::Return,
            Op::AddBefore,
            Op::AddAfter
        ]
    );
}

fn now(min: i64) -> chrono::DateTime<Utc> {
    t0() + Duration::minutes(min)
}

#[test]
fn complete_moves_to_the_next_node_and_tells_its_handler() {
    let mut t = task(3);
    let out = apply(&mut t, H, Op::Complete, &OpInput::default(), now(1)).unwrap();
    assert_eq!(t.current, 1);
    assert_eq!(t.nodes[0].state, NodeState::Done);
    assert_eq!(t.nodes[0].done_at, Some(now(1)));
    assert_eq!(t.nodes[1].state, NodeState::Active);
    assert_eq!(t.nodes[1].received_at, Some(now(1)));
    assert_eq!(out.notices.len(), 1);
    assert_eq!(
        (out.notices[0].to, out.notices[0].kind),
        (H + 1, NoticeKind::Assigned)
    );
    assert_eq!(out.log.action, "complete");
}

#[test]
fn completing_the_last_node_finishes_and_tells_creator_and_watchers() {
    let mut t = at(2, 1, NodeState::Started);
    let out = apply(&mut t, H + 1, Op::Complete, &OpInput::default(), now(5)).unwrap();
    assert_eq!(t.status, TaskStatus::Done);
    assert_eq!(t.finished_at, Some(now(5)));
    assert!(t.current_node().is_none());
    let told: Vec<(u64, NoticeKind)> = out.notices.iter().map(|n| (n.to, n.kind)).collect();
    assert_eq!(
        told,
        vec![
            (CREATOR, NoticeKind::Finished),
            (WATCHER, NoticeKind::Finished)
        ]
    );
}

#[test]
fn transfer_hands_the_node_to_someone_else() {
    let mut t = at(3, 1, NodeState::Started);
    let input = OpInput {
        to: Some(MEMBER),
        reason: Some("on leave".into()),
        ..Default::default()
    };
    let out = apply(&mut t, H + 1, Op::Transfer, &input, now(2)).unwrap();
    assert_eq!(t.nodes[1].handler_id, MEMBER);
    assert_eq!(
        t.nodes[1].state,
        NodeState::Active,
        "the new handler has not started"
    );
    assert!(t.past_handlers.contains(&MEMBER));
    assert_eq!(out.notices[0].to, MEMBER);
    assert_eq!(out.notices[0].kind, NoticeKind::Transferred);
    assert_eq!(out.log.reason.as_deref(), Some("on leave"));
    // transferring to yourself or to nobody is refused
    assert!(apply(
        &mut t,
        MEMBER,
        Op::Transfer,
        &OpInput {
            to: Some(MEMBER),
            reason: None,
            ..Default::default()
        },
        now(3)
    )
    .is_err());
    assert!(apply(&mut t, MEMBER, Op::Transfer, &OpInput::default(), now(3)).is_err());
}

#[test]
fn return_needs_a_reason_and_reactivates_the_previous_node() {
    let mut t = at(3, 2, NodeState::Active);
    let before = t.clone();
    let empty = OpInput {
        to: None,
        reason: Some("   ".into()),
        ..Default::default()
    };
    assert!(apply(&mut t, H + 2, Op::Return, &empty, now(1)).is_err());
    assert_eq!(t, before, "a refused return changes nothing");
    let out = apply(
        &mut t,
        H + 2,
        Op::Return,
        &OpInput {
            to: None,
            reason: Some("wrong amount".into()),
            ..Default::default()
        },
        now(1),
    )
    .unwrap();
    assert_eq!(t.current, 1);
    assert_eq!(t.nodes[1].state, NodeState::Active);
    assert_eq!(t.nodes[1].done_at, None);
    assert_eq!(t.nodes[2].state, NodeState::Waiting);
    assert_eq!(out.notices[0].to, H + 1);
    assert_eq!(out.notices[0].kind, NoticeKind::Returned);
    assert_eq!(out.notices[0].reason.as_deref(), Some("wrong amount"));
}

#[test]
fn urge_changes_nothing_but_tells_the_current_handler() {
    let mut t = at(3, 1, NodeState::Started);
    let before = t.nodes.clone();
    let out = apply(&mut t, H, Op::Urge, &OpInput::default(), now(1)).unwrap();
    assert_eq!(t.nodes, before);
    assert_eq!(
        (out.notices[0].to, out.notices[0].kind),
        (H + 1, NoticeKind::Urged)
    );
}

#[test]
fn withdraw_pulls_the_flow_back_while_the_next_node_is_unstarted() {
    let mut t = at(3, 1, NodeState::Active);
    let out = apply(&mut t, H, Op::Withdraw, &OpInput::default(), now(1)).unwrap();
    assert_eq!(t.current, 0);
    assert_eq!(t.nodes[0].state, NodeState::Active);
    assert_eq!(t.nodes[1].state, NodeState::Waiting);
    assert_eq!(
        (out.notices[0].to, out.notices[0].kind),
        (H + 1, NoticeKind::Withdrawn)
    );
}

#[test]
fn ticking_the_checklist_starts_the_node() {
    let mut t = task(1);
    t.checklist.push(ChecklistItem {
        id: 9,
        text: "call carrier".into(),
        done: false,
        done_by: None,
        done_at: None,
    });
    assert!(
        check(&mut t, CREATOR, 9, true, now(1)).is_err(),
        "only the handler ticks"
    );
    check(&mut t, H, 9, true, now(1)).unwrap();
    assert_eq!(t.nodes[0].state, NodeState::Started);
    assert!(t.checklist[0].done);
    assert_eq!(decide(H, &t, Op::Start), Err(Denied::AlreadyStarted));
}

fn actor(id: u64, role: Role) -> Actor {
    Actor::user(id, "x", role, None)
}

#[test]
fn who_sees_and_edits_a_task() {
    let t = at(3, 1, NodeState::Active);
    let cases = [
        (actor(CREATOR, Role::Member), false, (true, true, true)),
        (actor(WATCHER, Role::Member), false, (true, false, false)),
        (actor(EDITOR, Role::Member), false, (true, true, false)),
        (actor(H + 2, Role::Member), false, (true, false, false)),
        (actor(MEMBER, Role::Member), false, (false, false, false)),
        (
            actor(DEPT_ADMIN, Role::DepartmentAdmin),
            true,
            (true, true, true),
        ),
        (
            actor(DEPT_ADMIN, Role::DepartmentAdmin),
            false,
            (false, false, false),
        ),
        (
            actor(COMPANY_ADMIN, Role::CompanyAdmin),
            true,
            (true, true, true),
        ),
    ];
    for (a, admin, (view, edit, delete)) in cases {
        let got = super::access::allowed(a.user_id, &t, admin);
        assert_eq!(
            (got.view, got.edit, got.delete),
            (view, edit, delete),
            "{} admin={admin}",
            a.user_id.unwrap()
        );
        if !view {
            assert!(got.ops.is_empty());
        }
    }
    // admins see buttons only where the flow rules name them
    let admin_view =
        super::access::allowed(actor(COMPANY_ADMIN, Role::CompanyAdmin).user_id, &t, true);
    assert!(admin_view.ops.is_empty());
    let done = at(2, 1, NodeState::Done);
    assert!(
        super::access::allowed(
            actor(COMPANY_ADMIN, Role::CompanyAdmin).user_id,
            &done,
            true
        )
        .archive
    );
    assert!(!super::access::allowed(actor(CREATOR, Role::Member).user_id, &done, false).archive);
}

#[test]
fn a_completion_is_judged_against_the_current_nodes_deadline_of_that_moment() {
    let mut t = task(2);
    let at = t0() + Duration::hours(2);
    // No deadline at all: on time.
    assert_eq!(
        t.completion_at(at),
        Some(Completion {
            due_at: None,
            on_time: true,
            inferred: false
        })
    );
    // The task's deadline applies when the node has none; exactly on it is on time.
    t.due_at = Some(at);
    assert_eq!(t.completion_at(at).map(|c| c.on_time), Some(true));
    t.due_at = Some(at - Duration::seconds(1));
    assert_eq!(t.completion_at(at).map(|c| c.on_time), Some(false));
    // The node's own deadline wins over the task's, later or earlier.
    t.nodes[0].due_at = Some(at + Duration::hours(1));
    let c = t.completion_at(at).unwrap();
    assert_eq!((c.due_at, c.on_time), (t.nodes[0].due_at, true));
    // Another node's deadline is not this one's.
    t.nodes[1].due_at = Some(at - Duration::days(1));
    assert_eq!(t.completion_at(at).map(|c| c.on_time), Some(true));
    // A finished task has no current node to complete.
    t.status = TaskStatus::Done;
    assert_eq!(t.completion_at(at), None);
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

#[test]
fn auto_close_table_only_the_server_only_open_tasks_that_asked_for_it() {
    use super::rules::{decide_by, By};
    let open = auto_closing(at(3, 1, NodeState::Started));
    let finished = auto_closing(at(2, 1, NodeState::Done));
    let mut archived = finished.clone();
    archived.archived = true;
    let plain = at(3, 1, NodeState::Started);
    type Row<'a> = (&'a str, By, &'a Task, Op, Result<(), Denied>);
    let rows: Vec<Row> = vec![
        (
            "server, open, asked",
            By::Server,
            &open,
            Op::AutoClose,
            Ok(()),
        ),
        (
            "server, finished",
            By::Server,
            &finished,
            Op::AutoClose,
            Err(Denied::Finished),
        ),
        (
            "server, archived",
            By::Server,
            &archived,
            Op::AutoClose,
            Err(Denied::Archived),
        ),
        (
            "server, not asked",
            By::Server,
            &plain,
            Op::AutoClose,
            Err(Denied::NotAutoClosing),
        ),
        (
            "server, any other op",
            By::Server,
            &open,
            Op::Complete,
            Err(Denied::NotCurrentHandler),
        ),
        (
            "current handler",
            By::User(H + 1),
            &open,
            Op::AutoClose,
            Err(Denied::ServerOnly),
        ),
        (
            "creator",
            By::User(CREATOR),
            &open,
            Op::AutoClose,
            Err(Denied::ServerOnly),
        ),
        (
            "admin",
            By::User(COMPANY_ADMIN),
            &open,
            Op::AutoClose,
            Err(Denied::ServerOnly),
        ),
    ];
    for (label, by, t, op, want) in rows {
        assert_eq!(decide_by(by, t, op), want, "{label}");
    }
    assert!(
        !Op::ALL.contains(&Op::AutoClose),
        "users are never offered it"
    );
    assert_eq!(Op::parse("auto_close"), None, "nor can they ask for it");
    assert!(!allowed_ops(H + 1, &open).contains(&Op::AutoClose));
}

#[test]
fn auto_close_finishes_every_open_step_and_logs_it_telling_nobody() {
    use super::rules::By;
    let mut t = auto_closing(at(3, 1, NodeState::Started));
    let out = apply(
        &mut t,
        By::Server,
        Op::AutoClose,
        &OpInput::default(),
        now(9),
    )
    .unwrap();
    assert_eq!(t.status, TaskStatus::Done);
    assert_eq!(t.finished_at, Some(now(9)));
    assert_eq!(t.updated_at, now(9));
    assert!(t.nodes.iter().all(|n| n.state == NodeState::Done));
    assert_eq!(
        t.nodes[2].done_at,
        Some(now(9)),
        "steps not reached close too"
    );
    assert!(out.notices.is_empty());
    assert_eq!(out.log.action, "auto_close");
    // a second close is refused: the task is finished
    let again = apply(
        &mut t,
        By::Server,
        Op::AutoClose,
        &OpInput::default(),
        now(10),
    );
    assert!(again.is_err());
    // a user asking for it is refused and nothing changes
    let mut u = auto_closing(at(3, 1, NodeState::Started));
    let before = u.clone();
    assert!(apply(&mut u, H + 1, Op::AutoClose, &OpInput::default(), now(9)).is_err());
    assert_eq!(u, before);
}

#[test]
fn every_operation_says_what_happened_as_typed_events() {
    use super::events::{Event, Finish};
    use super::rules::By;
    let due = now(30);
    let reason = |r: &str| OpInput {
        to: None,
        reason: Some(r.into()),
        ..Default::default()
    };
    // (label, task, by, op, input, events)
    let mut late = at(3, 0, NodeState::Started);
    late.nodes[0].due_at = Some(now(0));
    let mut next_due = at(3, 0, NodeState::Started);
    next_due.due_at = Some(due);
    type Case<'a> = (&'a str, Task, By, Op, OpInput, Vec<Event>);
    let cases: Vec<Case> = vec![
        (
            "complete a middle step late",
            late,
            By::User(H),
            Op::Complete,
            OpInput::default(),
            vec![
                Event::StepCompleted {
                    node: 1,
                    by: H,
                    due: Some(now(0)),
                    on_time: false,
                },
                Event::StepReached {
                    node: 2,
                    handler: H + 1,
                    due: None,
                },
            ],
        ),
        (
            "complete on time; the next step takes the task's deadline",
            next_due,
            By::User(H),
            Op::Complete,
            OpInput::default(),
            vec![
                Event::StepCompleted {
                    node: 1,
                    by: H,
                    due: Some(due),
                    on_time: true,
                },
                Event::StepReached {
                    node: 2,
                    handler: H + 1,
                    due: Some(due),
                },
            ],
        ),
        (
            "complete the last step",
            at(2, 1, NodeState::Started),
            By::User(H + 1),
            Op::Complete,
            OpInput::default(),
            vec![
                Event::StepCompleted {
                    node: 2,
                    by: H + 1,
                    due: None,
                    on_time: true,
                },
                Event::Finished {
                    how: Finish::Completed,
                },
            ],
        ),
        (
            "start",
            at(3, 1, NodeState::Active),
            By::User(H + 1),
            Op::Start,
            OpInput::default(),
            vec![Event::StepStarted { node: 2, by: H + 1 }],
        ),
        (
            "transfer",
            at(3, 1, NodeState::Started),
            By::User(H + 1),
            Op::Transfer,
            OpInput {
                to: Some(MEMBER),
                reason: None,
                ..Default::default()
            },
            vec![
                Event::Transferred {
                    node: 2,
                    from: H + 1,
                    to: MEMBER,
                    reason: None,
                },
                Event::StepReached {
                    node: 2,
                    handler: MEMBER,
                    due: None,
                },
            ],
        ),
        (
            "return",
            at(3, 1, NodeState::Started),
            By::User(H + 1),
            Op::Return,
            reason("wrong"),
            vec![
                Event::Returned {
                    node: 2,
                    by: H + 1,
                    to: H,
                    reason: "wrong".into(),
                },
                Event::StepReached {
                    node: 1,
                    handler: H,
                    due: None,
                },
            ],
        ),
        (
            "withdraw",
            at(3, 1, NodeState::Active),
            By::User(H),
            Op::Withdraw,
            OpInput::default(),
            vec![
                Event::Withdrawn {
                    node: 2,
                    by: H,
                    from: H + 1,
                    reason: None,
                },
                Event::StepReached {
                    node: 1,
                    handler: H,
                    due: None,
                },
            ],
        ),
        (
            "urge",
            at(3, 1, NodeState::Active),
            By::User(H),
            Op::Urge,
            reason("please"),
            vec![Event::Urged {
                node: 2,
                by: H,
                handler: H + 1,
                reason: Some("please".into()),
            }],
        ),
        (
            "auto-close",
            auto_closing(at(3, 1, NodeState::Started)),
            By::Server,
            Op::AutoClose,
            OpInput::default(),
            vec![Event::Finished {
                how: Finish::AutoClosed,
            }],
        ),
    ];
    for (label, mut t, by, op, input, want) in cases {
        let out = apply(&mut t, by, op, &input, now(5)).unwrap();
        assert_eq!(out.events, want, "{label}");
    }
}

#[test]
fn creating_a_task_says_who_received_its_first_step() {
    use super::events::{created, received_by, Event};
    let mut t = task(2);
    t.due_at = Some(now(60));
    let events = created(&t, Some(CREATOR));
    assert_eq!(
        events,
        vec![
            Event::TaskCreated {
                creator: Some(CREATOR)
            },
            Event::StepReached {
                node: 1,
                handler: H,
                due: Some(now(60)),
            },
        ]
    );
    assert_eq!(received_by(&events), Some(H));
}
