use std::cell::Cell;

use chrono::TimeZone;

use super::*;
use crate::flow::{Priority, TaskKind, TaskStatus};
use crate::tasks::lists::TodoCounts;
use crate::tasks::view::TaskSummary;

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, h, m, 0)
        .single()
        .unwrap()
}

fn summary(id: u64, title: &str, due: Option<DateTime<Utc>>) -> TaskSummary {
    TaskSummary {
        id,
        project_id: 1,
        title: title.into(),
        kind: TaskKind::Simple,
        priority: Priority::Normal,
        business_type: None,
        due_at: due,
        status: TaskStatus::Open,
        archived: false,
        overdue: false,
        current_handler_id: Some(7),
        current_action: None,
        current_index: Some(0),
        node_count: 1,
        creator_id: 7,
        created_at: at(8, 0),
        updated_at: at(8, 0),
        fields: Default::default(),
    }
}

fn todo(title: &str, new_due: Option<DateTime<Utc>>) -> Todo {
    Todo {
        overdue: vec![summary(1, "late", Some(at(9, 0)))],
        new: vec![summary(2, title, new_due)],
        started: vec![summary(3, "started", None)],
        counts: TodoCounts {
            overdue: 1,
            new: 1,
            started: 1,
        },
    }
}

fn write_kind(store: &Store, kind: &str) {
    store
        .raw_insert_batch(vec![(
            format!("{kind}/00000000000000aa").into_bytes(),
            b"{}".to_vec(),
        )])
        .unwrap();
}

/// Calls `answer`, counting how often the todo was built.
fn ask(
    cache: &TodoCache,
    store: &Store,
    user: u64,
    now: DateTime<Utc>,
    title: &str,
    built: &Cell<u32>,
) -> String {
    let body = cache
        .answer(store, user, now, || {
            built.set(built.get() + 1);
            Ok(todo(title, Some(at(12, 0))))
        })
        .unwrap();
    String::from_utf8(body.to_vec()).unwrap()
}

#[test]
fn the_same_answer_is_given_until_a_task_is_written() {
    let (store, cache, built) = (Store::memory(), TodoCache::default(), Cell::new(0));
    let first = ask(&cache, &store, 7, at(10, 0), "Refund A", &built);
    assert!(first.contains("Refund A"));
    assert_eq!(ask(&cache, &store, 7, at(10, 0), "Refund B", &built), first);
    assert_eq!(built.get(), 1);

    // records of other kinds (ERP pushes, users) leave it
    write_kind(&store, "erp");
    write_kind(&store, "user");
    assert_eq!(ask(&cache, &store, 7, at(10, 0), "Refund B", &built), first);
    assert_eq!(built.get(), 1);

    // any task written: built again, and the new answer kept
    write_kind(&store, "task");
    assert!(ask(&cache, &store, 7, at(10, 0), "Refund B", &built).contains("Refund B"));
    assert_eq!(built.get(), 2);
    assert!(ask(&cache, &store, 7, at(10, 0), "Refund C", &built).contains("Refund B"));
    assert_eq!(built.get(), 2);
}

#[test]
fn each_user_has_their_own_answer() {
    let (store, cache, built) = (Store::memory(), TodoCache::default(), Cell::new(0));
    assert!(ask(&cache, &store, 7, at(10, 0), "Ana's", &built).contains("Ana's"));
    assert!(ask(&cache, &store, 8, at(10, 0), "Bob's", &built).contains("Bob's"));
    assert!(ask(&cache, &store, 7, at(10, 0), "x", &built).contains("Ana's"));
    assert_eq!(built.get(), 2);
}

#[test]
fn an_answer_ends_when_a_listed_deadline_passes_and_after_its_longest_age() {
    let (store, cache) = (Store::memory(), TodoCache::default());
    let built = Cell::new(0);
    let build_with = |due: Option<DateTime<Utc>>| {
        let built = &built;
        move || {
            built.set(built.get() + 1);
            Ok(todo("t", due))
        }
    };
    let due = at(10, 0) + Duration::seconds(30);
    cache
        .answer(&store, 7, at(10, 0), build_with(Some(due)))
        .unwrap();
    cache
        .answer(&store, 7, due - Duration::seconds(1), build_with(Some(due)))
        .unwrap();
    assert_eq!(built.get(), 1, "before the deadline the answer holds");
    // at the deadline the "new" task is due: built again
    cache.answer(&store, 7, due, build_with(None)).unwrap();
    assert_eq!(built.get(), 2);
    // nothing ahead: kept for MAX_AGE at most
    cache
        .answer(
            &store,
            7,
            due + MAX_AGE - Duration::seconds(1),
            build_with(None),
        )
        .unwrap();
    assert_eq!(built.get(), 2);
    cache
        .answer(&store, 7, due + MAX_AGE, build_with(None))
        .unwrap();
    assert_eq!(built.get(), 3);
}

#[test]
fn a_failed_build_keeps_nothing() {
    let (store, cache, built) = (Store::memory(), TodoCache::default(), Cell::new(0));
    let err = cache.answer(&store, 7, at(10, 0), || {
        Err(ServiceError::Internal("store".into()))
    });
    assert!(err.is_err());
    assert!(ask(&cache, &store, 7, at(10, 0), "fresh", &built).contains("fresh"));
    assert_eq!(built.get(), 1);
}

#[test]
fn kept_answers_stay_within_their_memory_bound() {
    let (store, cache) = (Store::memory(), TodoCache::default());
    let long = "x".repeat(64 << 10);
    for user in 0..400u64 {
        cache
            .answer(&store, user, at(10, 0), || Ok(todo(&long, None)))
            .unwrap();
        let kept = cache.kept.lock().unwrap();
        assert!(kept.1 <= MAX_BYTES, "{} bytes kept", kept.1);
        assert_eq!(kept.1, kept.0.values().map(|k| k.body.len()).sum::<usize>());
    }
    // the latest answer is always kept
    let built = Cell::new(0);
    cache
        .answer(&store, 399, at(10, 0), || {
            built.set(1);
            Ok(todo("other", None))
        })
        .unwrap();
    assert_eq!(built.get(), 0);
}
