//! The reminder schedule and tick of `reminders.rs`: when due-soon, overdue and
//! escalation reminders are due, and what the tick sends.

use super::*;
use chrono::TimeZone;

const DAY: Duration = Duration::hours(24);

fn task(due: Option<DateTime<Utc>>) -> Task {
    let t0 = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
    Task {
        id: 1,
        rev: 1,
        due_at: due,
        ..Task::one_step(2, t0)
    }
}

#[test]
fn due_soon_then_overdue_then_daily() {
    let due = Utc.with_ymd_and_hms(2026, 5, 5, 12, 0, 0).unwrap();
    let mut t = task(Some(due));
    assert_eq!(due_soon_of(&t), Some(due), "indexed by its deadline");
    assert_eq!(
        next_at(&t),
        Some(due),
        "overdue, should due-soon not go out"
    );
    assert!(due_now(&t, due - Duration::hours(25), DAY).is_none());
    let (k, s) = due_now(&t, due - Duration::hours(23), DAY).unwrap();
    assert_eq!(k, Reminder::DueSoon);
    t.reminders = s;
    assert_eq!(due_soon_of(&t), None);
    assert_eq!(next_at(&t), Some(due));
    assert!(
        due_now(&t, due - Duration::hours(1), DAY).is_none(),
        "not twice"
    );
    let (k, s) = due_now(&t, due + Duration::minutes(1), DAY).unwrap();
    assert_eq!(k, Reminder::Overdue);
    t.reminders = s;
    assert_eq!(
        next_at(&t),
        Some(due + Duration::minutes(1) + Duration::days(1))
    );
    assert!(due_now(&t, due + Duration::hours(5), DAY).is_none());
    assert_eq!(
        due_now(&t, due + Duration::days(2), DAY).unwrap().0,
        Reminder::Overdue
    );
}

#[test]
fn nothing_without_a_deadline_or_when_finished() {
    assert_eq!(next_at(&task(None)), None);
    let mut t = task(Some(Utc::now()));
    t.status = TaskStatus::Done;
    assert_eq!(next_at(&t), None);
}

#[test]
fn escalations_fire_once_at_their_time() {
    use crate::flow::model::{Escalation, TaskSource};
    let t0 = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
    let mut t = task(None);
    t.source = Some(TaskSource {
        scenario_id: "s".into(),
        scenario_name: "s".into(),
        scenario_version: 1,
        fired_at: t0,
        record_kind: "order".into(),
        record_id: "SO-1".into(),
        record: serde_json::json!({}),
        escalations: vec![
            Escalation {
                at: t0 + Duration::hours(24),
                notify: vec![9],
                sent: false,
            },
            Escalation {
                at: t0 + Duration::hours(72),
                notify: vec![9],
                sent: false,
            },
        ],
        on_finish: vec![],
        auto_close: false,
        write_back: None,
    });
    assert_eq!(next_at(&t), Some(t0 + Duration::hours(24)));
    assert!(escalations_due(&t, t0 + Duration::hours(23)).is_empty());
    assert_eq!(escalations_due(&t, t0 + Duration::hours(25)), vec![0]);
    if let Some(s) = t.source.as_mut() {
        s.escalations[0].sent = true;
    }
    assert_eq!(next_at(&t), Some(t0 + Duration::hours(72)));
    assert!(
        escalations_due(&t, t0 + Duration::hours(25)).is_empty(),
        "not twice"
    );
    t.status = TaskStatus::Done;
    assert!(
        escalations_due(&t, t0 + Duration::hours(100)).is_empty(),
        "none once finished"
    );
}

#[test]
fn a_new_deadline_or_step_starts_afresh() {
    let due = Utc.with_ymd_and_hms(2026, 5, 5, 12, 0, 0).unwrap();
    let mut t = task(Some(due));
    let (_, s) = due_now(&t, due + Duration::minutes(1), DAY).unwrap();
    t.reminders = s;
    t.due_at = Some(due + Duration::days(10));
    assert_eq!(due_soon_of(&t), Some(due + Duration::days(10)));
    assert!(due_now(&t, due + Duration::days(8), DAY).is_none());
    assert_eq!(
        due_now(&t, due + Duration::days(9), DAY).unwrap().0,
        Reminder::DueSoon
    );
}

#[test]
fn a_deadline_nearer_than_the_lead_is_due_soon_at_once_and_a_past_one_overdue() {
    let t0 = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
    let t = task(Some(t0 + Duration::hours(2)));
    assert_eq!(due_now(&t, t0, DAY).unwrap().0, Reminder::DueSoon);
    let late = task(Some(t0 - Duration::hours(2)));
    let (kind, state) = due_now(&late, t0, DAY).unwrap();
    assert_eq!(kind, Reminder::Overdue);
    assert!(state.due_soon_sent, "no due-soon after the deadline");
}

#[test]
fn the_lead_is_the_callers_setting() {
    let due = Utc.with_ymd_and_hms(2026, 5, 5, 12, 0, 0).unwrap();
    let t = task(Some(due));
    let now = due - Duration::hours(30);
    assert!(due_now(&t, now, DAY).is_none());
    assert_eq!(
        due_now(&t, now, Duration::hours(48)).unwrap().0,
        Reminder::DueSoon,
        "a longer lead reminds earlier, with the same stored task"
    );
}

fn stored(dir: &std::path::Path, due: DateTime<Utc>) -> (Store, u64) {
    let store = Store::open(dir, 8 << 20).unwrap();
    let mut t = task(Some(due));
    t.id = 0;
    t.rev = 0;
    let id = store.write(|tx| tx.insert(&mut t)).unwrap();
    (store, id)
}

fn inbox_kinds(store: &Store, user: u64) -> Vec<String> {
    store
        .list::<crate::inbox::Message>()
        .unwrap()
        .into_iter()
        .filter(|m| m.user_id == user)
        .map(|m| m.kind.as_str().to_string())
        .collect()
}

#[test]
fn the_tick_reminds_by_the_lead_it_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let due = Utc.with_ymd_and_hms(2026, 5, 5, 12, 0, 0).unwrap();
    let (store, id) = stored(dir.path(), due);
    let now = due - Duration::hours(30);
    assert_eq!(tick(&store, now, DAY).unwrap(), 0);
    assert_eq!(tick(&store, now, Duration::hours(48)).unwrap(), 1);
    assert_eq!(inbox_kinds(&store, 2), vec!["due_soon"]);
    let log = crate::tasklog::list(&store, id).unwrap();
    assert_eq!(
        log.iter().map(|l| l.action.as_str()).collect::<Vec<_>>(),
        vec!["due_soon"],
        "the event's log line, in the same write"
    );
    assert_eq!(tick(&store, now, Duration::hours(48)).unwrap(), 0, "once");
}

#[test]
fn opening_a_schema_4_database_moves_the_due_soon_schedule_to_the_deadline() {
    use crate::store::{encode, multi_key, record_key, Record, META_SCHEMA};
    let dir = tempfile::tempdir().unwrap();
    let due = Utc.with_ymd_and_hms(2026, 5, 5, 12, 0, 0).unwrap();
    {
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        let mut t = task(Some(due));
        t.id = 7;
        // As schema 4 left it: the due-soon time (deadline minus a 24 h lead) in
        // the reminder index, no deadline entry.
        store
            .raw_insert_batch(vec![
                (record_key(Task::KIND, 7), encode(&t).unwrap()),
                (
                    multi_key(ix::REMIND_AT, &time_key(due - DAY), 7),
                    Vec::new(),
                ),
                (META_SCHEMA.to_vec(), 4u32.to_be_bytes().to_vec()),
            ])
            .unwrap();
        store.flush().unwrap();
    }
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    let entries: Vec<String> = store
        .raw_entries()
        .map(|e| String::from_utf8_lossy(&e.unwrap().0).into_owned())
        .filter(|k| k.starts_with("mx/task_remind/"))
        .collect();
    assert_eq!(
        entries,
        vec![format!("mx/task_remind/d/{}/{:016x}", time_key(due), 7)],
        "the stale entry gone, the deadline of the pending due-soon in its place"
    );
    let lead_48h = Duration::hours(48);
    assert_eq!(
        candidates(&store, due - DAY - Duration::hours(1), DAY).unwrap(),
        Vec::<u64>::new()
    );
    assert_eq!(
        candidates(&store, due - DAY - Duration::hours(1), lead_48h).unwrap(),
        vec![7]
    );
}

#[test]
fn an_escalation_before_the_deadline_of_a_pending_due_soon_has_its_own_entry() {
    use crate::flow::model::{Escalation, TaskSource};
    let due = Utc.with_ymd_and_hms(2026, 5, 5, 12, 0, 0).unwrap();
    let mut t = task(Some(due));
    assert_eq!(schedule(&t), vec![format!("d/{}", time_key(due))]);
    t.source = Some(TaskSource {
        scenario_id: "s".into(),
        scenario_name: "s".into(),
        scenario_version: 1,
        fired_at: due - DAY * 3,
        record_kind: "order".into(),
        record_id: "SO-1".into(),
        record: serde_json::json!({}),
        escalations: vec![Escalation {
            at: due - DAY * 2,
            notify: vec![9],
            sent: false,
        }],
        on_finish: vec![],
        auto_close: false,
        write_back: None,
    });
    assert_eq!(
        schedule(&t),
        vec![
            format!("d/{}", time_key(due)),
            format!("t/{}", time_key(due - DAY * 2))
        ]
    );
    t.reminders.due_soon_sent = true;
    t.reminders.for_due = Some(due);
    t.reminders.for_node = Some((1, 2));
    assert_eq!(schedule(&t), vec![format!("t/{}", time_key(due - DAY * 2))]);
}
