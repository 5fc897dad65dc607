//! Conditional steps and CC in the pure flow: the Skip operation's permission table
//! and what entering, skipping and copying do.

use chrono::{Duration, TimeZone, Utc};

use super::apply::{apply, Gate, NoticeKind, OpInput};
use super::events::Event;
use super::model::*;
use super::rules::{decide_by, By, Denied, Op};

const CREATOR: u64 = 1;
const WATCHER: u64 = 2;
const EDITOR: u64 = 3;
const FINANCE: u64 = 4;
// handlers of nodes 0..k are 10, 11, 12, ...
const H: u64 = 10;

fn now(min: i64) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap() + Duration::minutes(min)
}

/// A task of `k` steps (ids 1..=k), the first current; step ids in `conds` have a
/// condition.
fn task(k: usize, conds: &[u32]) -> Task {
    let mut t = Task::one_step(H, now(0));
    t.creator_id = CREATOR;
    t.watchers = vec![WATCHER];
    t.editors = vec![EDITOR];
    t.kind = TaskKind::Workflow;
    for i in 1..k {
        t.nodes.push(Node::waiting(
            i as u32 + 1,
            H + i as u64,
            format!("step {i}"),
            None,
        ));
    }
    for n in &mut t.nodes {
        if conds.contains(&n.id) {
            n.condition = Some("cents(fields.amount) > cents(\"20000\")".into());
        }
    }
    t.next_local_id = k as u32;
    t
}

fn gate(skip: &[u32]) -> OpInput {
    OpInput {
        gate: Gate {
            skip: skip.to_vec(),
            failed: vec![],
        },
        ..Default::default()
    }
}

fn kinds(notices: &[super::apply::Notice]) -> Vec<(u64, NoticeKind)> {
    notices.iter().map(|n| (n.to, n.kind)).collect()
}

/// Skip × who × the current step's state, condition, archive and finish: only the
/// server, only an open task whose current step has a condition and is not started.
#[test]
fn skip_permission_table() {
    let who = [
        By::Server,
        By::User(H),
        By::User(CREATOR),
        By::User(EDITOR),
        By::User(WATCHER),
    ];
    for by in who {
        for state in [NodeState::Active, NodeState::Started] {
            for has_condition in [false, true] {
                for archived in [false, true] {
                    for finished in [false, true] {
                        let mut t = task(2, if has_condition { &[1] } else { &[] });
                        t.nodes[0].state = state;
                        t.archived = archived;
                        if finished {
                            t.status = TaskStatus::Done;
                        }
                        let expected = by == By::Server
                            && state == NodeState::Active
                            && has_condition
                            && !archived
                            && !finished;
                        let got = decide_by(by, &t, Op::Skip);
                        assert_eq!(
                            got.is_ok(),
                            expected,
                            "{by:?} {state:?} cond={has_condition} archived={archived} finished={finished}: {got:?}"
                        );
                        if let (By::User(_), false, false) = (by, archived, finished) {
                            assert_eq!(got, Err(Denied::ServerOnly));
                        }
                    }
                }
            }
        }
    }
    assert_eq!(Op::parse("skip"), None, "never asked for by a request");
}

#[test]
fn completing_passes_by_false_steps_without_telling_their_handlers() {
    let mut t = task(4, &[2, 3]);
    let out = apply(&mut t, H, Op::Complete, &gate(&[2, 3]), now(1)).unwrap();
    assert_eq!(t.current, 3);
    assert!(t.nodes[1].skipped && t.nodes[2].skipped);
    assert_eq!(t.nodes[1].state, NodeState::Done);
    assert_eq!(t.nodes[3].state, NodeState::Active);
    assert_eq!(kinds(&out.notices), vec![(H + 3, NoticeKind::Assigned)]);
    assert!(matches!(out.events[1], Event::Skipped { node: 2, step: 2 }));
    assert!(matches!(out.events[2], Event::Skipped { node: 3, step: 3 }));
    assert!(matches!(
        out.events[3],
        Event::StepReached { node: 4, handler, .. } if handler == H + 3
    ));
    assert!(
        !t.past_handlers.contains(&(H + 1)),
        "a skipped step was never received"
    );
    assert_eq!(out.log.detail, "completed step 1; step 4 is next");
}

#[test]
fn a_true_condition_reaches_the_step_as_usual() {
    let mut t = task(2, &[2]);
    let out = apply(&mut t, H, Op::Complete, &gate(&[]), now(1)).unwrap();
    assert_eq!(t.current, 1);
    assert!(!t.nodes[1].skipped);
    assert_eq!(kinds(&out.notices), vec![(H + 1, NoticeKind::Assigned)]);
}

#[test]
fn when_every_remaining_step_is_skipped_the_task_finishes() {
    let mut t = task(3, &[2, 3]);
    let out = apply(&mut t, H, Op::Complete, &gate(&[2, 3]), now(1)).unwrap();
    assert_eq!(t.status, TaskStatus::Done);
    assert_eq!(t.finished_at, Some(now(1)));
    assert_eq!(
        kinds(&out.notices),
        vec![
            (CREATOR, NoticeKind::Finished),
            (WATCHER, NoticeKind::Finished)
        ]
    );
    assert!(matches!(out.events.last(), Some(Event::Finished { .. })));
}

#[test]
fn a_failed_condition_stops_there_and_tells_the_tasks_admins() {
    let mut t = task(3, &[2]);
    let input = OpInput {
        gate: Gate {
            skip: vec![],
            failed: vec![(2, "property 'amount' not found".into())],
        },
        ..Default::default()
    };
    let out = apply(&mut t, H, Op::Complete, &input, now(1)).unwrap();
    assert_eq!(t.current, 1, "never skipped silently");
    assert_eq!(
        t.nodes[1].condition_error.as_deref(),
        Some("property 'amount' not found")
    );
    assert!(out
        .events
        .iter()
        .any(|e| matches!(e, Event::ConditionFailed { node: 2, .. })));
    assert_eq!(
        kinds(&out.notices),
        vec![
            (H + 1, NoticeKind::Assigned),
            (CREATOR, NoticeKind::ConditionFailed),
            (EDITOR, NoticeKind::ConditionFailed)
        ]
    );
}

#[test]
fn cc_recipients_are_told_when_their_step_is_reached_and_done() {
    let mut t = task(3, &[]);
    t.nodes[1].cc = vec![FINANCE];
    t.nodes[1].cc_on = CcOn::Both;
    let out = apply(&mut t, H, Op::Complete, &gate(&[]), now(1)).unwrap();
    assert_eq!(
        kinds(&out.notices),
        vec![
            (H + 1, NoticeKind::Assigned),
            (FINANCE, NoticeKind::CcReached)
        ]
    );
    let out = apply(&mut t, H + 1, Op::Complete, &gate(&[]), now(2)).unwrap();
    assert_eq!(
        kinds(&out.notices),
        vec![(H + 2, NoticeKind::Assigned), (FINANCE, NoticeKind::CcDone)]
    );
    // only on "done": reaching tells nobody else
    let mut t = task(2, &[]);
    t.nodes[1].cc = vec![FINANCE];
    t.nodes[1].cc_on = CcOn::Done;
    let out = apply(&mut t, H, Op::Complete, &gate(&[]), now(1)).unwrap();
    assert_eq!(kinds(&out.notices), vec![(H + 1, NoticeKind::Assigned)]);
    // a skipped step's CC hears nothing
    let mut t = task(3, &[2]);
    t.nodes[1].cc = vec![FINANCE];
    let out = apply(&mut t, H, Op::Complete, &gate(&[2]), now(1)).unwrap();
    assert_eq!(kinds(&out.notices), vec![(H + 2, NoticeKind::Assigned)]);
    // CC recipients see the task, like watchers
    assert!(t.participants().contains(&FINANCE));
}

#[test]
fn return_and_withdraw_pass_by_skipped_steps() {
    let mut t = task(3, &[2]);
    apply(&mut t, H, Op::Complete, &gate(&[2]), now(1)).unwrap();
    assert_eq!(t.current, 2);
    // the handler of step 1 is the previous handler: urge and withdraw are theirs
    assert!(decide_by(By::User(H), &t, Op::Urge).is_ok());
    let mut w = t.clone();
    apply(&mut w, H, Op::Withdraw, &gate(&[2]), now(2)).unwrap();
    assert_eq!(w.current, 0);
    let input = OpInput {
        reason: Some("wrong".into()),
        ..gate(&[2])
    };
    let out = apply(&mut t, H + 2, Op::Return, &input, now(2)).unwrap();
    assert_eq!(t.current, 0);
    assert_eq!(kinds(&out.notices), vec![(H, NoticeKind::Returned)]);
    assert_eq!(out.log.detail, "returned step 3 to step 1");
    // the first step after skipped ones cannot be returned
    let mut t = task(2, &[1]);
    crate::flow::skip::start(
        &mut t,
        &Gate {
            skip: vec![1],
            failed: vec![],
        },
        now(0),
    );
    assert_eq!(
        decide_by(By::User(H + 1), &t, Op::Return),
        Err(Denied::FirstNode)
    );
}

#[test]
fn the_server_skips_the_current_step_when_its_condition_turned_false() {
    let mut t = task(3, &[1]);
    let out = apply(&mut t, By::Server, Op::Skip, &gate(&[1]), now(1)).unwrap();
    assert!(t.nodes[0].skipped);
    assert_eq!(t.current, 1);
    assert_eq!(kinds(&out.notices), vec![(H + 1, NoticeKind::Assigned)]);
    assert!(matches!(out.events[0], Event::Skipped { node: 1, step: 1 }));
    // not when the condition holds
    let mut t = task(3, &[1]);
    assert!(apply(&mut t, By::Server, Op::Skip, &gate(&[]), now(1)).is_err());
    assert_eq!(t.current, 0);
}

#[test]
fn a_new_task_starts_at_its_first_step_that_applies() {
    let mut t = task(3, &[1, 2]);
    crate::flow::skip::start(
        &mut t,
        &Gate {
            skip: vec![1, 2],
            failed: vec![],
        },
        now(0),
    );
    assert_eq!(t.current, 2);
    assert_eq!(t.current_handler(), Some(H + 2));
    assert_eq!(t.past_handlers, vec![H + 2]);
    let facts = super::events::created(&t, Some(CREATOR));
    let skipped = facts
        .iter()
        .filter(|e| matches!(e, Event::Skipped { .. }))
        .count();
    assert_eq!(skipped, 2);
    assert_eq!(super::events::received_by(&facts), Some(H + 2));
    // every step skipped: finished at once
    let mut t = task(1, &[1]);
    crate::flow::skip::start(
        &mut t,
        &Gate {
            skip: vec![1],
            failed: vec![],
        },
        now(0),
    );
    assert_eq!(t.status, TaskStatus::Done);
    assert_eq!(t.current_handler(), None);
}
