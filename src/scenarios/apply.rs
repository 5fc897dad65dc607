//! Applying evaluations: the tasks they ask for are built first (reads only), then
//! one write makes tasks, updates the per-record states as `decide` says, auto-closes,
//! records errors and counts firings.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::decide::{decide, Change, Prior, Verdict};
use super::engine::Context;
use super::eval::Evaluation;
use super::model::Scenario;
use super::registry::Loaded;
use super::script::ScriptError;
use super::spec_task::{task_from_spec, Projects};
use super::states::{has_pair, pair_in, record_id_in, set_pair};
use crate::actor::Actor;
use crate::erp::ErpRecord;
use crate::error::ServiceResult;
use crate::flow::{Task, TaskStatus};
use crate::org::Role;
use crate::stats::scenario_days;
use crate::store::{Store, StoreError, WriteTx};
use crate::tasks::service::insert;

/// What one run of scenarios (a push or a tick) did.
#[derive(Debug, Default, Clone, Serialize, ToSchema)]
pub struct Report {
    pub evaluated: usize,
    pub tasks_created: usize,
    pub tasks_closed: usize,
    pub errors: usize,
    /// Scenarios this run switched off for running away (their keys).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quarantined: Vec<String>,
    /// What each scenario (by id) did, for its analytics counters.
    #[serde(skip)]
    pub by_scenario: BTreeMap<u64, Tally>,
}

/// One scenario's part of a run, counted into its day's analytics.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub evaluated: u64,
    pub fired: u64,
    pub errors: u64,
}

/// Adds a run's tallies to the scenarios' counters of the day, in the run's write:
/// one value per scenario the run evaluated.
pub(crate) fn count_in(
    tx: &mut WriteTx<'_>,
    report: &Report,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for (id, t) in &report.by_scenario {
        scenario_days::bump(tx, *id, now, |d| {
            d.evaluated = d.evaluated.saturating_add(t.evaluated);
            d.errors = d.errors.saturating_add(t.errors);
            if t.fired > 0 {
                d.fired = d.fired.saturating_add(t.fired);
                d.last_fired_at = Some(now);
            }
        })?;
    }
    Ok(())
}

fn scenario_actor(l: &Loaded) -> Actor {
    Actor {
        user_id: None,
        name: format!("scenario {}", l.compiled.key),
        role: Role::CompanyAdmin,
        department_id: None,
    }
}

/// Finishes a scenario task whose condition cleared: a flow operation by the server,
/// so the flow rules decide and the log and events say what happened.
fn auto_close(tx: &mut WriteTx<'_>, task_id: u64, now: DateTime<Utc>) -> ServiceResult<bool> {
    let Some(mut t) = tx.get::<Task>(task_id)? else {
        return Ok(false);
    };
    let rev = t.rev;
    // The flow rules say whether it may close (open, asked for auto-close); a task
    // that may not is simply left alone.
    let Ok(outcome) = crate::flow::apply::apply(
        &mut t,
        crate::flow::By::Server,
        crate::flow::Op::AutoClose,
        &crate::flow::apply::OpInput::default(),
        now,
    ) else {
        return Ok(false);
    };
    tx.update(&mut t, rev)?;
    let closed = crate::effects::events::FlowChange::new(t, outcome);
    let closed = crate::effects::events::Event::Flowed(Box::new(closed));
    crate::effects::stage(tx, &Actor::server(), &[closed], now)?;
    Ok(true)
}

fn record_error(
    tx: &mut WriteTx<'_>,
    scenario_id: u64,
    e: &ScriptError,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    if let Some(mut s) = tx.get::<Scenario>(scenario_id)? {
        let rev = s.rev;
        s.last_error = Some(e.clone());
        s.last_error_at = Some(now);
        tx.update(&mut s, rev)?;
    }
    Ok(())
}

/// Whether any (scenario, record) pair of the batch has stored state to update.
fn has_state(store: &Store, prepared: &[Prepared<'_>]) -> ServiceResult<bool> {
    for Prepared { l, rec, .. } in prepared {
        if has_pair(store, &l.compiled.key, &rec.kind, &rec.record_id)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// An evaluation with the task it asks for already built (or why it cannot be).
pub(crate) struct Prepared<'a> {
    l: &'a Loaded,
    /// Which record, owned: the records themselves are written in the same transaction.
    rec: RecordKey,
    item: Result<(Evaluation, Option<Result<Task, String>>), ScriptError>,
}

struct RecordKey {
    kind: String,
    record_id: String,
}

pub(crate) fn apply(
    store: &Store,
    ctx: &Context,
    results: Vec<(&Loaded, &ErpRecord, Result<Evaluation, ScriptError>)>,
    now: DateTime<Utc>,
) -> ServiceResult<Report> {
    let (prepared, mut report) = prepare(store, ctx, results, now);
    if !needs_write(store, &prepared)? {
        return Ok(report);
    }
    store.write(|tx| {
        apply_in(tx, prepared, &mut report, now)?;
        count_in(tx, &report, now)?;
        Ok::<_, crate::error::ServiceError>(())
    })?;
    Ok(report)
}

/// Builds the tasks the evaluations ask for, before the write: validation reads the
/// store.
pub(crate) fn prepare<'l>(
    store: &Store,
    ctx: &Context,
    results: Vec<(&'l Loaded, &ErpRecord, Result<Evaluation, ScriptError>)>,
    now: DateTime<Utc>,
) -> (Vec<Prepared<'l>>, Report) {
    let mut report = Report {
        evaluated: results.len(),
        ..Default::default()
    };
    for (l, _, _) in &results {
        report.by_scenario.entry(l.id).or_default().evaluated += 1;
    }
    let projects = Projects::new(store);
    let mut prepared: Vec<Prepared<'_>> = Vec::new();
    for (l, rec, res) in results {
        let item = res.map(|ev| {
            let task = ev
                .task
                .as_ref()
                .map(|spec| task_from_spec(&projects, &ctx.users, l, rec, spec, now));
            (ev, task)
        });
        prepared.push(Prepared {
            l,
            rec: RecordKey {
                kind: rec.kind.clone(),
                record_id: rec.record_id.clone(),
            },
            item,
        });
    }
    (prepared, report)
}

/// Whether applying `prepared` changes anything. The common case does not: no
/// condition holds, nothing waits for a time, and no pair has a state to update.
pub(crate) fn needs_write(store: &Store, prepared: &[Prepared<'_>]) -> ServiceResult<bool> {
    let idle = prepared.iter().all(|Prepared { item, .. }| {
        matches!(
            item,
            Ok((
                Evaluation {
                    task: None,
                    wake_at: None
                },
                None
            ))
        )
    });
    Ok(!idle || has_state(store, prepared)?)
}

/// Applies prepared evaluations: tasks, states, auto-close, errors; what each
/// scenario did goes into `report.by_scenario` for [`count_in`].
pub(crate) fn apply_in(
    tx: &mut WriteTx<'_>,
    prepared: Vec<Prepared<'_>>,
    report: &mut Report,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    for Prepared { l, rec, item } in prepared {
        let (ev, task) = match item {
            Ok(x) => x,
            // `decide` says `ScriptError` for an error whatever the pair was, so its
            // state is not even read.
            Err(e) => {
                tracing::warn!(scenario = %l.compiled.key, record = %rec.record_id, error = %e, "scenario failed");
                record_error(tx, l.id, &e, now)?;
                report.errors += 1;
                report.by_scenario.entry(l.id).or_default().errors += 1;
                continue;
            }
        };
        // The record is stored (or staged, when new) in this write before its
        // scenarios' effects; its states live under its id.
        let erp_id = record_id_in(tx, &rec.kind, &rec.record_id)?;
        let existing = match erp_id {
            Some(id) => pair_in(tx, id, &l.compiled.key)?,
            None => None,
        };
        let mut st = existing.unwrap_or_default();
        let open = match st.open_task {
            Some(id) => tx.get::<Task>(id)?.filter(|t| t.status == TaskStatus::Open),
            None => None,
        };
        let verdict = match &task {
            None => Verdict::Miss,
            Some(Ok(_)) => Verdict::Hit,
            Some(Err(_)) => Verdict::HitUnbuildable,
        };
        let prior = match &existing {
            None => Prior::Absent,
            Some(s) if s.active => Prior::Active,
            Some(_) => Prior::Inactive,
        };
        match decide(prior, open.is_some(), verdict) {
            Change::CreateTask => {
                if let Some(Ok(mut t)) = task {
                    let id = insert(tx, &mut t, &scenario_actor(l), now)?;
                    st.open_task = Some(id);
                    report.by_scenario.entry(l.id).or_default().fired += 1;
                    report.tasks_created += 1;
                }
                st.active = true;
            }
            Change::TaskError => {
                if let Some(Err(msg)) = task {
                    // The task `fn task` asked for: its error points there.
                    let e = l.compiled.locate("task", ScriptError::plain(msg));
                    record_error(tx, l.id, &e, now)?;
                    report.errors += 1;
                    report.by_scenario.entry(l.id).or_default().errors += 1;
                }
                continue; // the pair stays: it is tried again on the next change
            }
            Change::StayActive => st.active = true,
            Change::CloseTask => {
                if let Some(t) = &open {
                    if auto_close(tx, t.id, now)? {
                        report.tasks_closed += 1;
                    }
                }
                st.active = false;
            }
            Change::StayInactive => st.active = false,
            // Script errors were handled above, before reading the pair's state.
            Change::ScriptError => continue,
        }
        st.wake_at = ev.wake_at.filter(|w| *w > now);
        // A pair that is inactive, has no task and no wake time needs no state:
        // absent means exactly that, and most records of a batch are such pairs.
        let changed = match existing {
            Some(old) => old != st,
            None => !st.is_empty(),
        };
        if let (true, Some(id)) = (changed, erp_id) {
            set_pair(tx, id, &l.compiled.key, st)?;
        }
    }
    Ok(())
}
