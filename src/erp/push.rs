//! The push path: a batch of ERP records stored together with what their scenarios
//! did, in one durable write.

use chrono::{DateTime, Utc};

use super::ingest::{self, Incoming};
use crate::error::{ServiceError, ServiceResult};
use crate::scenarios::apply::{apply_in, count_in, needs_write, prepare, Report};
use crate::scenarios::engine::Context;
use crate::scenarios::registry::Scenarios;
use crate::scenarios::run::{evaluate_records, quarantine_in, quarantine_verdicts};
use crate::scenarios::slots::ScriptSlot;
use crate::store::Store;

/// Pushed records, stored together with their scenarios' effects in one durable write:
/// a crash cannot leave records stored whose tasks were never made (pushing them again
/// would find them unchanged). Scripts run before the write, outside the writer lock;
/// a record another batch changed meanwhile makes this batch read and run again.
///
/// `slot`, when given, is the place in the script queue the caller waited for
/// (`ScriptSlots`); it is released as soon as the scripts have run, before the write.
pub fn push(
    store: &Store,
    scenarios: &Scenarios,
    batch: Vec<Incoming>,
    slot: Option<ScriptSlot>,
    now: DateTime<Utc>,
) -> ServiceResult<Pushed> {
    let mut batch = batch;
    let mut slot = slot;
    let mut attempt = 0;
    let mut unchanged_before = 0;
    loop {
        attempt += 1;
        let ingest::Plan {
            mut changed,
            replaces,
            superseded,
            unchanged,
        } = ingest::plan(store, batch, now)?;
        let set = scenarios.current();
        let mut quarantines = Vec::new();
        let (effects, mut report) = if changed.iter().any(|r| set.contains_key(&r.kind)) {
            let ctx = Context::load(store, now)?;
            let (results, usage) = evaluate_records(&set.engine, &set, &ctx, &mut changed);
            quarantines = quarantine_verdicts(scenarios, &ctx, usage);
            let (prepared, report) = prepare(store, &ctx, results, now);
            let needed = needs_write(store, &prepared)?;
            (needed.then_some(prepared), report)
        } else {
            (None, Report::default())
        };
        drop(slot.take());
        let outcome = store.write(|tx| {
            ingest::write(tx, &mut changed, &replaces, superseded)?;
            if let Some(prepared) = effects {
                apply_in(tx, prepared, &mut report, now)?;
            }
            count_in(tx, &report, now)?;
            quarantine_in(tx, &quarantines, now)?;
            Ok::<_, ServiceError>(())
        });
        if outcome.is_ok() && !quarantines.is_empty() {
            report.quarantined = quarantines.iter().map(|q| q.key.clone()).collect();
            scenarios.reload(store)?;
        }
        match outcome {
            Ok(()) => {
                return Ok(Pushed {
                    new: changed.iter().filter(|r| r.version == 1).count(),
                    stored: changed.len(),
                    unchanged: unchanged_before + unchanged,
                    report,
                })
            }
            Err(ServiceError::Conflict(why)) if attempt < 3 => {
                tracing::debug!(%why, attempt, "records changed while the batch ran; again");
                unchanged_before += unchanged;
                batch = changed.into_iter().map(Incoming::from).collect();
            }
            Err(e) => return Err(e),
        }
    }
}

/// What a push stored and what its scenarios did.
#[derive(Debug, Clone, Default)]
pub struct Pushed {
    /// Records new or changed.
    pub stored: usize,
    /// Of those, records seen for the first time.
    pub new: usize,
    pub unchanged: usize,
    pub report: Report,
}
