#![allow(clippy::expect_used, clippy::unwrap_used)]
//! Task-list latency with 100k tasks: `cargo bench --bench lists`.
//!
//! Builds a data directory with 50 members in 10 projects and 100,000 tasks (a third
//! finished), then times the views a person opens all day: a project's list (first
//! page, with a filter, sorted by due), "my todo", and one task.

use std::time::Instant;

use baton::actor::Actor;
use baton::flow::{Priority, Task, TaskKind};
use baton::org::Role;
use baton::projects::service::{create as create_project, NewProject};
use baton::store::Store;
use baton::tasks::context::project_ctx;
use baton::tasks::lists::{project_tasks, todo, ListQuery};
use baton::tasks::service::{build, get, NewTask};
use chrono::Utc;
use common::time;

mod common;

const TASKS: usize = 100_000;
const USERS: usize = 50;
const PROJECTS: usize = 10;

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("db"), 64 << 20).expect("open");
    let now = Utc::now();
    let sys = Actor::system();
    let users = common::members(&store, USERS, now);
    let projects: Vec<u64> = (0..PROJECTS)
        .map(|i| {
            create_project(
                &store,
                &sys,
                NewProject {
                    name: format!("p{i}"),
                    department_id: None,
                    members: users.clone(),
                    business_types: vec![],
                    fields: vec![],
                },
                now,
            )
            .expect("project")
            .id
        })
        .collect();
    let started = Instant::now();
    for chunk in 0..(TASKS / 1000) {
        store
            .write(|tx| {
                for j in 0..1000 {
                    let n = chunk * 1000 + j;
                    let pid = projects[n % PROJECTS];
                    let ctx = project_ctx(&store, &sys, pid)
                        .map_err(|e| baton::store::StoreError::Codec(e.to_string()))?;
                    let h = |k: usize| users[(n + k) % USERS];
                    let new = NewTask {
                        kind: TaskKind::Workflow,
                        title: format!("Order SO-{n} out of stock"),
                        description: "Restock or refund".into(),
                        business_type: None,
                        priority: Some(if n % 7 == 0 {
                            Priority::Urgent
                        } else {
                            Priority::Normal
                        }),
                        due_at: Some(now + chrono::Duration::hours((n % 200) as i64 - 100)),
                        nodes: common::check_then_approve(h(0), h(1)),
                        checklist: vec![],
                        watchers: vec![h(2)],
                        editors: vec![],
                        template_id: None,
                        fields: Default::default(),
                    };
                    let mut t: Task = build(&ctx, h(3), new, None, now)
                        .map_err(|e| baton::store::StoreError::Codec(e.to_string()))?;
                    if n % 3 == 0 {
                        t.status = baton::flow::TaskStatus::Done;
                    }
                    tx.insert(&mut t)?;
                }
                Ok::<_, baton::store::StoreError>(())
            })
            .expect("insert");
    }
    println!(
        "built {TASKS} tasks in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let admin = Actor::user(1, "admin", Role::CompanyAdmin, None);
    let member = Actor::user(users[7], "u7", Role::Member, None);
    let pid = projects[3];
    let q = ListQuery::default();
    time("project list, admin, open, page 1", 50, || {
        project_tasks(&store, &admin, pid, &q, now).expect("list");
    });
    time(
        "project list, member (visibility index), page 1",
        50,
        || {
            project_tasks(&store, &member, pid, &q, now).expect("list");
        },
    );
    let filtered = ListQuery {
        priority: Some(Priority::Urgent),
        sort: Some("due".into()),
        ..Default::default()
    };
    time("project list, admin, urgent, sorted by due", 20, || {
        project_tasks(&store, &admin, pid, &filtered, now).expect("list");
    });
    time("my todo (member)", 50, || {
        todo(&store, &member, now).expect("todo");
    });
    let some_task = store
        .ids_by("task_created", &users[7].to_string())
        .expect("ids")[0];
    time("one task", 200, || {
        get(&store, &member, some_task, now).expect("task");
    });
}
