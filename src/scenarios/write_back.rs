//! A scenario's optional `fn write_back(event, record)`: shapes the body a write-back
//! target receives for one of its tasks' events. Run by the delivery worker when the
//! item is sent (outside any write, in the same sandbox and limits as the other
//! functions); a failure fails that delivery and shows on the scenario.

use chrono::{DateTime, Utc};
use rhai::Dynamic;
use serde_json::Value;

use super::engine::{with_context, Context};
use super::eval::call;
use super::model::Scenario;
use super::registry::Scenarios;
use super::script::{Compiled, ScriptError};
use crate::delivery::write_back::{Shaped, Shaper};
use crate::store::{Store, StoreError};

/// Calls `fn write_back` of `c` (call inside `engine::with_context`): `Ok(None)` for
/// `()`, the map as JSON otherwise.
pub fn run(
    engine: &rhai::Engine,
    c: &Compiled,
    event: &Value,
    record: &Value,
) -> Result<Option<Value>, ScriptError> {
    let to = |v: &Value| {
        rhai::serde::to_dynamic(v).map_err(|e| ScriptError::plain(format!("cannot pass {e}")))
    };
    let out: Dynamic = call(engine, c, "write_back", (to(event)?, to(record)?))?;
    if out.is_unit() {
        return Ok(None);
    }
    if !out.is_map() {
        return Err(c.locate(
            "write_back",
            ScriptError::plain(format!(
                "fn write_back must return a map or (), not {}",
                out.type_name()
            )),
        ));
    }
    rhai::serde::from_dynamic::<Value>(&out)
        .map(Some)
        .map_err(|e| ScriptError::plain(format!("fn write_back returned an unusable map: {e}")))
}

fn record_error(
    store: &Store,
    key: &str,
    e: &ScriptError,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    store.write(|tx| {
        let Some(id) = tx.lookup("scenario_key", key)? else {
            return Ok(());
        };
        let mut s: Scenario = tx.load(id)?;
        let rev = s.rev;
        s.last_error = Some(e.clone());
        s.last_error_at = Some(now);
        tx.update(&mut s, rev)
    })
}

impl Shaper for Scenarios {
    fn shape(
        &self,
        store: &Store,
        scenario: &str,
        event: &Value,
        record: &Value,
        now: DateTime<Utc>,
    ) -> Shaped {
        let set = self.current();
        let Some(l) = set.values().flatten().find(|l| l.compiled.key == scenario) else {
            return Shaped::Default;
        };
        if !l.compiled.has_write_back {
            return Shaped::Default;
        }
        let result = with_context(&Context::clock(now), || {
            run(&set.engine, &l.compiled, event, record)
        });
        match result {
            Ok(Some(body)) => Shaped::Body(body),
            Ok(None) => Shaped::Skip,
            Err(e) => {
                tracing::warn!(scenario, error = %e, "fn write_back failed");
                if let Err(se) = record_error(store, scenario, &e, now) {
                    tracing::error!(scenario, error = %se, "recording the scenario's error failed");
                }
                Shaped::Error(e.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios::engine::build;
    use crate::scenarios::script::compile;
    use serde_json::json;

    const SCRIPT: &str = r#"
const ID = "po";
const WATCHES = "purchase_order";
const WRITE_BACK = "erp";
fn condition(r, prev) { true }
fn task(r) { #{ title: "t", nodes: [#{ handler: "admin" }] } }
fn write_back(event, record) {
    if event.event == "created" { return (); }
    if event.event == "returned" { throw "no returns, please"; }
    #{ po: record.number, status: event.event, by: event.who.username }
}
"#;

    #[test]
    fn shapes_skips_and_fails_with_a_position() {
        let engine = build();
        let c = compile(&engine, SCRIPT).unwrap();
        assert_eq!(c.write_back.as_deref(), Some("erp"));
        assert!(c.has_write_back);
        let rec = json!({"number": "PO-88"});
        let ev = |e: &str| json!({"event": e, "who": {"username": "lily"}});
        let ctx = Context::clock(Utc::now());
        with_context(&ctx, || {
            assert_eq!(
                run(&engine, &c, &ev("finished"), &rec).unwrap(),
                Some(json!({"po": "PO-88", "status": "finished", "by": "lily"}))
            );
            assert_eq!(run(&engine, &c, &ev("created"), &rec).unwrap(), None);
            let e = run(&engine, &c, &ev("returned"), &rec).unwrap_err();
            assert!(e.message.contains("no returns"), "{e}");
            assert_eq!(e.line, Some(9), "{e:?}");
        });
    }
}
