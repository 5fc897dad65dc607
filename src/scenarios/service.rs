//! Stored scenarios, the compiled set, and applying evaluations to tasks.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use rhai::Engine;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::engine::{self, with_context, Context};
use super::eval::{evaluate_data, evaluate_prepared, with_view, Evaluation};
use super::model::{state_key, Scenario, ScenarioState, IX_WAKE};
use super::quarantine::{self, Usage};
use super::script::{compile, Compiled, ScriptError};
use super::slots::ScriptSlot;
use super::spec::TaskSpec;
use crate::actor::Actor;
use crate::audit;
use crate::erp::ingest::{self, Incoming};
use crate::erp::ErpRecord;
use crate::error::{ServiceError, ServiceResult};
use crate::flow::model::{time_key, Escalation, TaskSource};
use crate::flow::{NodeState, Priority, Task, TaskKind, TaskStatus};
use crate::org::{Role, User};
use crate::projects::{Builtin, Project};
use crate::store::{Store, WriteTx};
use crate::tasks::context::project_ctx;
use crate::tasks::log;
use crate::tasks::service::{build, insert, NewTask, NodeInput};

/// One enabled scenario, compiled.
#[derive(Clone)]
pub struct Loaded {
    pub id: u64,
    pub version: u64,
    pub owner_id: Option<u64>,
    pub compiled: Compiled,
}

/// The engine and the compiled, enabled scenarios by record kind. Replaced as a
/// whole after a change (compile the new set fully, then swap).
pub struct Scenarios {
    pub engine: Arc<Engine>,
    set: RwLock<Arc<HashMap<String, Vec<Loaded>>>>,
    /// Runaway strikes per scenario, towards quarantine.
    pub strikes: quarantine::Strikes,
}

impl Scenarios {
    pub fn new() -> Self {
        Scenarios {
            engine: Arc::new(engine::build()),
            set: RwLock::new(Arc::new(HashMap::new())),
            strikes: quarantine::Strikes::default(),
        }
    }

    /// Compiles every enabled scenario; one that no longer compiles keeps its error
    /// on record and is left out.
    pub fn reload(&self, store: &Store) -> ServiceResult<()> {
        let mut by_kind: HashMap<String, Vec<Loaded>> = HashMap::new();
        for s in store.list::<Scenario>()? {
            if !s.enabled {
                continue;
            }
            match compile(&self.engine, &s.source) {
                Ok(c) => by_kind.entry(c.watches.clone()).or_default().push(Loaded {
                    id: s.id,
                    version: s.version,
                    owner_id: s.owner_id,
                    compiled: c,
                }),
                Err(e) => {
                    tracing::error!(scenario = %s.key, error = %e, "scenario does not compile; left out")
                }
            }
        }
        // The set is replaced whole, so a lock poisoned by a panicking reader still
        // guards a complete set: recover it rather than lose every scenario.
        let mut guard = self
            .set
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *guard = Arc::new(by_kind);
        Ok(())
    }

    pub fn current(&self) -> Arc<HashMap<String, Vec<Loaded>>> {
        self.set
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The record kinds some enabled scenario watches, among `kinds`.
    pub fn watched<'k>(&self, kinds: impl IntoIterator<Item = &'k str>) -> Vec<&'k str> {
        let set = self.current();
        let mut out: Vec<&str> = kinds.into_iter().filter(|k| set.contains_key(*k)).collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

impl Default for Scenarios {
    fn default() -> Self {
        Self::new()
    }
}

pub fn require_admin(actor: &Actor) -> ServiceResult<()> {
    if actor.role == Role::CompanyAdmin {
        Ok(())
    } else {
        Err(ServiceError::forbidden(
            "only company admins manage scenarios",
        ))
    }
}

fn script_error(e: ScriptError) -> ServiceError {
    ServiceError::invalid("source", format!("script error at {e}"))
}

pub fn list(store: &Store, actor: &Actor) -> ServiceResult<Vec<Scenario>> {
    require_admin(actor)?;
    let mut all = store.list::<Scenario>()?;
    all.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(all)
}

/// Creates or updates (by its `const ID`) a scenario from source. A script that does
/// not compile is refused and the stored version stays as it was.
pub fn save(
    store: &Store,
    scenarios: &Scenarios,
    actor: &Actor,
    source: &str,
    now: DateTime<Utc>,
) -> ServiceResult<Scenario> {
    require_admin(actor)?;
    if source.len() > 64 * 1024 {
        return Err(ServiceError::invalid(
            "source",
            "a scenario has at most 64 KiB",
        ));
    }
    let c = compile(&scenarios.engine, source).map_err(script_error)?;
    let saved = store.write(|tx| {
        let existing = match tx.lookup("scenario_key", &c.key)? {
            Some(id) => tx.get::<Scenario>(id)?,
            None => None,
        };
        let s = match existing {
            Some(mut s) => {
                let rev = s.rev;
                if s.source != source {
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
                s
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
                };
                tx.insert(&mut s)?;
                s
            }
        };
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
    Ok(saved)
}

pub fn set_enabled(
    store: &Store,
    scenarios: &Scenarios,
    actor: &Actor,
    id: u64,
    enabled: bool,
    now: DateTime<Utc>,
) -> ServiceResult<Scenario> {
    require_admin(actor)?;
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
    Ok(s)
}

pub fn delete(
    store: &Store,
    scenarios: &Scenarios,
    actor: &Actor,
    id: u64,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    require_admin(actor)?;
    store.write(|tx| {
        let s: Scenario = tx
            .get(id)?
            .ok_or_else(|| ServiceError::not_found(format!("scenario {id} not found")))?;
        tx.delete::<Scenario>(id)?;
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

#[derive(Debug, Default, Clone, Serialize, ToSchema)]
pub struct Report {
    pub evaluated: usize,
    pub tasks_created: usize,
    pub tasks_closed: usize,
    pub errors: usize,
    /// Scenarios this run switched off for running away (their keys).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quarantined: Vec<String>,
}

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
            let (results, usage) = evaluate_records(&scenarios.engine, &set, &ctx, &mut changed);
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

/// One evaluation within its scenario's time budget for this batch: skipped once the
/// budget is spent, measured otherwise.
fn budgeted(
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

type Results<'l, 'r> = Vec<(&'l Loaded, &'r ErpRecord, Result<Evaluation, ScriptError>)>;

/// Runs every scenario watching each record's kind, inside one helper context, each
/// within its time budget for the batch. The records lend their data to the scripts
/// while they run (see `with_view`), hence `&mut`.
fn evaluate_records<'l, 'r>(
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
struct QuarantineVerdict {
    id: u64,
    key: String,
    reason: String,
    /// Active company admins, told in the inbox.
    admins: Vec<u64>,
}

fn quarantine_verdicts(
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
        .filter(|u| u.role == Role::CompanyAdmin && !u.disabled)
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
fn quarantine_in(
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
        for user_id in &v.admins {
            crate::inbox::service::post(
                tx,
                crate::inbox::service::NewMessage {
                    user_id: *user_id,
                    kind: crate::inbox::MessageKind::ScenarioQuarantined,
                    task_id: None,
                    task_title: Some(s.name.clone()),
                    actor_id: None,
                    text: format!(
                        "Scenario '{}' was switched off: {}. Fix it and enable it again on the Scenarios page.",
                        s.name, v.reason
                    ),
                    reason: Some(v.reason.clone()),
                },
                now,
            )?;
        }
    }
    Ok(())
}

/// Re-evaluates the (scenario, record) pairs whose wake time has come: conditions that
/// turn true by time passing, and catching up after downtime.
pub fn tick(store: &Store, scenarios: &Scenarios, now: DateTime<Utc>) -> ServiceResult<Report> {
    let ids = store.ids_by_range(IX_WAKE, &time_key(now))?;
    if ids.is_empty() {
        return Ok(Report::default());
    }
    let set = scenarios.current();
    let mut pairs: Vec<(&Loaded, ErpRecord)> = Vec::new();
    let mut stale: Vec<u64> = Vec::new();
    for id in ids {
        let Some(st) = store.get::<ScenarioState>(id)? else {
            continue;
        };
        let loaded = set
            .get(&st.kind)
            .and_then(|v| v.iter().find(|l| l.compiled.key == st.scenario));
        match (loaded, ingest::find(store, &st.kind, &st.record_id)?) {
            (Some(l), Some(rec)) => pairs.push((l, rec)),
            _ => stale.push(id),
        }
    }
    if !stale.is_empty() {
        // Disabled or deleted scenario, or deleted record: stop waking for it.
        store.write(|tx| {
            for id in &stale {
                if let Some(mut st) = tx.get::<ScenarioState>(*id)? {
                    let rev = st.rev;
                    st.wake_at = None;
                    tx.update(&mut st, rev)?;
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
                    with_view(rec, |view| evaluate_prepared(&scenarios.engine, &l.compiled, view))
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

fn priority(p: &Option<String>) -> Result<Option<Priority>, String> {
    match p.as_deref() {
        None => Ok(None),
        Some("low") => Ok(Some(Priority::Low)),
        Some("normal") => Ok(Some(Priority::Normal)),
        Some("high") => Ok(Some(Priority::High)),
        Some("urgent") => Ok(Some(Priority::Urgent)),
        Some(other) => Err(format!(
            "priority '{other}' is not low, normal, high or urgent"
        )),
    }
}

fn user_ids(users: &[User], names: &[String], what: &str) -> Result<Vec<u64>, String> {
    names
        .iter()
        .map(|n| {
            users
                .iter()
                .find(|u| u.username == crate::org::username_key(n) && !u.disabled)
                .map(|u| u.id)
                .ok_or_else(|| format!("{what} '{n}' does not exist"))
        })
        .collect()
}

/// The projects scenario tasks go to, looked up once per batch.
pub struct Projects<'a> {
    store: &'a Store,
    cache:
        std::cell::RefCell<HashMap<Option<String>, std::rc::Rc<crate::tasks::context::ProjectCtx>>>,
}

impl<'a> Projects<'a> {
    pub fn new(store: &'a Store) -> Self {
        Projects {
            store,
            cache: Default::default(),
        }
    }

    fn get(&self, c: &Compiled) -> Result<std::rc::Rc<crate::tasks::context::ProjectCtx>, String> {
        if let Some(ctx) = self.cache.borrow().get(&c.project) {
            return Ok(ctx.clone());
        }
        let projects = self.store.list::<Project>().map_err(|e| e.to_string())?;
        let project = match &c.project {
            Some(name) => projects
                .into_iter()
                .find(|p| &p.name == name)
                .ok_or_else(|| format!("project '{name}' does not exist"))?,
            None => projects
                .into_iter()
                .find(|p| p.builtin == Some(Builtin::Erp))
                .ok_or_else(|| "the ERP Notifications project is missing".to_string())?,
        };
        let ctx = std::rc::Rc::new(
            project_ctx(self.store, &Actor::system(), project.id).map_err(|e| e.to_string())?,
        );
        self.cache
            .borrow_mut()
            .insert(c.project.clone(), ctx.clone());
        Ok(ctx)
    }
}

/// Builds (validates) the task a scenario asks for; nothing is stored here, so an
/// unknown handler leaves no half-made task.
pub fn task_from_spec(
    projects: &Projects<'_>,
    users: &[User],
    l: &Loaded,
    rec: &ErpRecord,
    spec: &TaskSpec,
    now: DateTime<Utc>,
) -> Result<Task, String> {
    let ctx = projects.get(&l.compiled)?;
    let creator = l
        .owner_id
        .or_else(|| {
            users
                .iter()
                .find(|u| u.role == Role::CompanyAdmin && !u.disabled)
                .map(|u| u.id)
        })
        .ok_or("no user to create the task in the name of")?;
    // Out-of-range settings from a script are its run-time error, never a panic.
    let days = |d: f64, what: &str| {
        crate::time::after_seconds(now, d * 86_400.0).ok_or_else(|| {
            format!("{what} {d} days is out of range (the deadline must fall between the years {} and {})", crate::time::MIN_YEAR, crate::time::MAX_YEAR)
        })
    };
    let mut nodes = Vec::new();
    for n in &spec.nodes {
        let h = user_ids(users, std::slice::from_ref(&n.handler), "handler")?[0];
        nodes.push(NodeInput {
            handler_id: h,
            action: n.action.clone(),
            due_at: n
                .due_in_days
                .map(|d| days(d.get(), "node due_in_days"))
                .transpose()?,
        });
    }
    let due_at = spec
        .due_in_days
        .map(|d| days(d.get(), "due_in_days"))
        .transpose()?;
    let mut escalations = Vec::new();
    for e in &spec.escalation {
        let base = match e.from.as_deref().unwrap_or("due") {
            "due" => due_at.ok_or("an escalation from the due time needs due_in_days")?,
            "created" => now,
            other => return Err(format!("escalation from '{other}' is not due or created")),
        };
        escalations.push(Escalation {
            at: crate::time::after_seconds(base, e.after_hours.get() * 3600.0).ok_or_else(
                || {
                    format!(
                        "escalation after_hours {} is out of range",
                        e.after_hours.get()
                    )
                },
            )?,
            notify: user_ids(users, &e.notify, "escalation recipient")?,
            sent: false,
        });
    }
    let source = TaskSource {
        scenario_id: l.compiled.key.clone(),
        scenario_name: l.compiled.name.clone(),
        scenario_version: l.version,
        fired_at: now,
        record_kind: rec.kind.clone(),
        record_id: rec.record_id.clone(),
        record: rec.data.clone(),
        escalations,
        on_finish: user_ids(users, &spec.on_finish, "on_finish recipient")?,
        auto_close: spec.auto_close,
    };
    let new = NewTask {
        kind: if spec.nodes.len() == 1 {
            TaskKind::Simple
        } else {
            TaskKind::Workflow
        },
        title: spec.title.clone(),
        description: spec.description.clone(),
        business_type: spec.business_type.clone(),
        priority: priority(&spec.priority)?,
        due_at,
        nodes,
        checklist: vec![],
        watchers: user_ids(users, &spec.watchers, "watcher")?,
        editors: user_ids(users, &spec.editors, "editor")?,
        template_id: None,
    };
    build(&ctx, creator, new, Some(source), now).map_err(|e| e.to_string())
}

fn scenario_actor(l: &Loaded) -> Actor {
    Actor {
        user_id: None,
        name: format!("scenario {}", l.compiled.key),
        role: Role::CompanyAdmin,
        department_id: None,
    }
}

/// Finishes a scenario task whose condition cleared.
fn auto_close(tx: &mut WriteTx<'_>, task_id: u64, now: DateTime<Utc>) -> ServiceResult<bool> {
    let Some(mut t) = tx.get::<Task>(task_id)? else {
        return Ok(false);
    };
    if t.status != TaskStatus::Open || !t.source.as_ref().is_some_and(|s| s.auto_close) {
        return Ok(false);
    }
    let rev = t.rev;
    for n in t.nodes.iter_mut().filter(|n| n.state != NodeState::Done) {
        n.state = NodeState::Done;
        n.done_at = Some(now);
    }
    t.status = TaskStatus::Done;
    t.finished_at = Some(now);
    t.updated_at = now;
    tx.update(&mut t, rev)?;
    log::write(
        tx,
        task_id,
        &Actor::server(),
        log::line(
            "auto_close",
            "closed automatically: the condition no longer holds",
        ),
        None,
        now,
    )?;
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
        if store
            .lookup(
                "scenario_state",
                &state_key(&l.compiled.key, &rec.kind, &rec.record_id),
            )?
            .is_some()
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// An evaluation with the task it asks for already built (or why it cannot be).
struct Prepared<'a> {
    l: &'a Loaded,
    /// Which record, owned: the records themselves are written in the same transaction.
    rec: RecordKey,
    item: Result<(Evaluation, Option<Result<Task, String>>), ScriptError>,
}

struct RecordKey {
    kind: String,
    record_id: String,
}

fn apply(
    store: &Store,
    ctx: &Context,
    results: Vec<(&Loaded, &ErpRecord, Result<Evaluation, ScriptError>)>,
    now: DateTime<Utc>,
) -> ServiceResult<Report> {
    let (prepared, mut report) = prepare(store, ctx, results, now);
    if !needs_write(store, &prepared)? {
        return Ok(report);
    }
    store.write(|tx| apply_in(tx, prepared, &mut report, now))?;
    Ok(report)
}

/// Builds the tasks the evaluations ask for, before the write: validation reads the
/// store.
fn prepare<'l>(
    store: &Store,
    ctx: &Context,
    results: Vec<(&'l Loaded, &ErpRecord, Result<Evaluation, ScriptError>)>,
    now: DateTime<Utc>,
) -> (Vec<Prepared<'l>>, Report) {
    let report = Report {
        evaluated: results.len(),
        ..Default::default()
    };
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
fn needs_write(store: &Store, prepared: &[Prepared<'_>]) -> ServiceResult<bool> {
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

/// Applies prepared evaluations: tasks, states, auto-close, errors, counters.
fn apply_in(
    tx: &mut WriteTx<'_>,
    prepared: Vec<Prepared<'_>>,
    report: &mut Report,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let mut fired: HashMap<u64, u64> = HashMap::new();
    for Prepared { l, rec, item } in prepared {
        let (ev, task) = match item {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(scenario = %l.compiled.key, record = %rec.record_id, error = %e, "scenario failed");
                record_error(tx, l.id, &e, now)?;
                report.errors += 1;
                continue;
            }
        };
        let key = state_key(&l.compiled.key, &rec.kind, &rec.record_id);
        let existing = match tx.lookup("scenario_state", &key)? {
            Some(id) => tx.get::<ScenarioState>(id)?,
            None => None,
        };
        let mut st = existing.clone().unwrap_or(ScenarioState {
            id: 0,
            rev: 0,
            scenario: l.compiled.key.clone(),
            kind: rec.kind.clone(),
            record_id: rec.record_id.clone(),
            active: false,
            open_task: None,
            wake_at: None,
        });
        let open = match st.open_task {
            Some(id) => tx.get::<Task>(id)?.filter(|t| t.status == TaskStatus::Open),
            None => None,
        };
        match task {
            Some(built) => {
                if !st.active && open.is_none() {
                    match built {
                        Ok(mut t) => {
                            let id = insert(tx, &mut t, &scenario_actor(l), now)?;
                            st.open_task = Some(id);
                            *fired.entry(l.id).or_default() += 1;
                            report.tasks_created += 1;
                        }
                        Err(msg) => {
                            // The task `fn task` asked for: its error points there.
                            let e = l.compiled.locate("task", ScriptError::plain(msg));
                            record_error(tx, l.id, &e, now)?;
                            report.errors += 1;
                            continue; // not active: it will be tried again on the next change
                        }
                    }
                }
                st.active = true;
            }
            None => {
                if let Some(t) = &open {
                    if auto_close(tx, t.id, now)? {
                        report.tasks_closed += 1;
                    }
                }
                st.active = false;
            }
        }
        st.wake_at = ev.wake_at.filter(|w| *w > now);
        // A pair that is inactive, has no task and no wake time needs no state:
        // absent means exactly that, and most records of a batch are such pairs.
        let empty = !st.active && st.open_task.is_none() && st.wake_at.is_none();
        match existing {
            Some(old) if old != st => tx.update(&mut st, old.rev)?,
            None if !empty => {
                tx.insert(&mut st)?;
            }
            _ => {}
        }
    }
    for (id, n) in fired {
        if let Some(mut s) = tx.get::<Scenario>(id)? {
            let rev = s.rev;
            s.fired_count += n;
            s.last_fired_at = Some(now);
            tx.update(&mut s, rev)?;
        }
    }
    Ok(())
}

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
    require_admin(actor)?;
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
    /// Whether `condition` is in the shapes evaluated without the interpreter
    /// (docs/scenarios.md#speed); it runs in rhai otherwise, about ten times slower.
    pub fast_path: bool,
    pub evaluated: usize,
    /// Set when the preview stopped early: it used its time budget
    /// (`PREVIEW_BUDGET`) or the script ran away.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    pub matches: Vec<PreviewItem>,
    pub errors: Vec<(String, ScriptError)>,
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
    require_admin(actor)?;
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
        fast_path: l.compiled.fast.condition.is_some(),
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
