//! The one module that touches sled.
//!
//! Every durable record lives in the `data` tree under `{kind}/{id:016x}`; unique
//! secondary indexes live beside them under `ix/{index}/{value}`. All writes go through
//! [`Store::write`], which serialises writers, applies the whole change as one atomic
//! sled batch (record and index entries together) and flushes before returning, so a
//! caller that got `Ok` may acknowledge the write to a client. Sessions and other
//! short-lived state live in the `ephemeral` tree, which backups skip.

mod codec;
mod error;
mod keys;
mod migrate;
mod open;
mod reindex;
mod snapshot;
mod write;

pub use codec::{decode, encode, Record};
pub use error::StoreError;
pub use keys::{
    decode_id, encode_id, index_key, kind_of, multi_key, record_key, META_NEXT_ID, META_SCHEMA,
};
pub use write::WriteTx;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Current schema version of the data tree; bumped with a step in `migrate.rs`.
pub const SCHEMA_VERSION: u32 = 4;

/// Cheap-to-clone handle to the database.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: sled::Db,
    data: sled::Tree,
    ephemeral: sled::Tree,
    path: PathBuf,
    /// Serialises writers so read-check-write sequences (unique indexes, revision
    /// checks) cannot interleave; sled batches then make each write atomic.
    write_lock: Mutex<()>,
    /// Writes are refused while the disk has less free space than this (0: never).
    min_free: AtomicU64,
}

impl Store {
    /// Opens (or creates) the database in `dir`, with sled's page cache bounded to
    /// `cache_bytes`, and runs pending migrations.
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<Self, StoreError> {
        let db = open::open_db(dir, cache_bytes)?;
        let data = db.open_tree("data")?;
        let ephemeral = db.open_tree("ephemeral")?;
        let store = Store {
            inner: Arc::new(Inner {
                db,
                data,
                ephemeral,
                path: dir.to_path_buf(),
                write_lock: Mutex::new(()),
                min_free: AtomicU64::new(0),
            }),
        };
        migrate::run(&store)?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Refuse writes while the data directory's disk has fewer than `bytes` free: a
    /// clear error for the client instead of sled failing half-way on a full disk.
    pub fn set_min_free(&self, bytes: u64) {
        self.inner.min_free.store(bytes, Ordering::Relaxed);
    }

    fn check_free_space(&self) -> Result<(), StoreError> {
        let floor = self.inner.min_free.load(Ordering::Relaxed);
        if floor == 0 {
            return Ok(());
        }
        // A failing statvfs is no reason to refuse a write; sled reports real errors.
        match fs4::available_space(&self.inner.path) {
            Ok(free) if free < floor => Err(StoreError::DiskLow { free, floor }),
            _ => Ok(()),
        }
    }

    /// Runs `f` as one atomic, durable write. Nothing `f` staged is applied when it
    /// returns an error or panics.
    ///
    /// A panic inside `f` is caught and answered as [`StoreError::Panicked`]: nothing of
    /// its batch reached sled, so the lock guards nothing half-done and later writers
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
            let mut tx = WriteTx::new(&self.inner.data);
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
            self.inner
                .data
                .apply_batch(batch)
                .map_err(StoreError::from)?;
            out
        };
        self.flush()?;
        Ok(out)
    }

    /// Makes everything written so far durable.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.inner.db.flush()?;
        Ok(())
    }

    pub fn get<R: Record>(&self, id: u64) -> Result<Option<R>, StoreError> {
        match self.inner.data.get(record_key(R::KIND, id))? {
            Some(bytes) => Ok(Some(decode::<R>(&bytes)?)),
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
        for item in self.inner.data.scan_prefix(prefix) {
            let (_, v) = item?;
            out.push(decode::<R>(&v)?);
        }
        Ok(out)
    }

    /// Records of one kind, newest (highest id) first, at most `limit`.
    pub fn list_newest<R: Record>(&self, limit: usize) -> Result<Vec<R>, StoreError> {
        let prefix = keys::kind_prefix(R::KIND);
        let mut out = Vec::new();
        for item in self.inner.data.scan_prefix(prefix).rev().take(limit) {
            let (_, v) = item?;
            out.push(decode::<R>(&v)?);
        }
        Ok(out)
    }

    /// Id stored under a unique index value.
    pub fn lookup(&self, index: &str, value: &str) -> Result<Option<u64>, StoreError> {
        self.inner
            .data
            .get(index_key(index, value))?
            .map(|v| keys::decode_id(&v))
            .transpose()
    }

    /// Ids of records with `value` in non-unique index `index`, highest id first.
    pub fn ids_by(&self, index: &str, value: &str) -> Result<Vec<u64>, StoreError> {
        let mut out = Vec::new();
        for item in self
            .inner
            .data
            .scan_prefix(keys::multi_prefix(index, value))
            .rev()
        {
            let (k, _) = item?;
            if let Some(id) = keys::id_from_multi_key(&k) {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// Ids of records with `value` in non-unique index `index`, read lazily in reverse
    /// key order (the highest value, then the highest id, first), so a caller that
    /// needs the first few never reads the rest.
    pub fn ids_by_newest<'s>(
        &'s self,
        index: &str,
        value: &str,
    ) -> impl Iterator<Item = Result<u64, StoreError>> + 's {
        self.inner
            .data
            .scan_prefix(keys::multi_prefix(index, value))
            .rev()
            .filter_map(|item| match item {
                Ok((k, _)) => keys::id_from_multi_key(&k).map(Ok),
                Err(e) => Some(Err(e.into())),
            })
    }

    /// Ids in non-unique index `index` whose value is at most `upto` (lexical order;
    /// use fixed-width values such as `time::time_key`), lowest value first.
    pub fn ids_by_range(&self, index: &str, upto: &str) -> Result<Vec<u64>, StoreError> {
        let start = format!("mx/{index}/").into_bytes();
        // '/' + 1 = '0'...: everything with a value <= upto sorts below "upto/\xff".
        let mut end = format!("mx/{index}/{upto}/").into_bytes();
        end.push(0xff);
        let mut out = Vec::new();
        for item in self.inner.data.range(start..end) {
            let (k, _) = item?;
            if let Some(id) = keys::id_from_multi_key(&k) {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// The distinct values of non-unique index `index`, jumping from one value to the
    /// next instead of reading every entry.
    pub fn index_values(&self, index: &str) -> Result<Vec<String>, StoreError> {
        let prefix = format!("mx/{index}/");
        let mut out = Vec::new();
        let mut from = prefix.clone().into_bytes();
        while let Some(item) = self.inner.data.range(from.clone()..).next() {
            let (k, _) = item?;
            let Some(rest) = k.strip_prefix(prefix.as_bytes()) else {
                break;
            };
            let Some(end) = rest.iter().position(|b| *b == b'/') else {
                break;
            };
            let value = String::from_utf8_lossy(&rest[..end]).into_owned();
            // '0' follows '/': the first key after every "{value}/…" entry.
            from = format!("{prefix}{value}0").into_bytes();
            out.push(value);
        }
        Ok(out)
    }

    /// Number of records with `value` in index `index`, without loading them.
    pub fn count_by(&self, index: &str, value: &str) -> Result<usize, StoreError> {
        let mut n = 0;
        for item in self
            .inner
            .data
            .scan_prefix(keys::multi_prefix(index, value))
        {
            item?;
            n += 1;
        }
        Ok(n)
    }

    /// Number of entries in non-unique index `index` whose value `v` satisfies
    /// `from <= v < to` (lexical order; use fixed-width values), without loading them.
    pub fn count_range(&self, index: &str, from: &str, to: &str) -> Result<usize, StoreError> {
        let start = format!("mx/{index}/{from}").into_bytes();
        let end = format!("mx/{index}/{to}").into_bytes();
        let mut n = 0;
        if start >= end {
            return Ok(n);
        }
        for item in self.inner.data.range(start..end) {
            item?;
            n += 1;
        }
        Ok(n)
    }

    /// Ids of at most `limit` entries in non-unique index `index` whose value `v`
    /// satisfies `from <= v < to` (lexical order), lowest value first: the first page
    /// of an ordered view without reading the rest.
    pub fn ids_in_range(
        &self,
        index: &str,
        from: &str,
        to: &str,
        limit: usize,
    ) -> Result<Vec<u64>, StoreError> {
        self.range_page(index, from, to, limit, false)
    }

    /// [`Store::ids_in_range`] from the other end: highest value first.
    pub fn ids_in_range_rev(
        &self,
        index: &str,
        from: &str,
        to: &str,
        limit: usize,
    ) -> Result<Vec<u64>, StoreError> {
        self.range_page(index, from, to, limit, true)
    }

    fn range_page(
        &self,
        index: &str,
        from: &str,
        to: &str,
        limit: usize,
        reverse: bool,
    ) -> Result<Vec<u64>, StoreError> {
        let start = format!("mx/{index}/{from}").into_bytes();
        let end = format!("mx/{index}/{to}").into_bytes();
        let mut out = Vec::new();
        if start >= end {
            return Ok(out);
        }
        let range = self.inner.data.range(start..end);
        let entries: Box<dyn Iterator<Item = _>> = if reverse {
            Box::new(range.rev())
        } else {
            Box::new(range)
        };
        for item in entries.take(limit) {
            let (k, _) = item?;
            if let Some(id) = keys::id_from_multi_key(&k) {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// Bytes the database takes on disk.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        Ok(self.inner.db.size_on_disk()?)
    }

    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self
            .inner
            .data
            .iter()
            .keys()
            .filter_map(Result::ok)
            .all(|k| k.starts_with(b"meta/")))
    }

    /// Raw iteration over every durable key and value, for backups.
    pub fn raw_entries(&self) -> impl Iterator<Item = Result<(Vec<u8>, Vec<u8>), StoreError>> + '_ {
        self.inner.data.iter().map(|item| {
            item.map(|(k, v)| (k.to_vec(), v.to_vec()))
                .map_err(StoreError::from)
        })
    }

    /// Raw insert of many entries at once, for restore into an empty store.
    pub fn raw_insert_batch(&self, entries: Vec<(Vec<u8>, Vec<u8>)>) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for (k, v) in entries {
            batch.insert(k, v);
        }
        self.inner.data.apply_batch(batch)?;
        Ok(())
    }

    // ---- ephemeral state (sessions): not backed up, not flushed on every write ----

    pub fn eph_get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.inner.ephemeral.get(key)?.map(|v| v.to_vec()))
    }

    pub fn eph_put(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.inner.ephemeral.insert(key, value)?;
        Ok(())
    }

    pub fn eph_remove(&self, key: &str) -> Result<(), StoreError> {
        self.inner.ephemeral.remove(key)?;
        Ok(())
    }

    pub fn eph_scan(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let mut out = Vec::new();
        for item in self.inner.ephemeral.scan_prefix(prefix) {
            let (k, v) = item?;
            out.push((String::from_utf8_lossy(&k).into_owned(), v.to_vec()));
        }
        Ok(out)
    }

    pub(crate) fn data_tree(&self) -> &sled::Tree {
        &self.inner.data
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
