//! Running one scenario against one record.

use chrono::{DateTime, TimeZone, Utc};
use rhai::{CallFnOptions, Dynamic, Engine, Scope};

use super::engine::{record_map, reset_deadline};
use super::fields::Fields;
use super::script::{Compiled, ScriptError};
use super::spec::{from_dynamic, TaskSpec};
use crate::erp::ErpRecord;

#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The task to create when the condition holds.
    pub task: Option<TaskSpec>,
    /// When time alone may change the result.
    pub wake_at: Option<DateTime<Utc>>,
}

fn call(
    engine: &Engine,
    c: &Compiled,
    name: &str,
    args: impl rhai::FuncArgs,
) -> Result<Dynamic, ScriptError> {
    let opts = CallFnOptions::new().eval_ast(false).rewind_scope(true);
    engine
        .call_fn_with_options::<Dynamic>(opts, &mut Scope::new(), &c.ast, name, args)
        .map_err(|e| {
            let mut err = ScriptError::from(e);
            if err.line.is_none() {
                if let Some((_, line, col)) = c.fn_lines.iter().find(|(n, _, _)| n == name) {
                    err.line = Some(*line);
                    err.column = Some(*col);
                    err.message = format!("{} (in fn {name})", err.message);
                }
            }
            err
        })
}

/// A record as scripts see it, built once and shared by every scenario watching its
/// kind. The maps are shared values, so passing them to a script function copies a
/// pointer, not the map.
pub struct ScriptRecord {
    pub r: Dynamic,
    pub prev: Dynamic,
}

impl ScriptRecord {
    pub fn new(
        kind: &str,
        record_id: &str,
        data: &serde_json::Value,
        previous: Option<&serde_json::Value>,
        fields: &Fields,
    ) -> Result<Self, ScriptError> {
        let r = record_map(kind, record_id, data, fields)
            .map_err(ScriptError::from)?
            .into_shared();
        let prev = match previous {
            Some(p) => record_map(kind, record_id, p, fields)
                .map_err(ScriptError::from)?
                .into_shared(),
            None => Dynamic::UNIT,
        };
        Ok(ScriptRecord { r, prev })
    }

    /// `fields`: what the scenarios that will see this view read (`Fields::All` when
    /// unsure; fewer fields only make the conversion cheaper).
    pub fn of(rec: &ErpRecord, fields: &Fields) -> Result<Self, ScriptError> {
        Self::new(
            &rec.kind,
            &rec.record_id,
            &rec.data,
            rec.previous.as_ref(),
            fields,
        )
    }
}

/// Evaluates `c` for `rec`. Call inside `engine::with_context`.
pub fn evaluate(engine: &Engine, c: &Compiled, rec: &ErpRecord) -> Result<Evaluation, ScriptError> {
    evaluate_prepared(engine, c, &ScriptRecord::of(rec, &c.fields)?)
}

pub fn evaluate_data(
    engine: &Engine,
    c: &Compiled,
    kind: &str,
    record_id: &str,
    data: &serde_json::Value,
    previous: Option<&serde_json::Value>,
) -> Result<Evaluation, ScriptError> {
    evaluate_prepared(
        engine,
        c,
        &ScriptRecord::new(kind, record_id, data, previous, &c.fields)?,
    )
}

/// Only the condition.
pub fn condition(engine: &Engine, c: &Compiled, sr: &ScriptRecord) -> Result<bool, ScriptError> {
    reset_deadline(&c.key);
    call(engine, c, "condition", (sr.r.clone(), sr.prev.clone()))?
        .as_bool()
        .map_err(|t| ScriptError::plain(format!("fn condition must return true or false, not {t}")))
}

pub fn evaluate_prepared(
    engine: &Engine,
    c: &Compiled,
    sr: &ScriptRecord,
) -> Result<Evaluation, ScriptError> {
    let hit = condition(engine, c, sr)?;
    let wake_at = if c.has_wake_at {
        let w = call(engine, c, "wake_at", (sr.r.clone(),))?;
        if w.is_unit() {
            None
        } else {
            let secs = w.as_int().map_err(|t| {
                ScriptError::plain(format!(
                    "fn wake_at must return a time in seconds or (), not {t}"
                ))
            })?;
            Utc.timestamp_opt(secs, 0).single()
        }
    } else {
        None
    };
    let task = if hit {
        Some(from_dynamic(&call(engine, c, "task", (sr.r.clone(),))?).map_err(ScriptError::plain)?)
    } else {
        None
    };
    Ok(Evaluation { task, wake_at })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios::engine::{build, with_context, Context};
    use crate::scenarios::script::compile;

    fn ctx() -> Context {
        Context {
            now: Utc::now(),
            users: vec![],
            departments: vec![],
            store: None,
            scenario: String::new(),
        }
    }

    /// A script sees the fields it reads; one that looks at the whole record gets it.
    #[test]
    fn records_are_converted_as_far_as_scripts_read() {
        let e = build();
        let data = serde_json::json!({"status": "late", "amount": "12.50", "note": "x"});
        let reads_status = compile(
            &e,
            r#"const ID = "a"; const WATCHES = "order";
            fn condition(r, prev) { r.status == "late" }
            fn task(r) { #{ title: `${r.id} ${r.kind}`, nodes: [] } }"#,
        )
        .unwrap();
        let reads_all = compile(
            &e,
            r#"const ID = "b"; const WATCHES = "order";
            fn condition(r, prev) { r.keys().len() == 5 }
            fn task(r) { #{ title: "t", nodes: [] } }"#,
        )
        .unwrap();
        let pruned = ScriptRecord::new("order", "SO-1", &data, None, &reads_status.fields).unwrap();
        let keys = pruned.r.read_lock::<rhai::Map>().map(|m| m.len());
        assert_eq!(keys, Some(3), "status, id and kind only");
        with_context(&ctx(), || {
            let ev = evaluate_data(&e, &reads_status, "order", "SO-1", &data, None).unwrap();
            assert_eq!(ev.task.unwrap().title, "SO-1 order");
            let ev = evaluate_data(&e, &reads_all, "order", "SO-1", &data, None).unwrap();
            assert!(ev.task.is_some(), "all three fields plus id and kind");
        });
    }
}
