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
    ) -> Result<Self, ScriptError> {
        let r = record_map(kind, record_id, data)
            .map_err(ScriptError::from)?
            .into_shared();
        let prev = match previous {
            Some(p) => record_map(kind, record_id, p)
                .map_err(ScriptError::from)?
                .into_shared(),
            None => Dynamic::UNIT,
        };
        Ok(ScriptRecord { r, prev })
    }

    pub fn of(rec: &ErpRecord) -> Result<Self, ScriptError> {
        Self::new(&rec.kind, &rec.record_id, &rec.data, rec.previous.as_ref())
    }
}

/// Evaluates `c` for `rec`. Call inside `engine::with_context`.
pub fn evaluate(engine: &Engine, c: &Compiled, rec: &ErpRecord) -> Result<Evaluation, ScriptError> {
    evaluate_prepared(engine, c, &ScriptRecord::of(rec)?)
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
        &ScriptRecord::new(kind, record_id, data, previous)?,
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
