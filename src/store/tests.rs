use serde::{Deserialize, Serialize};

use super::*;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Thing {
    id: u64,
    rev: u64,
    name: String,
}

impl Record for Thing {
    const KIND: &'static str = "thing";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![("thing_name", self.name.clone())]
    }
}

fn thing(name: &str) -> Thing {
    Thing {
        id: 0,
        rev: 0,
        name: name.into(),
    }
}

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db"), 1 << 20).unwrap();
    (dir, store)
}

#[test]
fn insert_assigns_ids_and_indexes() {
    let (_d, store) = open();
    let a = store.write(|tx| tx.insert(&mut thing("a"))).unwrap();
    let b = store.write(|tx| tx.insert(&mut thing("b"))).unwrap();
    assert_ne!(a, b);
    assert_eq!(store.lookup("thing_name", "b").unwrap(), Some(b));
    assert_eq!(store.load::<Thing>(a).unwrap().rev, 1);
    assert_eq!(store.list::<Thing>().unwrap().len(), 2);
}

#[test]
fn duplicate_unique_key_is_refused_and_nothing_is_written() {
    let (_d, store) = open();
    store.write(|tx| tx.insert(&mut thing("a"))).unwrap();
    let err = store.write(|tx| tx.insert(&mut thing("a"))).unwrap_err();
    assert!(matches!(err, StoreError::Duplicate { .. }));
    assert_eq!(store.list::<Thing>().unwrap().len(), 1);
}

#[test]
fn stale_revision_conflicts_and_keeps_the_winner() {
    let (_d, store) = open();
    let id = store.write(|tx| tx.insert(&mut thing("a"))).unwrap();
    let mut first = store.load::<Thing>(id).unwrap();
    let mut second = first.clone();
    first.name = "first".into();
    store.write(|tx| tx.update(&mut first, 1)).unwrap();
    second.name = "second".into();
    let err = store.write(|tx| tx.update(&mut second, 1)).unwrap_err();
    assert!(matches!(err, StoreError::Conflict { found: 2, .. }));
    let stored = store.load::<Thing>(id).unwrap();
    assert_eq!(stored.name, "first");
    // the renamed record moved its index entry
    assert_eq!(store.lookup("thing_name", "a").unwrap(), None);
    assert_eq!(store.lookup("thing_name", "first").unwrap(), Some(id));
}

#[test]
fn failed_write_applies_nothing() {
    let (_d, store) = open();
    let res: Result<(), StoreError> = store.write(|tx| {
        tx.insert(&mut thing("x"))?;
        Err(StoreError::Poisoned)
    });
    assert!(res.is_err());
    assert!(store.list::<Thing>().unwrap().is_empty());
    assert_eq!(store.lookup("thing_name", "x").unwrap(), None);
}

#[test]
fn second_open_of_same_dir_says_in_use() {
    let (d, _store) = open();
    match Store::open(&d.path().join("db"), 1 << 20) {
        Err(StoreError::Locked(_)) => {}
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("opened twice"),
    }
}

#[test]
fn newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let store = Store::open(&path, 1 << 20).unwrap();
        store
            .write(|tx| {
                tx.put_meta(keys::META_SCHEMA, 99u32.to_be_bytes().to_vec());
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }
    assert!(matches!(
        Store::open(&path, 1 << 20),
        Err(StoreError::NewerSchema { found: 99, .. })
    ));
}

#[test]
fn a_database_that_lost_its_data_is_not_taken_for_a_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let store = Store::open(&path, 1 << 20).unwrap();
        store.write(|tx| tx.insert(&mut thing("a"))).unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(600));
    // Overwrite sled's main file with garbage, as a disk fault might.
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(path.join("db"), garbage).unwrap();
    match Store::open(&path, 1 << 20) {
        Err(e @ StoreError::Unopenable { .. }) => {
            assert!(e.to_string().contains("baton restore"), "{e}")
        }
        Err(other) => panic!("unexpected error {other}"),
        Ok(s) => panic!(
            "opened a damaged database as {} things",
            s.list::<Thing>().unwrap().len()
        ),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Tagged {
    id: u64,
    rev: u64,
    tags: Vec<String>,
}

impl Record for Tagged {
    const KIND: &'static str = "tagged";
    crate::id_and_rev!();
    fn multi_keys(&self) -> Vec<(&'static str, String)> {
        self.tags.iter().map(|t| ("tag", t.clone())).collect()
    }
}

#[test]
fn multi_indexes_follow_updates_and_deletes() {
    let (_d, store) = open();
    let mk = |tags: &[&str]| Tagged {
        id: 0,
        rev: 0,
        tags: tags.iter().map(|t| t.to_string()).collect(),
    };
    let a = store.write(|tx| tx.insert(&mut mk(&["x", "y"]))).unwrap();
    let b = store.write(|tx| tx.insert(&mut mk(&["x"]))).unwrap();
    assert_eq!(store.ids_by("tag", "x").unwrap(), vec![b, a]);
    let mut ra = store.load::<Tagged>(a).unwrap();
    ra.tags = vec!["y".into()];
    store.write(|tx| tx.update(&mut ra, 1)).unwrap();
    assert_eq!(store.ids_by("tag", "x").unwrap(), vec![b]);
    assert_eq!(store.count_by("tag", "y").unwrap(), 1);
    store.write(|tx| tx.delete::<Tagged>(b)).unwrap();
    assert!(store.ids_by("tag", "x").unwrap().is_empty());
}

#[test]
fn index_values_lists_each_value_once() {
    let (_d, store) = open();
    for tags in [&["b", "a"][..], &["b"], &["c"]] {
        let mut t = Tagged {
            id: 0,
            rev: 0,
            tags: tags.iter().map(|t| t.to_string()).collect(),
        };
        store.write(|tx| tx.insert(&mut t)).unwrap();
    }
    assert_eq!(store.index_values("tag").unwrap(), vec!["a", "b", "c"]);
    assert!(store.index_values("none").unwrap().is_empty());
}

#[test]
fn a_panicking_writer_changes_nothing_and_later_writes_go_on() {
    let (_d, store) = open();
    let res: Result<(), StoreError> = store.write(|tx| {
        tx.insert(&mut thing("half"))?;
        panic!("boom inside a write");
    });
    assert!(matches!(res, Err(StoreError::Panicked(ref m)) if m.contains("boom")));
    assert!(store.list::<Thing>().unwrap().is_empty());
    assert_eq!(store.lookup("thing_name", "half").unwrap(), None);
    // the lock is usable again: the next write succeeds
    let id = store.write(|tx| tx.insert(&mut thing("after"))).unwrap();
    assert_eq!(store.load::<Thing>(id).unwrap().name, "after");
}

#[test]
fn writes_are_refused_below_the_free_space_floor() {
    let (_d, store) = open();
    let id = store.write(|tx| tx.insert(&mut thing("kept"))).unwrap();
    store.set_min_free(u64::MAX);
    let err = store
        .write(|tx| tx.insert(&mut thing("refused")))
        .unwrap_err();
    assert!(matches!(err, StoreError::DiskLow { .. }), "{err}");
    assert_eq!(store.list::<Thing>().unwrap().len(), 1);
    assert_eq!(store.load::<Thing>(id).unwrap().name, "kept");
    store.set_min_free(0);
    store.write(|tx| tx.insert(&mut thing("again"))).unwrap();
}

#[test]
fn rebuild_multi_index_replaces_stale_entries_with_the_records_own() {
    let (_d, store) = open();
    let a = store
        .write(|tx| {
            tx.insert(&mut Tagged {
                id: 0,
                rev: 0,
                tags: vec!["red".into()],
            })
        })
        .unwrap();
    // An entry in an older format, as a previous release wrote it.
    store
        .raw_insert_batch(vec![(
            b"mx/tag/old-format/00000000000000ff".to_vec(),
            Vec::new(),
        )])
        .unwrap();
    assert_eq!(store.rebuild_multi_index::<Tagged>("tag").unwrap(), 1);
    assert_eq!(store.ids_by("tag", "red").unwrap(), vec![a]);
    assert!(store.ids_by("tag", "old-format").unwrap().is_empty());
}

#[test]
fn ids_in_range_reads_a_bounded_page_in_value_order() {
    let (_d, store) = open();
    let mut ids = Vec::new();
    for tag in ["u/3", "u/1", "u/2", "v/0"] {
        ids.push(
            store
                .write(|tx| {
                    tx.insert(&mut Tagged {
                        id: 0,
                        rev: 0,
                        tags: vec![tag.into()],
                    })
                })
                .unwrap(),
        );
    }
    assert_eq!(
        store.ids_in_range("tag", "u/", "u0", 10).unwrap(),
        vec![ids[1], ids[2], ids[0]]
    );
    assert_eq!(
        store.ids_in_range("tag", "u/", "u0", 2).unwrap(),
        vec![ids[1], ids[2]]
    );
    assert_eq!(
        store.ids_in_range("tag", "u/2", "u0", 10).unwrap(),
        vec![ids[2], ids[0]]
    );
    assert_eq!(store.count_range("tag", "u/", "u/3").unwrap(), 2);
    // A reversed range is empty, not a panic.
    assert!(store
        .ids_in_range("tag", "u0", "u/", 10)
        .unwrap()
        .is_empty());
    assert_eq!(store.count_range("tag", "u0", "u/").unwrap(), 0);
}

/// Schema 2 → 3 drops the retired per-kind ERP index and leaves everything else.
#[test]
fn the_retired_erp_kind_index_is_dropped_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let id = {
        let store = Store::open(&path, 1 << 20).unwrap();
        let id = store.write(|tx| tx.insert(&mut thing("kept"))).unwrap();
        let mut entries: Vec<(Vec<u8>, Vec<u8>)> = (0..12_000u64)
            .map(|i| (multi_key("erp_kind", "order", i), Vec::new()))
            .collect();
        entries.push((multi_key("other", "x", id), Vec::new()));
        entries.push((META_SCHEMA.to_vec(), 2u32.to_be_bytes().to_vec()));
        store.raw_insert_batch(entries).unwrap();
        id
    };
    let store = Store::open(&path, 1 << 20).unwrap();
    assert!(store.index_values("erp_kind").unwrap().is_empty());
    assert_eq!(store.ids_by("other", "x").unwrap(), vec![id]);
    assert_eq!(store.load::<Thing>(id).unwrap().name, "kept");
    assert_eq!(
        store.raw_get(META_SCHEMA).unwrap(),
        Some(SCHEMA_VERSION.to_be_bytes().to_vec())
    );
}

#[test]
fn unique_values_by_prefix_and_their_heads() {
    let store = Store::memory();
    let mut ids = Vec::new();
    for name in ["b/2", "a/1", "b/1", "ab/1"] {
        ids.push(store.write(|tx| tx.insert(&mut thing(name))).unwrap());
    }
    assert_eq!(
        store.unique_value_heads("thing_name").unwrap(),
        ["a", "ab", "b"]
    );
    // value order: "b/1" before "b/2"; "a/" does not take "ab/"
    assert_eq!(
        store.ids_by_unique_prefix("thing_name", "b/").unwrap(),
        vec![ids[2], ids[0]]
    );
    assert_eq!(
        store.ids_by_unique_prefix("thing_name", "a/").unwrap(),
        vec![ids[1]]
    );
    assert!(store.unique_value_heads("none").unwrap().is_empty());
}

/// The newest ids of a prefix are the highest ids whatever their values' order, and
/// the same as sorting every id and taking the first `limit`.
#[test]
fn newest_ids_by_unique_prefix_are_the_highest_ids() {
    let store = Store::memory();
    let mut ids = Vec::new();
    for name in ["b/9", "b/1", "a/5", "b/5", "b/0", "ab/1", "b/3"] {
        ids.push(store.write(|tx| tx.insert(&mut thing(name))).unwrap());
    }
    let mut all = store.ids_by_unique_prefix("thing_name", "b/").unwrap();
    all.sort_unstable_by(|a, b| b.cmp(a));
    for limit in 0..8 {
        let newest = store
            .newest_ids_by_unique_prefix("thing_name", "b/", limit)
            .unwrap();
        assert_eq!(newest, all[..limit.min(all.len())], "limit {limit}");
    }
    assert_eq!(
        store
            .newest_ids_by_unique_prefix("thing_name", "b/", 2)
            .unwrap(),
        vec![ids[6], ids[4]]
    );
    assert!(store
        .newest_ids_by_unique_prefix("thing_name", "c/", 5)
        .unwrap()
        .is_empty());
}

/// Reads inside a write are answered from what the write has seen and staged: a value
/// read, then changed in the same write, reads as changed; a later write sees the
/// stored value, not what an earlier write had seen.
#[test]
fn reads_in_a_write_see_its_own_changes_over_what_it_read() {
    let (_d, store) = open();
    let id = store.write(|tx| tx.insert(&mut thing("mug"))).unwrap();
    store
        .write(|tx| {
            let mut t = tx.get::<Thing>(id)?.unwrap();
            assert_eq!(t.name, "mug");
            assert_eq!(tx.lookup("thing_name", "cup")?, None);
            t.name = "cup".into();
            tx.update(&mut t, 1)?;
            assert_eq!(tx.get::<Thing>(id)?.unwrap().name, "cup");
            assert_eq!(tx.lookup("thing_name", "cup")?, Some(id));
            assert_eq!(tx.lookup("thing_name", "mug")?, None);
            Ok::<_, StoreError>(())
        })
        .unwrap();
    store
        .write(|tx| {
            assert_eq!(tx.get::<Thing>(id)?.unwrap().name, "cup");
            tx.delete::<Thing>(id)?;
            assert!(tx.get::<Thing>(id)?.is_none());
            Ok::<_, StoreError>(())
        })
        .unwrap();
    assert!(store.get::<Thing>(id).unwrap().is_none());
}

/// A checkpoint of a stopped database changes nothing in it; one of a database that is
/// open is refused (its lock), not a second opening.
#[test]
fn a_checkpoint_keeps_everything_and_waits_for_the_database_to_be_closed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let store = Store::open(&path, 1 << 20).unwrap();
    let ids: Vec<u64> = (0..50)
        .map(|i| {
            store
                .write(|tx| tx.insert(&mut thing(&format!("t{i}"))))
                .unwrap()
        })
        .collect();
    assert!(matches!(
        Store::checkpoint(&path),
        Err(StoreError::Locked(_))
    ));
    drop(store);
    Store::checkpoint(&path).unwrap();
    Store::checkpoint(&path).unwrap();
    let store = Store::open(&path, 1 << 20).unwrap();
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(
            store.get::<Thing>(*id).unwrap().unwrap().name,
            format!("t{i}")
        );
    }
    assert_eq!(store.lookup("thing_name", "t7").unwrap(), Some(ids[7]));
}
