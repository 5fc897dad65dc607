//! The index invariants of a database, checked from its records.
//!
//! Restore runs this on every database it builds before putting it in place; tests
//! run it after anything that should keep a database whole.

use std::collections::BTreeMap;

use super::kinds;
use crate::store::{decode_id, index_key, multi_key, KeyRange, Store, StoreError, META_NEXT_ID};

/// What a whole database holds, counted while checking it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Records per kind.
    pub records: BTreeMap<String, u64>,
    pub unique_entries: u64,
    pub multi_entries: u64,
    pub max_id: u64,
    pub next_id: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum Broken {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invariant(String),
}

fn broken(msg: String) -> Broken {
    Broken::Invariant(msg)
}

/// Checks that every record's index entries exist and point to it, that no index entry
/// is left without a record claiming it, that no two records claim one unique value,
/// and that the id counter is above every id present.
///
/// Reads the store once in key order; memory does not grow with its size.
pub fn check(store: &Store) -> Result<Summary, Broken> {
    let mut s = Summary::default();
    for item in store.raw_entries() {
        let (k, v) = item?;
        let key = String::from_utf8_lossy(&k);
        let Some((prefix, _)) = key.split_once('/') else {
            return Err(broken(format!("key '{key}' has no kind")));
        };
        if matches!(prefix, "ix" | "mx" | "meta") {
            continue;
        }
        let kind =
            kinds::find(prefix).ok_or_else(|| broken(format!("'{key}' is of no known kind")))?;
        let claims = kind
            .claims(&v)
            .map_err(|e| broken(format!("record '{key}' does not read: {e}")))?;
        if k != crate::store::record_key(kind.name, claims.id) {
            return Err(broken(format!(
                "record '{key}' says its id is {}",
                claims.id
            )));
        }
        for (index, value) in &claims.unique {
            match store.raw_get(&index_key(index, value))? {
                Some(id) if decode_id(&id)? == claims.id => {}
                Some(id) => {
                    return Err(broken(format!(
                        "records {} and {} both claim {index} '{value}'",
                        decode_id(&id)?,
                        claims.id
                    )))
                }
                None => {
                    return Err(broken(format!(
                        "record '{key}' lacks its index entry {index} '{value}'"
                    )))
                }
            }
        }
        for (index, value) in &claims.multi {
            if store
                .raw_get(&multi_key(index, value, claims.id))?
                .is_none()
            {
                return Err(broken(format!(
                    "record '{key}' lacks its index entry {index} '{value}'"
                )));
            }
        }
        s.unique_entries += claims.unique.len() as u64;
        s.multi_entries += claims.multi.len() as u64;
        s.max_id = s.max_id.max(claims.id);
        *s.records.entry(kind.name.to_string()).or_default() += 1;
    }
    // Every claim was found; equal totals then mean no entry is left over.
    let unique_stored = count(store, "ix/")?;
    let multi_stored = count(store, "mx/")?;
    if unique_stored != s.unique_entries || multi_stored != s.multi_entries {
        return Err(broken(format!(
            "{} unique and {} other index entries stored, but records claim {} and {}: some point to no record",
            unique_stored, multi_stored, s.unique_entries, s.multi_entries
        )));
    }
    s.next_id = match store.raw_get(META_NEXT_ID)? {
        Some(b) => decode_id(&b)?,
        None => 1,
    };
    if s.next_id <= s.max_id {
        return Err(broken(format!(
            "the id counter ({}) is not above the highest id present ({})",
            s.next_id, s.max_id
        )));
    }
    Ok(s)
}

/// Number of durable entries under `prefix`.
fn count(store: &Store, prefix: &str) -> Result<u64, StoreError> {
    let mut n = 0u64;
    for item in store.scan(KeyRange::prefix(prefix), false) {
        item?;
        n += 1;
    }
    Ok(n)
}
