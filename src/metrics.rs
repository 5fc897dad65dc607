//! Prometheus metrics: what an operator watches without reading logs.
//!
//! One process-wide recorder (the `metrics` facade); counters are bumped where things
//! happen (requests, ingest, scenarios, scheduler) and gauges that are cheaper to read
//! than to track (store size, outbox backlog) are read when `/metrics` is scraped.
//! Names follow Prometheus conventions: `baton_` prefix, `_total` counters, `_seconds`.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::scenarios::apply::Report;
use crate::store::Store;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The recorder, installed on first use. `None` if another recorder was installed
/// first (then Baton's metrics go there and `/metrics` says so).
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
            Some(handle)
        })
        .as_ref()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "baton_http_requests_total",
        "HTTP requests by route, method and status"
    );
    describe_histogram!(
        "baton_http_request_duration_seconds",
        Unit::Seconds,
        "HTTP request latency by route and method"
    );
    describe_counter!("baton_ingest_batches_total", "ERP record batches pushed");
    describe_counter!(
        "baton_ingest_records_total",
        "ERP records pushed, by outcome (stored, unchanged, rejected)"
    );
    describe_counter!("baton_scenario_evaluations_total", "Scenario evaluations");
    describe_counter!("baton_scenario_errors_total", "Scenario run-time errors");
    describe_counter!(
        "baton_scenario_tasks_created_total",
        "Tasks created by scenarios"
    );
    describe_counter!(
        "baton_scenario_quarantines_total",
        "Scenarios switched off for running away"
    );
    describe_gauge!(
        "baton_outbox_items",
        "Outbox notices by status (pending, failed)"
    );
    describe_gauge!(
        "baton_store_size_bytes",
        Unit::Bytes,
        "Database size on disk"
    );
    describe_gauge!(
        "baton_scheduler_lag_seconds",
        Unit::Seconds,
        "How late the last scheduler tick started"
    );
    describe_gauge!(
        "baton_scheduler_tick_seconds",
        Unit::Seconds,
        "How long the last scheduler tick took"
    );
}

/// Counts and times every request that matched a route, labelled by the route's
/// template (`/api/tasks/{id}`), never the raw path: ids would explode the series.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().as_str().to_string();
    let started = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    metrics::histogram!(
        "baton_http_request_duration_seconds",
        "route" => route.clone(),
        "method" => method.clone()
    )
    .record(started.elapsed().as_secs_f64());
    metrics::counter!(
        "baton_http_requests_total",
        "route" => route,
        "method" => method,
        "status" => status
    )
    .increment(1);
    resp
}

/// A pushed batch: records by outcome.
pub fn ingest(stored: usize, unchanged: usize, rejected: usize) {
    metrics::counter!("baton_ingest_batches_total").increment(1);
    for (outcome, n) in [
        ("stored", stored),
        ("unchanged", unchanged),
        ("rejected", rejected),
    ] {
        metrics::counter!("baton_ingest_records_total", "outcome" => outcome).increment(n as u64);
    }
}

/// What scenarios did in a push or a scheduler tick.
pub fn scenarios(r: &Report) {
    metrics::counter!("baton_scenario_evaluations_total").increment(r.evaluated as u64);
    metrics::counter!("baton_scenario_errors_total").increment(r.errors as u64);
    metrics::counter!("baton_scenario_tasks_created_total").increment(r.tasks_created as u64);
    metrics::counter!("baton_scenario_quarantines_total").increment(r.quarantined.len() as u64);
}

/// A scheduler tick: how late it started and how long it took.
pub fn scheduler_tick(lag: std::time::Duration, took: std::time::Duration) {
    metrics::gauge!("baton_scheduler_lag_seconds").set(lag.as_secs_f64());
    metrics::gauge!("baton_scheduler_tick_seconds").set(took.as_secs_f64());
}

/// The text exposition, with the gauges read now.
pub fn render(store: &Store) -> Result<String, crate::store::StoreError> {
    let Some(h) = handle() else {
        return Ok("# another metrics recorder is installed in this process\n".into());
    };
    let (pending, failed) = crate::delivery::outbox::backlog(store)?;
    metrics::gauge!("baton_outbox_items", "status" => "pending").set(pending as f64);
    metrics::gauge!("baton_outbox_items", "status" => "failed").set(failed as f64);
    metrics::gauge!("baton_store_size_bytes").set(store.size_on_disk()? as f64);
    h.run_upkeep();
    Ok(h.render())
}
