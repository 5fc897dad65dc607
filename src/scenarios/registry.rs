//! The compiled registry: the engine and every enabled scenario, compiled, by the
//! record kind it watches.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use rhai::Engine;

use super::engine;
use super::model::Scenario;
use super::quarantine;
use super::record;
use super::script::{compile, Compiled};
use crate::error::ServiceResult;
use crate::store::Store;

/// One enabled scenario, compiled.
#[derive(Clone)]
pub struct Loaded {
    pub id: u64,
    pub version: u64,
    pub owner_id: Option<u64>,
    pub compiled: Compiled,
}

/// The compiled, enabled scenarios by record kind, with the engine to run them in.
///
/// That engine also has a property getter on the record for every field name the
/// scripts write as `r.name`: rhai would find the field without it (through the
/// record's indexer), but only after a failed getter lookup, which costs more than
/// reading the field. See `record::register_getters`.
pub struct Set {
    pub engine: Arc<Engine>,
    by_kind: HashMap<String, Vec<Loaded>>,
}

impl std::ops::Deref for Set {
    type Target = HashMap<String, Vec<Loaded>>;
    fn deref(&self) -> &Self::Target {
        &self.by_kind
    }
}

/// The engine and the compiled set. The set is replaced as a whole after a change
/// (compile the new set fully, then swap).
pub struct Scenarios {
    /// The engine for scripts outside the set (save, dry run, preview).
    pub engine: Arc<Engine>,
    set: RwLock<Arc<Set>>,
    /// Runaway strikes per scenario, towards quarantine.
    pub strikes: quarantine::Strikes,
}

impl Scenarios {
    pub fn new() -> Self {
        // steps' conditions run in this sandbox too (the task service asks through it)
        super::conditions::install();
        Scenarios {
            engine: Arc::new(engine::build()),
            set: RwLock::new(Arc::new(Set {
                engine: Arc::new(engine::build()),
                by_kind: HashMap::new(),
            })),
            strikes: quarantine::Strikes::default(),
        }
    }

    /// Compiles every enabled scenario; one that no longer compiles keeps its error
    /// on record and is left out.
    pub fn reload(&self, store: &Store) -> ServiceResult<()> {
        let enabled: Vec<Scenario> = store
            .list::<Scenario>()?
            .into_iter()
            .filter(|s| s.enabled)
            .collect();
        let mut engine = engine::build();
        record::register_getters(
            &mut engine,
            enabled
                .iter()
                .flat_map(|s| record::property_names(&s.source)),
        );
        let mut by_kind: HashMap<String, Vec<Loaded>> = HashMap::new();
        for s in enabled {
            match compile(&engine, &s.source) {
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
        *guard = Arc::new(Set {
            engine: Arc::new(engine),
            by_kind,
        });
        Ok(())
    }

    pub fn current(&self) -> Arc<Set> {
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
