//! A staged write: reads see what was staged before them; nothing reaches sled until
//! [`super::Store::write`] applies the batch.

use std::collections::HashMap;

use super::keys::{self, decode_id, encode_id, index_key, multi_key, record_key};
use super::{decode, encode, Record, StoreError};

pub struct WriteTx<'a> {
    tree: &'a sled::Tree,
    /// Each key once, with its final value (`None`: remove). A batch is applied as a
    /// whole, so the order of keys does not matter.
    staged: HashMap<Vec<u8>, Option<Vec<u8>>>,
}

impl<'a> WriteTx<'a> {
    pub(super) fn new(tree: &'a sled::Tree) -> Self {
        WriteTx {
            tree,
            staged: HashMap::new(),
        }
    }

    pub(super) fn into_batch(self) -> sled::Batch {
        let mut batch = sled::Batch::default();
        for (key, value) in self.staged {
            match value {
                Some(v) => batch.insert(key, v),
                None => batch.remove(key),
            }
        }
        batch
    }

    fn raw_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(v) = self.staged.get(key) {
            return Ok(v.clone());
        }
        Ok(self.tree.get(key)?.map(|v| v.to_vec()))
    }

    fn stage(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) {
        self.staged.insert(key, value);
    }

    pub fn get<R: Record>(&self, id: u64) -> Result<Option<R>, StoreError> {
        self.raw_get(&record_key(R::KIND, id))?
            .map(|b| decode::<R>(&b))
            .transpose()
    }

    pub fn load<R: Record>(&self, id: u64) -> Result<R, StoreError> {
        self.get(id)?.ok_or(StoreError::NotFound {
            kind: R::KIND,
            id: id.to_string(),
        })
    }

    pub fn lookup(&self, index: &str, value: &str) -> Result<Option<u64>, StoreError> {
        self.raw_get(&index_key(index, value))?
            .map(|b| decode_id(&b))
            .transpose()
    }

    /// Allocates the next id; ids are unique across all kinds and never reused.
    pub fn next_id(&mut self) -> Result<u64, StoreError> {
        let current = match self.raw_get(keys::META_NEXT_ID)? {
            Some(b) => decode_id(&b)?,
            None => 1,
        };
        self.stage(
            keys::META_NEXT_ID.to_vec(),
            Some(encode_id(current + 1).to_vec()),
        );
        Ok(current)
    }

    fn claim_indexes<R: Record>(&mut self, record: &R) -> Result<(), StoreError> {
        for (index, value) in record.unique_keys() {
            let key = index_key(index, &value);
            match self.raw_get(&key)? {
                Some(existing) if decode_id(&existing)? != record.id() => {
                    return Err(StoreError::Duplicate {
                        index: index.to_string(),
                        value,
                    })
                }
                _ => self.stage(key, Some(encode_id(record.id()).to_vec())),
            }
        }
        for (index, value) in record.multi_keys() {
            self.stage(multi_key(index, &value, record.id()), Some(Vec::new()));
        }
        Ok(())
    }

    fn release_indexes<R: Record>(&mut self, record: &R) {
        for (index, value) in record.unique_keys() {
            self.stage(index_key(index, &value), None);
        }
        for (index, value) in record.multi_keys() {
            self.stage(multi_key(index, &value, record.id()), None);
        }
    }

    /// Stores a new record: assigns its id and revision 1.
    pub fn insert<R: Record>(&mut self, record: &mut R) -> Result<u64, StoreError> {
        let id = self.next_id()?;
        record.set_id(id);
        record.set_rev(1);
        self.claim_indexes(record)?;
        self.stage(record_key(R::KIND, id), Some(encode(record)?));
        Ok(id)
    }

    /// Replaces a record if its stored revision is `expected_rev`; bumps the revision.
    pub fn update<R: Record>(
        &mut self,
        record: &mut R,
        expected_rev: u64,
    ) -> Result<(), StoreError> {
        let old: R = self.load(record.id())?;
        if old.rev() != expected_rev {
            return Err(StoreError::Conflict {
                kind: R::KIND,
                id: record.id(),
                expected: expected_rev,
                found: old.rev(),
            });
        }
        self.release_indexes(&old);
        record.set_rev(expected_rev + 1);
        self.claim_indexes(record)?;
        self.stage(record_key(R::KIND, record.id()), Some(encode(record)?));
        Ok(())
    }

    /// Replaces a record without touching its revision, for the scheduler's own
    /// bookkeeping (which reminders went out): a person who loaded the record before
    /// must not get "changed by someone else" for it. Only for changes no person
    /// decides on; every writer loads the record inside its write, so nothing is lost.
    pub fn update_bookkeeping<R: Record>(&mut self, record: &mut R) -> Result<(), StoreError> {
        let old: R = self.load(record.id())?;
        self.release_indexes(&old);
        record.set_rev(old.rev());
        self.claim_indexes(record)?;
        self.stage(record_key(R::KIND, record.id()), Some(encode(record)?));
        Ok(())
    }

    pub fn delete<R: Record>(&mut self, id: u64) -> Result<(), StoreError> {
        let old: R = self.load(id)?;
        self.release_indexes(&old);
        self.stage(record_key(R::KIND, id), None);
        Ok(())
    }

    /// Raw meta value write (schema version and the like).
    pub fn put_meta(&mut self, key: &[u8], value: Vec<u8>) {
        self.stage(key.to_vec(), Some(value));
    }
}
