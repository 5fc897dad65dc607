//! A staged write: reads see what was staged before them; nothing reaches the backend
//! until [`super::Store::write`] applies the batch.

use std::cell::RefCell;
use std::collections::HashMap;

use super::backend::{Backend, Batch, Space};
use super::keys::{self, decode_id, encode_id, index_key, multi_key, record_key};
use super::{decode, encode, Record, StoreError};

pub struct WriteTx<'a> {
    backend: &'a dyn Backend,
    /// Each key once, with its final value (`None`: remove). A batch is applied as a
    /// whole, so the order of keys does not matter.
    staged: HashMap<Vec<u8>, Option<Vec<u8>>>,
    /// What this write's decisions rest on — the revision it checked, the id counter
    /// it advanced, the unique values it found free — as read from the backend. The
    /// batch lands only if they still hold (see [`Batch::expect`]).
    expect: HashMap<Vec<u8>, Option<Vec<u8>>>,
    /// Small values read from the backend in this write, kept for its next reads of
    /// them: a batch of new tasks reads the same settings, preferences, time zone and
    /// counters once per task. Nothing else writes meanwhile (the writer lock), so
    /// they stay true; staged values come first.
    seen: RefCell<HashMap<Vec<u8>, Option<Vec<u8>>>>,
}

/// Values kept in [`WriteTx::seen`]: at most this many, each at most this long, so a
/// write that reads many records (a migration step) does not hold them all.
const SEEN_MAX: usize = 1024;
const SEEN_VALUE_MAX: usize = 4096;

impl<'a> WriteTx<'a> {
    pub(super) fn new(backend: &'a dyn Backend) -> Self {
        WriteTx {
            backend,
            staged: HashMap::new(),
            expect: HashMap::new(),
            seen: RefCell::new(HashMap::new()),
        }
    }

    pub(super) fn into_batch(self) -> Batch {
        Batch {
            expect: self.expect.into_iter().collect(),
            ops: self.staged.into_iter().collect(),
        }
    }

    fn raw_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(v) = self.staged.get(key) {
            return Ok(v.clone());
        }
        self.backend_get(key)
    }

    /// A value as the backend holds it (before this write), through [`Self::seen`].
    fn backend_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(v) = self.expect.get(key) {
            return Ok(v.clone());
        }
        if let Some(v) = self.seen.borrow().get(key) {
            return Ok(v.clone());
        }
        let found = self.backend.get(Space::Data, key)?;
        let mut seen = self.seen.borrow_mut();
        if seen.len() < SEEN_MAX && found.as_ref().is_none_or(|v| v.len() <= SEEN_VALUE_MAX) {
            seen.insert(key.to_vec(), found.clone());
        }
        Ok(found)
    }

    /// [`Self::raw_get`], remembering a value read from the backend as a precondition
    /// of the batch.
    fn checked_get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(v) = self.staged.get(key) {
            return Ok(v.clone());
        }
        if let Some(v) = self.expect.get(key) {
            return Ok(v.clone());
        }
        let found = self.backend_get(key)?;
        self.expect.insert(key.to_vec(), found.clone());
        Ok(found)
    }

    /// A record read as the base of a change: its stored bytes become a precondition.
    fn load_checked<R: Record>(&mut self, id: u64) -> Result<R, StoreError> {
        match self.checked_get(&record_key(R::KIND, id))? {
            Some(b) => decode::<R>(&b),
            None => Err(StoreError::NotFound {
                kind: R::KIND,
                id: id.to_string(),
            }),
        }
    }

    fn stage(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) {
        self.staged.insert(key, value);
    }

    pub fn get<R: Record>(&self, id: u64) -> Result<Option<R>, StoreError> {
        self.get_part::<R, R>(id)
    }

    /// The fields `T` names of record `id` of kind `R`, as this write sees it (see
    /// [`super::codec::decode_part`]): what a consumer needs of a task it was just
    /// handed, without building the rest. A value staged in this write is decoded in
    /// place, not copied.
    pub fn get_part<R: Record, T: serde::de::DeserializeOwned>(
        &self,
        id: u64,
    ) -> Result<Option<T>, StoreError> {
        let key = record_key(R::KIND, id);
        match self.staged.get(&key) {
            Some(Some(bytes)) => super::codec::decode_part::<R, T>(bytes).map(Some),
            Some(None) => Ok(None),
            None => self
                .backend_get(&key)?
                .map(|b| super::codec::decode_part::<R, T>(&b))
                .transpose(),
        }
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
        let current = match self.checked_get(keys::META_NEXT_ID)? {
            Some(b) => decode_id(&b)?,
            None => 1,
        };
        let next = current
            .checked_add(1)
            .ok_or_else(|| StoreError::Codec("the id counter is exhausted".into()))?;
        self.stage(keys::META_NEXT_ID.to_vec(), Some(encode_id(next).to_vec()));
        Ok(current)
    }

    fn claim_indexes<R: Record>(&mut self, record: &R) -> Result<(), StoreError> {
        for (index, value) in record.unique_keys() {
            let key = index_key(index, &value);
            match self.checked_get(&key)? {
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

    /// Stores a new record under the id it already has (one that belongs to another
    /// record and shares its id, such as a task's log), with revision 1; refuses when
    /// a record of that kind and id is there.
    pub fn insert_owned<R: Record>(&mut self, record: &mut R) -> Result<(), StoreError> {
        let key = record_key(R::KIND, record.id());
        if let Some(b) = self.checked_get(&key)? {
            let found: R = decode(&b)?;
            return Err(StoreError::Conflict {
                kind: R::KIND,
                id: record.id(),
                expected: 0,
                found: found.rev(),
            });
        }
        record.set_rev(1);
        self.claim_indexes(record)?;
        self.stage(key, Some(encode(record)?));
        Ok(())
    }

    /// Replaces a record if its stored revision is `expected_rev`; bumps the revision.
    pub fn update<R: Record>(
        &mut self,
        record: &mut R,
        expected_rev: u64,
    ) -> Result<(), StoreError> {
        let old: R = self.load_checked(record.id())?;
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
        let old: R = self.load_checked(record.id())?;
        self.release_indexes(&old);
        record.set_rev(old.rev());
        self.claim_indexes(record)?;
        self.stage(record_key(R::KIND, record.id()), Some(encode(record)?));
        Ok(())
    }

    pub fn delete<R: Record>(&mut self, id: u64) -> Result<(), StoreError> {
        let old: R = self.load_checked(id)?;
        self.release_indexes(&old);
        self.stage(record_key(R::KIND, id), None);
        Ok(())
    }

    /// Removes one key whatever it holds, for migrations that retire a key layout.
    pub(super) fn remove_raw(&mut self, key: Vec<u8>) {
        self.stage(key, None);
    }

    /// Writes one key as given, for migrations that rebuild a key layout.
    pub(super) fn put_raw(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.stage(key, Some(value));
    }

    /// Raw meta value write (schema version and the like).
    pub fn put_meta(&mut self, key: &[u8], value: Vec<u8>) {
        self.stage(key.to_vec(), Some(value));
    }
}
