//! Round trips (form → script → form) for every operator and section, the script in
//! the real engine, and the per-field problems.

use chrono::{TimeZone, Utc};
use serde_json::json;

use super::form::{Condition, Escalation, Form, Node, Op, Who};
use super::*;
use crate::scenarios::engine::{build, with_context, Context};
use crate::scenarios::eval::evaluate_data;
use crate::scenarios::script::compile;

fn cond(field: &str, op: Op, value: &str) -> Condition {
    Condition {
        field: field.into(),
        op,
        value: value.into(),
        number: false,
    }
}

/// "PO above 5000 → buyer then finance, watchers the company admins, escalate 24 h
/// after due": the form the browser test builds.
fn po_form() -> Form {
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
fn full_form() -> Form {
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

/// Runs the rendered script for one record (and its previous version).
fn fires(form: &Form, data: serde_json::Value, prev: Option<serde_json::Value>) -> bool {
    let engine = build();
    let c = compile(&engine, &render(form)).unwrap_or_else(|e| panic!("{e}"));
    let now = Utc
        .with_ymd_and_hms(2026, 6, 10, 12, 0, 0)
        .single()
        .unwrap();
    let ctx = Context::stand_in(now);
    let ev = with_context(&ctx, || {
        evaluate_data(&engine, &c, &form.kind, "R-1", &data, prev.as_ref())
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", render(form)));
    ev.task.is_some()
}

#[test]
fn the_script_behaves_in_the_engine() {
    let f = po_form();
    assert!(fires(
        &f,
        json!({"amount": "5000.01", "buyer": "alice"}),
        None
    ));
    assert!(!fires(
        &f,
        json!({"amount": "5000", "buyer": "alice"}),
        None
    ));
    let with = |c: Condition| Form {
        conditions: vec![c],
        ..po_form()
    };
    // condition, record, previous version, fires
    #[rustfmt::skip]
    let cases: Vec<(Condition, serde_json::Value, Option<serde_json::Value>, bool)> = vec![
        (cond("status", Op::Equals, "paid"), json!({"status": "paid"}), None, true),
        (cond("status", Op::Equals, "paid"), json!({"status": "new"}), None, false),
        (cond("status", Op::NotEquals, "paid"), json!({"status": "new"}), None, true),
        (cond("qty", Op::Greater, "10"), json!({"qty": 11}), None, true),
        (cond("qty", Op::Greater, "10"), json!({"qty": 10}), None, false),
        (cond("qty", Op::Less, "10"), json!({"qty": 9.5}), None, true),
        (cond("amount", Op::MoneyAbove, "5000"), json!({"amount": "5,000.01"}), None, true),
        (cond("amount", Op::MoneyBelow, "100"), json!({"amount": "99.99"}), None, true),
        (cond("amount", Op::MoneyBelow, "100"), json!({"amount": 100}), None, false),
        (cond("note", Op::Contains, "急"), json!({"note": "加急!"}), None, true),
        (cond("note", Op::Contains, "急"), json!({}), None, false),
        (cond("shipped_at", Op::IsEmpty, ""), json!({"shipped_at": null}), None, true),
        (cond("shipped_at", Op::IsEmpty, ""), json!({}), None, true),
        (cond("shipped_at", Op::IsEmpty, ""), json!({"shipped_at": "x"}), None, false),
        (cond("shipped_at", Op::NotEmpty, ""), json!({"shipped_at": ""}), None, false),
        (cond("shipped_at", Op::NotEmpty, ""), json!({"shipped_at": "2026"}), None, true),
        (cond("status", Op::OneOf, "paid，shipped"), json!({"status": "shipped"}), None, true),
        (cond("status", Op::OneOf, "paid,shipped"), json!({"status": "new"}), None, false),
        (cond("t", Op::OlderThanDays, "3"), json!({"t": "2026-06-07T11:00:00Z"}), None, true),
        (cond("t", Op::OlderThanDays, "3"), json!({"t": "2026-06-07T13:00:00Z"}), None, false),
        (cond("t", Op::OlderThanHours, "48"), json!({"t": "2026-06-08T11:00:00Z"}), None, true),
        (cond("s", Op::ChangedTo, "paid"), json!({"s": "paid"}), Some(json!({"s": "new"})), true),
        (cond("s", Op::ChangedTo, "paid"), json!({"s": "paid"}), Some(json!({"s": "paid"})), false),
        (cond("s", Op::ChangedTo, "paid"), json!({"s": "paid"}), None, false),
        (cond("s", Op::ChangedFrom, "paid"), json!({"s": "new"}), Some(json!({"s": "paid"})), true),
        (cond("s", Op::ChangedFrom, "paid"), json!({"s": "new"}), Some(json!({"s": "new"})), false),
    ];
    for (c, data, prev, want) in cases {
        let mut data = data;
        data["buyer"] = json!("alice");
        assert_eq!(
            fires(&with(c.clone()), data.clone(), prev.clone()),
            want,
            "{c:?} {data} {prev:?}"
        );
    }
    let mut n = cond("qty", Op::Equals, "5");
    n.number = true;
    assert!(fires(
        &with(n.clone()),
        json!({"qty": 5, "buyer": "a"}),
        None
    ));
    n.number = false;
    assert!(!fires(&with(n), json!({"qty": 5, "buyer": "a"}), None));
    // any: one is enough; all: every one.
    let mut f = po_form();
    f.conditions = vec![cond("a", Op::Equals, "1"), cond("b", Op::Equals, "1")];
    assert!(!fires(&f, json!({"a": "1", "b": "2", "buyer": "x"}), None));
    f.any = true;
    assert!(fires(&f, json!({"a": "1", "b": "2", "buyer": "x"}), None));
}

#[test]
fn the_task_has_every_section() {
    let engine = build();
    let f = full_form();
    let c = compile(&engine, &render(&f)).unwrap();
    let now = Utc
        .with_ymd_and_hms(2026, 6, 10, 12, 0, 0)
        .single()
        .unwrap();
    let data = json!({"amount": "6000", "buyer": "alice", "owner": "olga", "customer": "ACME"});
    let t = with_context(&Context::stand_in(now), || {
        evaluate_data(&engine, &c, "purchase_order", "PO-9", &data, None)
    })
    .unwrap()
    .task
    .unwrap();
    assert_eq!(t.title, "审批采购单 PO-9 Approve PO PO-9: 6000");
    assert_eq!(t.description, "客户 **ACME**\nline two \"quoted\"");
    assert_eq!(t.priority.as_deref(), Some("high"));
    assert_eq!(t.business_type.as_deref(), Some("purchase_order"));
    assert_eq!(t.nodes[0].handler, "admin");
    assert_eq!(t.nodes[0].action, "看 PO-9");
    assert_eq!(t.nodes[1].handler, "finance");
    assert_eq!(t.watchers, vec!["admin"]);
    assert_eq!(t.editors, vec!["alice", "alice"]);
    assert_eq!(t.on_finish, vec!["admin", "bob"]);
    assert_eq!(t.escalation[1].notify, vec!["admin", "olga"]);
    assert_eq!(t.escalation[1].from.as_deref(), Some("created"));
    assert!(t.auto_close);
}

fn codes(f: &Form) -> Vec<(String, String)> {
    problems(f).into_iter().map(|p| (p.path, p.code)).collect()
}

#[test]
fn problems_are_per_field() {
    let mut f = po_form();
    f.conditions = vec![
        cond("order amount", Op::MoneyAbove, "5000.505"),
        cond("age", Op::OlderThanDays, "-1"),
        cond("qty", Op::Greater, "ten"),
        cond("s", Op::Equals, ""),
    ];
    f.title = " ".into();
    f.nodes[1].handler = Who::DepartmentAdmin(String::new());
    f.due_in_days = "1.5".into();
    f.escalation.push(Escalation {
        after_hours: "1".into(),
        from_created: true,
        notify: vec![],
    });
    f.escalation[0].after_hours = "0".into();
    let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(
        codes(&f),
        vec![
            pair("conditions[0].field", "bad_field"),
            pair("conditions[0].value", "not_money"),
            pair("conditions[1].value", "not_positive_int"),
            pair("conditions[2].value", "not_number"),
            pair("conditions[3].value", "required"),
            pair("title", "required"),
            pair("due_in_days", "not_whole"),
            pair("nodes[1].handler", "no_handler"),
            pair("escalation[0].after_hours", "not_positive_int"),
            pair("escalation[1].notify", "no_handler"),
        ]
    );
    let mut f = po_form();
    f.title = "x ${r.id + 1} `".into();
    f.nodes.clear();
    f.id = "po 1".into();
    f.due_in_days.clear();
    assert_eq!(
        codes(&f),
        vec![
            pair("id", "bad_id"),
            pair("title", "backtick"),
            pair("title", "bad_placeholder"),
            pair("nodes", "no_nodes"),
            pair("escalation[0].from_created", "needs_due"),
        ]
    );
    let mut f = po_form();
    f.conditions = vec![Condition {
        number: true,
        ..cond("q", Op::Equals, "1e3")
    }];
    assert_eq!(codes(&f), vec![pair("conditions[0].value", "not_number")]);
}

#[test]
fn fields_are_observed_with_their_types() {
    let a = json!({"amount": "1", "qty": 2, "shipped_at": null});
    let b = json!({"amount": 5, "qty": 3});
    let seen = fields::observe([&a, &b]);
    let got: Vec<(&str, Vec<&str>, usize)> = seen
        .iter()
        .map(|f| {
            (
                f.name.as_str(),
                f.types.iter().map(String::as_str).collect(),
                f.count,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("amount", vec!["string", "number"], 2),
            ("qty", vec!["number"], 2),
            ("shipped_at", vec!["null"], 1),
        ]
    );
}
