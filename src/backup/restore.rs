//! Restore: a backup becomes a new database beside the target, with its indexes and id
//! counter rebuilt from the records and checked, and only then is put in place.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::reader::{verify, Entry, EntryReader, MAX_ID};
use super::{check, BackupError, Header};
use crate::store::{
    decode_id, encode_id, index_key, multi_key, Store, StoreError, META_NEXT_ID, META_SCHEMA,
    SCHEMA_VERSION,
};

/// Entries written to the new database at once, and the bytes after which a batch is
/// written early: a batch is held in memory, so it is bounded by both.
const BATCH_ENTRIES: usize = 1000;
const BATCH_BYTES: usize = 4 << 20;
/// Database cache while restoring; restore reads each entry once, but each batch
/// updates leaves the previous ones wrote. Since sled's cache counts nodes at their
/// size in memory (vendor/sled/PATCHES.md), 8 MiB held a third of what it did before
/// and evicted leaves were read back: restoring the 1M-record backup that
/// `benches/memory/run.sh` makes then peaked at 137-161 MiB (five runs), against
/// 133-138 with 24 MiB (three runs), as before the change to sled (135-138); with
/// leaves of up to 48 entries (PATCHES.md 6) 24 MiB peaks at 94-96.
const RESTORE_CACHE: u64 = 24 << 20;
/// Entries written into the new database, or read back to check it, between two
/// openings of it. sled 0.34 keeps bookkeeping in memory for every page it touched
/// since it was opened, whatever its cache setting (sled issues #1093 and #1036), so
/// one opening for a whole large backup grows with the backup; closing and reopening
/// drops it, and the reopening replays only what was written since the last one.
/// Peak RSS restoring 1,000,000 ERP records (1.5M entries): 258 MiB in one opening,
/// 194 MiB reopening every 100,000 (in 170 s) and also 194 every 25,000 (in 406 s):
/// the rest is what sled holds for every page as soon as it opens.
pub(super) const ENTRIES_PER_OPENING: u64 = 100_000;

fn dir_is_empty(dir: &Path) -> Result<bool, std::io::Error> {
    match std::fs::read_dir(dir) {
        Ok(mut it) => Ok(it.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e),
    }
}

/// Restores `file` into data directory `data_dir`: checks the whole file first (before
/// anything is created), loads it into a new database beside the target, rebuilds and
/// checks the indexes, and only then puts it in place. With `force`, an existing
/// database is moved aside (never deleted). On any error nothing is left behind: not
/// the new database, and not `data_dir` if restore created it.
pub fn restore(
    file: &Path,
    data_dir: &Path,
    force: bool,
    now: DateTime<Utc>,
) -> Result<Header, BackupError> {
    let header = verify(file)?;
    if !dir_is_empty(data_dir)? && !force {
        return Err(BackupError::NotEmpty(data_dir.to_path_buf()));
    }
    let db_dir = data_dir.join("db");
    if db_dir.exists() {
        // Refuse while a server holds it: opening takes the database's lock.
        drop(Store::open(&db_dir, 1 << 20)?);
    }
    let created = !data_dir.exists();
    std::fs::create_dir_all(data_dir)?;
    let staging = data_dir.join(format!("db.restoring-{}", now.format("%Y%m%d%H%M%S")));
    if staging.exists() {
        std::fs::remove_dir_all(&staging)?;
    }
    if let Err(e) = load_into(file, &staging, ENTRIES_PER_OPENING) {
        let _ = std::fs::remove_dir_all(&staging);
        if created {
            let _ = std::fs::remove_dir(data_dir);
        }
        return Err(e);
    }
    if db_dir.exists() {
        let aside = data_dir.join(format!("db.before-restore-{}", now.format("%Y%m%d%H%M%S")));
        std::fs::rename(&db_dir, &aside)?;
        tracing::info!(path = %aside.display(), "moved the existing database aside");
    }
    std::fs::rename(&staging, &db_dir)?;
    Ok(header)
}

/// Closes `store` (it must be the only handle) and opens its directory again, without
/// migrating: the schema version loaded so far is the backup's, and its records are
/// not all there yet.
fn reopen(store: Store) -> Result<Store, StoreError> {
    let dir = store.path().to_path_buf();
    store.flush()?;
    drop(store);
    Store::open_without_migrating(&dir, RESTORE_CACHE)
}

/// Writes entries in bounded batches, refusing a unique value claimed twice, and
/// reopens the database every [`ENTRIES_PER_OPENING`] entries written.
struct Loader {
    store: Store,
    /// Entries written since the database was last opened, and the bound on them.
    written: u64,
    every: u64,
    /// Times the database was opened, for tests.
    openings: u32,
    batch: Vec<(Vec<u8>, Vec<u8>)>,
    batch_bytes: usize,
    /// Unique index entries in the batch not yet written, to find a value claimed
    /// twice within one batch.
    pending: HashMap<Vec<u8>, u64>,
}

impl Loader {
    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<(), BackupError> {
        self.batch_bytes = self
            .batch_bytes
            .saturating_add(key.len())
            .saturating_add(value.len());
        self.batch.push((key, value));
        if self.batch.len() >= BATCH_ENTRIES || self.batch_bytes >= BATCH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), BackupError> {
        let n = self.batch.len() as u64;
        self.store
            .raw_insert_batch(std::mem::take(&mut self.batch))?;
        self.batch_bytes = 0;
        self.pending.clear();
        self.written = self.written.saturating_add(n);
        Ok(())
    }

    /// Reopens the database once [`Loader::every`] entries were written (or are in the
    /// batch) since it was opened; called between entries, so no unique claim is pending.
    fn reopen_when_due(mut self) -> Result<Self, BackupError> {
        if self.written.saturating_add(self.batch.len() as u64) < self.every {
            return Ok(self);
        }
        self.flush()?;
        self.store = reopen(self.store)?;
        self.written = 0;
        self.openings = self.openings.saturating_add(1);
        Ok(self)
    }

    fn claim_unique(&mut self, index: &str, value: &str, id: u64) -> Result<(), BackupError> {
        let key = index_key(index, value);
        let holder = match self.pending.get(&key) {
            Some(h) => Some(*h),
            None => match self.store.raw_get(&key)? {
                Some(b) => Some(decode_id(&b)?),
                None => None,
            },
        };
        if let Some(other) = holder {
            return Err(BackupError::Corrupt(format!(
                "records {other} and {id} both claim {index} '{}'",
                super::reader::shown(value)
            )));
        }
        self.pending.insert(key.clone(), id);
        self.put(key, encode_id(id).to_vec())
    }
}

/// Loads `file` into a new database in `db_dir` and checks it, opening the database
/// anew every `every` entries written or read; returns how many times it was opened.
pub(super) fn load_into(file: &Path, db_dir: &Path, every: u64) -> Result<u32, BackupError> {
    let mut reader = EntryReader::open(file)?;
    let mut loader = Loader {
        store: Store::open(db_dir, RESTORE_CACHE)?,
        written: 0,
        every: every.max(1),
        openings: 1,
        batch: Vec::with_capacity(BATCH_ENTRIES),
        batch_bytes: 0,
        pending: HashMap::new(),
    };
    let mut recorded_next = 1u64;
    let mut max_id = 0u64;
    while let Some(entry) = reader.next_entry()? {
        match entry {
            Entry::Meta { key, value } if key == META_NEXT_ID => {
                recorded_next = decode_id(&value)
                    .ok()
                    .filter(|n| *n <= MAX_ID + 1)
                    .ok_or_else(|| {
                        BackupError::Corrupt("meta/next_id is not an id in range".into())
                    })?;
            }
            Entry::Meta { key, value } if key == META_SCHEMA => {
                let known = <[u8; 4]>::try_from(value.as_slice())
                    .map(u32::from_be_bytes)
                    .is_ok_and(|v| (1..=SCHEMA_VERSION).contains(&v));
                if !known {
                    return Err(BackupError::Corrupt(
                        "meta/schema is not a schema version this Baton knows".into(),
                    ));
                }
                loader.put(key, value)?;
            }
            Entry::Meta { key, value } => loader.put(key, value)?,
            Entry::Record {
                key, value, claims, ..
            } => {
                loader.put(key, value)?;
                for (index, value) in &claims.unique {
                    loader.claim_unique(index, value, claims.id)?;
                }
                for (index, value) in &claims.multi {
                    loader.put(multi_key(index, value, claims.id), Vec::new())?;
                }
                if claims.counted {
                    max_id = max_id.max(claims.id);
                }
            }
            Entry::OldIndex => {}
        }
        loader = loader.reopen_when_due()?;
    }
    reader.finish()?;
    // Ids are never reused: above every id present, and above what the counter said
    // (ids of deleted records may still be named in logs).
    let next = max_id
        .checked_add(1)
        .ok_or_else(|| BackupError::Corrupt("a record id is at the top of the id range".into()))?
        .max(recorded_next);
    loader.put(META_NEXT_ID.to_vec(), encode_id(next).to_vec())?;
    loader.flush()?;
    let mut openings = loader.openings;
    let reopen_counted = |store| {
        openings = openings.saturating_add(1);
        reopen(store)
    };
    let (_, store) =
        check::check_reopening(loader.store, loader.every, reopen_counted).map_err(|e| {
            BackupError::Corrupt(format!("the restored database would not be whole: {e}"))
        })?;
    let dir = store.path().to_path_buf();
    store.flush()?;
    drop(store);
    // The server's first start then begins where this opening ended; without it, that
    // start replays the log instead (slower, nothing lost).
    if let Err(e) = Store::checkpoint(&dir) {
        tracing::warn!(error = %e, "restored database not checkpointed");
    }
    Ok(openings)
}
