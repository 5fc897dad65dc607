//! The tick driver: re-evaluates the pairs whose wake time has come.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::apply::{apply, Report};
use super::engine::{with_context, Context};
use super::eval::{evaluate_prepared, with_view};
use super::model::IX_WAKE;
use super::quarantine::Usage;
use super::registry::{Loaded, Scenarios};
use super::run::{budgeted, quarantine_in, quarantine_verdicts};
use super::states::{pair_in, set_pair, PairState, RecordStates};
use crate::erp::ErpRecord;
use crate::error::{ServiceError, ServiceResult};
use crate::store::Store;
use crate::time::time_key;

/// Re-evaluates the (scenario, record) pairs whose wake time has come: conditions that
/// turn true by time passing, and catching up after downtime.
pub fn tick(store: &Store, scenarios: &Scenarios, now: DateTime<Utc>) -> ServiceResult<Report> {
    // Ids of ERP records (their states' wake entries), one entry per distinct time.
    let mut ids = store.ids_by_range(IX_WAKE, &time_key(now))?;
    if ids.is_empty() {
        return Ok(Report::default());
    }
    ids.sort_unstable();
    ids.dedup();
    let set = scenarios.current();
    let mut pairs: Vec<(&Loaded, ErpRecord)> = Vec::new();
    let mut stale: Vec<(u64, String)> = Vec::new();
    for id in ids {
        let Some(states) = store.get::<RecordStates>(id)? else {
            continue;
        };
        let rec = store.get::<ErpRecord>(id)?;
        for (key, pair) in &states.pairs {
            if pair.wake_at.is_none_or(|w| w > now) {
                continue;
            }
            let loaded = rec.as_ref().and_then(|r| {
                set.get(&r.kind)
                    .and_then(|v| v.iter().find(|l| l.compiled.key == *key))
            });
            match (loaded, &rec) {
                (Some(l), Some(r)) => pairs.push((l, r.clone())),
                _ => stale.push((id, key.clone())),
            }
        }
    }
    if !stale.is_empty() {
        // Disabled or deleted scenario, or deleted record: stop waking for it.
        store.write(|tx| {
            for (id, key) in &stale {
                if let Some(pair) = pair_in(tx, *id, key)? {
                    set_pair(
                        tx,
                        *id,
                        key,
                        PairState {
                            wake_at: None,
                            ..pair
                        },
                    )?;
                }
            }
            Ok::<_, ServiceError>(())
        })?;
    }
    let ctx = Context::load(store, now)?;
    let mut usage: HashMap<u64, Usage> = HashMap::new();
    let evaluated = with_context(&ctx, || {
        pairs
            .iter_mut()
            .map(|(l, rec)| {
                budgeted(&mut usage, l, || {
                    with_view(rec, |view| {
                        evaluate_prepared(&set.engine, &l.compiled, view)
                    })
                })
            })
            .collect::<Vec<_>>()
    });
    let results = pairs
        .iter()
        .zip(evaluated)
        .map(|((l, rec), result)| (*l, rec, result))
        .collect::<Vec<_>>();
    let quarantines = quarantine_verdicts(scenarios, &ctx, usage);
    let mut report = apply(store, &ctx, results, now)?;
    if !quarantines.is_empty() {
        store.write(|tx| quarantine_in(tx, &quarantines, now))?;
        report.quarantined = quarantines.iter().map(|q| q.key.clone()).collect();
        scenarios.reload(store)?;
    }
    Ok(report)
}
