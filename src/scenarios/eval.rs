//! Running one scenario against one record.

use chrono::{DateTime, TimeZone, Utc};
use rhai::{CallFnOptions, Dynamic, Engine, ImmutableString, Scope};

use std::sync::Arc;

use super::engine::{at_time, current_now, reset_deadline};
use super::record::LazyRecord;
use super::script::{Compiled, ScriptError};
use super::spec::{from_dynamic, TaskSpec};
use super::wake::{Wake, WakePlan};
use crate::erp::ErpRecord;

#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The task to create when the condition holds.
    pub task: Option<TaskSpec>,
    /// When time alone may change the result.
    pub wake_at: Option<DateTime<Utc>>,
}

/// Runs one script function in rhai, with a fresh deadline.
pub(crate) fn call(
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

/// A record and its previous version as scenarios see them, shared by every scenario
/// watching its kind: passing it to a script function copies a pointer, and a field
/// becomes a script value only when a script reads it ([`LazyRecord`]).
pub struct ScriptRecord {
    record: LazyRecord,
    previous: Option<LazyRecord>,
}

impl ScriptRecord {
    pub fn new(
        kind: &str,
        id: &str,
        data: Arc<serde_json::Value>,
        previous: Option<Arc<serde_json::Value>>,
    ) -> Self {
        let (kind, id) = (ImmutableString::from(kind), ImmutableString::from(id));
        ScriptRecord {
            previous: previous.map(|p| LazyRecord::new(kind.clone(), id.clone(), p)),
            record: LazyRecord::new(kind, id, data),
        }
    }

    /// A view over a copy of `rec`'s data, for callers that only borrow it.
    pub fn copied(rec: &ErpRecord) -> Self {
        Self::new(
            &rec.kind,
            &rec.record_id,
            Arc::new(rec.data.clone()),
            rec.previous.clone().map(Arc::new),
        )
    }

    fn r(&self) -> Dynamic {
        Dynamic::from(self.record.clone())
    }

    fn prev(&self) -> Dynamic {
        self.previous
            .as_ref()
            .map_or(Dynamic::UNIT, |p| Dynamic::from(p.clone()))
    }
}

/// Runs `f` over `rec` as scripts see it. The record lends its data to the view for
/// the call and gets it back after, without a copy (unless a script kept a reference).
pub fn with_view<T>(rec: &mut ErpRecord, f: impl FnOnce(&ScriptRecord) -> T) -> T {
    let data = Arc::new(std::mem::take(&mut rec.data));
    let previous = rec.previous.take().map(Arc::new);
    let view = ScriptRecord::new(&rec.kind, &rec.record_id, data, previous);
    let out = f(&view);
    let ScriptRecord { record, previous } = view;
    rec.data = record.into_data();
    rec.previous = previous.map(LazyRecord::into_data);
    out
}

/// Evaluates `c` for `rec`. Call inside `engine::with_context`.
pub fn evaluate(engine: &Engine, c: &Compiled, rec: &ErpRecord) -> Result<Evaluation, ScriptError> {
    evaluate_prepared(engine, c, &ScriptRecord::copied(rec))
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
        &ScriptRecord::new(
            kind,
            record_id,
            Arc::new(data.clone()),
            previous.cloned().map(Arc::new),
        ),
    )
}

/// Only the condition.
pub fn condition(engine: &Engine, c: &Compiled, sr: &ScriptRecord) -> Result<bool, ScriptError> {
    call(engine, c, "condition", (sr.r(), sr.prev()))?
        .as_bool()
        .map_err(|t| ScriptError::plain(format!("fn condition must return true or false, not {t}")))
}

fn wake_at(
    engine: &Engine,
    c: &Compiled,
    sr: &ScriptRecord,
) -> Result<Option<DateTime<Utc>>, ScriptError> {
    let w = call(engine, c, "wake_at", (sr.r(),))?;
    if w.is_unit() {
        return Ok(None);
    }
    let secs = w.as_int().map_err(|t| {
        ScriptError::plain(format!(
            "fn wake_at must return a time in seconds or (), not {t}"
        ))
    })?;
    Ok(Utc.timestamp_opt(secs, 0).single())
}

/// The first crossing of a time term at which the condition says otherwise than
/// `now` (see `wake`). An error then counts as a change: the tick runs it and records
/// the error.
fn derived_wake(
    engine: &Engine,
    c: &Compiled,
    plan: &WakePlan,
    sr: &ScriptRecord,
    hit: bool,
) -> Option<DateTime<Utc>> {
    let now = current_now()?;
    plan.crossings(|f| sr.record.get(f), now)
        .into_iter()
        .find(|at| at_time(*at, || condition(engine, c, sr)).ok() != Some(hit))
}

pub fn evaluate_prepared(
    engine: &Engine,
    c: &Compiled,
    sr: &ScriptRecord,
) -> Result<Evaluation, ScriptError> {
    let hit = condition(engine, c, sr)?;
    let wake_at = match &c.wake {
        Wake::Given => wake_at(engine, c, sr)?,
        Wake::Derived(plan) => derived_wake(engine, c, plan, sr, hit),
        Wake::Untimed | Wake::Underivable => None,
    };
    let task = if hit {
        Some(from_dynamic(&call(engine, c, "task", (sr.r(),))?).map_err(ScriptError::plain)?)
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

    fn scenario(condition: &str) -> String {
        format!(
            r#"const ID = "t"; const WATCHES = "order";
            fn condition(r, prev) {{ {condition} }}
            fn task(r) {{ #{{ title: `${{r.id}} ${{r.kind}}`, nodes: [] }} }}"#
        )
    }

    /// Conditions that read the record whole or in odd ways see what a map showed them,
    /// with fields read through the indexer and through registered getters alike.
    #[test]
    fn the_lazy_record_reads_as_the_map_it_replaced() {
        let plain = build();
        let mut with_getters = build();
        crate::scenarios::record::register_getters(
            &mut with_getters,
            ["status", "missing", "x", "id", "kind", "items", "addr", "n"].map(String::from),
        );
        for e in [plain, with_getters] {
            lazy_record_cases(&e);
        }
    }

    fn lazy_record_cases(e: &rhai::Engine) {
        let data = serde_json::json!({"status": "late", "amount": "12.50", "n": 3, "x": null,
            "items": [{"sku": "A"}], "addr": {"city": "SZ"}});
        let prev = serde_json::json!({"status": "paid", "id": "own-id"});
        for cond in [
            r#"r.status == "late" && r["status"] == "late" && r.get("status") == "late""#,
            "r.missing == () && r.x == () && r?.missing == ()",
            r#"r.id == "SO-1" && r.kind == "order" && prev.id == "own-id" && prev.kind == "order""#,
            r#"prev?.status == "paid" && prev.status != r.status"#,
            r#"r.items[0].sku == "A" && r.addr.city == "SZ" && r.items.len() == 1"#,
            "r.keys().len() == 8 && r.len() == 8 && r.values().len() == 8 && !r.is_empty()",
            r#""status" in r && "id" in r && !("nope" in r)"#,
            "r == r && r != prev && r.to_map().len() == 8",
            r#"type_of(r) == "record" && r.to_json().contains("\"status\":\"late\"")"#,
            r#"let c = r; c.status = "changed"; c.status == "changed" && r.status == "late""#,
            r#"r.n + 1 == 4 && `${r.status}` == "late" && r.to_string().contains("late")"#,
        ] {
            let c = compile(e, &scenario(cond)).unwrap_or_else(|err| panic!("{cond}: {err}"));
            let ev = with_context(&ctx(), || {
                evaluate_data(e, &c, "order", "SO-1", &data, Some(&prev))
            })
            .unwrap_or_else(|err| panic!("{cond}: {err}"));
            assert!(ev.task.is_some(), "{cond}");
            assert_eq!(ev.task.unwrap().title, "SO-1 order");
        }
        // Without a previous version `prev` is `()`.
        let c = compile(e, &scenario("prev == () && prev?.status == ()")).unwrap();
        let ev = with_context(&ctx(), || {
            evaluate_data(e, &c, "order", "SO-1", &data, None)
        });
        assert!(ev.unwrap().task.is_some());
    }

    /// A derived wake time is the crossing at which the condition changes: when the 3
    /// days are up for an order out of stock, none for a paid one (its time term
    /// crosses too, but the condition stays false), none once the time has passed.
    #[test]
    fn derived_wake_times_wake_only_where_the_condition_changes() {
        let e = build();
        let c = compile(
            &e,
            &scenario(r#"r.status == "out" && days_since(r.since) > 3"#),
        )
        .unwrap();
        assert!(matches!(c.wake, Wake::Derived(_)));
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
        let wake = |status: &str, since: &str| {
            with_context(&Context::clock(now), || {
                evaluate_data(
                    &e,
                    &c,
                    "order",
                    "SO-1",
                    &serde_json::json!({"status": status, "since": since}),
                    None,
                )
            })
            .unwrap()
            .wake_at
        };
        assert_eq!(
            wake("out", "2026-11-27T12:00:00Z"),
            Some(Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 1).unwrap())
        );
        assert_eq!(wake("paid", "2026-11-27T12:00:00Z"), None);
        assert_eq!(wake("out", "2026-11-01T00:00:00Z"), None, "already true");
    }

    /// The view borrows the record's data and gives it back unchanged, also when a
    /// script changed its own copy.
    #[test]
    fn a_view_gives_the_data_back() {
        let e = build();
        let c = compile(&e, &scenario(r#"r.status = "x"; prev.status = "y"; true"#)).unwrap();
        let now = Utc::now();
        let inc = crate::erp::ingest::validate(&mut serde_json::json!(
            {"kind": "order", "id": "SO-1", "data": {"status": "late"}}))
        .unwrap();
        let mut rec = inc.into_record(Some(serde_json::json!({"status": "paid"})), now);
        let ev = with_context(&ctx(), || {
            with_view(&mut rec, |v| evaluate_prepared(&e, &c, v))
        });
        assert!(ev.unwrap().task.is_some());
        assert_eq!(rec.data, serde_json::json!({"status": "late"}));
        assert_eq!(rec.previous, Some(serde_json::json!({"status": "paid"})));
    }
}
