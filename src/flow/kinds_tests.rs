//! What the operations do on all/any/claim steps and add-sign: states, events and
//! who is told (who may do them is the permission table in `tests.rs`).
//! Add-sign has its own file, `add_sign_tests.rs`, a child module over these fixtures.

use chrono::{Duration, TimeZone, Utc};

use super::apply::{apply, check, NoticeKind, OpInput};
use super::events::Event;
use super::kinds::{NodeKind, Share, ShareState, NOBODY};
use super::model::*;
use super::rules::Op;

const CREATOR: u64 = 1;
const A: u64 = 10;
const B: u64 = 11;
const C: u64 = 12;
const D: u64 = 13;
const X: u64 = 20;

fn at(min: i64) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap() + Duration::minutes(min)
}

fn single(id: u32, h: u64) -> Node {
    Node {
        id,
        handler_id: h,
        action: format!("step {id}"),
        ..Node::default_single()
    }
}

fn multi(id: u32, kind: NodeKind, hs: &[u64]) -> Node {
    Node {
        kind,
        shares: hs.iter().map(|h| Share::new(*h)).collect(),
        ..single(id, hs[0])
    }
}

fn claim(id: u32, candidates: &[u64]) -> Node {
    Node {
        kind: NodeKind::Claim,
        candidates: candidates.to_vec(),
        ..single(id, NOBODY)
    }
}

/// An open task over `nodes`, the first reached at minute 0 as the service builds it.
fn flow(nodes: Vec<Node>) -> Task {
    let mut t = Task::one_step(A, at(0));
    t.kind = TaskKind::Workflow;
    t.creator_id = CREATOR;
    t.next_local_id = nodes.len() as u32;
    t.nodes = nodes;
    let first = &mut t.nodes[0];
    first.state = NodeState::Active;
    first.received_at = Some(at(0));
    for s in &mut first.shares {
        s.state = ShareState::Active;
        s.received_at = Some(at(0));
    }
    t.past_handlers = first.handlers();
    t
}

fn op(t: &mut Task, by: u64, o: Op, min: i64) -> super::apply::Outcome {
    apply(t, by, o, &OpInput::default(), at(min)).unwrap_or_else(|e| panic!("{o:?}: {e}"))
}

fn with(to: Option<u64>, reason: &str, action: &str) -> OpInput {
    OpInput {
        to,
        reason: Some(reason.into()),
        action: Some(action.into()),
        ..Default::default()
    }
}

fn states(n: &Node) -> Vec<ShareState> {
    n.shares.iter().map(|s| s.state).collect()
}

#[test]
fn a_countersign_is_done_when_every_share_is_and_each_counts_for_its_handler() {
    let mut t = flow(vec![multi(1, NodeKind::All, &[A, B, C]), single(2, D)]);
    op(&mut t, B, Op::Start, 1);
    assert_eq!(
        states(&t.nodes[0]),
        vec![ShareState::Active, ShareState::Started, ShareState::Active]
    );
    assert_eq!(t.nodes[0].state, NodeState::Started);
    let out = op(&mut t, A, Op::Complete, 2);
    assert_eq!(
        out.events,
        vec![Event::ShareCompleted {
            node: 1,
            by: A,
            due: None,
            on_time: true
        }]
    );
    assert!(out.notices.is_empty());
    assert_eq!(t.current, 0, "B and C still have their shares");
    op(&mut t, B, Op::Complete, 3);
    let out = op(&mut t, C, Op::Complete, 4);
    assert_eq!(t.current, 1);
    assert_eq!(t.nodes[0].state, NodeState::Done);
    assert_eq!(t.nodes[0].shares[2].done_at, Some(at(4)));
    assert_eq!(
        out.events.last(),
        Some(&Event::StepReached {
            node: 2,
            handler: D,
            due: None
        })
    );
    assert_eq!(out.notices[0].to, D);
    assert_eq!(
        super::events::completion(&out.events),
        Some((C, None, true))
    );
}

#[test]
fn any_sign_completes_with_the_first_share_and_closes_and_tells_the_others() {
    let mut t = flow(vec![multi(1, NodeKind::Any, &[A, B, C]), single(2, D)]);
    op(&mut t, C, Op::Start, 1);
    let out = op(&mut t, B, Op::Complete, 2);
    assert_eq!(
        states(&t.nodes[0]),
        vec![ShareState::Closed, ShareState::Done, ShareState::Closed]
    );
    assert_eq!(t.current, 1);
    assert!(out.events.contains(&Event::SharesClosed {
        node: 1,
        handlers: vec![A, C]
    }));
    let closed: Vec<u64> = out
        .notices
        .iter()
        .filter(|n| n.kind == NoticeKind::ShareClosed)
        .map(|n| n.to)
        .collect();
    assert_eq!(closed, vec![A, C]);
    assert!(out
        .notices
        .iter()
        .any(|n| n.to == D && n.kind == NoticeKind::Assigned));
}

#[test]
fn reaching_a_countersign_activates_every_share_and_says_so_for_each() {
    let mut t = flow(vec![single(1, A), multi(2, NodeKind::All, &[B, C])]);
    let out = op(&mut t, A, Op::Complete, 1);
    let reached: Vec<u64> = out.events.iter().filter_map(Event::received_by).collect();
    assert_eq!(reached, vec![B, C]);
    assert_eq!(super::events::received_by(&out.events), Some(C));
    assert_eq!(super::events::received_also(&out.events), vec![B]);
    assert_eq!(
        states(&t.nodes[1]),
        vec![ShareState::Active, ShareState::Active]
    );
    assert!(t.past_handlers.contains(&B) && t.past_handlers.contains(&C));
}

#[test]
fn return_resets_every_share_and_withdraw_makes_every_share_of_the_previous_active() {
    let mut t = flow(vec![
        multi(1, NodeKind::All, &[A, B]),
        multi(2, NodeKind::All, &[C, D]),
    ]);
    op(&mut t, A, Op::Complete, 1);
    op(&mut t, B, Op::Complete, 2);
    op(&mut t, C, Op::Complete, 3);
    // D returns the whole step: C's done share resets too; A and B both get it back
    let r = OpInput {
        reason: Some("prices are wrong".into()),
        ..OpInput::default()
    };
    let out = apply(&mut t, D, Op::Return, &r, at(4)).unwrap();
    assert_eq!(t.current, 0);
    assert_eq!(
        states(&t.nodes[1]),
        vec![ShareState::Waiting, ShareState::Waiting]
    );
    assert_eq!(
        states(&t.nodes[0]),
        vec![ShareState::Active, ShareState::Active]
    );
    let told: Vec<u64> = out.notices.iter().map(|n| n.to).collect();
    assert_eq!(told, vec![A, B]);
    // forward again, then B (a handler of the previous step) withdraws it untouched
    op(&mut t, A, Op::Complete, 5);
    op(&mut t, B, Op::Complete, 6);
    let out = op(&mut t, B, Op::Withdraw, 7);
    assert_eq!(t.current, 0);
    assert_eq!(
        states(&t.nodes[0]),
        vec![ShareState::Active, ShareState::Active],
        "every share active again"
    );
    let from: Vec<u64> = out
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Withdrawn { from, .. } => Some(*from),
            _ => None,
        })
        .collect();
    assert_eq!(from, vec![C, D]);
}

#[test]
fn a_share_is_transferred_alone_and_not_to_someone_who_holds_one() {
    let mut t = flow(vec![multi(1, NodeKind::All, &[A, B])]);
    op(&mut t, B, Op::Start, 1);
    let to = |u| OpInput {
        to: Some(u),
        ..OpInput::default()
    };
    assert!(apply(&mut t, A, Op::Transfer, &to(B), at(2)).is_err());
    let out = apply(&mut t, A, Op::Transfer, &to(X), at(2)).unwrap();
    assert_eq!(t.nodes[0].handlers(), vec![X, B]);
    assert_eq!(
        states(&t.nodes[0]),
        vec![ShareState::Active, ShareState::Started],
        "B's share is untouched"
    );
    assert_eq!(super::events::received_by(&out.events), Some(X));
}

#[test]
fn a_claim_step_is_claimed_released_and_urged_to_its_candidates() {
    let mut t = flow(vec![single(1, A), claim(2, &[B, C])]);
    let out = op(&mut t, A, Op::Complete, 1);
    let told: Vec<(u64, NoticeKind)> = out.notices.iter().map(|n| (n.to, n.kind)).collect();
    assert_eq!(
        told,
        vec![(B, NoticeKind::Claimable), (C, NoticeKind::Claimable)]
    );
    assert_eq!(super::events::received_by(&out.events), None, "nobody yet");
    let urged = op(&mut t, A, Op::Urge, 2);
    assert_eq!(urged.notices.len(), 2, "every candidate");
    let out = op(&mut t, C, Op::Claim, 3);
    assert_eq!(t.nodes[1].handler_id, C);
    assert_eq!(
        out.events,
        vec![
            Event::Claimed { node: 2, by: C },
            Event::StepReached {
                node: 2,
                handler: C,
                due: None
            }
        ]
    );
    assert!(apply(&mut t, B, Op::Claim, &OpInput::default(), at(4)).is_err());
    let out = op(&mut t, C, Op::Release, 5);
    assert!(t.nodes[1].is_unclaimed());
    assert_eq!(out.events, vec![Event::Released { node: 2, by: C }]);
    assert_eq!(out.notices.len(), 1, "the other candidate");
    op(&mut t, B, Op::Claim, 6);
    op(&mut t, B, Op::Complete, 7);
    assert_eq!(t.status, TaskStatus::Done);
}

#[test]
fn returning_a_claimed_step_puts_it_up_for_claiming_again() {
    let mut t = flow(vec![single(1, A), claim(2, &[B, C])]);
    op(&mut t, A, Op::Complete, 1);
    op(&mut t, B, Op::Claim, 2);
    let r = OpInput {
        reason: Some("not mine".into()),
        ..OpInput::default()
    };
    apply(&mut t, B, Op::Return, &r, at(3)).unwrap();
    op(&mut t, A, Op::Complete, 4);
    assert!(t.nodes[1].is_unclaimed());
}

#[test]
fn ticking_the_checklist_starts_the_tickers_own_share() {
    let mut t = flow(vec![multi(1, NodeKind::All, &[A, B])]);
    t.checklist.push(ChecklistItem {
        id: 9,
        text: "x".into(),
        done: false,
        done_by: None,
        done_at: None,
    });
    check(&mut t, B, 9, true, at(1)).unwrap();
    assert_eq!(
        states(&t.nodes[0]),
        vec![ShareState::Active, ShareState::Started]
    );
    assert!(check(&mut t, X, 9, false, at(2)).is_err());
    let mut u = flow(vec![claim(1, &[A, B])]);
    u.checklist = t.checklist.clone();
    assert!(check(&mut u, A, 9, true, at(1)).is_err(), "claim it first");
}

#[test]
fn an_old_stored_node_reads_as_a_single_step() {
    let json = r#"{"id":1,"handler_id":5,"action":"","due_at":null,"state":"active",
        "received_at":null,"started_at":null,"done_at":null}"#;
    let n: Node = serde_json::from_str(json).unwrap();
    assert_eq!(n.kind, NodeKind::Single);
    assert_eq!(n.handlers(), vec![5]);
    assert!(n.shares.is_empty() && n.added.is_none());
}

#[path = "add_sign_tests.rs"]
mod add_sign;
