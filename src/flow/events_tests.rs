//! Every flow operation reports what happened as typed events with the facts of
//! that moment (the due time and the on-time verdict).

use super::*;

#[test]
fn every_operation_says_what_happened_as_typed_events() {
    use crate::flow::events::{Event, Finish};
    use crate::flow::rules::By;
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
    use crate::flow::events::{created, received_by, Event};
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
