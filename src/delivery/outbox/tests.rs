//! Unit tests of the outbox: staging by preference, claims and leases, retries and
//! the write-back order, purging.

use super::*;
use crate::delivery::notice::sample;
use crate::inbox::MessageKind;
use crate::org::Language;

fn policy() -> RetryPolicy {
    RetryPolicy {
        base: Duration::from_secs(30),
        max_attempts: 3,
        lease: Duration::from_secs(20),
    }
}

fn store() -> (tempfile::TempDir, Store) {
    let d = tempfile::tempdir().unwrap();
    let s = Store::open(&d.path().join("db"), 1 << 20).unwrap();
    (d, s)
}

fn item(s: &Store, now: DateTime<Utc>) -> u64 {
    s.write(|tx| {
        tx.insert(&mut OutboxItem {
            id: 0,
            rev: 0,
            target: Target::Email {
                to: "a@b.example".into(),
            },
            status: OutboxStatus::Pending,
            attempts: 0,
            next_at: now,
            last_error: None,
            created_at: now,
            sent_at: None,
            notice: sample(Language::En),
            once: None,
            write_back: None,
        })
    })
    .unwrap()
}

#[test]
fn withdrawals_have_a_preference_key_comments_do_not() {
    assert_eq!(event_of(MessageKind::Withdrawn), Some("withdrawn"));
    assert!(crate::delivery::prefs::EVENTS.contains(&"withdrawn"));
    assert_eq!(event_of(MessageKind::Commented), None);
    assert!(!for_groups(MessageKind::Withdrawn));
}

#[test]
fn backoff_doubles_and_is_capped() {
    let p = policy();
    assert_eq!(p.backoff(1), chrono::Duration::seconds(30));
    assert_eq!(p.backoff(2), chrono::Duration::seconds(60));
    assert_eq!(p.backoff(4), chrono::Duration::seconds(240));
    assert_eq!(p.backoff(60), chrono::Duration::hours(6));
}

#[test]
fn retry_then_fail_then_retry_by_hand() {
    let (_d, s) = store();
    let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let id = item(&s, t0);
    assert_eq!(due(&s, t0).unwrap(), vec![id]);
    let p = policy();
    let it = claim(&s, id, t0, &p).unwrap().unwrap();
    assert_eq!((it.status, it.attempts), (OutboxStatus::Sending, 1));
    assert!(due(&s, t0).unwrap().is_empty(), "leased");
    assert!(claim(&s, id, t0, &p).unwrap().is_none());
    let it = finish(&s, id, Err("500".into()), t0, &p).unwrap().unwrap();
    assert_eq!(it.status, OutboxStatus::Pending);
    assert_eq!(it.next_at, t0 + chrono::Duration::seconds(30));
    assert!(due(&s, t0 + chrono::Duration::seconds(29))
        .unwrap()
        .is_empty());
    let t1 = t0 + chrono::Duration::seconds(30);
    claim(&s, id, t1, &p).unwrap().unwrap();
    finish(&s, id, Err("500".into()), t1, &p).unwrap();
    let t2 = t1 + chrono::Duration::seconds(60);
    claim(&s, id, t2, &p).unwrap().unwrap();
    let it = finish(&s, id, Err("connection refused".into()), t2, &p)
        .unwrap()
        .unwrap();
    assert_eq!(it.status, OutboxStatus::Failed);
    assert_eq!(it.last_error.as_deref(), Some("connection refused"));
    assert!(due(&s, t2 + chrono::Duration::days(1)).unwrap().is_empty());
    assert_eq!(list(&s, Some(OutboxStatus::Failed), 10).unwrap().len(), 1);
    let it = retry(&s, id, t2).unwrap();
    assert_eq!((it.status, it.attempts), (OutboxStatus::Pending, 0));
    assert!(retry(&s, id, t2).is_err(), "only failed items");
    claim(&s, id, t2, &p).unwrap().unwrap();
    let it = finish(&s, id, Ok(()), t2, &p).unwrap().unwrap();
    assert_eq!(it.status, OutboxStatus::Sent);
    assert!(due(&s, t2 + chrono::Duration::days(1)).unwrap().is_empty());
    assert_eq!(purge_sent(&s, t2).unwrap(), 0, "kept while recent");
    assert_eq!(
        purge_sent(&s, t2 + chrono::Duration::seconds(1)).unwrap(),
        1
    );
    assert!(s.get::<OutboxItem>(id).unwrap().is_none());
    assert!(list(&s, None, 10).unwrap().is_empty());
}

fn write_back_item(s: &Store, now: DateTime<Utc>, name: &str) -> u64 {
    s.write(|tx| {
        tx.insert(&mut OutboxItem {
            id: 0,
            rev: 0,
            target: Target::WriteBack { name: name.into() },
            status: OutboxStatus::Pending,
            attempts: 0,
            next_at: now,
            last_error: None,
            created_at: now,
            sent_at: None,
            notice: sample(Language::En),
            once: None,
            write_back: None,
        })
    })
    .unwrap()
}

#[test]
fn a_write_back_target_gets_its_events_one_at_a_time_in_order() {
    let (_d, s) = store();
    let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let p = policy();
    let first = write_back_item(&s, t0, "erp");
    let second = write_back_item(&s, t0, "erp");
    let other = write_back_item(&s, t0, "shop");
    assert!(
        claim(&s, second, t0, &p).unwrap().is_none(),
        "waits for the first"
    );
    assert!(
        claim(&s, other, t0, &p).unwrap().is_some(),
        "another target does not wait"
    );
    claim(&s, first, t0, &p).unwrap().unwrap();
    assert!(
        claim(&s, second, t0, &p).unwrap().is_none(),
        "the first is being sent"
    );
    finish(&s, first, Err("503".into()), t0, &p).unwrap();
    let t1 = t0 + chrono::Duration::seconds(30);
    assert!(
        claim(&s, second, t0, &p).unwrap().is_none(),
        "the first is retrying"
    );
    assert_eq!(
        due(&s, t0).unwrap(),
        Vec::<u64>::new(),
        "the second is due with the first's next try, not on every poll"
    );
    assert_eq!(s.get::<OutboxItem>(second).unwrap().unwrap().next_at, t1);
    claim(&s, first, t1, &p).unwrap().unwrap();
    finish(&s, first, Ok(()), t1, &p).unwrap();
    assert!(claim(&s, second, t1, &p).unwrap().is_some(), "now its turn");
}

#[test]
fn a_lease_left_by_a_crash_runs_out() {
    let (_d, s) = store();
    let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let id = item(&s, t0);
    let p = policy();
    claim(&s, id, t0, &p).unwrap().unwrap();
    // No finish: the process died mid-send.
    assert!(due(&s, t0 + chrono::Duration::seconds(19))
        .unwrap()
        .is_empty());
    let later = t0 + chrono::Duration::seconds(20);
    assert_eq!(due(&s, later).unwrap(), vec![id]);
    let it = claim(&s, id, later, &p).unwrap().unwrap();
    assert_eq!(it.attempts, 2);
}
