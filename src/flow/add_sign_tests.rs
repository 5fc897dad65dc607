//! Add-sign (加签): a step added before or after the current one, on simple and
//! countersign steps; its fixtures are those of `kinds_tests.rs`.

use super::*;

#[test]
fn add_before_runs_the_added_step_first_then_comes_back() {
    let mut t = flow(vec![single(1, A), single(2, B)]);
    op(&mut t, A, Op::Start, 1);
    let out = apply(
        &mut t,
        A,
        Op::AddBefore,
        &with(Some(X), "need legal", "Check the contract"),
        at(2),
    )
    .unwrap();
    assert_eq!(t.nodes.len(), 3);
    assert_eq!(t.current, 0);
    let added = &t.nodes[0];
    assert_eq!((added.handler_id, added.state), (X, NodeState::Active));
    assert_eq!(added.action, "Check the contract");
    let mark = added.added.clone().unwrap();
    assert_eq!(
        (mark.by, mark.reason.as_str(), mark.before),
        (A, "need legal", true)
    );
    assert_eq!(t.nodes[1].state, NodeState::Waiting, "A's step waits");
    assert!(matches!(
        out.events[0],
        Event::NodeAdded {
            before: true,
            handler: X,
            ..
        }
    ));
    assert_eq!(out.notices[0].to, X);
    // X completes: back to A
    op(&mut t, X, Op::Complete, 3);
    assert_eq!((t.current, t.current_handler()), (1, Some(A)));
    // the added step is like any other: A may return to it
    let r = OpInput {
        reason: Some("again".into()),
        ..OpInput::default()
    };
    apply(&mut t, A, Op::Return, &r, at(4)).unwrap();
    assert_eq!(t.current_handler(), Some(X));
}

#[test]
fn add_after_follows_the_current_step_and_needs_a_handler_action_and_reason() {
    let mut t = flow(vec![single(1, A), single(2, B)]);
    for bad in [
        with(None, "r", "do"),
        with(Some(A), "r", "do"),
        with(Some(X), "r", " "),
        OpInput {
            to: Some(X),
            action: Some("do".into()),
            reason: None,
            ..Default::default()
        },
    ] {
        let before = t.clone();
        assert!(
            apply(&mut t, A, Op::AddAfter, &bad, at(1)).is_err(),
            "{bad:?}"
        );
        assert_eq!(t, before);
    }
    let out = apply(
        &mut t,
        A,
        Op::AddAfter,
        &with(Some(X), "check", "Approve"),
        at(1),
    )
    .unwrap();
    assert!(out.notices.is_empty(), "told when reached");
    assert_eq!(t.nodes[1].handler_id, X);
    assert_eq!(t.nodes[1].state, NodeState::Waiting);
    op(&mut t, A, Op::Complete, 2);
    assert_eq!(t.current_handler(), Some(X));
    op(&mut t, X, Op::Complete, 3);
    assert_eq!(t.current_handler(), Some(B));
}

#[test]
fn adding_a_step_to_a_simple_task_makes_it_a_workflow() {
    let mut t = Task::one_step(A, at(0));
    assert_eq!(t.kind, TaskKind::Simple);
    apply(
        &mut t,
        A,
        Op::AddAfter,
        &with(Some(X), "why", "what"),
        at(1),
    )
    .unwrap();
    assert_eq!((t.kind, t.nodes.len()), (TaskKind::Workflow, 2));
}

#[test]
fn add_before_on_a_countersign_resets_its_shares() {
    let mut t = flow(vec![multi(1, NodeKind::All, &[A, B])]);
    op(&mut t, B, Op::Start, 1);
    apply(
        &mut t,
        A,
        Op::AddBefore,
        &with(Some(X), "why", "what"),
        at(2),
    )
    .unwrap();
    assert_eq!(
        states(&t.nodes[1]),
        vec![ShareState::Waiting, ShareState::Waiting]
    );
    op(&mut t, X, Op::Complete, 3);
    assert_eq!(
        states(&t.nodes[1]),
        vec![ShareState::Active, ShareState::Active]
    );
}
