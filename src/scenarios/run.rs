//! Running scenarios over a batch of records within each scenario's time budget, and
//! turning what the batch measured into quarantines (the verdict itself is the pure
//! `quarantine::decide`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rhai::Engine;

use super::engine::{with_context, Context};
use super::eval::{evaluate_prepared, with_view, Evaluation};
use super::model::Scenario;
use super::quarantine::{self, Usage};
use super::registry::{Loaded, Scenarios};
use super::script::ScriptError;
use crate::actor::Actor;
use crate::audit;
use crate::erp::ErpRecord;
use crate::error::ServiceResult;
use crate::store::WriteTx;

/// One evaluation within its scenario's time budget for this batch: skipped once the
/// budget is spent, measured otherwise.
pub(crate) fn budgeted(
    usage: &mut HashMap<u64, Usage>,
    l: &Loaded,
    run: impl FnOnce() -> Result<Evaluation, ScriptError>,
) -> Result<Evaluation, ScriptError> {
    let u = usage.entry(l.id).or_default();
    if u.over_budget() {
        u.skipped += 1;
        return Err(ScriptError::plain(format!(
            "not evaluated: the scenario used its time budget of {} ms for this batch",
            quarantine::BATCH_BUDGET.as_millis()
        )));
    }
    let started = std::time::Instant::now();
    let result = run();
    u.spent += started.elapsed();
    match &result {
        Err(e) if e.runaway => u.runaways += 1,
        _ => u.finished += 1,
    }
    result
}

pub(crate) type Results<'l, 'r> = Vec<(&'l Loaded, &'r ErpRecord, Result<Evaluation, ScriptError>)>;

/// Runs every scenario watching each record's kind, inside one helper context, each
/// within its time budget for the batch. The records lend their data to the scripts
/// while they run (see `with_view`), hence `&mut`.
pub(crate) fn evaluate_records<'l, 'r>(
    engine: &Engine,
    set: &'l HashMap<String, Vec<Loaded>>,
    ctx: &Context,
    records: &'r mut [ErpRecord],
) -> (Results<'l, 'r>, HashMap<u64, Usage>) {
    let mut usage: HashMap<u64, Usage> = HashMap::new();
    let by_index = with_context(ctx, || {
        let mut out = Vec::new();
        for (i, rec) in records.iter_mut().enumerate() {
            let watching = set.get(&rec.kind).map(Vec::as_slice).unwrap_or(&[]);
            if watching.is_empty() {
                continue;
            }
            // One script view of the record for all scenarios watching its kind.
            with_view(rec, |view| {
                for l in watching {
                    let result = budgeted(&mut usage, l, || {
                        evaluate_prepared(engine, &l.compiled, view)
                    });
                    out.push((l, i, result));
                }
            });
        }
        out
    });
    let records: &'r [ErpRecord] = records;
    let out = by_index
        .into_iter()
        .filter_map(|(l, i, result)| records.get(i).map(|rec| (l, rec, result)))
        .collect();
    (out, usage)
}

/// A scenario to switch off, decided from what a batch measured.
pub(crate) struct QuarantineVerdict {
    id: u64,
    pub(crate) key: String,
    reason: String,
    /// Active company admins, told in the inbox.
    admins: Vec<u64>,
}

pub(crate) fn quarantine_verdicts(
    scenarios: &Scenarios,
    ctx: &Context,
    usage: HashMap<u64, Usage>,
) -> Vec<QuarantineVerdict> {
    let verdicts = scenarios.strikes.judge(&usage);
    if verdicts.is_empty() {
        return Vec::new();
    }
    let set = scenarios.current();
    let admins: Vec<u64> = ctx
        .users
        .iter()
        .filter(|u| u.is_active_company_admin())
        .map(|u| u.id)
        .collect();
    verdicts
        .into_iter()
        .map(|(id, reason)| {
            let key = set
                .values()
                .flatten()
                .find(|l| l.id == id)
                .map(|l| l.compiled.key.clone())
                .unwrap_or_else(|| id.to_string());
            tracing::warn!(scenario = %key, %reason, "scenario quarantined");
            QuarantineVerdict {
                id,
                key,
                reason,
                admins: admins.clone(),
            }
        })
        .collect()
}

/// Disables quarantined scenarios with the reason and tells the company admins, in
/// the same write as the batch that showed it.
pub(crate) fn quarantine_in(
    tx: &mut WriteTx<'_>,
    verdicts: &[QuarantineVerdict],
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    for v in verdicts {
        let Some(mut s) = tx.get::<Scenario>(v.id)? else {
            continue;
        };
        if !s.enabled {
            continue;
        }
        let rev = s.rev;
        s.enabled = false;
        s.quarantined = Some(v.reason.clone());
        s.last_error = Some(ScriptError::plain(v.reason.clone()));
        s.last_error_at = Some(now);
        tx.update(&mut s, rev)?;
        audit::record(
            tx,
            &Actor::server(),
            "scenario.quarantine",
            format!("scenario '{}': {}", s.key, v.reason),
            None,
            now,
        )?;
        crate::effects::stage(
            tx,
            &Actor::server(),
            &[crate::effects::events::Event::ScenarioQuarantined {
                name: s.name.clone(),
                reason: v.reason.clone(),
                admins: v.admins.clone(),
            }],
            now,
        )?;
    }
    Ok(())
}
