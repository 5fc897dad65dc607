//! The scenarios' sandbox evaluating the steps' conditions (条件节点): the same engine
//! (operations, call depth, expression depth, sizes, the wall-clock deadline), with the
//! task's custom fields as `fields` and, for a scenario task, its source record as `r`.
//! Installed into the task service (`tasks::conditions`) with the registry.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use rhai::{Dynamic, Engine, Scope};

use super::engine::{build, with_context, Context};
use super::record::to_dynamic;
use super::script::ScriptError;
use crate::flow::Task;

/// A condition is an expression; this bounds its source like a template's text.
pub const MAX_CONDITION: usize = 1_000;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(build)
}

/// Checks that `source` compiles as one rhai expression (when a template or a task is
/// saved); the error says where.
pub fn check(source: &str) -> Result<(), String> {
    if source.chars().count() > MAX_CONDITION {
        return Err(format!(
            "a condition has at most {MAX_CONDITION} characters"
        ));
    }
    engine()
        .compile_expression(source)
        .map(|_| ())
        .map_err(|e| ScriptError::at(e.0.to_string(), e.1).to_string())
}

/// Evaluates one condition for `task` at `now`: true, false, or why it could not be.
pub fn evaluate(task: &Task, source: &str, now: DateTime<Utc>) -> Result<bool, String> {
    let fields = serde_json::Value::Object(
        task.fields
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    );
    let record = task
        .source
        .as_ref()
        .map_or(Dynamic::UNIT, |s| to_dynamic(&s.record));
    let mut scope = Scope::new();
    scope.push_constant("fields", to_dynamic(&fields));
    scope.push_constant("r", record);
    let out = with_context(&Context::clock(now), || {
        engine().eval_expression_with_scope::<Dynamic>(&mut scope, source)
    })
    .map_err(|e| ScriptError::from(e).to_string())?;
    out.as_bool()
        .map_err(|t| format!("the condition must be true or false, not {t}"))
}

struct Rhai;

impl crate::tasks::conditions::Sandbox for Rhai {
    fn check(&self, source: &str) -> Result<(), String> {
        check(source)
    }
    fn evaluate(&self, task: &Task, source: &str, now: DateTime<Utc>) -> Result<bool, String> {
        evaluate(task, source, now)
    }
}

/// Lets the task service evaluate conditions in this sandbox.
pub fn install() {
    crate::tasks::conditions::install(&Rhai);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn task(amount: Option<&str>) -> Task {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
        let mut t = Task::one_step(10, now);
        if let Some(a) = amount {
            t.fields.insert("amount".into(), json!(a));
        }
        t
    }

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
    }

    const GM: &str = r#"cents(fields.amount) > cents("20000")"#;

    #[test]
    fn money_conditions_compare_exactly() {
        assert_eq!(evaluate(&task(Some("20000.01")), GM, at()), Ok(true));
        assert_eq!(evaluate(&task(Some("20000.00")), GM, at()), Ok(false));
        assert_eq!(evaluate(&task(Some("150.00")), GM, at()), Ok(false));
    }

    #[test]
    fn scenario_tasks_read_their_record_as_r() {
        let mut t = task(None);
        t.source = Some(crate::flow::model::TaskSource {
            scenario_id: "s".into(),
            scenario_name: "s".into(),
            scenario_version: 1,
            fired_at: at(),
            record_kind: "order".into(),
            record_id: "1".into(),
            record: json!({"region": "north", "qty": 12}),
            escalations: vec![],
            on_finish: vec![],
            auto_close: false,
            write_back: None,
        });
        assert_eq!(
            evaluate(&t, r#"r.region == "north" && r.qty > 10"#, at()),
            Ok(true)
        );
    }

    #[test]
    fn errors_are_reported_not_taken_as_false() {
        // a missing field: cents(()) fails
        let e = evaluate(&task(None), GM, at()).unwrap_err();
        assert!(e.contains("amount"), "{e}");
        let e = evaluate(&task(Some("1")), "42", at()).unwrap_err();
        assert!(e.contains("true or false"), "{e}");
        // the sandbox's limits hold: a string past its size is stopped
        let e = evaluate(&task(Some("1")), r#""x".pad(100000, "y") == """#, at()).unwrap_err();
        assert!(e.to_lowercase().contains("length"), "{e}");
    }

    #[test]
    fn saving_checks_the_syntax() {
        assert!(check(GM).is_ok());
        let e = check("fields.amount >").unwrap_err();
        assert!(e.starts_with("1:"), "{e}");
        assert!(check(&"1".repeat(MAX_CONDITION + 1)).is_err());
    }

    #[test]
    fn the_gate_names_false_and_failing_steps() {
        install();
        let mut t = task(Some("100"));
        let mut second = t.nodes[0].clone();
        second.id = 2;
        second.state = crate::flow::NodeState::Waiting;
        second.condition = Some(GM.into());
        let mut third = second.clone();
        third.id = 3;
        third.condition = Some("nope(".into());
        t.nodes.push(second);
        t.nodes.push(third);
        let g = crate::tasks::conditions::gate(&t, at());
        assert_eq!(g.skip, vec![2]);
        assert_eq!(g.failed.len(), 1);
        assert_eq!(g.failed[0].0, 3);
    }
}
