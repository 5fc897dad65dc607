//! A hook's mapping: a rhai `fn map(payload, headers)` that returns the records to
//! store. It runs in the scenarios' sandbox (the same operation, depth, size and time
//! limits; no modules, no `eval`, no `sleep`), and its errors carry line and column.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use rhai::{CallFnOptions, Dynamic, Engine, Map, Scope, AST};

use crate::erp::ingest::MAX_BATCH;
use crate::scenarios::engine::{build, with_context, Context};
use crate::scenarios::record::to_dynamic;
use crate::scenarios::script::ScriptError;

/// The longest mapping source accepted.
pub const MAX_SOURCE: usize = 64 * 1024;

/// A compiled mapping, with where its `fn map` starts (for errors rhai reports without
/// a position, such as running out of operations).
#[derive(Debug)]
pub struct Mapping {
    ast: AST,
    at: (usize, usize),
}

/// Compiles `source` and checks that it defines `fn map(payload, headers)`.
pub fn check(source: &str) -> Result<Mapping, ScriptError> {
    compile(&build(), source)
}

fn compile(engine: &Engine, source: &str) -> Result<Mapping, ScriptError> {
    if source.len() > MAX_SOURCE {
        return Err(ScriptError::plain(format!(
            "the mapping is longer than {} KiB",
            MAX_SOURCE / 1024
        )));
    }
    let ast = engine
        .compile(source)
        .map_err(|e| ScriptError::at(e.0.to_string(), e.1))?;
    if !ast
        .iter_functions()
        .any(|f| f.name == "map" && f.params.len() == 2)
    {
        return Err(ScriptError::plain("missing `fn map(payload, headers)`"));
    }
    let at = source
        .lines()
        .enumerate()
        .find_map(|(i, l)| {
            let col = l.find("fn map")?;
            l[..col].trim().is_empty().then_some((i + 1, col + 1))
        })
        .unwrap_or((1, 1));
    Ok(Mapping { ast, at })
}

/// One engine for every hook, and each hook's compiled mapping by its revision, so a
/// delivery does not pay for building the sandbox or parsing the script.
pub struct MapCache {
    engine: Engine,
    compiled: Mutex<HashMap<u64, (u64, Arc<Mapping>)>>,
}

impl Default for MapCache {
    fn default() -> Self {
        MapCache {
            engine: build(),
            compiled: Mutex::new(HashMap::new()),
        }
    }
}

impl MapCache {
    /// The compiled mapping of hook `id` at revision `rev`.
    pub fn get(&self, id: u64, rev: u64, source: &str) -> Result<Arc<Mapping>, ScriptError> {
        // A panic elsewhere while holding the lock leaves a plain map behind: use it.
        let mut cache = self.compiled.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((r, mapping)) = cache.get(&id) {
            if *r == rev {
                return Ok(mapping.clone());
            }
        }
        let mapping = Arc::new(compile(&self.engine, source)?);
        if cache.len() > 1000 {
            cache.clear();
        }
        cache.insert(id, (rev, mapping.clone()));
        Ok(mapping)
    }

    /// Runs a hook's mapping: at most one push batch of records per delivery.
    pub fn run(
        &self,
        mapping: &Mapping,
        payload: &serde_json::Value,
        headers: &[(String, String)],
        now: DateTime<Utc>,
    ) -> Result<Vec<serde_json::Value>, ScriptError> {
        run(&self.engine, mapping, payload, headers, now, MAX_BATCH)
    }

    /// Runs a mapping that may return up to `max` records (a connector's answer is
    /// stored in several batches).
    pub fn run_up_to(
        &self,
        mapping: &Mapping,
        payload: &serde_json::Value,
        headers: &[(String, String)],
        now: DateTime<Utc>,
        max: usize,
    ) -> Result<Vec<serde_json::Value>, ScriptError> {
        run(&self.engine, mapping, payload, headers, now, max)
    }
}

/// Runs the mapping over one payload. `headers` are lower-case names with their text
/// values. The result is one record (a map), a list of at most `max`, or `()` for none.
pub fn run(
    engine: &Engine,
    mapping: &Mapping,
    payload: &serde_json::Value,
    headers: &[(String, String)],
    now: DateTime<Utc>,
    max: usize,
) -> Result<Vec<serde_json::Value>, ScriptError> {
    let mut hs = Map::new();
    for (k, v) in headers {
        hs.insert(k.as_str().into(), Dynamic::from(v.clone()));
    }
    let args = (to_dynamic(payload), Dynamic::from_map(hs));
    let out: Dynamic = with_context(&Context::clock(now), || {
        let mut scope = Scope::new();
        // The top level is not run: a mapping is its function.
        let opts = CallFnOptions::new().eval_ast(false).rewind_scope(true);
        engine.call_fn_with_options::<Dynamic>(opts, &mut scope, &mapping.ast, "map", args)
    })
    .map_err(|e| locate(ScriptError::from(e), mapping))?;
    let items: Vec<Dynamic> = if out.is_unit() {
        vec![]
    } else if out.is_map() {
        vec![out]
    } else if out.is_array() {
        out.into_array().unwrap_or_default()
    } else {
        return Err(locate(
            ScriptError::plain(format!(
                "map must return a record (a map) or a list of records, not {}",
                out.type_name()
            )),
            mapping,
        ));
    };
    if items.len() > max {
        return Err(ScriptError::plain(format!(
            "map returned {} records; at most {max} at a time",
            items.len()
        )));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            rhai::serde::from_dynamic::<serde_json::Value>(&d).map_err(|e| {
                ScriptError::plain(format!("record {i} cannot be turned into JSON: {e}"))
            })
        })
        .collect()
}

/// An error rhai gave without a position (running out of operations, a wrong return
/// value) is placed at `fn map`.
fn locate(mut err: ScriptError, mapping: &Mapping) -> ScriptError {
    if err.line.is_none() {
        err.line = Some(mapping.at.0);
        err.column = Some(mapping.at.1);
        err.message = format!("{} (in fn map)", err.message);
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(src: &str, payload: serde_json::Value) -> Result<Vec<serde_json::Value>, ScriptError> {
        let engine = build();
        let mapping = compile(&engine, src)?;
        run(
            &engine,
            &mapping,
            &payload,
            &[("x-a".into(), "1".into())],
            Utc::now(),
            MAX_BATCH,
        )
    }

    #[test]
    fn one_record_a_list_or_none() {
        let one = map(
            r#"fn map(p, h) { #{ kind: "order", id: p.n, data: #{ h: h["x-a"] } } }"#,
            json!({"n": "A1"}),
        )
        .unwrap();
        assert_eq!(
            one,
            vec![json!({"kind": "order", "id": "A1", "data": {"h": "1"}})]
        );
        let list = map("fn map(p, h) { p }", json!([{"a": 1}, {"b": "00123"}])).unwrap();
        assert_eq!(list, vec![json!({"a": 1}), json!({"b": "00123"})]);
        assert!(map("fn map(p, h) { () }", json!({})).unwrap().is_empty());
    }

    #[test]
    fn errors_have_a_position() {
        let e = map("fn map(p, h) {\n  throw \"not an order\";\n}", json!({})).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.contains("not an order"), "{e}");
        let e = map("fn map(p, h) { 42 }", json!({})).unwrap_err();
        assert!(e.message.contains("list of records"), "{e}");
        let e = check("fn map(p) { 1 }").unwrap_err();
        assert!(e.message.contains("fn map(payload, headers)"));
        let e = check("fn map(p, h) { p. }").unwrap_err();
        assert!(e.line.is_some());
    }

    #[test]
    fn the_sandbox_stops_runaways() {
        let e = map("fn map(p, h) { loop { } }", json!({})).unwrap_err();
        assert!(e.runaway, "{e}");
        let e = map("fn map(p, h) { map(p, h) }", json!({})).unwrap_err();
        assert!(
            e.message.to_lowercase().contains("stack") || e.message.contains("call"),
            "{e}"
        );
        // the top level never runs
        assert!(map("loop {}\nfn map(p, h) { () }", json!({}))
            .unwrap()
            .is_empty());
    }
}
