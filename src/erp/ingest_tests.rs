//! Unit tests of `ingest.rs` (validation and upsert of pushed records), kept apart
//! so the ingest code stays short and its tests can grow without touching it.

use super::*;
use serde_json::json;

/// Stores a batch (without scenarios, which `erp::push::push` adds).
fn upsert(
    store: &Store,
    batch: Vec<Incoming>,
    now: DateTime<Utc>,
) -> ServiceResult<(Vec<ErpRecord>, usize)> {
    let Plan {
        mut changed,
        replaces,
        superseded,
        unchanged,
    } = plan(store, batch, now)?;
    store.write(|tx| write(tx, &mut changed, &replaces, superseded))?;
    Ok((changed, unchanged))
}

#[test]
fn validation_names_the_problem() {
    assert!(validate(&mut json!({"kind": "order", "id": "SO-1", "data": {}})).is_ok());
    let bad = [
        (json!([]), "object"),
        (json!({"id": "x", "data": {}}), "kind"),
        (
            json!({"kind": "Order!", "id": "x", "data": {}}),
            "lower-case",
        ),
        (json!({"kind": "order", "data": {}}), "'id'"),
        (json!({"kind": "order", "id": "a/b", "data": {}}), "'/'"),
        (json!({"kind": "order", "id": "x", "data": 5}), "'data'"),
        (
            json!({"kind": "order", "id": "x", "data": {}, "occurred_at": "yesterday"}),
            "RFC 3339",
        ),
        (
            json!({"kind": "order", "id": "x", "data": {}, "extra": 1}),
            "unknown field",
        ),
    ];
    for (v, want) in bad {
        let e = validate(&mut v.clone()).unwrap_err();
        assert!(e.contains(want), "{v}: {e}");
    }
}

#[test]
fn same_payload_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db"), 1 << 20).unwrap();
    let rec = || {
        validate(&mut json!({"kind": "order", "id": "SO-1", "data": {"status": "paid", "qty": 2}}))
            .unwrap()
    };
    let (c, u) = upsert(&store, vec![rec()], Utc::now()).unwrap();
    assert_eq!((c.len(), u), (1, 0));
    let (c, u) = upsert(&store, vec![rec()], Utc::now()).unwrap();
    assert_eq!((c.len(), u), (0, 1));
    let changed = validate(
        &mut json!({"kind": "order", "id": "SO-1", "data": {"status": "out_of_stock", "qty": 2}}),
    )
    .unwrap();
    let (c, _) = upsert(&store, vec![changed], Utc::now()).unwrap();
    assert_eq!(c[0].version, 2);
    assert_eq!(c[0].previous.as_ref().unwrap()["status"], "paid");
    assert_eq!(versions(&store, "order", "SO-1").unwrap().len(), 2);
    assert_eq!(
        get(&store, "order", "SO-1").unwrap().data["status"],
        "out_of_stock"
    );
}

fn order(status: &str) -> Incoming {
    validate(&mut json!({"kind": "order", "id": "SO-1", "data": {"status": status}})).unwrap()
}

/// A record sent twice in one batch is stored once, at its last version, with the
/// earlier one in its history; a copy equal to the one before it changes nothing.
#[test]
fn a_record_twice_in_one_batch() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db"), 1 << 20).unwrap();
    upsert(&store, vec![order("paid")], Utc::now()).unwrap();
    let batch = vec![order("packed"), order("packed"), order("shipped")];
    let (c, u) = upsert(&store, batch, Utc::now()).unwrap();
    assert_eq!((c.len(), u), (1, 1));
    assert_eq!(
        (c[0].version, c[0].data["status"].as_str()),
        (3, Some("shipped"))
    );
    assert_eq!(c[0].previous.as_ref().unwrap()["status"], "packed");
    let stored = get(&store, "order", "SO-1").unwrap();
    assert_eq!(
        (stored.version, stored.data["status"].as_str()),
        (3, Some("shipped"))
    );
    assert_eq!(versions(&store, "order", "SO-1").unwrap().len(), 3);
}

/// A plan read before another batch changed the same record is refused whole.
#[test]
fn a_stale_plan_is_a_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db"), 1 << 20).unwrap();
    upsert(&store, vec![order("paid")], Utc::now()).unwrap();
    let stale = plan(&store, vec![order("packed")], Utc::now()).unwrap();
    upsert(&store, vec![order("cancelled")], Utc::now()).unwrap();
    let Plan {
        mut changed,
        replaces,
        superseded,
        ..
    } = stale;
    let e = store
        .write(|tx| write(tx, &mut changed, &replaces, superseded))
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict { .. }), "{e}");
    assert_eq!(
        get(&store, "order", "SO-1").unwrap().data["status"],
        "cancelled"
    );
    // a new record planned twice: the second insert finds the id taken
    let first = plan(
        &store,
        vec![validate(&mut json!({"kind": "order", "id": "SO-2", "data": {}})).unwrap()],
        Utc::now(),
    )
    .unwrap();
    let second = plan(
        &store,
        vec![validate(&mut json!({"kind": "order", "id": "SO-2", "data": {"a": 1}})).unwrap()],
        Utc::now(),
    )
    .unwrap();
    for p in [first, second].into_iter().enumerate() {
        let (
            i,
            Plan {
                mut changed,
                replaces,
                superseded,
                ..
            },
        ) = p;
        let out = store.write(|tx| write(tx, &mut changed, &replaces, superseded));
        assert_eq!(out.is_ok(), i == 0, "{out:?}");
    }
}

/// Listing a kind reads the record index: newest first, only that kind (also a
/// kind whose name starts another's), and each kind once.
#[test]
fn a_kind_is_listed_newest_first_from_the_record_index() {
    let store = Store::memory();
    let rec = |kind: &str, id: &str| {
        validate(&mut json!({"kind": kind, "id": id, "data": {"n": id}})).unwrap()
    };
    let batch = vec![rec("order", "B"), rec("order_line", "L"), rec("order", "A")];
    upsert(&store, batch, Utc::now()).unwrap();
    upsert(&store, vec![rec("order", "C")], Utc::now()).unwrap();
    assert_eq!(kinds(&store).unwrap(), ["order", "order_line"]);
    let listed: Vec<String> = browse(&store, "order", None, 10)
        .unwrap()
        .into_iter()
        .map(|r| r.record_id)
        .collect();
    assert_eq!(listed, ["C", "A", "B"]);
    assert_eq!(browse(&store, "order", Some("b"), 10).unwrap().len(), 1);
    assert_eq!(ids_of_kind(&store, "order_line").unwrap().len(), 1);
    assert!(ids_of_kind(&store, "ord").unwrap().is_empty());
}
