//! The one module that knows how data is kept.
//!
//! Every durable record lives in the `data` key space under `{kind}/{id:016x}`; unique
//! secondary indexes live beside them under `ix/{index}/{value}`. All writes go through
//! [`Store::write`], which serialises writers, applies the whole change as one atomic
//! batch (record and index entries together) and flushes before returning, so a caller
//! that got `Ok` may acknowledge the write to a client. Sessions and other short-lived
//! state live in the `ephemeral` space, which backups skip.
//!
//! The bytes are kept by a [`Backend`]: sled in production, a `BTreeMap` in unit tests
//! ([`Store::memory`]). Nothing outside this module names the engine.

mod backend;
mod changes;
mod codec;
#[cfg(test)]
mod conformance;
mod dir_lock;
mod error;
mod indexes;
mod keys;
mod memory;
mod migrate;
mod open;
mod reindex;
mod sled_backend;
mod snapshot;
mod write;

pub use backend::{prefix_end, Backend, Batch, Entries, Entry, KeyRange, Space};
pub use codec::{decode, decode_part, encode, Record};
pub use error::StoreError;
pub use keys::{
    decode_id, encode_id, index_key, kind_of, multi_key, record_key, META_NEXT_ID, META_SCHEMA,
};
pub use memory::MemoryBackend;
pub use write::WriteTx;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Current schema version of the data tree; bumped with a step in `migrate.rs`.
pub const SCHEMA_VERSION: u32 = 7;

/// Cheap-to-clone handle to the database.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    backend: Box<dyn Backend>,
    /// The data directory's lock (none for a store in memory); released on drop,
    /// after the backend (fields drop in order).
    _dir_lock: Option<std::fs::File>,
    path: PathBuf,
    /// Serialises writers so read-check-write sequences (unique indexes, revision
    /// checks) cannot interleave; atomic batches then make each write atomic.
    write_lock: Mutex<()>,
    /// Writes are refused while the disk has less free space than this (0: never).
    min_free: AtomicU64,
    /// Applied writes per record kind, for readers that keep an answer until its
    /// records change.
    changes: changes::Changes,
}

impl Store {
    /// Opens (or creates) the database in `dir`, with the database cache bounded to
    /// `cache_bytes`, and runs pending migrations.
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<Self, StoreError> {
        let lock = open_locked(dir)?;
        let backend = sled_backend::SledBackend::open(dir, cache_bytes)?;
        let store = Self::assemble(Box::new(backend), dir.to_path_buf(), Some(lock));
        migrate::run(&store)?;
        Ok(store)
    }

    /// Opens the database in `dir` like [`Store::open`] but runs no migration. For
    /// restore, which reopens a database it is still filling: a migration over part of
    /// a backup would write derived entries from part of the records. The server's next
    /// [`Store::open`] migrates the whole.
    pub fn open_without_migrating(dir: &Path, cache_bytes: u64) -> Result<Self, StoreError> {
        let lock = open_locked(dir)?;
        let backend = sled_backend::SledBackend::open(dir, cache_bytes)?;
        Ok(Self::assemble(
            Box::new(backend),
            dir.to_path_buf(),
            Some(lock),
        ))
    }

    /// Opens and closes the stopped database in `dir` once, so that the next opening
    /// is fast. Opening replays what was written since the previous opening and then
    /// records where that replay ended; a server that ran for days, or a restore,
    /// would otherwise leave all of it to the next start (1M records ingested: about a
    /// second before the first request instead of a quarter). Changes nothing stored.
    pub fn checkpoint(dir: &Path) -> Result<(), StoreError> {
        let store = Self::open_without_migrating(dir, 1 << 20)?;
        store.flush()
    }

    /// A store that keeps everything in memory, for tests: same behaviour as a store
    /// on disk, minus durability, and no directory to clean up.
    pub fn memory() -> Self {
        let store = Self::assemble(Box::new(MemoryBackend::new()), PathBuf::new(), None);
        // A fresh map holds no schema that could be newer, and migrating an empty
        // store only records the version: neither can fail.
        if let Err(e) = migrate::run(&store) {
            tracing::error!(error = %e, "initialising an in-memory store");
        }
        store
    }

    /// A store over any [`Backend`]; `dir` is where a durable backend keeps its files
    /// (the free-space check and the initialised marker use it). The caller answers
    /// for keeping other processes out of `dir`.
    pub fn with_backend(backend: Box<dyn Backend>, dir: &Path) -> Result<Self, StoreError> {
        let store = Self::assemble(backend, dir.to_path_buf(), None);
        migrate::run(&store)?;
        Ok(store)
    }

    fn assemble(backend: Box<dyn Backend>, path: PathBuf, lock: Option<std::fs::File>) -> Self {
        Store {
            inner: Arc::new(Inner {
                backend,
                _dir_lock: lock,
                path,
                write_lock: Mutex::new(()),
                min_free: AtomicU64::new(0),
                changes: changes::Changes::default(),
            }),
        }
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Refuse writes while the data directory's disk has fewer than `bytes` free: a
    /// clear error for the client instead of the engine failing half-way on a full disk.
    pub fn set_min_free(&self, bytes: u64) {
        self.inner.min_free.store(bytes, Ordering::Relaxed);
    }

    fn check_free_space(&self) -> Result<(), StoreError> {
        let floor = self.inner.min_free.load(Ordering::Relaxed);
        if floor == 0 {
            return Ok(());
        }
        // A failing statvfs is no reason to refuse a write; the engine reports real errors.
        match fs4::available_space(&self.inner.path) {
            Ok(free) if free < floor => Err(StoreError::DiskLow { free, floor }),
            _ => Ok(()),
        }
    }

    /// Runs `f` as one atomic, durable write. Nothing `f` staged is applied when it
    /// returns an error or panics.
    ///
    /// A panic inside `f` is caught and answered as [`StoreError::Panicked`]: nothing of
    /// its batch reached the backend, so the lock guards nothing half-done and later writers
    /// carry on (a poisoned lock is recovered for the same reason). One bad request must
    /// never stop every later write.
    pub fn write<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut WriteTx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.check_free_space()?;
        let out = {
            let _guard = self
                .inner
                .write_lock
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let mut tx = WriteTx::new(&*self.inner.backend);
            let staged = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut tx)));
            let out = match staged {
                Ok(out) => out?,
                Err(panic) => {
                    let what = panic_message(&*panic);
                    tracing::error!(panic = %what, "a write panicked; nothing of it was applied");
                    return Err(StoreError::Panicked(what).into());
                }
            };
            let batch = tx.into_batch();
            let kinds = changes::Changes::kinds_in(&batch);
            self.inner.backend.apply(Space::Data, batch)?;
            self.inner.changes.applied(kinds);
            out
        };
        self.flush()?;
        Ok(out)
    }

    /// Makes everything written so far durable.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.inner.backend.flush()
    }

    pub fn get<R: Record>(&self, id: u64) -> Result<Option<R>, StoreError> {
        match self.raw_get(&record_key(R::KIND, id))? {
            Some(bytes) => Ok(Some(decode::<R>(&bytes)?)),
            None => Ok(None),
        }
    }

    /// The fields `T` names of record `id` of kind `R` (see [`codec::decode_part`]).
    pub fn get_part<R: Record, T: serde::de::DeserializeOwned>(
        &self,
        id: u64,
    ) -> Result<Option<T>, StoreError> {
        match self.raw_get(&record_key(R::KIND, id))? {
            Some(bytes) => Ok(Some(codec::decode_part::<R, T>(&bytes)?)),
            None => Ok(None),
        }
    }

    /// Like [`Store::get`] but a missing record is an error naming it.
    pub fn load<R: Record>(&self, id: u64) -> Result<R, StoreError> {
        self.get(id)?.ok_or(StoreError::NotFound {
            kind: R::KIND,
            id: id.to_string(),
        })
    }

    /// All records of one kind, in id order.
    pub fn list<R: Record>(&self) -> Result<Vec<R>, StoreError> {
        let prefix = keys::kind_prefix(R::KIND);
        let mut out = Vec::new();
        for item in self.scan(KeyRange::prefix(prefix), false) {
            let (_, v) = item?;
            out.push(decode::<R>(&v)?);
        }
        Ok(out)
    }

    /// Records of one kind, newest (highest id) first, at most `limit`.
    pub fn list_newest<R: Record>(&self, limit: usize) -> Result<Vec<R>, StoreError> {
        let prefix = keys::kind_prefix(R::KIND);
        let mut out = Vec::new();
        for item in self.scan(KeyRange::prefix(prefix), true).take(limit) {
            let (_, v) = item?;
            out.push(decode::<R>(&v)?);
        }
        Ok(out)
    }

    /// Bytes the database takes on disk.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.inner.backend.size_on_disk()
    }

    pub fn is_empty(&self) -> Result<bool, StoreError> {
        for item in self.scan(KeyRange::all(), false) {
            let (k, _) = item?;
            if !k.starts_with(b"meta/") {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Raw iteration over every durable key and value, for backups and checks.
    pub fn raw_entries(&self) -> Entries<'_> {
        self.scan_uncached(KeyRange::all(), false)
    }

    /// The raw value under a durable key, for backups and checks.
    pub fn raw_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.backend.get(Space::Data, key)
    }

    /// Raw insert of many entries at once, for restore into an empty store.
    pub fn raw_insert_batch(&self, entries: Vec<(Vec<u8>, Vec<u8>)>) -> Result<(), StoreError> {
        let batch = Batch {
            expect: Vec::new(),
            ops: entries.into_iter().map(|(k, v)| (k, Some(v))).collect(),
        };
        let kinds = changes::Changes::kinds_in(&batch);
        self.inner.backend.apply(Space::Data, batch)?;
        self.inner.changes.applied(kinds);
        Ok(())
    }

    /// How many applied writes touched records of `kind` since the store was opened:
    /// an answer built from those records while this stayed the same is still true.
    pub fn changes_of(&self, kind: &str) -> u64 {
        self.inner.changes.of(kind)
    }

    /// Durable entries in `range`, in key order or reversed.
    pub fn scan(&self, range: KeyRange, reverse: bool) -> Entries<'_> {
        self.inner.backend.range(Space::Data, range, reverse)
    }

    /// [`Store::scan`] for one pass over much of the data (a backup, a rebuild): what
    /// it reads from disk is not kept in the engine's cache, so it neither evicts what
    /// other readers keep warm nor leaves memory behind.
    pub fn scan_uncached(&self, range: KeyRange, reverse: bool) -> Entries<'_> {
        self.inner
            .backend
            .range_uncached(Space::Data, range, reverse)
    }

    /// Whether the data outlives the process (false for [`Store::memory`]).
    pub fn is_durable(&self) -> bool {
        self.inner.backend.is_durable()
    }

    // ---- ephemeral state (sessions): not backed up, not flushed on every write ----

    pub fn eph_get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.backend.get(Space::Ephemeral, key.as_bytes())
    }

    pub fn eph_put(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        let mut batch = Batch::default();
        batch.put(key, value);
        self.inner.backend.apply(Space::Ephemeral, batch)
    }

    pub fn eph_remove(&self, key: &str) -> Result<(), StoreError> {
        let mut batch = Batch::default();
        batch.remove(key);
        self.inner.backend.apply(Space::Ephemeral, batch)
    }

    pub fn eph_scan(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let mut out = Vec::new();
        let entries = self
            .inner
            .backend
            .range(Space::Ephemeral, KeyRange::prefix(prefix), false);
        for item in entries {
            let (k, v) = item?;
            out.push((String::from_utf8_lossy(&k).into_owned(), v));
        }
        Ok(out)
    }
}

/// The directory's lock, waiting up to a second for one this process is letting go
/// of (a `Store` dropped on another thread a moment ago).
fn open_locked(dir: &Path) -> Result<std::fs::File, StoreError> {
    let mut attempts = 0;
    loop {
        match dir_lock::acquire(dir) {
            Err(StoreError::Locked(_)) if attempts < 20 => {
                attempts += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

/// The text a panic carried, for the log.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a writer panicked".into())
}

#[cfg(test)]
mod tests;
