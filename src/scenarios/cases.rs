//! Test cases of a scenario: a record (with the version before it and the time, if
//! they matter) and what the scenario should do with it. The same evaluation serves
//! the server (cases run on every save) and `baton rules test DIR` (cases in
//! `NAME.cases.json` beside `NAME.rhai`).

use chrono::{DateTime, Utc};
use rhai::Engine;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::engine::{with_context, Context};
use super::eval::evaluate;
use super::script::Compiled;
use super::spec::TaskSpec;
use crate::erp::ingest::validate;

/// What a case expects. Fields left out are not checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Whether the condition holds, so a task is made.
    pub fires: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Usernames of the node handlers, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handlers: Option<Vec<String>>,
    /// The task's `due_in_days`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_in_days: Option<f64>,
}

/// One case, as stored and as written in `NAME.cases.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseSpec {
    pub name: String,
    /// The record as pushed: `{"kind","id","data"}`.
    #[schema(value_type = Object)]
    pub record: serde_json::Value,
    /// The record's data before this version, for scripts that compare.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub previous: Option<serde_json::Value>,
    /// The time the case is evaluated at (default: the file's `now`, else the time
    /// it runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now: Option<DateTime<Utc>>,
    pub expect: Expect,
}

/// `NAME.cases.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CasesFile {
    /// The time of every case that names none.
    #[serde(default)]
    pub now: Option<DateTime<Utc>>,
    pub cases: Vec<CaseSpec>,
}

impl CasesFile {
    pub fn parse(text: &str) -> Result<CasesFile, String> {
        serde_json::from_str(text).map_err(|e| format!("not a cases file: {e}"))
    }

    /// The cases with the file's `now` written into each that has none, as stored.
    pub fn into_cases(self) -> Vec<CaseSpec> {
        let now = self.now;
        self.cases
            .into_iter()
            .map(|mut c| {
                c.now = c.now.or(now);
                c
            })
            .collect()
    }
}

/// The result of one case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CaseResult {
    pub name: String,
    pub passed: bool,
    /// What the case expects, in words.
    pub expected: String,
    /// What the scenario did, in words.
    pub got: String,
}

pub const MAX_CASES: usize = 200;
const MAX_NAME: usize = 120;

/// Refuses a case that cannot run: no name, a record that is not a record.
pub fn check(case: &CaseSpec) -> Result<(), String> {
    let name = case.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(format!("a case needs a name of 1 to {MAX_NAME} characters"));
    }
    validate(&mut case.record.clone()).map_err(|e| format!("case '{name}': {e}"))?;
    if case.expect.due_in_days.is_some_and(|d| !d.is_finite()) {
        return Err(format!("case '{name}': due_in_days must be a number"));
    }
    Ok(())
}

fn expected_words(e: &Expect) -> String {
    let mut out = vec![if e.fires { "fires" } else { "does not fire" }.to_string()];
    if e.fires {
        if let Some(t) = &e.title {
            out.push(format!("title \"{t}\""));
        }
        if let Some(h) = &e.handlers {
            out.push(format!("handlers [{}]", h.join(", ")));
        }
        if let Some(d) = e.due_in_days {
            out.push(format!("due in {d} days"));
        }
    }
    out.join(", ")
}

fn got_words(e: &Expect, task: &TaskSpec) -> String {
    let mut out = vec!["fires".to_string()];
    if e.title.is_some() {
        out.push(format!("title \"{}\"", task.title));
    }
    if e.handlers.is_some() {
        out.push(format!("handlers [{}]", handlers(task).join(", ")));
    }
    if e.due_in_days.is_some() {
        match task.due_in_days {
            Some(d) => out.push(format!("due in {} days", d.get())),
            None => out.push("no due date".into()),
        }
    }
    out.join(", ")
}

fn handlers(task: &TaskSpec) -> Vec<String> {
    task.nodes.iter().map(|n| n.handler.clone()).collect()
}

fn meets(e: &Expect, task: Option<&TaskSpec>) -> bool {
    match task {
        None => !e.fires,
        Some(t) => {
            e.fires
                && e.title.as_ref().is_none_or(|x| *x == t.title)
                && e.handlers.as_ref().is_none_or(|h| *h == handlers(t))
                && e.due_in_days
                    .is_none_or(|d| t.due_in_days.is_some_and(|got| got.get() == d))
        }
    }
}

/// Runs one case: `ctx` gives the directory (users, departments) and, when the case
/// names no time, the time.
pub fn run(engine: &Engine, c: &Compiled, ctx: &Context, case: &CaseSpec) -> CaseResult {
    let expected = expected_words(&case.expect);
    let result = |passed: bool, got: String| CaseResult {
        name: case.name.clone(),
        passed,
        expected: expected.clone(),
        got,
    };
    let inc = match validate(&mut case.record.clone()) {
        Ok(inc) => inc,
        Err(e) => return result(false, format!("the record is not usable: {e}")),
    };
    let now = case.now.unwrap_or(ctx.now);
    let rec = inc.into_record(case.previous.clone(), now);
    if rec.kind != c.watches {
        return result(
            false,
            format!(
                "the record is a '{}', the scenario watches '{}'",
                rec.kind, c.watches
            ),
        );
    }
    let ctx = Context { now, ..ctx.clone() };
    match with_context(&ctx, || evaluate(engine, c, &rec)) {
        Err(e) => result(false, format!("script error at {e}")),
        Ok(ev) => {
            let passed = meets(&case.expect, ev.task.as_ref());
            let got = match &ev.task {
                None => "does not fire".to_string(),
                Some(t) => got_words(&case.expect, t),
            };
            result(passed, got)
        }
    }
}

/// One line per failed case: `'name': expected …, got …`.
pub fn describe_failures(results: &[CaseResult]) -> String {
    results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| {
            format!(
                "  case '{}': expected {}; got {}",
                r.name, r.expected, r.got
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs every case; the results in the cases' order.
pub fn run_all(
    engine: &Engine,
    c: &Compiled,
    ctx: &Context,
    cases: &[CaseSpec],
) -> Vec<CaseResult> {
    cases.iter().map(|case| run(engine, c, ctx, case)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios::engine::build;
    use crate::scenarios::script::compile;

    const PO: &str = include_str!("../../rules/po_over_5000.rhai");

    fn case(amount: &str, expect: Expect) -> CaseSpec {
        CaseSpec {
            name: format!("PO of {amount}"),
            record: serde_json::json!({"kind": "purchase_order", "id": "PO-1",
                "data": {"status": "open", "amount": amount, "supplier": "S"}}),
            previous: None,
            now: None,
            expect,
        }
    }

    fn fires(fires: bool) -> Expect {
        Expect {
            fires,
            title: None,
            handlers: None,
            due_in_days: None,
        }
    }

    fn run_one(c: &CaseSpec) -> CaseResult {
        let engine = build();
        let compiled = compile(&engine, PO).unwrap();
        run(&engine, &compiled, &Context::stand_in(Utc::now()), c)
    }

    #[test]
    fn fires_or_not_is_checked_both_ways() {
        assert!(run_one(&case("6000", fires(true))).passed);
        assert!(run_one(&case("10", fires(false))).passed);
        let r = run_one(&case("10", fires(true)));
        assert!(!r.passed);
        assert_eq!(
            (r.expected.as_str(), r.got.as_str()),
            ("fires", "does not fire")
        );
        let r = run_one(&case("6000", fires(false)));
        assert_eq!((r.passed, r.got.as_str()), (false, "fires"));
    }

    #[test]
    fn task_fields_are_compared_when_given() {
        let title = "审批采购单 PO-1 Approve PO PO-1: 6000 CNY from S".to_string();
        let good = Expect {
            fires: true,
            title: Some(title.clone()),
            handlers: Some(vec!["admin".into(), "admin".into()]),
            due_in_days: Some(1.0),
        };
        let r = run_one(&case("6000", good.clone()));
        assert!(r.passed, "{r:?}");
        let r = run_one(&case(
            "6000",
            Expect {
                handlers: Some(vec!["zhang".into()]),
                ..good.clone()
            },
        ));
        assert!(!r.passed);
        assert!(r.expected.contains("handlers [zhang]"), "{r:?}");
        assert!(r.got.contains("handlers [admin, admin]"), "{r:?}");
        let r = run_one(&case(
            "6000",
            Expect {
                due_in_days: Some(3.0),
                ..good
            },
        ));
        assert!(!r.passed && r.got.contains("due in 1 days"), "{r:?}");
    }

    #[test]
    fn a_record_of_another_kind_or_a_broken_script_fails_with_the_reason() {
        let mut c = case("6000", fires(true));
        c.record["kind"] = "order".into();
        let r = run_one(&c);
        assert!(
            !r.passed && r.got.contains("watches 'purchase_order'"),
            "{r:?}"
        );
        let engine = build();
        let broken = compile(
            &engine,
            &PO.replace("cents(r.amount) >", "cents(r.nothing) >"),
        )
        .unwrap();
        let r = run(
            &engine,
            &broken,
            &Context::stand_in(Utc::now()),
            &case("6000", fires(true)),
        );
        assert!(!r.passed && r.got.starts_with("script error"), "{r:?}");
    }

    #[test]
    fn a_file_lends_its_now_to_cases_without_one() {
        let f = CasesFile::parse(
            r#"{"now": "2026-06-10T12:00:00Z", "cases": [
                {"name": "a", "record": {"kind": "k", "id": "1", "data": {}}, "expect": {"fires": true}},
                {"name": "b", "record": {"kind": "k", "id": "2", "data": {}}, "now": "2026-01-01T00:00:00Z", "expect": {"fires": false}}]}"#,
        )
        .unwrap();
        let cases = f.into_cases();
        assert_eq!(
            cases[0].now.unwrap().to_rfc3339(),
            "2026-06-10T12:00:00+00:00"
        );
        assert_eq!(
            cases[1].now.unwrap().to_rfc3339(),
            "2026-01-01T00:00:00+00:00"
        );
        assert!(CasesFile::parse(
            r#"{"cases": [{"name": "a", "record": {}, "expect": {"fires": true, "x": 1}}]}"#
        )
        .is_err());
        assert!(check(&cases[0]).is_ok());
        let mut nameless = cases[0].clone();
        nameless.name = " ".into();
        assert!(check(&nameless).is_err());
    }
}
