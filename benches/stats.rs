#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Statistics latency with 100k tasks: `cargo bench --bench stats`.
//!
//! Builds 50 members and 100,000 two-node workflow tasks spread over the last six
//! months through the real write path (task insert, flow `apply`, task-log lines, so
//! the statistics counters and the overdue index are maintained as in production).
//! 90% of tasks are finished (some late), 10% still open with deadlines around now.
//! Then times the company statistics table (all 50 members, current month and an older
//! week), a department admin's table, a member's dashboard, and the exports.

use std::time::{Duration, Instant};

use baton::actor::Actor;
use baton::flow::apply::{apply, OpInput};
use baton::flow::{Op, Task, TaskKind};
use baton::org::Role;
use baton::projects::service::{create as create_project, NewProject};
use baton::stats::period::PeriodKind;
use baton::stats::service::{table, to_csv, to_xlsx, StatsQuery};
use baton::store::{Store, StoreError};
use baton::tasks::context::project_ctx;
use baton::tasks::record::open_work;
use baton::tasks::service::{build, insert, NewTask};
use chrono::{Duration as CDuration, Utc};
use common::time;

mod common;

const TASKS: usize = 100_000;
const USERS: usize = 50;

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Codec(e.to_string())
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("db"), 64 << 20).expect("open");
    let tz: chrono_tz::Tz = "Asia/Shanghai".parse().expect("tz");
    baton::stats::record::ensure_built(&store, tz).expect("statistics zone");
    let now = Utc::now();
    let sys = Actor::system();
    let users = common::members(&store, USERS, now);
    let pid = create_project(
        &store,
        &sys,
        NewProject {
            name: "p".into(),
            department_id: None,
            members: users.clone(),
            business_types: vec![],
            fields: vec![],
        },
        now,
    )
    .expect("project")
    .id;
    let ctx = project_ctx(&store, &sys, pid).expect("ctx");
    let started = Instant::now();
    let span_min = 180 * 24 * 60;
    for chunk in 0..(TASKS / 1000) {
        store
            .write(|tx| {
                for j in 0..1000 {
                    let n = chunk * 1000 + j;
                    let h = |k: usize| users[(n + k) % USERS];
                    // Spread creation over the last six months, deterministic.
                    let created = now - CDuration::minutes(((n * 7919) % span_min) as i64 + 60);
                    let open = n % 10 == 0;
                    let due = if open {
                        now + CDuration::hours((n % 200) as i64 - 100)
                    } else {
                        created + CDuration::hours(24)
                    };
                    let new = NewTask {
                        kind: TaskKind::Workflow,
                        title: format!("Order SO-{n} out of stock"),
                        description: String::new(),
                        business_type: None,
                        priority: None,
                        due_at: Some(due),
                        nodes: common::check_then_approve(h(0), h(1)),
                        checklist: vec![],
                        watchers: vec![],
                        editors: vec![],
                        template_id: None,
                        fields: Default::default(),
                    };
                    let mut t: Task = build(&ctx, h(2), new, None, created).map_err(err)?;
                    let actor = Actor::user(h(2), "creator", Role::Member, None);
                    let id = insert(tx, &mut t, &actor, created).map_err(err)?;
                    if open {
                        continue;
                    }
                    // Both nodes completed; one in five late.
                    let step = if n % 5 == 0 { 30 } else { 4 };
                    for k in 0..2 {
                        let at = created + CDuration::hours(step * (k as i64 + 1));
                        let who = h(k);
                        let a = Actor::user(who, "h", Role::Member, None);
                        let rev = t.rev;
                        let out = apply(&mut t, who, Op::Complete, &OpInput::default(), at)
                            .map_err(err)?;
                        tx.update(&mut t, rev)?;
                        // The line with its events' facts (completion, next receipt),
                        // as `effects::stage` writes it.
                        baton::effects::log::write_events(tx, id, &a, out.log, &out.events, at)?;
                    }
                }
                Ok::<_, StoreError>(())
            })
            .expect("insert");
    }
    println!(
        "built {TASKS} tasks in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let admin = Actor::user(1, "admin", Role::CompanyAdmin, None);
    let month = StatsQuery::default();
    let t = table(&store, &admin, &month, now, tz, &open_work).expect("table");
    let received: i64 = t.rows.iter().map(|r| r.received).sum();
    let todo: usize = t.rows.iter().map(|r| r.todo).sum();
    let overdue: usize = t.rows.iter().map(|r| r.overdue).sum();
    println!(
        "{} rows; this month received {received}, todo {todo}, overdue {overdue}",
        t.rows.len()
    );
    let p99 = time("company stats, current month (50 members)", 200, || {
        table(&store, &admin, &month, now, tz, &open_work).expect("table");
    });
    let older = baton::stats::period::recent(PeriodKind::Week, now, tz)[4].key();
    let week = StatsQuery {
        period: Some(PeriodKind::Week),
        at: Some(older),
        department_id: None,
    };
    let p99w = time("company stats, a week four weeks back", 200, || {
        table(&store, &admin, &week, now, tz, &open_work).expect("table");
    });
    time("CSV export of the month", 50, || {
        to_csv(&t).expect("csv");
    });
    time("XLSX export of the month", 20, || {
        to_xlsx(&t).expect("xlsx");
    });
    time("member dashboard", 200, || {
        baton::personal::dashboard(&store, users[7], now, tz).expect("dashboard");
    });
    let worst = p99.max(p99w);
    println!(
        "company statistics p99 {:.2} ms (target < 50 ms): {}",
        worst.as_secs_f64() * 1e3,
        if worst < Duration::from_millis(50) {
            "OK"
        } else {
            "TOO SLOW"
        }
    );
}
