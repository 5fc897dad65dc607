//! Runs connectors: on the schedule (every due connector on its own task, so a slow
//! server delays only its own connector) and on an admin's "run now". One run fetches,
//! maps, stores in push batches (waiting for a script slot like any push) and records
//! the outcome on the connector; a connector never runs twice at once.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::fetch::{self, Answer};
use super::model::{Connector, PayloadFormat, RunReport};
use super::plan;
use crate::erp::ingest::{self, Incoming, MAX_BATCH};
use crate::erp::push as erp_push;
use crate::error::{ServiceError, ServiceResult};
use crate::hooks::mapping::MapCache;
use crate::net::{AddressPolicy, Outbound};
use crate::scenarios::registry::Scenarios;
use crate::scenarios::script::ScriptError;
use crate::scenarios::slots::ScriptSlots;
use crate::store::Store;

/// The most records one run stores; the cursor carries on from there next time.
pub const MAX_RECORDS: usize = 20_000;
/// Rejected records listed with their reason on the run's report.
const LISTED: usize = 20;

pub struct Runner {
    store: Store,
    scenarios: Arc<Scenarios>,
    slots: Arc<ScriptSlots>,
    maps: Arc<MapCache>,
    client: Result<Outbound, String>,
    running: Mutex<HashSet<u64>>,
}

/// Marks a connector as running until dropped (also when the run's task panics).
struct Running<'a> {
    set: &'a Mutex<HashSet<u64>>,
    id: u64,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
    }
}

/// What the fetch and the mapping gave, before storing.
struct Mapped {
    status: u16,
    bytes: u64,
    records: Vec<Incoming>,
    returned: usize,
    rejected: Vec<String>,
}

/// Why a run stored nothing: for the report, and the mapping's error for its page.
struct Failed {
    status: Option<u16>,
    bytes: u64,
    message: String,
    script: Option<ScriptError>,
}

impl Failed {
    fn plain(message: impl Into<String>) -> Self {
        Failed {
            status: None,
            bytes: 0,
            message: message.into(),
            script: None,
        }
    }
}

impl Runner {
    pub fn new(
        store: Store,
        scenarios: Arc<Scenarios>,
        slots: Arc<ScriptSlots>,
        policy: &AddressPolicy,
    ) -> Self {
        Runner {
            store,
            scenarios,
            slots,
            maps: Arc::new(MapCache::default()),
            client: fetch::client(policy),
            running: Mutex::new(HashSet::new()),
        }
    }

    fn claim(&self, id: u64) -> Option<Running<'_>> {
        let fresh = self
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id);
        // Built only when the id was not there: dropping a guard removes the id.
        fresh.then(|| Running {
            set: &self.running,
            id,
        })
    }

    fn is_running(&self, id: u64) -> bool {
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&id)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> ServiceResult<T> + Send + 'static,
    ) -> ServiceResult<T> {
        crate::blocking::on_store(&self.store, f).await
    }

    /// Starts every enabled connector whose time has come and that is not running;
    /// returns how many started. Each runs on its own task.
    pub async fn run_due(self: &Arc<Self>, now: DateTime<Utc>) -> usize {
        let all = match self.blocking(|s| Ok(s.list::<Connector>()?)).await {
            Ok(all) => all,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the connectors");
                return 0;
            }
        };
        let mut started = 0;
        for c in all {
            if !c.enabled || c.next_run_at.is_some_and(|t| t > now) || self.is_running(c.id) {
                continue;
            }
            let me = self.clone();
            started += 1;
            tokio::spawn(async move {
                if let Err(e) = me.run(c.id, false).await {
                    tracing::warn!(connector = c.id, error = %e, "connector run not recorded");
                }
            });
        }
        started
    }

    /// Runs connector `id` now and returns its report; 409 while it is running already.
    pub async fn run(&self, id: u64, manual: bool) -> ServiceResult<RunReport> {
        let Some(_running) = self.claim(id) else {
            return Err(ServiceError::Conflict(
                "the connector is running; try again when it has finished".into(),
            ));
        };
        let c = self.blocking(move |s| super::admin::load(s, id)).await?;
        let started = Utc::now();
        let clock = Instant::now();
        let cursor_sent = c.cursor.as_ref().and(c.cursor_value.clone());
        let mut report = RunReport {
            started_at: Some(started),
            manual,
            cursor_sent: cursor_sent.clone(),
            ..RunReport::default()
        };
        let mut script_error = None;
        match self
            .fetch_and_map(&c, cursor_sent.as_deref(), started)
            .await
        {
            Err(f) => {
                report.status = f.status;
                report.bytes = f.bytes;
                report.error = Some(f.message);
                script_error = f.script;
            }
            Ok(m) => {
                report.status = Some(m.status);
                report.bytes = m.bytes;
                report.records = m.returned;
                report.rejected = m.rejected.len();
                report.rejected_reasons = m.rejected.into_iter().take(LISTED).collect();
                let (stored_cursor, error) = self
                    .store_batches(&c, m.records, started, &mut report)
                    .await;
                report.cursor_next = plan::advance(
                    c.cursor_value.as_deref(),
                    stored_cursor.iter().map(String::as_str),
                );
                report.error = error;
            }
        }
        report.ok = report.error.is_none();
        report.duration_ms = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
        let done = report.clone();
        let rev = c.rev;
        self.blocking(move |s| record(s, id, rev, done, script_error, Utc::now()))
            .await?;
        Ok(report)
    }

    async fn fetch_and_map(
        &self,
        c: &Connector,
        cursor: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Mapped, Failed> {
        let client = self.client.as_ref().map_err(|e| Failed::plain(e.clone()))?;
        let url = plan::fetch_url(&c.url, c.cursor.as_ref().zip(cursor)).map_err(Failed::plain)?;
        let Answer {
            status,
            headers,
            body,
        } = fetch::get(
            client,
            &url,
            c.format,
            c.auth.as_ref(),
            Duration::from_secs(c.timeout_secs),
        )
        .await
        .map_err(|e| Failed {
            status: e.status,
            bytes: 0,
            message: e.message,
            script: None,
        })?;
        let bytes = body.len() as u64;
        let mapping = self
            .maps
            .get(c.id, c.rev, &c.mapping)
            .map_err(|e| Failed::plain(format!("the mapping does not compile: {e}")))?;
        let format = c.format;
        let maps = self.maps.clone();
        // Parsing and the script are CPU work: off the async workers, within the
        // sandbox's limits.
        let out = tokio::task::spawn_blocking(move || {
            let payload = match format {
                PayloadFormat::Json => serde_json::from_slice(&body)
                    .map_err(|e| format!("the answer is not JSON: {e}")),
                PayloadFormat::Csv => plan::csv_payload(&body),
            }
            .map_err(|m| (m, None))?;
            maps.run_up_to(&mapping, &payload, &headers, now, MAX_RECORDS)
                .map_err(|e| (format!("the mapping failed: {e}"), Some(e)))
        })
        .await
        .unwrap_or_else(|e| Err((format!("the mapping's worker failed: {e}"), None)));
        let values = out.map_err(|(message, script)| Failed {
            status: Some(status),
            bytes,
            message,
            script,
        })?;
        let returned = values.len();
        let mut records = Vec::with_capacity(returned);
        let mut rejected = Vec::new();
        for (i, mut v) in values.into_iter().enumerate() {
            match ingest::validate(&mut v) {
                Ok(r) => records.push(r),
                Err(why) => rejected.push(format!("record {i}: {why}")),
            }
        }
        Ok(Mapped {
            status,
            bytes,
            records,
            returned,
            rejected,
        })
    }

    /// Stores the records in push batches; returns the cursor values of what was
    /// stored, and the error that stopped it (the batches before it stay stored).
    async fn store_batches(
        &self,
        c: &Connector,
        records: Vec<Incoming>,
        now: DateTime<Utc>,
        report: &mut RunReport,
    ) -> (Vec<String>, Option<String>) {
        let mut seen = Vec::new();
        let mut records = records;
        while !records.is_empty() {
            let rest = records.split_off(records.len().min(MAX_BATCH));
            let batch = std::mem::replace(&mut records, rest);
            if let Some(spec) = &c.cursor {
                seen.extend(
                    batch
                        .iter()
                        .filter_map(|r| plan::cursor_of(&spec.field, &r.record_id, &r.data)),
                );
            }
            let slot = self
                .slots
                .acquire_for(&self.scenarios, batch.iter().map(|r| r.kind.as_str()))
                .await;
            let scenarios = self.scenarios.clone();
            match self
                .blocking(move |s| erp_push::push(s, &scenarios, batch, slot, now))
                .await
            {
                Ok(p) => {
                    report.stored += p.stored;
                    report.unchanged += p.unchanged;
                    report.tasks_created += p.report.tasks_created;
                    crate::metrics::ingest(p.stored, p.unchanged, 0);
                }
                Err(e) => {
                    seen.clear();
                    return (seen, Some(format!("storing the records failed: {e}")));
                }
            }
        }
        (seen, None)
    }
}

/// Writes the run's outcome on the connector, as bookkeeping (an admin editing it
/// meanwhile is not refused). A connector changed during the run keeps its cursor: the
/// admin may have reset it.
fn record(
    store: &Store,
    id: u64,
    rev: u64,
    report: RunReport,
    script_error: Option<ScriptError>,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    store.write(|tx| {
        let Some(mut c) = tx.get::<Connector>(id)? else {
            return Ok(()); // removed during the run
        };
        let (failures, next) = plan::next_run(report.ok, c.failures, c.interval_secs, now);
        c.failures = failures;
        c.next_run_at = Some(next);
        if report.ok {
            c.last_ok_at = Some(now);
        }
        if c.rev == rev && c.cursor.is_some() {
            c.cursor_value = report.cursor_next.clone();
        }
        match script_error {
            Some(e) => c.last_error = Some(e),
            None if report.ok => c.last_error = None,
            None => {}
        }
        c.last_run = Some(report);
        tx.update_bookkeeping(&mut c)?;
        Ok::<_, ServiceError>(())
    })
}
