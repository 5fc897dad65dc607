//! [`Backend`] in memory: a `BTreeMap` per key space under one lock. For unit tests
//! (`Store::memory()`): no files, no directory lock, nothing survives the process.

use std::collections::BTreeMap;
use std::sync::RwLock;

use super::backend::{Backend, Batch, Entries, KeyRange, Space};
use super::StoreError;

type Map = BTreeMap<Vec<u8>, Vec<u8>>;

#[derive(Default)]
pub struct MemoryBackend {
    /// `[data, ephemeral]`; one lock so a batch lands whole for every reader.
    maps: RwLock<[Map; 2]>,
}

fn slot(space: Space) -> usize {
    match space {
        Space::Data => 0,
        Space::Ephemeral => 1,
    }
}

impl MemoryBackend {
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, [Map; 2]> {
        // a panic while holding the lock happens between whole operations only
        self.maps
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Backend for MemoryBackend {
    fn get(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.read()[slot(space)].get(key).cloned())
    }

    fn apply(&self, space: Space, batch: Batch) -> Result<(), StoreError> {
        let mut maps = self
            .maps
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let map = &mut maps[slot(space)];
        for (key, expected) in &batch.expect {
            if map.get(key) != expected.as_ref() {
                return Err(StoreError::Raced {
                    key: String::from_utf8_lossy(key).into_owned(),
                });
            }
        }
        for (key, value) in batch.ops {
            match value {
                Some(v) => map.insert(key, v),
                None => map.remove(&key),
            };
        }
        Ok(())
    }

    /// Copies the range out under the lock: the iteration is a snapshot, which is
    /// more than the trait asks and cheap at test sizes.
    fn range(&self, space: Space, range: KeyRange, reverse: bool) -> Entries<'_> {
        if range.is_empty() {
            return Box::new(std::iter::empty());
        }
        let entries: Vec<_> = self.read()[slot(space)]
            .range((range.start, range.end))
            .map(|(k, v)| Ok((k.clone(), v.clone())))
            .collect();
        if reverse {
            Box::new(entries.into_iter().rev())
        } else {
            Box::new(entries.into_iter())
        }
    }

    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn size_on_disk(&self) -> Result<u64, StoreError> {
        Ok(0)
    }

    fn is_durable(&self) -> bool {
        false
    }
}
