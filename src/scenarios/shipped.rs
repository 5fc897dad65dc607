//! The example scenarios in `rules/`, built into the binary so a new data directory
//! starts with them, each with its test cases.

use chrono::{DateTime, Utc};

use super::admin::{save_with, SaveOptions};
use super::cases::CasesFile;
use super::registry::Scenarios;
use super::Scenario;
use crate::actor::Actor;
use crate::error::{ServiceError, ServiceResult};
use crate::store::Store;

/// (file name, script, its `NAME.cases.json`).
pub const SHIPPED: &[(&str, &str, &str)] = &[
    (
        "order_out_of_stock.rhai",
        include_str!("../../rules/order_out_of_stock.rhai"),
        include_str!("../../rules/order_out_of_stock.cases.json"),
    ),
    (
        "po_over_5000.rhai",
        include_str!("../../rules/po_over_5000.rhai"),
        include_str!("../../rules/po_over_5000.cases.json"),
    ),
    (
        "stock_below_safety.rhai",
        include_str!("../../rules/stock_below_safety.rhai"),
        include_str!("../../rules/stock_below_safety.cases.json"),
    ),
    (
        "order_paid_not_shipped.rhai",
        include_str!("../../rules/order_paid_not_shipped.rhai"),
        include_str!("../../rules/order_paid_not_shipped.cases.json"),
    ),
    (
        "shipment_tracking_stale.rhai",
        include_str!("../../rules/shipment_tracking_stale.rhai"),
        include_str!("../../rules/shipment_tracking_stale.cases.json"),
    ),
];

/// Installs the shipped scenarios when the data directory has none.
pub fn install_if_empty(
    store: &Store,
    scenarios: &Scenarios,
    now: DateTime<Utc>,
) -> ServiceResult<usize> {
    if !store.list::<Scenario>()?.is_empty() {
        return Ok(0);
    }
    for (name, source, cases) in SHIPPED {
        let cases = CasesFile::parse(cases)
            .map_err(|e| ServiceError::Internal(format!("{name}: {e}")))?
            .into_cases();
        let opts = SaveOptions {
            comment: "shipped with Baton".into(),
            save_anyway: true,
            author: Some(format!("cli:{name}")),
            cases: Some(cases),
        };
        save_with(store, scenarios, &Actor::system(), source, opts, now)?;
    }
    Ok(SHIPPED.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::erp::ingest::validate;
    use crate::scenarios::cases::run_all;
    use crate::scenarios::engine::{build, with_context, Context};
    use crate::scenarios::eval::evaluate;
    use crate::scenarios::script::compile;

    /// Every case in `rules/NAME.cases.json` passes, every scenario has one that fires,
    /// and handlers fall back to the company admin.
    #[test]
    fn shipped_rules_pass_their_cases() {
        let engine = build();
        let ctx = Context::stand_in(Utc::now());
        for (name, src, cases) in SHIPPED {
            let c = compile(&engine, src).unwrap_or_else(|e| panic!("{name}: {e}"));
            let specs = CasesFile::parse(cases)
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .into_cases();
            let results = run_all(&engine, &c, &ctx, &specs);
            let failed: Vec<_> = results.iter().filter(|r| !r.passed).collect();
            assert!(failed.is_empty(), "{name}: {failed:?}");
            let firing: Vec<_> = specs.iter().filter(|s| s.expect.fires).collect();
            assert!(!firing.is_empty(), "{name} has no case that fires");
            for spec in firing {
                let inc = validate(&mut spec.record.clone()).unwrap();
                let rec = inc.into_record(None, spec.now.unwrap());
                let ctx = Context::stand_in(spec.now.unwrap());
                let t = with_context(&ctx, || evaluate(&engine, &c, &rec))
                    .unwrap()
                    .task
                    .unwrap();
                assert!(!t.title.is_empty() && !t.nodes.is_empty());
                assert!(
                    t.nodes.iter().all(|n| n.handler == "admin"),
                    "falls back to the company admin"
                );
            }
        }
    }

    #[test]
    fn time_conditions_say_when_to_look_again() {
        let engine = build();
        let c = compile(&engine, SHIPPED[0].1).unwrap();
        let now = Utc::now();
        let since = (now - chrono::Duration::days(1)).to_rfc3339();
        let inc = validate(&mut serde_json::json!({"kind": "order", "id": "SO-1", "data": {"status": "out_of_stock", "sku": "X", "out_of_stock_since": since}})).unwrap();
        let rec = inc.into_record(None, now);
        let ctx = Context::clock(now);
        let ev = with_context(&ctx, || evaluate(&engine, &c, &rec)).unwrap();
        assert!(ev.task.is_none());
        let wake = ev.wake_at.unwrap();
        assert!(
            (wake - (now + chrono::Duration::days(2)))
                .num_seconds()
                .abs()
                <= 2
        );
    }
}
