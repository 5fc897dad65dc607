//! Shared handles for request handlers: all cheap to clone.

use std::sync::Arc;

use crate::auth::ratelimit::LoginLimiter;
use crate::auth::session::Lifetimes;
use crate::backup::BackupRunner;
use crate::config::Config;
use crate::error::ServiceResult;
use crate::scenarios::registry::Scenarios;
use crate::store::Store;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub limiter: Arc<LoginLimiter>,
    /// Two-factor codes, per account and address: as many as password attempts.
    pub code_limiter: Arc<LoginLimiter>,
    pub backups: Arc<BackupRunner>,
    /// The compiled scenarios, swapped whole on change.
    pub scenarios: Arc<Scenarios>,
    /// Bounds concurrent scenario evaluations, so scripts never take every worker,
    /// fairly between record kinds.
    pub script_slots: Arc<crate::scenarios::slots::ScriptSlots>,
    /// Inbound hooks' compiled mappings, by hook and revision.
    pub hook_maps: Arc<crate::hooks::mapping::MapCache>,
    /// Uploaded exports waiting for the admin's choices.
    pub uploads: Arc<crate::erp::upload::staged::Uploads>,
    /// Pull connectors: the schedule's and admins' runs, one at a time per connector.
    pub connectors: Arc<crate::connectors::runner::Runner>,
    /// Members' todos, kept while no task changes.
    pub todos: Arc<crate::tasks::todo_cache::TodoCache>,
}

impl AppState {
    pub fn new(store: Store, config: Config) -> Self {
        let backups = BackupRunner::new(
            store.clone(),
            config.tmp_dir(),
            config.backup.dir.clone(),
            config.backup.keep,
        );
        let scenarios = Arc::new(Scenarios::new());
        let script_slots = Arc::new(crate::scenarios::slots::ScriptSlots::per_core());
        let connectors = crate::connectors::runner::Runner::new(
            store.clone(),
            scenarios.clone(),
            script_slots.clone(),
            &config.network,
        );
        AppState {
            limiter: Arc::new(LoginLimiter::new(config.login_attempts_per_minute)),
            code_limiter: Arc::new(LoginLimiter::new(config.login_attempts_per_minute)),
            backups: Arc::new(backups),
            scenarios,
            script_slots,
            connectors: Arc::new(connectors),
            hook_maps: Arc::new(crate::hooks::mapping::MapCache::default()),
            uploads: Arc::new(crate::erp::upload::staged::Uploads::default()),
            todos: Arc::new(crate::tasks::todo_cache::TodoCache::default()),
            store,
            config: Arc::new(config),
        }
    }

    pub fn lifetimes(&self) -> Lifetimes {
        Lifetimes {
            idle: chrono::Duration::from_std(self.config.session_idle)
                .unwrap_or(chrono::Duration::hours(12)),
            absolute: chrono::Duration::from_std(self.config.session_absolute)
                .unwrap_or(chrono::Duration::days(30)),
        }
    }

    /// Runs a service call on the blocking pool: services do synchronous storage I/O
    /// (and flush) and password hashing, which must not stall the async runtime.
    /// A place in the script queue for a batch of these record kinds, or none when no
    /// scenario watches any of them: a batch nobody watches waits for nothing, and the
    /// places are shared fairly between the kinds that are watched.
    pub async fn script_slot_for<'k>(
        &self,
        kinds: impl IntoIterator<Item = &'k str>,
    ) -> Option<crate::scenarios::slots::ScriptSlot> {
        self.script_slots.acquire_for(&self.scenarios, kinds).await
    }

    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> ServiceResult<T> + Send + 'static,
    ) -> ServiceResult<T> {
        crate::blocking::on_store(&self.store, f).await
    }
}
