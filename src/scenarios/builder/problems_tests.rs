//! The per-field problems `validate` finds in a form, and the fields observed in
//! stored records. Apart from the round trips (`tests.rs`).

use serde_json::json;

use super::form::{Condition, Escalation, Form, Op, Who};
use super::tests::{cond, po_form};
use super::*;

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
