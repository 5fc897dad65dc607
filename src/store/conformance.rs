//! One conformance suite for every [`Backend`]: each case is a function over a
//! [`Fixture`], and `conformance!` instantiates all of them once per engine, so sled
//! and the in-memory map are held to the same behaviour (and a new engine gets the
//! whole suite by adding one line at the bottom).

use std::collections::BTreeSet;
use std::ops::Bound;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::backend::{Backend, Batch, KeyRange, Space};
use super::{Record, Store, StoreError};

/// Makes fresh backends (and stores over them) for one test.
pub trait Fixture {
    fn backend(&self) -> Box<dyn Backend>;
    fn store(&self) -> Store;
}

struct Sled(tempfile::TempDir);

impl Sled {
    fn new() -> Self {
        Sled(tempfile::tempdir().unwrap())
    }

    fn dir(&self) -> std::path::PathBuf {
        self.0.path().join("db")
    }
}

impl Fixture for Sled {
    fn backend(&self) -> Box<dyn Backend> {
        Box::new(super::sled_backend::SledBackend::open(&self.dir(), 1 << 20).unwrap())
    }
    fn store(&self) -> Store {
        Store::open(&self.dir(), 1 << 20).unwrap()
    }
}

struct Memory;

impl Fixture for Memory {
    fn backend(&self) -> Box<dyn Backend> {
        Box::new(super::MemoryBackend::new())
    }
    fn store(&self) -> Store {
        Store::memory()
    }
}

/// The keys `range` yields, checked to be the same as `range_uncached` yields.
fn keys_of(b: &dyn Backend, space: Space, range: KeyRange, reverse: bool) -> Vec<String> {
    let keys = |entries: super::Entries<'_>| -> Vec<String> {
        entries
            .map(|item| String::from_utf8_lossy(&item.unwrap().0).into_owned())
            .collect()
    };
    let cached = keys(b.range(space, range.clone(), reverse));
    assert_eq!(keys(b.range_uncached(space, range, reverse)), cached);
    cached
}

fn put_all(b: &dyn Backend, keys: &[&[u8]]) {
    let mut batch = Batch::default();
    for k in keys {
        batch.put(k.to_vec(), k.to_vec());
    }
    b.apply(Space::Data, batch).unwrap();
}

pub fn batch_is_all_or_nothing(f: &dyn Fixture) {
    let b = f.backend();
    put_all(&*b, &[b"k/1", b"k/2"]);
    let mut batch = Batch::default();
    batch.put(b"k/3".to_vec(), b"3".to_vec());
    batch.remove(b"k/1".to_vec());
    // the precondition fails: nothing of the batch lands
    batch
        .expect
        .push((b"k/2".to_vec(), Some(b"not what is stored".to_vec())));
    let err = b.apply(Space::Data, batch.clone()).unwrap_err();
    assert!(
        matches!(err, StoreError::Raced { ref key } if key == "k/2"),
        "{err}"
    );
    assert_eq!(
        keys_of(&*b, Space::Data, KeyRange::all(), false),
        ["k/1", "k/2"]
    );
    // with a precondition that holds, all of it lands
    batch.expect = vec![
        (b"k/2".to_vec(), Some(b"k/2".to_vec())),
        (b"k/9".to_vec(), None),
    ];
    b.apply(Space::Data, batch).unwrap();
    assert_eq!(
        keys_of(&*b, Space::Data, KeyRange::all(), false),
        ["k/2", "k/3"]
    );
    assert_eq!(b.get(Space::Data, b"k/3").unwrap(), Some(b"3".to_vec()));
    // "absent" is a precondition too
    let mut batch = Batch::default();
    batch.put(b"k/4".to_vec(), b"4".to_vec());
    batch.expect.push((b"k/3".to_vec(), None));
    assert!(matches!(
        b.apply(Space::Data, batch),
        Err(StoreError::Raced { .. })
    ));
    assert_eq!(b.get(Space::Data, b"k/4").unwrap(), None);
}

pub fn spaces_are_separate(f: &dyn Fixture) {
    let b = f.backend();
    let mut batch = Batch::default();
    batch.put(b"s/1".to_vec(), b"eph".to_vec());
    b.apply(Space::Ephemeral, batch).unwrap();
    assert_eq!(b.get(Space::Data, b"s/1").unwrap(), None);
    assert_eq!(
        b.get(Space::Ephemeral, b"s/1").unwrap(),
        Some(b"eph".to_vec())
    );
    let mut batch = Batch::default();
    batch.remove(b"s/1".to_vec());
    b.apply(Space::Ephemeral, batch).unwrap();
    assert_eq!(b.get(Space::Ephemeral, b"s/1").unwrap(), None);
}

pub fn scans_keep_their_bounds(f: &dyn Fixture) {
    let b = f.backend();
    put_all(
        &*b,
        &[
            b"a",
            b"a/",
            b"a/1",
            b"a/2",
            b"a0",
            b"a\xff",
            b"a\xff\xff",
            b"b",
            b"\xff\xff",
        ],
    );
    let show = |r: KeyRange, rev: bool| keys_of(&*b, Space::Data, r, rev);
    assert_eq!(show(KeyRange::prefix("a/"), false), ["a/", "a/1", "a/2"]);
    assert_eq!(show(KeyRange::prefix("a/"), true), ["a/2", "a/1", "a/"]);
    // a prefix ending in 0xff has its end one byte further up
    assert_eq!(
        show(KeyRange::prefix(b"a\xff".to_vec()), false),
        ["a\u{fffd}", "a\u{fffd}\u{fffd}"]
    );
    // an all-0xff prefix has no end: up to the last key
    assert_eq!(show(KeyRange::prefix(b"\xff".to_vec()), false).len(), 1);
    // start included, end excluded
    assert_eq!(show(KeyRange::between("a/1", "a0"), false), ["a/1", "a/2"]);
    assert_eq!(show(KeyRange::between("a/1", "a0"), true), ["a/2", "a/1"]);
    assert_eq!(show(KeyRange::from(b"a\xff".to_vec()), false).len(), 4);
    let excluded = KeyRange {
        start: Bound::Excluded(b"a".to_vec()),
        end: Bound::Included(b"a0".to_vec()),
    };
    assert_eq!(show(excluded, false), ["a/", "a/1", "a/2", "a0"]);
    // an empty or upside-down range is empty, not a panic
    assert!(show(KeyRange::between("b", "a"), false).is_empty());
    assert!(show(KeyRange::between("a/1", "a/1"), true).is_empty());
    assert_eq!(show(KeyRange::all(), false).len(), 9);
    let last = b.range(Space::Data, KeyRange::all(), true).next();
    assert_eq!(last.unwrap().unwrap().0, b"\xff\xff");
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Named {
    id: u64,
    rev: u64,
    name: String,
    group: String,
}

impl Record for Named {
    const KIND: &'static str = "named";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![("named_name", self.name.clone())]
    }
    fn multi_keys(&self) -> Vec<(&'static str, String)> {
        vec![("named_group", self.group.clone())]
    }
}

fn named(name: &str, group: &str) -> Named {
    Named {
        id: 0,
        rev: 0,
        name: name.into(),
        group: group.into(),
    }
}

pub fn revision_conflicts_change_nothing(f: &dyn Fixture) {
    let store = f.store();
    let id = store.write(|tx| tx.insert(&mut named("a", "g"))).unwrap();
    let mut first = store.load::<Named>(id).unwrap();
    let mut second = first.clone();
    first.name = "first".into();
    store.write(|tx| tx.update(&mut first, 1)).unwrap();
    second.name = "second".into();
    let err = store.write(|tx| tx.update(&mut second, 1)).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                expected: 1,
                found: 2,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(store.load::<Named>(id).unwrap().name, "first");
    assert_eq!(store.lookup("named_name", "second").unwrap(), None);
    // a write that fails after staging applies nothing of what it staged
    let res: Result<(), StoreError> = store.write(|tx| {
        tx.insert(&mut named("staged", "g"))?;
        let mut stale = store.load::<Named>(id)?;
        tx.update(&mut stale, 1)
    });
    assert!(matches!(res, Err(StoreError::Conflict { .. })));
    assert_eq!(store.lookup("named_name", "staged").unwrap(), None);
    assert_eq!(store.list::<Named>().unwrap().len(), 1);
}

pub fn unique_indexes_hold_through_the_store(f: &dyn Fixture) {
    let store = f.store();
    let a = store.write(|tx| tx.insert(&mut named("a", "g"))).unwrap();
    let err = store
        .write(|tx| tx.insert(&mut named("a", "h")))
        .unwrap_err();
    assert!(matches!(err, StoreError::Duplicate { ref value, .. } if value == "a"));
    assert_eq!(store.ids_by("named_group", "h").unwrap(), Vec::<u64>::new());
    // two records claiming one value in the same write: the second is refused
    let err = store
        .write(|tx| {
            tx.insert(&mut named("b", "g"))?;
            tx.insert(&mut named("b", "g"))
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::Duplicate { .. }));
    assert_eq!(store.lookup("named_name", "b").unwrap(), None);
    // a rename frees the old value, a delete the new one
    let mut rec = store.load::<Named>(a).unwrap();
    rec.name = "renamed".into();
    store.write(|tx| tx.update(&mut rec, 1)).unwrap();
    assert_eq!(store.lookup("named_name", "a").unwrap(), None);
    let b = store.write(|tx| tx.insert(&mut named("a", "g"))).unwrap();
    assert_eq!(store.lookup("named_name", "a").unwrap(), Some(b));
    assert_eq!(store.ids_by("named_group", "g").unwrap(), vec![b, a]);
    assert_eq!(store.list_newest::<Named>(1).unwrap()[0].id, b);
    store.write(|tx| tx.delete::<Named>(a)).unwrap();
    assert_eq!(store.lookup("named_name", "renamed").unwrap(), None);
    assert_eq!(store.count_by("named_group", "g").unwrap(), 1);
    assert_eq!(store.index_values("named_group").unwrap(), ["g"]);
}

/// A backup scan sees every write whole or not at all, however writers interleave.
pub fn consistent_scans_see_whole_writes(f: &dyn Fixture) {
    let store = f.store();
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicU32::new(0));
    let writer = {
        let (store, stop, written) = (store.clone(), stop.clone(), written.clone());
        std::thread::spawn(move || {
            let mut i = 0u32;
            while !stop.load(Ordering::Relaxed) {
                // the pair sits at both ends of the key space, so a scan that let a
                // write land between its halves would see one without the other
                store
                    .write(|tx| {
                        tx.put_meta(format!("a/{i:08}").as_bytes(), vec![1]);
                        tx.put_meta(format!("z/{i:08}").as_bytes(), vec![1]);
                        Ok::<_, StoreError>(())
                    })
                    .unwrap();
                i += 1;
                written.store(i, Ordering::Relaxed);
            }
        })
    };
    let mut scans = 0;
    // scan while at least 200 writes land, at least 20 times
    while written.load(Ordering::Relaxed) < 200 || scans < 20 {
        scans += 1;
        let (mut first, mut last) = (BTreeSet::new(), BTreeSet::new());
        store
            .scan_consistent(&["meta/"], |k, _| {
                let k = String::from_utf8_lossy(k);
                match k.split_once('/') {
                    Some(("a", n)) => first.insert(n.to_string()),
                    Some(("z", n)) => last.insert(n.to_string()),
                    _ => false,
                };
                Ok::<_, StoreError>(())
            })
            .unwrap();
        assert_eq!(first, last, "scan {scans}");
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
}

/// A scan that leaves the cache alone sees exactly the entries that stay put while
/// other entries around them come and go: the leaves it reads are split and merged
/// under it, and with more data than the sled fixture's 1 MiB cache most of what it
/// reads comes from disk.
pub fn uncached_scans_see_what_stays_while_leaves_split_and_merge(f: &dyn Fixture) {
    let b: Arc<dyn Backend> = Arc::from(f.backend());
    let stay: Vec<String> = (0..6000).map(|i| format!("s/{i:05}")).collect();
    for chunk in stay.chunks(500) {
        let mut batch = Batch::default();
        for k in chunk {
            batch.put(k.as_bytes().to_vec(), vec![b'v'; 300]);
        }
        b.apply(Space::Data, batch).unwrap();
    }
    let stop = Arc::new(AtomicBool::new(false));
    let churn = {
        let (b, stop) = (b.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut round = 0u32;
            while !stop.load(Ordering::Relaxed) {
                // a run of extra entries between two that stay splits their leaf;
                // removing them again shrinks it (and its neighbours) to a merge
                let at = (round * 397) % 5990;
                let extra = |j: u32| format!("s/{at:05}-{j:02}").into_bytes();
                let mut batch = Batch::default();
                for j in 0..40 {
                    batch.put(extra(j), vec![b'x'; 300]);
                }
                b.apply(Space::Data, batch).unwrap();
                let mut batch = Batch::default();
                for j in 0..40 {
                    batch.remove(extra(j));
                }
                b.apply(Space::Data, batch).unwrap();
                round += 1;
            }
        })
    };
    for pass in 0..6 {
        let reverse = pass % 2 == 1;
        let mut seen: Vec<String> = b
            .range_uncached(Space::Data, KeyRange::prefix("s/"), reverse)
            .map(|item| String::from_utf8(item.unwrap().0).unwrap())
            .filter(|k| !k.contains('-'))
            .collect();
        if reverse {
            seen.reverse();
        }
        assert_eq!(seen, stay, "pass {pass}");
    }
    stop.store(true, Ordering::Relaxed);
    churn.join().unwrap();
}

/// Instantiates every case of the suite for one fixture.
macro_rules! conformance {
    ($module:ident, $fixture:expr) => {
        mod $module {
            use super::*;

            #[test]
            fn batch_is_all_or_nothing() {
                super::batch_is_all_or_nothing(&$fixture);
            }
            #[test]
            fn spaces_are_separate() {
                super::spaces_are_separate(&$fixture);
            }
            #[test]
            fn scans_keep_their_bounds() {
                super::scans_keep_their_bounds(&$fixture);
            }
            #[test]
            fn revision_conflicts_change_nothing() {
                super::revision_conflicts_change_nothing(&$fixture);
            }
            #[test]
            fn unique_indexes_hold_through_the_store() {
                super::unique_indexes_hold_through_the_store(&$fixture);
            }
            #[test]
            fn consistent_scans_see_whole_writes() {
                super::consistent_scans_see_whole_writes(&$fixture);
            }
            #[test]
            fn uncached_scans_see_what_stays_while_leaves_split_and_merge() {
                super::uncached_scans_see_what_stays_while_leaves_split_and_merge(&$fixture);
            }
        }
    };
}

conformance!(sled, Sled::new());
conformance!(memory, Memory);

/// sled only: what `flush` made durable is there after the database is closed and
/// opened again.
#[test]
fn sled_keeps_flushed_writes_across_a_reopen() {
    let f = Sled::new();
    let store = f.store();
    let id = store
        .write(|tx| tx.insert(&mut named("kept", "g")))
        .unwrap();
    drop(store);
    let store = f.store();
    assert_eq!(store.load::<Named>(id).unwrap().name, "kept");
    assert_eq!(store.lookup("named_name", "kept").unwrap(), Some(id));
    // ids go on from where they were
    let next = store
        .write(|tx| tx.insert(&mut named("next", "g")))
        .unwrap();
    assert!(next > id);
}
