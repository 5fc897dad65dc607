//! Running one scenario against one record.

use chrono::{DateTime, TimeZone, Utc};
use rhai::{CallFnOptions, Dynamic, Engine, Scope};

use std::cell::OnceCell;

use super::engine::{context_now, record_map, reset_deadline};
use super::fast_path::{Record, Wake};
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

/// Runs one script function in rhai, with a fresh deadline.
fn call(
    engine: &Engine,
    c: &Compiled,
    name: &str,
    args: impl rhai::FuncArgs,
) -> Result<Dynamic, ScriptError> {
    reset_deadline(&c.key);
    let opts = CallFnOptions::new().eval_ast(false).rewind_scope(true);
    engine
        .call_fn_with_options::<Dynamic>(opts, &mut Scope::new(), &c.ast, name, args)
        .map_err(|e| c.locate(name, ScriptError::from(e)))
}

/// A record as scenarios see it, shared by every scenario watching its kind.
///
/// The script maps are built only when a scenario needs rhai (its `task`, or a
/// condition outside the fast path's shapes), once, with the fields any of those
/// scenarios reads. They are shared values, so passing them to a script function
/// copies a pointer, not the map.
pub struct ScriptRecord<'a> {
    rec: Record<'a>,
    fields: &'a Fields,
    maps: OnceCell<(Dynamic, Dynamic)>,
}

impl<'a> ScriptRecord<'a> {
    /// `fields`: what the scenarios that will see this view read (`Fields::All` when
    /// unsure; fewer fields only make the conversion cheaper).
    pub fn new(
        kind: &'a str,
        id: &'a str,
        data: &'a serde_json::Value,
        previous: Option<&'a serde_json::Value>,
        fields: &'a Fields,
    ) -> Self {
        ScriptRecord {
            rec: Record {
                kind,
                id,
                data,
                previous,
            },
            fields,
            maps: OnceCell::new(),
        }
    }

    pub fn of(rec: &'a ErpRecord, fields: &'a Fields) -> Self {
        Self::new(
            &rec.kind,
            &rec.record_id,
            &rec.data,
            rec.previous.as_ref(),
            fields,
        )
    }

    /// `r` and `prev` as script maps.
    fn maps(&self) -> &(Dynamic, Dynamic) {
        self.maps.get_or_init(|| {
            let Record {
                kind,
                id,
                data,
                previous,
            } = self.rec;
            let r = record_map(kind, id, data, self.fields).into_shared();
            let prev = match previous {
                Some(p) => record_map(kind, id, p, self.fields).into_shared(),
                None => Dynamic::UNIT,
            };
            (r, prev)
        })
    }
}

/// Evaluates `c` for `rec`. Call inside `engine::with_context`.
pub fn evaluate(engine: &Engine, c: &Compiled, rec: &ErpRecord) -> Result<Evaluation, ScriptError> {
    evaluate_prepared(engine, c, &ScriptRecord::of(rec, &c.fields))
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
        &ScriptRecord::new(kind, record_id, data, previous, &c.fields),
    )
}

/// Only the condition.
pub fn condition(engine: &Engine, c: &Compiled, sr: &ScriptRecord) -> Result<bool, ScriptError> {
    if let (Some(f), Some(now)) = (&c.fast.condition, context_now()) {
        if let Some(hit) = f.condition(&sr.rec, now) {
            return Ok(hit);
        }
    }
    let (r, prev) = sr.maps();
    call(engine, c, "condition", (r.clone(), prev.clone()))?
        .as_bool()
        .map_err(|t| ScriptError::plain(format!("fn condition must return true or false, not {t}")))
}

fn wake_at(
    engine: &Engine,
    c: &Compiled,
    sr: &ScriptRecord,
) -> Result<Option<DateTime<Utc>>, ScriptError> {
    let fast = match (&c.fast.wake_at, context_now()) {
        (Some(f), Some(now)) => f.wake_at(&sr.rec, now),
        _ => None,
    };
    let secs = match fast {
        Some(Wake::Never) => return Ok(None),
        Some(Wake::At(t)) => t,
        None => {
            let w = call(engine, c, "wake_at", (sr.maps().0.clone(),))?;
            if w.is_unit() {
                return Ok(None);
            }
            w.as_int().map_err(|t| {
                ScriptError::plain(format!(
                    "fn wake_at must return a time in seconds or (), not {t}"
                ))
            })?
        }
    };
    Ok(Utc.timestamp_opt(secs, 0).single())
}

pub fn evaluate_prepared(
    engine: &Engine,
    c: &Compiled,
    sr: &ScriptRecord,
) -> Result<Evaluation, ScriptError> {
    let hit = condition(engine, c, sr)?;
    let wake_at = if c.has_wake_at {
        wake_at(engine, c, sr)?
    } else {
        None
    };
    let task = if hit {
        let r = sr.maps().0.clone();
        Some(from_dynamic(&call(engine, c, "task", (r,))?).map_err(ScriptError::plain)?)
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
        Context::clock(Utc::now())
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
        let pruned = ScriptRecord::new("order", "SO-1", &data, None, &reads_status.fields);
        let keys = pruned.maps().0.read_lock::<rhai::Map>().map(|m| m.len());
        assert_eq!(keys, Some(3), "status, id and kind only");
        with_context(&ctx(), || {
            let ev = evaluate_data(&e, &reads_status, "order", "SO-1", &data, None).unwrap();
            assert_eq!(ev.task.unwrap().title, "SO-1 order");
            let ev = evaluate_data(&e, &reads_all, "order", "SO-1", &data, None).unwrap();
            assert!(ev.task.is_some(), "all three fields plus id and kind");
        });
    }
}
