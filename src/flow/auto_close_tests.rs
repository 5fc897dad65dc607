//! Auto-close: only the server, only open tasks whose scenario asked for it; it closes
//! every open step and tells nobody.

use super::*;

#[test]
fn auto_close_table_only_the_server_only_open_tasks_that_asked_for_it() {
    use crate::flow::rules::{decide_by, By};
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
    use crate::flow::rules::By;
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
