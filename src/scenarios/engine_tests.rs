//! Unit tests of the engine builder in `engine.rs` (limits, helpers, time and
//! money parsing), kept apart so the sandbox code reads on its own.

use super::*;

fn run(src: &str) -> Result<Dynamic, Box<EvalAltResult>> {
    let e = build();
    let c = Context {
        now: Utc::now(),
        users: vec![],
        departments: vec![],
        store: None,
        scenario: "t".into(),
    };
    with_context(&c, || e.eval::<Dynamic>(src))
}

#[test]
fn money_is_exact() {
    assert_eq!(run("cents(\"5000.01\")").unwrap().as_int().unwrap(), 500001);
    assert_eq!(run("cents(\"5,000.1\")").unwrap().as_int().unwrap(), 500010);
    assert_eq!(run("cents(5000)").unwrap().as_int().unwrap(), 500000);
    assert_eq!(run("cents(\"-3.5\")").unwrap().as_int().unwrap(), -350);
    assert_eq!(run("cents(\" .07 \")").unwrap().as_int().unwrap(), 7);
    assert!(run("cents(\"99999999999999999999\")").is_err());
    assert!(run("cents(\"1.2.3\")").is_err());
    assert!(run("cents(\"-\")").is_err());
    assert!(run("cents(())").is_err());
    assert!(run("cents(\"12.345\")").is_err());
    assert!(run("cents(\"abc\")").is_err());
    assert!(run("cents(\"5000.01\") > cents(\"5000\")")
        .unwrap()
        .as_bool()
        .unwrap());
}

#[test]
fn sandbox_stops_endless_and_forbidden_things() {
    let endless = run("loop { }").unwrap_err().to_string();
    assert!(
        endless.contains("operations") || endless.contains("time limit"),
        "{endless}"
    );
    assert!(run("fn f(x) { f(x + 1) } f(0)").is_err(), "deep recursion");
    assert!(run("sleep(10)")
        .unwrap_err()
        .to_string()
        .contains("sleep is not allowed"));
    assert!(run("sleep(0.5)")
        .unwrap_err()
        .to_string()
        .contains("sleep is not allowed"));
    assert!(run("eval(\"1\")").is_err());
    assert!(run("import \"x\" as y; 1").is_err());
    assert!(
        run("let s = \"x\"; loop { s += s; }").is_err(),
        "string size"
    );
}

#[test]
fn time_helpers() {
    assert_eq!(parse_time("2026-01-02"), Some(1767312000));
    assert_eq!(parse_time("2026-01-02 00:00:00"), Some(1767312000));
    assert_eq!(parse_time("2026-01-02T08:00:00+08:00"), Some(1767312000));
    assert!(parse_time("soon").is_none());
    let d = run("days_since(now() - days(3))")
        .unwrap()
        .as_float()
        .unwrap();
    assert!((d - 3.0).abs() < 1e-9);
    assert!(run("days_since(\"not a date\")").is_err());
}
