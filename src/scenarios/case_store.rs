//! A scenario's stored test cases (`scencase`, one record each, found by scenario id
//! and name) and the admin operations on them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::cases::{self, CaseResult, CaseSpec, Expect};
use super::engine::Context;
use super::model::Scenario;
use super::registry::Scenarios;
use super::script::compile;
use crate::actor::Actor;
use crate::audit;
use crate::erp::ingest;
use crate::error::{ServiceError, ServiceResult};
use crate::org::policy::{require_company_admin, CompanyArea};
use crate::store::{Record, Store, StoreError, WriteTx};

pub const IX_CASE: &str = "scenario_case";

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScenarioCase {
    pub id: u64,
    pub rev: u64,
    pub scenario_id: u64,
    pub case: CaseSpec,
    pub added_by: String,
    pub added_at: DateTime<Utc>,
}

fn scenario_prefix(scenario_id: u64) -> String {
    format!("{scenario_id:020}/")
}

impl Record for ScenarioCase {
    const KIND: &'static str = "scencase";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![(
            IX_CASE,
            format!("{}{}", scenario_prefix(self.scenario_id), self.case.name),
        )]
    }
}

/// A scenario's cases, by name.
pub fn of(store: &Store, scenario_id: u64) -> Result<Vec<ScenarioCase>, StoreError> {
    let mut out = Vec::new();
    for id in store.ids_by_unique_prefix(IX_CASE, &scenario_prefix(scenario_id))? {
        if let Some(c) = store.get::<ScenarioCase>(id)? {
            out.push(c);
        }
    }
    Ok(out)
}

fn scenario(store: &Store, id: u64) -> ServiceResult<Scenario> {
    store
        .get::<Scenario>(id)?
        .ok_or_else(|| ServiceError::not_found(format!("scenario {id} not found")))
}

pub fn list(store: &Store, actor: &Actor, scenario_id: u64) -> ServiceResult<Vec<ScenarioCase>> {
    require_company_admin(actor, CompanyArea::Scenarios)?;
    scenario(store, scenario_id)?;
    Ok(of(store, scenario_id)?)
}

/// A new case: the record pasted, or a stored one by kind and id (as the dry run
/// takes it), with what it should do.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCase {
    pub name: String,
    #[schema(value_type = Option<Object>)]
    pub record: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub previous: Option<serde_json::Value>,
    pub kind: Option<String>,
    pub id: Option<String>,
    /// Default: the time it is added, so a time condition keeps its answer.
    pub now: Option<DateTime<Utc>>,
    pub expect: Expect,
}

fn spec_of(store: &Store, new: NewCase, now: DateTime<Utc>) -> ServiceResult<CaseSpec> {
    let (record, previous) = match (new.record, &new.kind, &new.id) {
        (Some(r), _, _) => (r, new.previous),
        (None, Some(kind), Some(id)) => {
            let rec = ingest::get(store, kind, id)?;
            (
                serde_json::json!({"kind": rec.kind, "id": rec.record_id, "data": rec.data}),
                rec.previous,
            )
        }
        _ => {
            return Err(ServiceError::invalid(
                "record",
                "paste a record or name a stored one (kind and id)",
            ))
        }
    };
    let spec = CaseSpec {
        name: new.name.trim().to_string(),
        record,
        previous,
        now: Some(new.now.unwrap_or(now)),
        expect: new.expect,
    };
    cases::check(&spec).map_err(|e| ServiceError::invalid("case", e))?;
    Ok(spec)
}

/// Replaces a scenario's cases with `cases`, inside the write that saves it.
pub fn put_all(
    tx: &mut WriteTx<'_>,
    existing: &[ScenarioCase],
    scenario_id: u64,
    cases: &[CaseSpec],
    actor: &Actor,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    for c in existing {
        tx.delete::<ScenarioCase>(c.id)?;
    }
    for c in cases {
        insert(tx, scenario_id, c.clone(), actor, now)?;
    }
    Ok(())
}

fn insert(
    tx: &mut WriteTx<'_>,
    scenario_id: u64,
    case: CaseSpec,
    actor: &Actor,
    now: DateTime<Utc>,
) -> ServiceResult<ScenarioCase> {
    let name = case.name.clone();
    let mut c = ScenarioCase {
        id: 0,
        rev: 0,
        scenario_id,
        case,
        added_by: actor.name.clone(),
        added_at: now,
    };
    tx.insert(&mut c).map_err(|e| match e {
        StoreError::Duplicate { .. } => {
            ServiceError::Conflict(format!("this scenario already has a case named '{name}'"))
        }
        e => e.into(),
    })?;
    Ok(c)
}

pub fn add(
    store: &Store,
    actor: &Actor,
    scenario_id: u64,
    new: NewCase,
    now: DateTime<Utc>,
) -> ServiceResult<ScenarioCase> {
    require_company_admin(actor, CompanyArea::Scenarios)?;
    let s = scenario(store, scenario_id)?;
    let spec = spec_of(store, new, now)?;
    store.write(|tx| {
        let count = count(store, scenario_id)?;
        if count >= cases::MAX_CASES {
            return Err(ServiceError::invalid(
                "case",
                format!("a scenario has at most {} cases", cases::MAX_CASES),
            ));
        }
        let c = insert(tx, scenario_id, spec.clone(), actor, now)?;
        audit::record(
            tx,
            actor,
            "scenario.case_add",
            format!("scenario '{}' case '{}'", s.key, c.case.name),
            None,
            now,
        )?;
        Ok(c)
    })
}

fn count(store: &Store, scenario_id: u64) -> Result<usize, StoreError> {
    Ok(store
        .ids_by_unique_prefix(IX_CASE, &scenario_prefix(scenario_id))?
        .len())
}

pub fn delete(
    store: &Store,
    actor: &Actor,
    scenario_id: u64,
    case_id: u64,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    require_company_admin(actor, CompanyArea::Scenarios)?;
    let s = scenario(store, scenario_id)?;
    store.write(|tx| {
        let c = tx
            .get::<ScenarioCase>(case_id)?
            .filter(|c| c.scenario_id == scenario_id)
            .ok_or_else(|| ServiceError::not_found(format!("case {case_id} not found")))?;
        tx.delete::<ScenarioCase>(case_id)?;
        audit::record(
            tx,
            actor,
            "scenario.case_delete",
            format!("scenario '{}' case '{}'", s.key, c.case.name),
            None,
            now,
        )?;
        Ok(())
    })
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseRun {
    pub passed: usize,
    pub failed: usize,
    pub results: Vec<CaseResult>,
}

impl CaseRun {
    pub fn of(results: Vec<CaseResult>) -> CaseRun {
        let passed = results.iter().filter(|r| r.passed).count();
        CaseRun {
            passed,
            failed: results.len() - passed,
            results,
        }
    }
}

/// Runs `cases` against `source` with the directory as it is now.
pub fn run_cases(
    store: &Store,
    scenarios: &Scenarios,
    source: &str,
    cases: &[CaseSpec],
    now: DateTime<Utc>,
) -> ServiceResult<CaseRun> {
    if cases.is_empty() {
        return Ok(CaseRun::of(vec![]));
    }
    let c = compile(&scenarios.engine, source)
        .map_err(|e| ServiceError::invalid("source", format!("script error at {e}")))?;
    let ctx = Context::load(store, now)?;
    Ok(CaseRun::of(cases::run_all(
        &scenarios.engine,
        &c,
        &ctx,
        cases,
    )))
}

/// Runs a scenario's stored cases against its saved script, or `source` if given.
pub fn run(
    store: &Store,
    scenarios: &Scenarios,
    actor: &Actor,
    scenario_id: u64,
    source: Option<&str>,
    now: DateTime<Utc>,
) -> ServiceResult<CaseRun> {
    require_company_admin(actor, CompanyArea::Scenarios)?;
    let s = scenario(store, scenario_id)?;
    let specs: Vec<CaseSpec> = of(store, scenario_id)?
        .into_iter()
        .map(|c| c.case)
        .collect();
    run_cases(store, scenarios, source.unwrap_or(&s.source), &specs, now)
}
