//! The narrow interface between [`super::Store`] and the engine that keeps the bytes.
//!
//! Everything above this trait (records, revisions, unique and multi indexes, schema
//! migrations, backups) is written once against it; an engine only has to be an ordered
//! key-value map with atomic batches. Two implement it today: sled for production
//! ([`super::sled_backend`]) and a `BTreeMap` for unit tests ([`super::memory`]); the
//! same conformance suite (`conformance.rs`) runs against both. A later engine (say, a
//! distributed database) comes in here and nowhere else.

use std::ops::Bound;

use super::StoreError;

/// The two key spaces Baton keeps: durable records (backed up, flushed on every write)
/// and short-lived state such as sessions (not backed up, not flushed per write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Space {
    Data,
    Ephemeral,
}

/// A key with its value, as scans yield them.
pub type Entry = (Vec<u8>, Vec<u8>);

/// A lazily read run of entries in key order (or reverse key order).
pub type Entries<'a> = Box<dyn Iterator<Item = Result<Entry, StoreError>> + 'a>;

/// One atomic change: either every operation lands or none does.
#[derive(Debug, Default, Clone)]
pub struct Batch {
    /// Preconditions checked atomically with the write: each key must hold exactly this
    /// value (`None`: absent), else nothing is applied and the batch fails with
    /// [`StoreError::Raced`]. This is the compare half of compare-and-set that a
    /// revision check needs when writers are not serialised by one process.
    pub expect: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    /// Puts (`Some`) and removes (`None`), each key at most once.
    pub ops: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl Batch {
    pub fn put(&mut self, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.ops.push((key.into(), Some(value.into())));
    }

    pub fn remove(&mut self, key: impl Into<Vec<u8>>) {
        self.ops.push((key.into(), None));
    }
}

/// A range of keys: `start` and `end` bounds as in `BTreeMap::range`.
#[derive(Debug, Clone)]
pub struct KeyRange {
    pub start: Bound<Vec<u8>>,
    pub end: Bound<Vec<u8>>,
}

impl KeyRange {
    /// Every key.
    pub fn all() -> Self {
        KeyRange {
            start: Bound::Unbounded,
            end: Bound::Unbounded,
        }
    }

    /// Every key that starts with `prefix`.
    pub fn prefix(prefix: impl Into<Vec<u8>>) -> Self {
        let start: Vec<u8> = prefix.into();
        let end = match prefix_end(&start) {
            Some(end) => Bound::Excluded(end),
            None => Bound::Unbounded,
        };
        KeyRange {
            start: Bound::Included(start),
            end,
        }
    }

    /// `start <= key < end`.
    pub fn between(start: impl Into<Vec<u8>>, end: impl Into<Vec<u8>>) -> Self {
        KeyRange {
            start: Bound::Included(start.into()),
            end: Bound::Excluded(end.into()),
        }
    }

    /// `start <= key`.
    pub fn from(start: impl Into<Vec<u8>>) -> Self {
        KeyRange {
            start: Bound::Included(start.into()),
            end: Bound::Unbounded,
        }
    }

    /// Whether the range can hold no key at all (start above end): engines differ in
    /// how they take such a range (`BTreeMap::range` panics), so callers ask first.
    pub fn is_empty(&self) -> bool {
        let (start, start_in) = match &self.start {
            Bound::Included(s) => (s, true),
            Bound::Excluded(s) => (s, false),
            Bound::Unbounded => return false,
        };
        match &self.end {
            Bound::Included(e) => start > e || (start == e && !start_in),
            Bound::Excluded(e) => start >= e,
            Bound::Unbounded => false,
        }
    }
}

/// The first key after every key that starts with `prefix`; `None` when there is none
/// (the prefix is empty or all `0xff`).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// An ordered key-value engine.
///
/// What [`super::Store`] relies on:
/// - `apply` is atomic: after it returns `Ok` a reader sees the whole batch, after `Err`
///   none of it; a batch whose `expect` does not hold is refused with
///   [`StoreError::Raced`] and changes nothing.
/// - `range` yields keys in byte order (reverse order when asked) and never a key
///   outside the range. Entries written while an iteration runs may or may not be seen;
///   the store takes its writer lock around backups, so a backend whose writers all go
///   through one [`super::Store`] needs no snapshots of its own.
/// - After `flush` returns, everything applied to [`Space::Data`] before it survives a
///   crash of the process or the machine.
pub trait Backend: Send + Sync {
    fn get(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    fn apply(&self, space: Space, batch: Batch) -> Result<(), StoreError>;

    fn range(&self, space: Space, range: KeyRange, reverse: bool) -> Entries<'_>;

    /// [`Backend::range`] for a single pass: an engine with a cache may leave out of
    /// it what this reads (the default reads as `range` does).
    fn range_uncached(&self, space: Space, range: KeyRange, reverse: bool) -> Entries<'_> {
        self.range(space, range, reverse)
    }

    fn flush(&self) -> Result<(), StoreError>;

    /// Bytes the engine takes on disk (0 for one that keeps nothing on disk).
    fn size_on_disk(&self) -> Result<u64, StoreError>;

    /// Whether data outlives the process (the store keeps a marker file beside it).
    fn is_durable(&self) -> bool;
}
