//! The compiled registry: the engine and every enabled scenario, compiled, by the
//! record kind it watches.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use rhai::Engine;

use super::engine;
use super::model::Scenario;
use super::quarantine;
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

