//! The index invariants of a database, checked from its records.
//!
//! Restore runs this on every database it builds before putting it in place; tests
//! run it after anything that should keep a database whole.

use std::collections::BTreeMap;
use std::ops::Bound;

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
    check_reopening(store.clone(), u64::MAX, Ok).map(|(summary, _)| summary)
}

/// [`check`] in stretches of at most `every` entries read, handing the store to
/// `reopen` between two stretches and going on with the store it returns. Restore
/// reopens the database it built: sled keeps something in memory for every page read
/// since it was opened (see `restore::ENTRIES_PER_OPENING`).
pub(crate) fn check_reopening(
    store: Store,
    every: u64,
    mut reopen: impl FnMut(Store) -> Result<Store, StoreError>,
) -> Result<(Summary, Store), Broken> {
    let mut s = Summary::default();
    let store = walk(store, KeyRange::all(), every, &mut reopen, |store, k, v| {
        check_entry(store, k, v, &mut s)
    })?;
    // Every claim was found; equal totals then mean no entry is left over.
    let (store, unique_stored) = count(store, "ix/", every, &mut reopen)?;
    let (store, multi_stored) = count(store, "mx/", every, &mut reopen)?;
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
    Ok((s, store))
}

/// Checks one entry of the store: a record's claims are all stored and point to it.
fn check_entry(store: &Store, k: &[u8], v: &[u8], s: &mut Summary) -> Result<(), Broken> {
    let key = String::from_utf8_lossy(k);
    let Some((prefix, _)) = key.split_once('/') else {
        return Err(broken(format!("key '{key}' has no kind")));
    };
    if matches!(prefix, "ix" | "mx" | "meta") {
        return Ok(());
    }
    let kind = kinds::find(prefix).ok_or_else(|| broken(format!("'{key}' is of no known kind")))?;
    let claims = kind
        .claims(v)
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
    if claims.counted {
        s.max_id = s.max_id.max(claims.id);
    }
    *s.records.entry(kind.name.to_string()).or_default() += 1;
    Ok(())
}

/// Calls `each` with every entry in `range`, in key order, handing the store to
/// `reopen` after every `every` entries and carrying on after the last key read.
fn walk(
    mut store: Store,
    mut range: KeyRange,
    every: u64,
    reopen: &mut impl FnMut(Store) -> Result<Store, StoreError>,
    mut each: impl FnMut(&Store, &[u8], &[u8]) -> Result<(), Broken>,
) -> Result<Store, Broken> {
    loop {
        let mut read = 0u64;
        let mut stopped_at = None;
        for item in store.scan_uncached(range.clone(), false) {
            let (k, v) = item?;
            each(&store, &k, &v)?;
            read += 1;
            if read >= every {
                stopped_at = Some(k);
                break;
            }
        }
        let Some(mut key) = stopped_at else {
            return Ok(store);
        };
        key.push(0); // the first key after the last one read
        range.start = Bound::Included(key);
        store = reopen(store)?;
    }
}

/// Number of durable entries under `prefix`.
fn count(
    store: Store,
    prefix: &str,
    every: u64,
    reopen: &mut impl FnMut(Store) -> Result<Store, StoreError>,
) -> Result<(Store, u64), Broken> {
    let mut n = 0u64;
    let store = walk(store, KeyRange::prefix(prefix), every, reopen, |_, _, _| {
        n += 1;
        Ok(())
    })?;
    Ok((store, n))
}
