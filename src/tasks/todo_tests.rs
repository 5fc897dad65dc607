//! "My todo" read from the ordered index gives exactly what sorting every open task
//! of the handler gives: same groups, same order, same counts.

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::lists::{overdue, todo, TODO_SHOWN};
use crate::actor::Actor;
use crate::flow::{NodeState, Task, TaskStatus};
use crate::org::Role;
use crate::store::Store;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap()
}

/// A one-step task of `handler` in `state`, with the given deadlines.
fn task(
    handler: u64,
    state: NodeState,
    task_due: Option<DateTime<Utc>>,
    node_due: Option<DateTime<Utc>>,
    status: TaskStatus,
) -> Task {
    let t = now() - Duration::days(30);
    let mut task = Task {
        due_at: task_due,
        creator_id: 99,
        status,
        past_handlers: vec![],
        ..Task::one_step(handler, t)
    };
    let node = &mut task.nodes[0];
    node.action = "do".into();
    node.due_at = node_due;
    node.state = state;
    node.started_at = (state == NodeState::Started).then_some(t);
    task
}

/// The groups as computed before the index was ordered: every task decoded.
fn reference(store: &Store, handler: u64) -> [Vec<u64>; 3] {
    let mut open: Vec<(usize, Option<DateTime<Utc>>, u64)> = store
        .list::<Task>()
        .unwrap()
        .into_iter()
        .filter(|t| t.current_handler() == Some(handler) && !t.archived)
        .map(|t| {
            let group = if t.is_overdue(now()) {
                0
            } else if t.current_node().unwrap().state == NodeState::Active {
                1
            } else {
                2
            };
            (group, t.current_due(), t.id)
        })
        .collect();
    open.sort_by_key(|(_, due, id)| (due.is_none(), *due, *id));
    let mut out: [Vec<u64>; 3] = Default::default();
    for (g, _, id) in open {
        out[g].push(id);
    }
    out
}

#[test]
fn todo_from_the_ordered_index_matches_sorting_every_task() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    // A small deterministic generator: handlers 1 (many tasks, beyond the page) and 2.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |m: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % m
    };
    let mut tasks = Vec::new();
    for i in 0..700 {
        let handler = if i % 7 == 0 { 2 } else { 1 };
        let state = if next(2) == 0 {
            NodeState::Active
        } else {
            NodeState::Started
        };
        let mut due = || match next(5) {
            0 => None,
            _ => Some(now() + Duration::minutes(next(40_000) as i64 - 20_000)),
        };
        let (task_due, node_due) = (due(), due());
        let status = if next(10) == 0 {
            TaskStatus::Done
        } else {
            TaskStatus::Open
        };
        tasks.push(task(handler, state, task_due, node_due, status));
    }
    // Deadlines shared by several tasks: ties go by id.
    for t in tasks.iter_mut().take(30) {
        t.due_at = Some(now() - Duration::hours(1));
        t.nodes[0].due_at = None;
    }
    store
        .write(|tx| {
            for t in &mut tasks {
                tx.insert(t)?;
            }
            Ok::<_, crate::store::StoreError>(())
        })
        .unwrap();
    for handler in [1, 2, 3] {
        let actor = Actor::user(handler, "h", Role::Member, None);
        let got = todo(&store, &actor, now()).unwrap();
        let want = reference(&store, handler);
        let lists = [&got.overdue, &got.new, &got.started];
        let counts = [got.counts.overdue, got.counts.new, got.counts.started];
        for g in 0..3 {
            let ids: Vec<u64> = lists[g].iter().map(|s| s.id).collect();
            let expect: Vec<u64> = want[g].iter().copied().take(TODO_SHOWN).collect();
            assert_eq!(ids, expect, "handler {handler}, group {g}");
            assert_eq!(counts[g], want[g].len(), "handler {handler}, group {g}");
        }
        if handler == 1 {
            assert!(
                want.iter().any(|g| g.len() > TODO_SHOWN),
                "the page is exceeded"
            );
        }
        // The dashboard's overdue card: most recent deadline first.
        let (listed, count) = overdue(&store, handler, now(), 20).unwrap();
        let expect: Vec<u64> = want[0].iter().rev().copied().take(20).collect();
        assert_eq!(listed.iter().map(|s| s.id).collect::<Vec<_>>(), expect);
        assert_eq!(count, want[0].len());
    }
}

#[test]
fn the_todo_index_follows_start_deadline_moves_and_finishing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    let actor = Actor::user(1, "h", Role::Member, None);
    let mut t = task(
        1,
        NodeState::Active,
        None,
        Some(now() + Duration::hours(1)),
        TaskStatus::Open,
    );
    let id = store.write(|tx| tx.insert(&mut t)).unwrap();
    assert_eq!(todo(&store, &actor, now()).unwrap().new[0].id, id);
    // Later the same step is past its deadline.
    let later = now() + Duration::hours(2);
    assert_eq!(todo(&store, &actor, later).unwrap().overdue[0].id, id);
    t.nodes[0].state = NodeState::Started;
    t.nodes[0].due_at = Some(now() + Duration::days(3));
    store.write(|tx| tx.update(&mut t, 1)).unwrap();
    let got = todo(&store, &actor, later).unwrap();
    assert!(got.overdue.is_empty() && got.new.is_empty());
    assert_eq!(got.started[0].id, id);
    t.status = TaskStatus::Done;
    store.write(|tx| tx.update(&mut t, 2)).unwrap();
    let got = todo(&store, &actor, later).unwrap();
    assert_eq!(got.counts.overdue + got.counts.new + got.counts.started, 0);
}

#[test]
fn opening_a_schema_2_database_rebuilds_the_todo_index() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        let mut t = task(1, NodeState::Active, None, None, TaskStatus::Open);
        let id = store.write(|tx| tx.insert(&mut t)).unwrap();
        // As release schema 2 left it: the value was the handler alone (beside the
        // entry this build wrote, which the rebuild must keep exactly once).
        store
            .raw_insert_batch(vec![
                (format!("mx/task_todo/1/{id:016x}").into_bytes(), vec![]),
                (
                    crate::store::META_SCHEMA.to_vec(),
                    2u32.to_be_bytes().to_vec(),
                ),
            ])
            .unwrap();
        store.flush().unwrap();
        id
    };
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    let got = todo(&store, &Actor::user(1, "h", Role::Member, None), now()).unwrap();
    assert_eq!(got.new.iter().map(|s| s.id).collect::<Vec<_>>(), vec![id]);
    assert_eq!(got.counts.new, 1);
    assert_eq!(
        store.count_by(crate::tasks::record::ix::TODO, "1").unwrap(),
        1
    );
}
