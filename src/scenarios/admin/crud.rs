//! Scenario CRUD for company admins: list, save (with versions and test cases),
//! roll back, switch on and off, delete. Apart from the dry run and preview
//! (`trial.rs`) because these change what is stored and those never do.

use chrono::{DateTime, Utc};

use super::script_error;
use crate::actor::Actor;
use crate::audit;
use crate::error::{ServiceError, ServiceResult};
use crate::org::policy::{require_company_admin, CompanyArea};
use crate::scenarios::analytics::with_analytics;
use crate::scenarios::case_store;
use crate::scenarios::cases::{self, CaseResult, CaseSpec};
use crate::scenarios::model::Scenario;
use crate::scenarios::registry::Scenarios;
use crate::scenarios::script::compile;
use crate::scenarios::versions::{self, Authorship};
use crate::store::Store;

pub fn list(store: &Store, actor: &Actor, now: DateTime<Utc>) -> ServiceResult<Vec<Scenario>> {
    require_company_admin(actor, CompanyArea::Scenarios)?;
    let mut all = store.list::<Scenario>()?;
    all.sort_by(|a, b| a.key.cmp(&b.key));
    all.into_iter()
        .map(|s| with_analytics(store, s, now))
        .collect()
}

/// How a save is made beyond its script.
#[derive(Debug, Clone, Default)]
pub struct SaveOptions {
    /// Why, kept with the version (at most [`MAX_COMMENT`] characters).
    pub comment: String,
    /// Save even when test cases fail; the version comment says how many.
    pub save_anyway: bool,
    /// The version's author instead of the actor's name (`cli:<file>`).
    pub author: Option<String>,
    /// The scenario's cases from now on (`baton rules load`); `None` keeps and runs
    /// the stored ones.
    pub cases: Option<Vec<CaseSpec>>,
}

pub const MAX_COMMENT: usize = 500;

/// A save either happened or was refused because test cases failed.
#[derive(Debug, Clone)]
pub enum Saved {
    Saved(Box<Scenario>),
    CasesFailed(Vec<CaseResult>),
}

/// Creates or updates (by its `const ID`) a scenario from source, with no comment and
/// its stored cases; failing cases refuse it with their list in the message.
pub fn save(
    store: &Store,
    scenarios: &Scenarios,
    actor: &Actor,
    source: &str,
    now: DateTime<Utc>,
) -> ServiceResult<Scenario> {
    match save_with(store, scenarios, actor, source, SaveOptions::default(), now)? {
        Saved::Saved(s) => Ok(*s),
        Saved::CasesFailed(failed) => Err(cases_failed(&failed)),
    }
}

/// The error a refused save turns into where no list can be shown apart (the console).
pub fn cases_failed(failed: &[CaseResult]) -> ServiceError {
    ServiceError::Unprocessable(format!(
        "{} test case(s) fail, so the scenario was not saved:\n{}",
        failed.len(),
        cases::describe_failures(failed)
    ))
}

/// Creates or updates (by its `const ID`) a scenario from source. A script that does
/// not compile is refused and the stored version stays as it was; so is one whose
/// test cases fail, unless `save_anyway`. A changed script is kept as a new version.
pub fn save_with(
    store: &Store,
    scenarios: &Scenarios,
    actor: &Actor,
    source: &str,
    opts: SaveOptions,
    now: DateTime<Utc>,
) -> ServiceResult<Saved> {
    require_company_admin(actor, CompanyArea::Scenarios)?;
    if source.len() > 64 * 1024 {
        return Err(ServiceError::invalid(
            "source",
            "a scenario has at most 64 KiB",
        ));
    }
    let comment = opts.comment.trim();
    if comment.chars().count() > MAX_COMMENT {
        return Err(ServiceError::invalid(
            "comment",
            format!("a comment has at most {MAX_COMMENT} characters"),
        ));
    }
    let c = compile(&scenarios.engine, source).map_err(script_error)?;
    let stored_cases = match store.lookup("scenario_key", &c.key)? {
        Some(id) => case_store::of(store, id)?,
        None => vec![],
    };
    if let Some(new) = &opts.cases {
        if new.len() > cases::MAX_CASES {
            return Err(ServiceError::invalid(
                "cases",
                format!("a scenario has at most {} cases", cases::MAX_CASES),
            ));
        }
        for case in new {
            cases::check(case).map_err(|e| ServiceError::invalid("cases", e))?;
        }
    }
    let to_run: Vec<CaseSpec> = match &opts.cases {
        Some(new) => new.clone(),
        None => stored_cases.iter().map(|c| c.case.clone()).collect(),
    };
    let failed: Vec<CaseResult> = case_store::run_cases(store, scenarios, source, &to_run, now)?
        .results
        .into_iter()
        .filter(|r| !r.passed)
        .collect();
    if !failed.is_empty() && !opts.save_anyway {
        return Ok(Saved::CasesFailed(failed));
    }
    let mut comment = comment.to_string();
    if !failed.is_empty() {
        let note = format!("saved with {} failing cases", failed.len());
        comment = if comment.is_empty() {
            note
        } else {
            format!("{comment} ({note})")
        };
    }
    let by = Authorship {
        author: opts.author.clone(),
        comment,
    };
    let saved = store.write(|tx| {
        let existing = match tx.lookup("scenario_key", &c.key)? {
            Some(id) => tx.get::<Scenario>(id)?,
            None => None,
        };
        let (s, changed) = match existing {
            Some(mut s) => {
                let rev = s.rev;
                let changed = s.source != source;
                if changed {
                    s.version += 1;
                }
                s.source = source.to_string();
                s.name = c.name.clone();
                s.watches = c.watches.clone();
                s.last_error = None;
                s.last_error_at = None;
                s.updated_at = now;
                s.updated_by = actor.name.clone();
                s.owner_id = actor.user_id.or(s.owner_id);
                tx.update(&mut s, rev)?;
                (s, changed)
            }
            None => {
                let mut s = Scenario {
                    quarantined: None,
                    id: 0,
                    rev: 0,
                    key: c.key.clone(),
                    name: c.name.clone(),
                    watches: c.watches.clone(),
                    source: source.to_string(),
                    version: 1,
                    enabled: true,
                    fired_count: 0,
                    last_fired_at: None,
                    last_error: None,
                    last_error_at: None,
                    updated_at: now,
                    updated_by: actor.name.clone(),
                    owner_id: actor.user_id,
                    analytics: None,
                };
                tx.insert(&mut s)?;
                (s, true)
            }
        };
        if changed {
            versions::record(tx, &s, actor, &by, now)?;
        }
        if let Some(new) = &opts.cases {
            case_store::put_all(tx, &stored_cases, s.id, new, actor, now)?;
        }
        audit::record(
            tx,
            actor,
            "scenario.save",
            format!("scenario '{}' version {}", s.key, s.version),
            None,
            now,
        )?;
        Ok::<_, ServiceError>(s)
    })?;
    scenarios.reload(store)?;
    Ok(Saved::Saved(Box::new(with_analytics(store, saved, now)?)))
}

/// Saves the script of an older version as a new version ("rollback to vN"). The
/// admin confirmed it, so failing cases do not stop it; the comment counts them.
pub fn rollback(
    store: &Store,
    scenarios: &Scenarios,
    actor: &Actor,
    id: u64,
    version: u64,
    now: DateTime<Utc>,
) -> ServiceResult<Scenario> {
    let old = versions::get(store, actor, id, version)?;
    let current = store
        .get::<Scenario>(id)?
        .ok_or_else(|| ServiceError::not_found(format!("scenario {id} not found")))?;
    if current.source == old.source {
        return Err(ServiceError::Conflict(format!(
            "version {version} has the same script as the current version {}",
            current.version
        )));
    }
    let opts = SaveOptions {
        comment: format!("rollback to v{version}"),
        save_anyway: true,
        ..SaveOptions::default()
    };
    match save_with(store, scenarios, actor, &old.source, opts, now)? {
        Saved::Saved(s) if s.id == id => Ok(*s),
        Saved::Saved(_) => Err(ServiceError::Conflict(format!(
            "version {version} names another scenario in its const ID; it was saved as that one"
        ))),
        Saved::CasesFailed(failed) => Err(cases_failed(&failed)),
    }
}

pub fn set_enabled(
    store: &Store,
    scenarios: &Scenarios,
    actor: &Actor,
    id: u64,
    enabled: bool,
    now: DateTime<Utc>,
) -> ServiceResult<Scenario> {
    require_company_admin(actor, CompanyArea::Scenarios)?;
    let s = store.write(|tx| {
        let mut s: Scenario = tx
            .get(id)?
            .ok_or_else(|| ServiceError::not_found(format!("scenario {id} not found")))?;
        let rev = s.rev;
        s.enabled = enabled;
        if enabled {
            s.quarantined = None;
        }
        tx.update(&mut s, rev)?;
        audit::record(
            tx,
            actor,
            if enabled {
                "scenario.enable"
            } else {
                "scenario.disable"
            },
            format!("scenario '{}'", s.key),
            None,
            now,
        )?;
        Ok::<_, ServiceError>(s)
    })?;
    if enabled {
        scenarios.strikes.forgive(id);
    }
    scenarios.reload(store)?;
    with_analytics(store, s, now)
}

pub fn delete(
    store: &Store,
    scenarios: &Scenarios,
    actor: &Actor,
    id: u64,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    require_company_admin(actor, CompanyArea::Scenarios)?;
    // Its history and cases go with it (tasks it made keep their version number).
    let version_ids = versions::all_ids(store, id)?;
    let cases = case_store::of(store, id)?;
    store.write(|tx| {
        let s: Scenario = tx
            .get(id)?
            .ok_or_else(|| ServiceError::not_found(format!("scenario {id} not found")))?;
        tx.delete::<Scenario>(id)?;
        for v in &version_ids {
            tx.delete::<versions::ScenarioVersion>(*v)?;
        }
        for c in &cases {
            tx.delete::<case_store::ScenarioCase>(c.id)?;
        }
        audit::record(
            tx,
            actor,
            "scenario.delete",
            format!("scenario '{}'", s.key),
            None,
            now,
        )?;
        Ok::<_, ServiceError>(())
    })?;
    scenarios.reload(store)
}
