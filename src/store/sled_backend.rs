//! [`Backend`] on sled: the production engine. Everything that names sled lives in
//! this file and in `open.rs`.

use std::path::Path;

use super::backend::{Backend, Batch, Entries, KeyRange, Space};
use super::{open, StoreError};

pub struct SledBackend {
    db: sled::Db,
    data: sled::Tree,
    ephemeral: sled::Tree,
}

impl SledBackend {
    /// Opens (or creates) the database in `dir` with `cache_bytes` of database cache.
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<Self, StoreError> {
        let db = open::open_db(dir, cache_bytes)?;
        let data = db.open_tree("data").map_err(backend_error)?;
        let ephemeral = db.open_tree("ephemeral").map_err(backend_error)?;
        Ok(SledBackend {
            db,
            data,
            ephemeral,
        })
    }

    fn tree(&self, space: Space) -> &sled::Tree {
        match space {
            Space::Data => &self.data,
            Space::Ephemeral => &self.ephemeral,
        }
    }

    /// The entries of `range`, read through sled's cache or past it (`uncached`, see
    /// `sled::Iter::read_through` in `vendor/sled`).
    fn entries(&self, space: Space, range: KeyRange, reverse: bool, uncached: bool) -> Entries<'_> {
        if range.is_empty() {
            return Box::new(std::iter::empty());
        }
        let mut iter = self.tree(space).range((range.start, range.end));
        if uncached {
            iter = iter.read_through();
        }
        let map = |item: sled::Result<(sled::IVec, sled::IVec)>| {
            item.map(|(k, v)| (k.to_vec(), v.to_vec()))
                .map_err(backend_error)
        };
        if reverse {
            Box::new(iter.rev().map(map))
        } else {
            Box::new(iter.map(map))
        }
    }
}

/// sled's errors, without sled's type: an I/O error stays one (the disk is the
/// person's to fix), the rest is reported with sled's own words.
pub(super) fn backend_error(e: sled::Error) -> StoreError {
    match e {
        sled::Error::Io(io) => StoreError::Io(io),
        other => StoreError::Backend(other.to_string()),
    }
}

impl Backend for SledBackend {
    fn get(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .tree(space)
            .get(key)
            .map_err(backend_error)?
            .map(|v| v.to_vec()))
    }

    /// The `expect` check reads and compares before the batch lands; it is atomic with
    /// the write because every writer of one database goes through the one `Store`
    /// that serialises them (sled holds its directory lock, so no other process can
    /// write).
    fn apply(&self, space: Space, batch: Batch) -> Result<(), StoreError> {
        let tree = self.tree(space);
        for (key, expected) in &batch.expect {
            let found = tree.get(key).map_err(backend_error)?;
            if found.as_deref() != expected.as_deref() {
                return Err(StoreError::Raced {
                    key: String::from_utf8_lossy(key).into_owned(),
                });
            }
        }
        let mut ops = batch.ops;
        if ops.len() == 1 {
            // a single put or remove (sessions) is atomic without a batch
            if let Some((key, value)) = ops.pop() {
                match value {
                    Some(v) => tree.insert(key, v).map(drop),
                    None => tree.remove(key).map(drop),
                }
                .map_err(backend_error)?;
            }
            return Ok(());
        }
        let mut sled_batch = sled::Batch::default();
        for (key, value) in ops {
            match value {
                Some(v) => sled_batch.insert(key, v),
                None => sled_batch.remove(key),
            }
        }
        tree.apply_batch(sled_batch).map_err(backend_error)
    }

    fn range(&self, space: Space, range: KeyRange, reverse: bool) -> Entries<'_> {
        self.entries(space, range, reverse, false)
    }

    fn range_uncached(&self, space: Space, range: KeyRange, reverse: bool) -> Entries<'_> {
        self.entries(space, range, reverse, true)
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map_err(backend_error)?;
        Ok(())
    }

    fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.db.size_on_disk().map_err(backend_error)
    }

    fn is_durable(&self) -> bool {
        true
    }
}
