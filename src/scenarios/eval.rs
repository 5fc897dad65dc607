//! Running one scenario against one record.

use chrono::{DateTime, TimeZone, Utc};
use rhai::{CallFnOptions, Dynamic, Engine, Scope};

use super::engine::{record_map, reset_deadline};
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

/// Evaluates `c` for `rec`. Call inside `engine::with_context`.
pub fn evaluate(engine: &Engine, c: &Compiled, rec: &ErpRecord) -> Result<Evaluation, ScriptError> {
    evaluate_data(
        engine,
        c,
        &rec.kind,
        &rec.record_id,
        &rec.data,
        rec.previous.as_ref(),
    )
}

pub fn evaluate_data(
    engine: &Engine,
    c: &Compiled,
    kind: &str,
    record_id: &str,
    data: &serde_json::Value,
    previous: Option<&serde_json::Value>,
) -> Result<Evaluation, ScriptError> {
    reset_deadline(&c.key);
    let r = record_map(kind, record_id, data).map_err(ScriptError::from)?;
    let prev = match previous {
        Some(p) => record_map(kind, record_id, p).map_err(ScriptError::from)?,
        None => Dynamic::UNIT,
    };
    let hit = call(engine, c, "condition", (r.clone(), prev))?;
    let hit = hit.as_bool().map_err(|t| {
        ScriptError::plain(format!("fn condition must return true or false, not {t}"))
    })?;
    let wake_at = if c.has_wake_at {
        let w = call(engine, c, "wake_at", (r.clone(),))?;
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
        Some(from_dynamic(&call(engine, c, "task", (r,))?).map_err(ScriptError::plain)?)
    } else {
        None
    };
    Ok(Evaluation { task, wake_at })
}
