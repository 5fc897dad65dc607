//! Unit tests of `record.rs`: tallies and counters kept in the same write as the task
//! log, kept apart so the code stays short.

use super::*;
use chrono::TimeZone;

/// One line by which user 7 received a step at `at`, counted in the store's zone.
fn receive_in(tz: Tz, at: DateTime<Utc>) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db"), 1 << 20).unwrap();
    ensure_built(&store, tz).unwrap();
    store
        .write(|tx| {
            let e = LogEntry {
                id: 0,
                rev: 0,
                task_id: 99,
                at,
                actor_id: Some(7),
                actor_name: "u".into(),
                action: "create".into(),
                detail: String::new(),
                reason: None,
                subject_id: None,
                completion: None,
                received_also: vec![],
                received_by: Some(7),
                undoes: None,
            };
            on_line(tx, &[], &e)
        })
        .unwrap();
    let mut periods: Vec<String> = super::super::counters::all_counters(&store)
        .unwrap()
        .into_iter()
        .filter(|c| c.user_id == 7 && c.received == 1)
        .map(|c| c.period)
        .collect();
    periods.sort();
    periods
}

#[test]
fn each_store_counts_in_its_own_configured_zone() {
    // 20:00 UTC on 31 January is already 1 February in Shanghai.
    let at = Utc.with_ymd_and_hms(2026, 1, 31, 20, 0, 0).unwrap();
    let utc = receive_in(chrono_tz::UTC, at);
    let shanghai = receive_in(chrono_tz::Asia::Shanghai, at);
    assert!(utc.contains(&"2026-01".to_string()), "{utc:?}");
    assert!(shanghai.contains(&"2026-02".to_string()), "{shanghai:?}");
    // and back again: no zone left behind by the other store
    assert_eq!(receive_in(chrono_tz::UTC, at), utc);
}
/// Lines count by their typed facts only: a withdrawal takes back the receipt
/// replayed from the task's earlier lines, and an action text without facts
/// (a `complete` line with no completion) counts nothing.
#[test]
fn counters_follow_the_facts_of_the_lines_and_their_replayed_history() {
    let store = Store::memory();
    ensure_built(&store, chrono_tz::UTC).unwrap();
    let at = Utc.with_ymd_and_hms(2026, 11, 3, 10, 0, 0).unwrap();
    let line = |action: &str| LogEntry {
        id: 0,
        rev: 0,
        task_id: 5,
        at,
        actor_id: Some(1),
        actor_name: "u".into(),
        action: action.into(),
        detail: String::new(),
        reason: None,
        subject_id: None,
        completion: None,
        received_also: vec![],
        received_by: None,
        undoes: None,
    };
    let created = LogEntry {
        received_by: Some(7),
        ..line("create")
    };
    let withdrawn = LogEntry {
        received_by: Some(8),
        undoes: Some(Undoes::LastReceipt),
        ..line("withdraw")
    };
    let text_only = LogEntry {
        subject_id: Some(8),
        ..line("complete")
    };
    store
        .write(|tx| {
            on_line(tx, &[], &created)?;
            on_line(tx, std::slice::from_ref(&created), &withdrawn)?;
            on_line(tx, &[created.clone(), withdrawn.clone()], &text_only)
        })
        .unwrap();
    let figures = |user| {
        counter(&store, user, "2026-11")
            .unwrap()
            .map(|c| (c.received, c.completed))
    };
    assert_eq!(figures(7), Some((0, 0)), "receipt withdrawn");
    assert_eq!(
        figures(8),
        Some((1, 0)),
        "no completion fact, no completion"
    );
}

fn open_task(handler: u64, due: DateTime<Utc>) -> Task {
    Task {
        due_at: Some(due),
        ..Task::one_step(handler, due)
    }
}

#[test]
fn schema_4_removes_the_deadline_marks() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db"), 1 << 20).unwrap();
    let due = Utc.with_ymd_and_hms(2026, 1, 10, 0, 0, 0).unwrap();
    let (late, done) = store
        .write(|tx| {
            let late = tx.insert(&mut open_task(5, due))?;
            let mut d = open_task(5, due);
            d.status = TaskStatus::Done;
            let done = tx.insert(&mut d)?;
            // marks as the layout before schema 4 kept them
            for task_id in [late, done] {
                tx.insert(&mut DueMark {
                    id: 0,
                    rev: 0,
                    task_id,
                    handler_id: 5,
                    due_at: due,
                })?;
            }
            Ok::<_, StoreError>((late, done))
        })
        .unwrap();
    assert_eq!(
        store.count_by(IX_DUE, "5").unwrap(),
        2,
        "the marks' entries"
    );
    fold_due_marks(&store).unwrap();
    assert!(store.list::<DueMark>().unwrap().is_empty());
    assert_eq!(
        store.count_by(IX_DUE, "5").unwrap(),
        0,
        "overdue counts read the todo index now"
    );
    assert_eq!(store.load::<Task>(late).unwrap().status, TaskStatus::Open);
    let _ = done;
}
