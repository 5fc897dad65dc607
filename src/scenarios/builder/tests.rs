//! Round trips (form → script → form) for every operator and section, and reading
//! scripts back. The helpers that build forms are shared with `in_engine_tests.rs`
//! and `problems_tests.rs`.

use super::form::{Condition, Escalation, Form, Node, Op, Who};
use super::*;
use crate::scenarios::engine::build;
use crate::scenarios::script::compile;

pub(super) fn cond(field: &str, op: Op, value: &str) -> Condition {
    Condition {
        field: field.into(),
        op,
        value: value.into(),
        number: false,
    }
}

/// "PO above 5000 → buyer then finance, watchers the company admins, escalate 24 h
/// after due": the form the browser test builds.
pub(super) fn po_form() -> Form {
    Form {
        id: "po_above_5000".into(),
        name: "采购单金额大于5000 PO above 5000".into(),
        kind: "purchase_order".into(),
        conditions: vec![cond("amount", Op::MoneyAbove, "5000")],
        title: "审批采购单 ${r.id} Approve PO ${r.id}: ${r.amount}".into(),
        due_in_days: "1".into(),
        nodes: vec![
            Node {
                handler: Who::Field("buyer".into()),
                action: "核对 Check".into(),
                due_in_days: String::new(),
            },
            Node {
                handler: Who::DepartmentAdmin("财务部".into()),
                action: "审批 Approve".into(),
                due_in_days: "2".into(),
            },
        ],
        watchers: vec![Who::Role("company_admin".into())],
        escalation: vec![Escalation {
            after_hours: "24".into(),
            from_created: false,
            notify: vec![Who::Role("company_admin".into())],
        }],
        ..Form::default()
    }
}

/// A form with every section filled in.
pub(super) fn full_form() -> Form {
    Form {
        any: true,
        description: "客户 **${r.customer}**\nline two \"quoted\"".into(),
        business_type: "purchase_order".into(),
        priority: "high".into(),
        due_in_days: "3".into(),
        editors: vec![Who::User("alice".into()), Who::Field("buyer".into())],
        on_finish: vec![
            Who::DepartmentAdmin("采购部".into()),
            Who::Role("department_admin".into()),
            Who::User("bob".into()),
        ],
        escalation: vec![
            Escalation {
                after_hours: "24".into(),
                from_created: false,
                notify: vec![Who::User("boss".into())],
            },
            Escalation {
                after_hours: "72".into(),
                from_created: true,
                notify: vec![
                    Who::Role("company_admin".into()),
                    Who::Field("owner".into()),
                ],
            },
        ],
        auto_close: true,
        nodes: vec![
            Node {
                handler: Who::Role("company_admin".into()),
                action: "看 ${r.id}".into(),
                due_in_days: "1".into(),
            },
            Node {
                handler: Who::User("finance".into()),
                action: String::new(),
                due_in_days: String::new(),
            },
        ],
        ..po_form()
    }
}

fn round_trip(form: &Form) {
    assert_eq!(problems(form), vec![], "{form:?}");
    let script = render(form);
    assert_eq!(parse(&script).as_ref(), Ok(form), "{script}");
    compile(&build(), &script).unwrap_or_else(|e| panic!("{e}\n{script}"));
}

fn example(op: Op) -> Condition {
    match op {
        Op::Equals | Op::NotEquals | Op::ChangedTo | Op::ChangedFrom => cond("status", op, "paid"),
        Op::Greater | Op::Less => cond("qty", op, "10"),
        Op::MoneyAbove | Op::MoneyBelow => cond("amount", op, "5,000.50"),
        Op::Contains => cond("note", op, "加急"),
        Op::IsEmpty | Op::NotEmpty => cond("shipped_at", op, ""),
        Op::OneOf => cond("status", op, "paid, 已付款,shipped"),
        Op::OlderThanDays | Op::OlderThanHours => cond("paid_at", op, "3"),
    }
}

#[test]
fn every_operator_round_trips_and_compiles() {
    for op in Op::ALL {
        let mut f = po_form();
        f.conditions = vec![example(op)];
        round_trip(&f);
        let mut c = example(op);
        if matches!(
            op,
            Op::Equals | Op::NotEquals | Op::OneOf | Op::ChangedTo | Op::ChangedFrom
        ) {
            c.number = true;
            c.value = if op == Op::OneOf {
                "1, 2".into()
            } else {
                "7".into()
            };
            f.conditions = vec![c];
            round_trip(&f);
        }
    }
}

#[test]
fn every_section_round_trips() {
    round_trip(&po_form());
    round_trip(&full_form());
    let mut f = full_form();
    f.conditions = Op::ALL.iter().map(|&op| example(op)).collect();
    round_trip(&f);
    f.any = false;
    round_trip(&f);
    f.conditions.clear();
    round_trip(&f);
}

#[test]
fn reads_like_the_shipped_scripts() {
    let s = render(&po_form());
    for want in [
        "const ID = \"po_above_5000\";",
        "const WATCHES = \"purchase_order\";",
        "fn condition(r, prev) {\n    cents(r.amount) > cents(\"5000\")\n}",
        "title: `审批采购单 ${r.id} Approve PO ${r.id}: ${r.amount}`,",
        "#{ handler: r.buyer, action: \"核对 Check\" },",
        "#{ handler: responsible(\"财务部\"), action: \"审批 Approve\", due_in_days: 2 },",
        "watchers: users_with_role(\"company_admin\"),",
        "escalation: [ #{ after_hours: 24, from: \"due\", notify: users_with_role(\"company_admin\") } ],",
    ] {
        assert!(s.contains(want), "{want}\n---\n{s}");
    }
    assert!(!s.contains("wake_at"));
    let mut f = po_form();
    f.conditions = vec![
        cond("status", Op::Equals, "out_of_stock"),
        cond("since", Op::OlderThanDays, "3"),
    ];
    let s = render(&f);
    assert!(
        s.contains("    r.status == \"out_of_stock\"\n        && days_since(r.since) > 3\n"),
        "{s}"
    );
    f.conditions[1].op = Op::OlderThanHours;
    assert!(render(&f).contains("hours_since(r.since) > 3"));
}

#[test]
fn hand_edits_and_hand_written_scripts_are_named() {
    let s = render(&po_form());
    let edited = s.replace("cents(\"5000\")", "cents(\"6000\")");
    assert_eq!(parse(&edited), Err(NotBuilder::Edited(7)));
    let added = s.replace("fn task(r) {", "fn wake_at(r) { () }\n\nfn task(r) {");
    assert!(matches!(parse(&added), Err(NotBuilder::Edited(_))));
    let damaged = s.replace("baton-builder-form {", "baton-builder-form {oops");
    assert_eq!(parse(&damaged), Err(NotBuilder::FormDamaged));
    let shipped = include_str!("../../../rules/po_over_5000.rhai");
    assert_eq!(parse(shipped), Err(NotBuilder::NotMarked));
    // An editor's line endings and trailing blanks are not an edit.
    let crlf = s.replace('\n', "  \r\n") + "\n\n";
    assert_eq!(parse(&crlf), Ok(po_form()));
}
