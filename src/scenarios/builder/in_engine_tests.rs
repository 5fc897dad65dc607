//! The rendered script run in the real engine: which records fire it, and the task it
//! makes with every section filled in. Apart from the round trips (`tests.rs`).

use chrono::{TimeZone, Utc};
use serde_json::json;

use super::form::{Condition, Form, Op};
use super::tests::{cond, full_form, po_form};
use super::*;
use crate::scenarios::engine::{build, with_context, Context};
use crate::scenarios::eval::evaluate_data;
use crate::scenarios::script::compile;

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
