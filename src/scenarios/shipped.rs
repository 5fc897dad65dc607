//! The example scenarios in `rules/`, built into the binary so a new data directory
//! starts with them.

use chrono::{DateTime, Utc};

use super::admin::save;
use super::registry::Scenarios;
use super::Scenario;
use crate::actor::Actor;
use crate::error::ServiceResult;
use crate::store::Store;

pub const SHIPPED: &[(&str, &str)] = &[
    (
        "order_out_of_stock.rhai",
        include_str!("../../rules/order_out_of_stock.rhai"),
    ),
    (
        "po_over_5000.rhai",
        include_str!("../../rules/po_over_5000.rhai"),
    ),
    (
        "stock_below_safety.rhai",
        include_str!("../../rules/stock_below_safety.rhai"),
    ),
    (
        "order_paid_not_shipped.rhai",
        include_str!("../../rules/order_paid_not_shipped.rhai"),
    ),
    (
        "shipment_tracking_stale.rhai",
        include_str!("../../rules/shipment_tracking_stale.rhai"),
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
    for (_, source) in SHIPPED {
        save(store, scenarios, &Actor::system(), source, now)?;
    }
    Ok(SHIPPED.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::erp::ingest::validate;
    use crate::erp::ErpRecord;
    use crate::scenarios::engine::{build, with_context, Context};
    use crate::scenarios::eval::evaluate;
    use crate::scenarios::script::compile;

    /// Every case in `rules/fixtures.json` fires, or stays quiet, as it says.
    #[test]
    fn shipped_rules_fire_and_stay_quiet_as_their_fixtures_say() {
        let fixtures: serde_json::Value =
            serde_json::from_str(include_str!("../../rules/fixtures.json")).unwrap();
        let now = DateTime::parse_from_rfc3339(fixtures["now"].as_str().unwrap())
            .unwrap()
            .with_timezone(&Utc);
        let engine = build();
        let compiled: Vec<_> = SHIPPED
            .iter()
            .map(|(name, src)| compile(&engine, src).unwrap_or_else(|e| panic!("{name}: {e}")))
            .collect();
        let ctx = Context::stand_in(now);
        let mut fired = std::collections::HashSet::new();
        for case in fixtures["cases"].as_array().unwrap() {
            let key = case["scenario"].as_str().unwrap();
            let c = compiled
                .iter()
                .find(|c| c.key == key)
                .unwrap_or_else(|| panic!("no scenario {key}"));
            let inc = validate(&mut case["record"].clone()).unwrap();
            let rec = ErpRecord {
                id: 0,
                rev: 0,
                kind: inc.kind,
                record_id: inc.record_id.clone(),
                version: 1,
                data: inc.data,
                previous: None,
                occurred_at: None,
                received_at: now,
            };
            let ev = with_context(&ctx, || evaluate(&engine, c, &rec))
                .unwrap_or_else(|e| panic!("{key} on {}: {e}", rec.record_id));
            let want = case["fires"].as_bool().unwrap();
            assert_eq!(ev.task.is_some(), want, "{key} on {}", rec.record_id);
            if let Some(t) = ev.task {
                assert!(!t.title.is_empty() && !t.nodes.is_empty());
                assert!(
                    t.nodes.iter().all(|n| n.handler == "admin"),
                    "falls back to the company admin"
                );
                fired.insert(key.to_string());
            }
        }
        assert_eq!(
            fired.len(),
            SHIPPED.len(),
            "every shipped scenario has a firing fixture"
        );
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
