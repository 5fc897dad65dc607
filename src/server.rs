//! Starting and stopping the server.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use chrono::Utc;
use tokio::net::TcpListener;

use crate::admin;
use crate::auth::session;
use crate::bootstrap;
use crate::config::Config;
use crate::http;
use crate::state::AppState;
use crate::store::Store;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Service(#[from] crate::error::ServiceError),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> ServeError {
    let context = context.into();
    move |source| ServeError::Io { context, source }
}

/// Threads of tokio's blocking pool, where every store call runs (`crate::blocking`).
///
/// Each thread keeps allocator pages of its own, and the nodes sled reads on one
/// thread are freed on whichever thread evicts them, so every thread adds resident
/// memory that the cache setting does not bound. Restarted on the 1M-record data of
/// `benches/memory/run.sh`, after its 10 s of reads at 64 connections: 16 threads
/// 139 MiB, 8 threads 125, 4 threads 113-117 (one run each, 2 cores), with as many
/// requests served (reads are CPU work there; more threads do not serve more).
/// Two of them can be taken by scenario scripts (`scenarios::slots`); work beyond
/// the bound waits in tokio's queue, it is not refused. Tokio's default, 512, let
/// a burst of readers hold hundreds of MiB.
pub const BLOCKING_THREADS: usize = 4;

/// Opens the data directory and prepares it: database, first admin, ERP project.
/// Returns the store and, on a fresh directory, the generated admin password.
pub fn prepare(config: &Config) -> Result<(Store, Option<String>), ServeError> {
    crate::fs_private::create_dir(&config.data_dir).map_err(io(format!(
        "cannot create data directory {}",
        config.data_dir.display()
    )))?;
    crate::fs_private::create_dir(&config.tmp_dir()).map_err(io("cannot create tmp directory"))?;
    crate::fs_private::create_dir(&config.uploads_dir())
        .map_err(io("cannot create uploads directory"))?;
    let store = Store::open(&config.db_dir(), config.cache_bytes)?;
    store.set_min_free(config.min_free_disk);
    // The database holds password hashes: owner only, whatever the umask was.
    crate::fs_private::restrict_tree(&config.db_dir())
        .map_err(io("cannot restrict the database files to their owner"))?;
    let password = bootstrap::first_start(
        &store,
        config.admin_password.as_deref(),
        config.language,
        Utc::now(),
    )?;
    // After the first start's records, so the first admin keeps id 1.
    if crate::stats::record::ensure_built(&store, config.timezone)? {
        tracing::info!(timezone = %config.timezone, "statistics rebuilt from the task log");
    }
    Ok((store, password))
}

/// Serves until `shutdown` resolves; in-flight requests finish, then the database is
/// flushed. Tests call this with a listener bound to `127.0.0.1:0`.
pub async fn serve(
    config: Config,
    store: Store,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    // The metrics recorder before anything counts.
    let _ = crate::metrics::handle();
    let state = AppState::new(store.clone(), config.clone());
    let socket_path = config.socket_path();
    let admin_listener = admin::socket::bind(&socket_path).map_err(io(format!(
        "cannot create admin socket {}",
        socket_path.display()
    )))?;
    let admin_task = tokio::spawn(admin::socket::run(
        admin_listener,
        store.clone(),
        state.backups.clone(),
        state.scenarios.clone(),
        socket_path.clone(),
    ));
    if let Err(e) = state.scenarios.reload(&store) {
        tracing::error!(error = %e, "loading scenarios failed");
    }
    let scheduler = tokio::spawn(housekeeping(state.clone()));
    let reminder_task = tokio::spawn(reminders(state.clone()));
    let news_task = tokio::spawn(news(state.clone()));
    let connector_task = tokio::spawn(connectors(state.clone()));
    let delivery_task = tokio::spawn(crate::delivery::worker::run(
        state.store.clone(),
        state.config.clone(),
        state.scenarios.clone(),
    ));

    let app = http::app(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .map_err(io("server failed"))?;

    admin_task.abort();
    scheduler.abort();
    reminder_task.abort();
    news_task.abort();
    connector_task.abort();
    delivery_task.abort();
    let _ = std::fs::remove_file(&socket_path);
    store.flush()?;
    tracing::info!("stopped; database flushed");
    Ok(())
}

/// News feeds, fetched every `[news] interval`; a bad feed only records its error.
async fn news(state: AppState) {
    let Some(every) = state.config.news.interval else {
        return;
    };
    let (timeout, max) = (state.config.news.timeout, state.config.news.max_bytes);
    loop {
        let ok =
            crate::board::news::fetch_all(&state.store, &state.config.network, timeout, max).await;
        tracing::debug!(ok, "news feeds fetched");
        tokio::time::sleep(every).await;
    }
}

/// Pull connectors: every tick starts those whose time has come (each on its own task).
async fn connectors(state: AppState) {
    let mut tick = tokio::time::interval(state.config.scheduler_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        state.connectors.run_due(chrono::Utc::now()).await;
    }
}

/// Reminders on their own, shorter tick.
async fn reminders(state: AppState) {
    let mut tick = tokio::time::interval(state.config.scheduler_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let scheduled = tick.tick().await;
        let started = tokio::time::Instant::now();
        let lag = started.saturating_duration_since(scheduled);
        // Time triggers of scenarios (and catching up after downtime on the first tick).
        let scenarios = state.scenarios.clone();
        match state
            .run(move |s| crate::scenarios::tick::tick(s, &scenarios, Utc::now()))
            .await
            .inspect(crate::metrics::scenarios)
        {
            Ok(r) if r.tasks_created + r.tasks_closed + r.errors > 0 => {
                tracing::info!(
                    created = r.tasks_created,
                    closed = r.tasks_closed,
                    errors = r.errors,
                    "scenario time triggers"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "scenario tick failed"),
        }
        let lead = crate::tasks::reminders::lead_of(state.config.due_soon);
        match state
            .run(move |s| crate::tasks::reminders::tick(s, Utc::now(), lead))
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(sent = n, "reminders sent"),
            Err(e) => tracing::error!(error = %e, "reminder tick failed"),
        }
        crate::metrics::scheduler_tick(lag, started.elapsed());
    }
}

/// Periodic work: scheduled backups, expired sessions, limiter memory.
async fn housekeeping(state: AppState) {
    let period = state
        .config
        .backup
        .interval
        .map_or(Duration::from_secs(60), |i| i.min(Duration::from_secs(60)));
    let mut tick = tokio::time::interval(period);
    // The first tick is immediate; let the server start before any backup.
    tick.tick().await;
    let mut last_backup = tokio::time::Instant::now();
    loop {
        tick.tick().await;
        let s = state.clone();
        let life = state.lifetimes();
        let purge = tokio::task::spawn_blocking(move || {
            let now = Utc::now();
            session::purge_expired(&s.store, now, life)?;
            crate::scenarios::analytics::roll_up(&s.store, now)?;
            crate::org::two_factor::challenge::purge_expired(&s.store, now)?;
            crate::org::two_factor::challenge::pending::purge_expired(&s.store, now)
        })
        .await;
        if let Ok(Err(e)) = purge {
            tracing::warn!(error = %e, "session purge failed");
        }
        state.limiter.shrink();
        state.code_limiter.shrink();
        if let Some(interval) = state.config.backup.interval {
            if last_backup.elapsed() >= interval {
                last_backup = tokio::time::Instant::now();
                let runner = state.backups.clone();
                match tokio::task::spawn_blocking(move || runner.to_backup_dir(Utc::now())).await {
                    Ok(Ok((path, h))) => {
                        tracing::info!(file = %path.display(), entries = h.entries, "scheduled backup written")
                    }
                    Ok(Err(e)) => tracing::error!(error = %e, "scheduled backup failed"),
                    Err(e) => tracing::error!(error = %e, "scheduled backup task failed"),
                }
            }
        }
    }
}

/// Resolves when SIGINT or SIGTERM arrives.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}
