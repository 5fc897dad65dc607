//! Unit tests of `wake.rs` (time terms found in conditions and the wake times
//! derived from them), kept apart so the analysis code reads on its own.

use super::*;
use crate::scenarios::engine::{build, DAY, HOUR};

fn wake(condition: &str) -> Wake {
    let src = format!(
        "fn late(r) {{ days_since(r.x) > 1 }} fn pure(r) {{ r.a == 1 }}
             fn condition(r, prev) {{ {condition} }} fn task(r) {{ #{{}} }}"
    );
    derive(&build().compile(&src).unwrap())
}

fn terms(condition: &str) -> Vec<(String, i64, Cmp, f64)> {
    match wake(condition) {
        Wake::Derived(p) => p
            .terms
            .into_iter()
            .map(|t| (t.field, t.unit, t.cmp, t.threshold))
            .collect(),
        other => panic!("{condition}: {other:?}"),
    }
}

fn one(field: &str, unit: i64, cmp: Cmp, n: f64) -> Vec<(String, i64, Cmp, f64)> {
    vec![(field.to_string(), unit, cmp, n)]
}

#[test]
fn each_shape() {
    assert_eq!(
        terms("days_since(r.since) > 3"),
        one("since", DAY, Cmp::Gt, 3.0)
    );
    assert_eq!(
        terms("days_since(r[\"since\"]) >= 3"),
        one("since", DAY, Cmp::Ge, 3.0)
    );
    assert_eq!(
        terms("hours_since(r.at) > 2.5"),
        one("at", HOUR, Cmp::Gt, 2.5)
    );
    assert_eq!(
        terms("hours_since(r.at) >= 4"),
        one("at", HOUR, Cmp::Ge, 4.0)
    );
    assert_eq!(
        terms("3 < days_since(r.since)"),
        one("since", DAY, Cmp::Gt, 3.0)
    );
    assert_eq!(
        terms("days_since(r.since) < 3"),
        one("since", DAY, Cmp::Lt, 3.0)
    );
    assert_eq!(
        terms("now() - parse_time(r.since) > days(3)"),
        one("since", 1, Cmp::Gt, 259_200.0)
    );
    assert_eq!(
        terms("now() - parse_time(r.since) >= hours(5)"),
        one("since", 1, Cmp::Ge, 18_000.0)
    );
    assert_eq!(
        terms("now() - parse_time(r.since) > 60"),
        one("since", 1, Cmp::Gt, 60.0)
    );
    assert_eq!(
        terms("now() > parse_time(r.since) + days(1)"),
        one("since", 1, Cmp::Gt, 86_400.0)
    );
    assert_eq!(
        terms("now() >= parse_time(r.due)"),
        one("due", 1, Cmp::Ge, 0.0)
    );
}

#[test]
fn combinations_and_parentheses() {
    let t = terms(r#"r.status == "out" && days_since(r.since) > 3"#);
    assert_eq!(t, one("since", DAY, Cmp::Gt, 3.0));
    let t = terms("days_since(r.a) > 3 || hours_since(r.b) > 5");
    assert_eq!(t.len(), 2);
    let t = terms(
        r#"(r.s == "x" && ((days_since(r.a) > 3))) || (r.s == "y" && !(hours_since(r.b) <= 5))"#,
    );
    assert_eq!(t.len(), 2);
    assert_eq!(t[1], ("b".to_string(), HOUR, Cmp::Le, 5.0));
}

#[test]
fn other_shapes_are_not_derivable() {
    for c in [
        "now() > 5",
        "days_since(r.a) > r.limit",
        "days_since(prev.a) > 3",
        "let d = days_since(r.a); d > 3",
        "days_since(r.a).to_int() > 3",
        "r.a.days_since() > 3",
        "late(r)",
        "now() - parse_time(r.a) > days(r.n)",
        "days_since(r.a) * 2 > 3",
        r#"r.status == "x" && now() > parse_time(r.since) + days(r.grace)"#,
    ] {
        assert_eq!(wake(c), Wake::Underivable, "{c}");
    }
    assert_eq!(wake("r.a == 1 && pure(r)"), Wake::Untimed);
    let given = "fn condition(r, prev) { now() > 1 } fn task(r) { #{} } fn wake_at(r) { () }";
    assert_eq!(derive(&build().compile(given).unwrap()), Wake::Given);
}

fn plan(condition: &str) -> WakePlan {
    match wake(condition) {
        Wake::Derived(p) => p,
        other => panic!("{other:?}"),
    }
}

fn at(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(s, 0).single().unwrap()
}

#[test]
fn crossings_are_the_first_second_a_term_flips() {
    let start = 1_700_000_000;
    let field = |_: &str| Dynamic::from(start);
    let p = plan("days_since(r.a) > 3");
    assert_eq!(p.crossings(field, at(start)), vec![at(start + 3 * DAY + 1)]);
    let p = plan("days_since(r.a) >= 3");
    assert_eq!(p.crossings(field, at(start)), vec![at(start + 3 * DAY)]);
    let p = plan("hours_since(r.a) > 0.5");
    assert_eq!(p.crossings(field, at(start)), vec![at(start + 1801)]);
    let p = plan("now() - parse_time(r.a) > hours(2) || days_since(r.a) < 1");
    assert_eq!(
        p.crossings(field, at(start)),
        vec![at(start + DAY), at(start + 2 * HOUR + 1)]
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
    );
    // Passed already, or the field is not a time: nothing ahead.
    assert!(p.crossings(field, at(start + 2 * DAY)).is_empty());
    assert!(p.crossings(|_| Dynamic::UNIT, at(start)).is_empty());
    let text = |_: &str| Dynamic::from("2026-01-02 00:00:00");
    assert_eq!(
        plan("days_since(r.a) > 1").crossings(text, at(0)),
        vec![at(1_767_312_000 + DAY + 1)]
    );
}

#[test]
fn a_boundary_agrees_with_the_script_arithmetic() {
    for (threshold, cmp) in [
        (3.0, Cmp::Gt),
        (3.0, Cmp::Ge),
        (0.1, Cmp::Gt),
        (2.7, Cmp::Le),
    ] {
        let t = Term {
            field: "a".into(),
            unit: DAY,
            cmp,
            threshold,
        };
        let b = t.boundary().unwrap();
        assert_ne!(t.holds(b), t.holds(b - 1), "{threshold} {cmp:?}");
    }
}
