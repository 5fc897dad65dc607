//! Each flow operation on its own: what it changes, who is told, what is logged;
//! who may see and edit a task; how a completion is judged on time.

use super::*;

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
        let got = crate::flow::access::allowed(a.user_id, &t, admin);
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
        crate::flow::access::allowed(actor(COMPANY_ADMIN, Role::CompanyAdmin).user_id, &t, true);
    assert!(admin_view.ops.is_empty());
    let done = at(2, 1, NodeState::Done);
    assert!(
        crate::flow::access::allowed(
            actor(COMPANY_ADMIN, Role::CompanyAdmin).user_id,
            &done,
            true
        )
        .archive
    );
    assert!(
        !crate::flow::access::allowed(actor(CREATOR, Role::Member).user_id, &done, false).archive
    );
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
