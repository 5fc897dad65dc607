//! Trying a script before it runs for real: a dry run on one record and a preview
//! over the stored ones. Nothing here is stored; apart from the CRUD (`crud.rs`)
//! because it runs scripts over records, with a time budget.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::script_error;
use crate::actor::Actor;
use crate::erp::ingest;
use crate::error::{ServiceError, ServiceResult};
use crate::org::policy::{require_company_admin, CompanyArea};
use crate::scenarios::engine::{with_context, Context};
use crate::scenarios::eval::{evaluate_data, evaluate_prepared, with_view, Evaluation};
use crate::scenarios::quarantine;
use crate::scenarios::registry::{Loaded, Scenarios};
use crate::scenarios::script::{compile, ScriptError};
use crate::scenarios::spec::TaskSpec;
use crate::scenarios::spec_task::{task_from_spec, Projects};
use crate::scenarios::wake::WakeSource;
use crate::store::Store;

/// A record for a dry run: pasted, or a stored one by kind and id.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DryRunRequest {
    pub source: String,
    /// A pasted record: `{"kind","id","data",…}` — `previous` optional.
    #[schema(value_type = Option<Object>)]
    pub record: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub previous: Option<serde_json::Value>,
    /// Or a stored record.
    pub kind: Option<String>,
    pub id: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DryRun {
    pub matches: bool,
    pub task: Option<TaskSpec>,
    /// Why the task could not be made (e.g. an unknown handler), if so.
    pub problem: Option<String>,
    pub wake_at: Option<DateTime<Utc>>,
    pub error: Option<ScriptError>,
}

/// "What task would this create for this record?" — nothing is stored.
pub fn dry_run(
    store: &Store,
    scenarios: &Scenarios,
    actor: &Actor,
    req: DryRunRequest,
    now: DateTime<Utc>,
) -> ServiceResult<DryRun> {
    require_company_admin(actor, CompanyArea::Scenarios)?;
    let c = compile(&scenarios.engine, &req.source).map_err(script_error)?;
    let rec = match (&req.record, &req.kind, &req.id) {
        (Some(v), _, _) => {
            let inc =
                ingest::validate(&mut v.clone()).map_err(|e| ServiceError::invalid("record", e))?;
            inc.into_record(req.previous.clone(), now)
        }
        (None, Some(k), Some(id)) => ingest::get(store, k, id)?,
        _ => {
            return Err(ServiceError::invalid(
                "record",
                "paste a record or name a stored one (kind and id)",
            ))
        }
    };
    let ctx = Context::load(store, now)?;
    let l = Loaded {
        id: 0,
        version: 0,
        owner_id: actor.user_id,
        compiled: c,
    };
    let res = with_context(&ctx, || {
        evaluate_data(
            &scenarios.engine,
            &l.compiled,
            &rec.kind,
            &rec.record_id,
            &rec.data,
            rec.previous.as_ref(),
        )
    });
    Ok(match res {
        Err(e) => DryRun {
            matches: false,
            task: None,
            problem: None,
            wake_at: None,
            error: Some(e),
        },
        Ok(ev) => {
            let problem = ev.task.as_ref().and_then(|spec| {
                task_from_spec(&Projects::new(store), &ctx.users, &l, &rec, spec, now).err()
            });
            DryRun {
                matches: ev.task.is_some(),
                task: ev.task,
                problem,
                wake_at: ev.wake_at,
                error: None,
            }
        }
    })
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PreviewItem {
    pub record_id: String,
    pub title: String,
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Preview {
    pub evaluated: usize,
    /// Set when the preview stopped early: it used its time budget
    /// (`PREVIEW_BUDGET`) or the script ran away.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    pub matches: Vec<PreviewItem>,
    pub errors: Vec<(String, ScriptError)>,
    /// Where the script's wake times come from; `missing` is the check's warning that
    /// a condition reading the clock will only fire when a record changes.
    pub wake: WakeSource,
}

/// Script time one preview may take in all: it runs in a place ingest also needs.
pub const PREVIEW_BUDGET: std::time::Duration = std::time::Duration::from_secs(5);

/// Which stored records match now, and which tasks would be created (first 10,000,
/// within [`PREVIEW_BUDGET`]).
pub fn preview(
    store: &Store,
    scenarios: &Scenarios,
    actor: &Actor,
    source: &str,
    now: DateTime<Utc>,
) -> ServiceResult<Preview> {
    require_company_admin(actor, CompanyArea::Scenarios)?;
    let c = compile(&scenarios.engine, source).map_err(script_error)?;
    let mut records = ingest::browse(store, &c.watches, None, 10_000)?;
    let ctx = Context::load(store, now)?;
    let l = Loaded {
        id: 0,
        version: 0,
        owner_id: actor.user_id,
        compiled: c,
    };
    let projects = Projects::new(store);
    let mut out = Preview {
        wake: l.compiled.wake.source(),
        evaluated: 0,
        stopped: None,
        matches: vec![],
        errors: vec![],
    };
    let started = std::time::Instant::now();
    let mut runaways = 0;
    with_context(&ctx, || {
        for rec in records.iter_mut() {
            if started.elapsed() >= PREVIEW_BUDGET {
                out.stopped = Some(format!(
                    "stopped after {} of {} records: a preview may take {} s of script time",
                    out.evaluated,
                    records.len(),
                    PREVIEW_BUDGET.as_secs()
                ));
                break;
            }
            if runaways >= quarantine::STRIKES {
                out.stopped = Some(format!(
                    "stopped after {} of {} records: the script ran past its limits {runaways} times",
                    out.evaluated,
                    records.len()
                ));
                break;
            }
            out.evaluated += 1;
            let result = with_view(rec, |view| {
                evaluate_prepared(&scenarios.engine, &l.compiled, view)
            });
            if result.as_ref().is_err_and(|e| e.runaway) {
                runaways += 1;
            }
            match result {
                Ok(Evaluation {
                    task: Some(spec), ..
                }) => {
                    let problem = task_from_spec(&projects, &ctx.users, &l, rec, &spec, now).err();
                    out.matches.push(PreviewItem {
                        record_id: rec.record_id.clone(),
                        title: spec.title,
                        problem,
                    });
                }
                Ok(_) => {}
                Err(e) => {
                    if out.errors.len() < 20 {
                        out.errors.push((rec.record_id.clone(), e));
                    }
                }
            }
        }
    });
    Ok(out)
}
