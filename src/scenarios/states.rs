//! The (scenario, record) states, kept per ERP record (schema 5): one value under the
//! record's own id holds every watching scenario's state, so a pair's state is found
//! from the record id the push already has and needs no index entry of its own. Only
//! the wake times are indexed, for the tick.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::model::{ScenarioState, IX_WAKE};
use crate::erp::model::record_key;
use crate::erp::ErpRecord;
use crate::store::{Record, Store, StoreError, WriteTx};
use crate::time::time_key;

/// One scenario's state for one record: the last result, the open task, the next time
/// to look.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairState {
    pub active: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_task: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wake_at: Option<DateTime<Utc>>,
}

impl PairState {
    /// Nothing to remember: inactive, no task, no wake time.
    pub fn is_empty(&self) -> bool {
        !self.active && self.open_task.is_none() && self.wake_at.is_none()
    }
}

/// The states of the scenarios watching one ERP record, by scenario key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecordStates {
    /// The ERP record's id.
    pub id: u64,
    pub rev: u64,
    pub pairs: BTreeMap<String, PairState>,
}

impl Record for RecordStates {
    const KIND: &'static str = "scenstates";
    crate::id_and_rev!();
    fn multi_keys(&self) -> Vec<(&'static str, String)> {
        let wakes: BTreeSet<String> = self
            .pairs
            .values()
            .filter_map(|p| p.wake_at.map(time_key))
            .collect();
        wakes.into_iter().map(|w| (IX_WAKE, w)).collect()
    }
}

/// The id of the current record `kind`/`record_id` as the write sees it (a record new
/// in this batch included).
pub fn record_id_in(
    tx: &WriteTx<'_>,
    kind: &str,
    record_id: &str,
) -> Result<Option<u64>, StoreError> {
    tx.lookup("erp_record", &record_key(kind, record_id))
}

/// The stored state of `scenario` for the record `erp_id`, in the caller's write.
pub fn pair_in(
    tx: &WriteTx<'_>,
    erp_id: u64,
    scenario: &str,
) -> Result<Option<PairState>, StoreError> {
    Ok(tx
        .get::<RecordStates>(erp_id)?
        .and_then(|s| s.pairs.get(scenario).copied()))
}

/// Stores `state` as `scenario`'s for the record `erp_id`, in the caller's write.
pub fn set_pair(
    tx: &mut WriteTx<'_>,
    erp_id: u64,
    scenario: &str,
    state: PairState,
) -> Result<(), StoreError> {
    match tx.get::<RecordStates>(erp_id)? {
        Some(mut s) => {
            let rev = s.rev;
            s.pairs.insert(scenario.to_string(), state);
            tx.update(&mut s, rev)
        }
        None => {
            let mut s = RecordStates {
                id: erp_id,
                rev: 0,
                pairs: BTreeMap::from([(scenario.to_string(), state)]),
            };
            tx.insert_owned(&mut s)
        }
    }
}

/// Whether `scenario` has a stored state for the current record `kind`/`record_id`.
pub fn has_pair(
    store: &Store,
    scenario: &str,
    kind: &str,
    record_id: &str,
) -> Result<bool, StoreError> {
    let Some(id) = store.lookup("erp_record", &record_key(kind, record_id))? else {
        return Ok(false);
    };
    Ok(store
        .get::<RecordStates>(id)?
        .is_some_and(|s| s.pairs.contains_key(scenario)))
}

/// Schema step 4 → 5: the states kept one record per pair (with a unique index entry
/// each) become one value per ERP record. States of records that are gone are
/// dropped (nothing could wake them). A chunk of states per write; an interrupted
/// step runs again on what is left.
pub fn fold_pair_states(store: &Store) -> Result<(), StoreError> {
    const CHUNK: usize = 1000;
    let old: Vec<ScenarioState> = store.list()?;
    for chunk in old.chunks(CHUNK) {
        store.write(|tx| {
            for st in chunk {
                tx.delete::<ScenarioState>(st.id)?;
                let Some(erp_id) = record_id_in(tx, &st.kind, &st.record_id)? else {
                    continue;
                };
                // The record must still be there (its index entry could outlive it
                // only in a damaged store).
                if tx.get::<ErpRecord>(erp_id)?.is_none() {
                    continue;
                }
                set_pair(
                    tx,
                    erp_id,
                    &st.scenario,
                    PairState {
                        active: st.active,
                        open_task: st.open_task,
                        wake_at: st.wake_at,
                    },
                )?;
            }
            Ok::<_, StoreError>(())
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::store::{KeyRange, META_SCHEMA};

    fn legacy(scenario: &str, record_id: &str, wake_at: Option<DateTime<Utc>>) -> ScenarioState {
        ScenarioState {
            id: 0,
            rev: 0,
            scenario: scenario.into(),
            kind: "stock".into(),
            record_id: record_id.into(),
            active: true,
            open_task: Some(77),
            wake_at,
        }
    }

    fn count(store: &Store, prefix: &str) -> usize {
        store.scan(KeyRange::prefix(prefix), false).count()
    }

    /// States written one record per pair (schema 4) open as one value per ERP
    /// record, found without an index, the wake times still indexed for the tick.
    #[test]
    fn a_schema_4_database_opens_with_states_per_record() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db");
        let wake = Utc.with_ymd_and_hms(2026, 11, 3, 0, 0, 0).unwrap();
        let erp_id = {
            let store = Store::open(&db, 1 << 20).unwrap();
            store
                .write(|tx| {
                    let id = tx.insert(&mut ErpRecord {
                        id: 0,
                        rev: 0,
                        kind: "stock".into(),
                        record_id: "SKU-1".into(),
                        version: 1,
                        data: serde_json::json!({"available": 3}),
                        previous: None,
                        occurred_at: None,
                        received_at: wake,
                    })?;
                    tx.insert(&mut legacy("low_stock", "SKU-1", Some(wake)))?;
                    tx.insert(&mut legacy("reorder", "SKU-1", None))?;
                    // a state whose record is gone
                    tx.insert(&mut legacy("low_stock", "GONE", Some(wake)))?;
                    tx.put_meta(META_SCHEMA, 4u32.to_be_bytes().to_vec());
                    Ok::<_, StoreError>(id)
                })
                .unwrap()
        };
        let store = Store::open(&db, 1 << 20).unwrap();
        assert_eq!(count(&store, "scenstate/"), 0);
        assert_eq!(count(&store, "ix/scenario_state/"), 0);
        let states: RecordStates = store.load(erp_id).unwrap();
        assert_eq!(states.pairs.len(), 2);
        assert_eq!(
            states.pairs["low_stock"],
            PairState {
                active: true,
                open_task: Some(77),
                wake_at: Some(wake)
            }
        );
        assert!(has_pair(&store, "reorder", "stock", "SKU-1").unwrap());
        assert!(!has_pair(&store, "reorder", "stock", "GONE").unwrap());
        assert_eq!(
            store.ids_by_range(IX_WAKE, &time_key(wake)).unwrap(),
            vec![erp_id],
            "one wake entry, the record's"
        );
    }
}
