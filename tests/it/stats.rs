//! Statistics, the dashboard and exports through the API, with the refusals.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::flow_api::{op, team};
use crate::harness::*;

fn row(t: &Value, user: u64) -> &Value {
    t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["user_id"] == user)
        .unwrap_or_else(|| panic!("no row for {user} in {t}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flow_events_show_in_the_table_dashboard_and_exports() {
    let t = team().await;
    // cs completes step 1, lead transfers to lead2, who completes; fin receives.
    let task = t.refund_task().await;
    let (st, task) = op(t.c(0), &task, "complete", json!({})).await;
    assert_eq!(st, StatusCode::OK, "{task}");
    let (st, task) = op(t.c(1), &task, "transfer", json!({"to": t.id(3)})).await;
    assert_eq!(st, StatusCode::OK, "{task}");
    let (st, _) = op(t.c(3), &task, "complete", json!({})).await;
    assert_eq!(st, StatusCode::OK);
    // A second task, deleted afterwards, leaves no trace.
    let gone = t.refund_task().await;
    let (st, body) = t
        .admin
        .call(Method::DELETE, &format!("/api/tasks/{}", gone["id"]), None)
        .await;
    assert!(st.is_success(), "{body}");

    let table = t.admin.get("/api/stats").await;
    assert_eq!(table["period"], "month");
    assert_eq!(table["periods"].as_array().unwrap().len(), 6);
    let cs = row(&table, t.id(0));
    assert_eq!(
        (cs["received"].as_i64(), cs["completed"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(cs["completion_rate"], 1.0);
    assert_eq!(cs["on_time_rate"], 1.0);
    let lead = row(&table, t.id(1));
    assert_eq!(
        (lead["received"].as_i64(), lead["completed"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(lead["completion_rate"], 0.0);
    assert!(
        lead["on_time_rate"].is_null(),
        "nothing completed: null, not 0"
    );
    let fin = row(&table, t.id(2));
    assert_eq!(fin["received"], 1);
    assert_eq!(fin["todo"], 1);
    let watcher = row(&table, t.id(5));
    assert!(watcher["completion_rate"].is_null());

    // Weeks too.
    let week = t.admin.get("/api/stats?period=week").await;
    assert_eq!(row(&week, t.id(0))["completed"], 1);
    assert!(week["at"].as_str().unwrap().contains("-W"));

    // A member sees only themselves.
    let mine = t.c(0).get("/api/stats").await;
    assert_eq!(mine["rows"].as_array().unwrap().len(), 1);
    assert_eq!(mine["rows"][0]["user_id"], t.id(0));

    // Dashboard and trend.
    let d = t.c(2).get("/api/me/dashboard").await;
    assert_eq!(d["todo"], 1);
    assert_eq!(d["month"]["received"], 1);
    assert_eq!(d["trend"].as_array().unwrap().len(), 6);
    let d = t.c(0).get("/api/me/dashboard").await;
    assert_eq!(d["done"], 1);
    assert_eq!(d["month"]["completion_rate"], 1.0);
    let trend = t.c(0).get("/api/stats/me/trend").await;
    assert_eq!(trend["items"][5]["completed"], 1);

    // Exports.
    let resp = t
        .admin
        .request(Method::GET, "/api/stats/export.csv")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = resp.text().await.unwrap();
    assert!(csv.contains("completion rate"), "{csv}");
    assert!(csv.contains("cs,"), "{csv}");
    assert!(csv.contains("—"), "zero denominators are a dash: {csv}");
    let resp = t
        .admin
        .request(Method::GET, "/api/stats/export.xlsx?period=week")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK"), "an XLSX is a zip");
    t.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_periods_are_400_and_other_departments_403() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let d1 = admin
        .post("/api/departments", json!({"name": "Buying"}))
        .await["id"]
        .as_u64()
        .unwrap();
    let d2 = admin
        .post("/api/departments", json!({"name": "Support"}))
        .await["id"]
        .as_u64()
        .unwrap();
    let (da, _) = s.user(&admin, "da", "department_admin", Some(d1)).await;
    let (_, m1) = s.user(&admin, "m1", "member", Some(d1)).await;
    let (_, m2) = s.user(&admin, "m2", "member", Some(d2)).await;
    let (member, _) = s.user(&admin, "m3", "member", Some(d1)).await;

    for q in [
        "period=month&at=2020-01",
        "period=month&at=2026-13",
        "period=month&at=nov",
        "period=week&at=2026-11",
        "period=month&at=2026-W47",
        "period=year",
        "period=week&at=2019-W01",
    ] {
        let (st, body) = admin
            .call(Method::GET, &format!("/api/stats?{q}"), None)
            .await;
        assert_error(
            st,
            &body,
            400,
            if q == "period=year" {
                "bad_request"
            } else {
                "invalid"
            },
        );
        assert_eq!(
            body["error"]["field"],
            if q.contains("at=") { "at" } else { "period" },
            "{body}"
        );
        let (st, _) = admin
            .call(Method::GET, &format!("/api/stats/export.csv?{q}"), None)
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{q}");
    }
    // The oldest of the six is fine.
    let t = admin.get("/api/stats").await;
    let oldest = t["periods"][5].as_str().unwrap().to_string();
    admin.get(&format!("/api/stats?at={oldest}")).await;

    // Department admin: own department by default, another one is 403.
    let t = da.get("/api/stats").await;
    let ids: Vec<u64> = t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["user_id"].as_u64().unwrap())
        .collect();
    assert!(ids.contains(&m1) && !ids.contains(&m2), "{t}");
    let (st, body) = da
        .call(Method::GET, &format!("/api/stats?department_id={d2}"), None)
        .await;
    assert_error(st, &body, 403, "forbidden");
    let (st, _) = da
        .call(
            Method::GET,
            &format!("/api/stats/export.xlsx?department_id={d2}"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // Company admin filters by department.
    let t = admin.get(&format!("/api/stats?department_id={d2}")).await;
    assert_eq!(t["rows"].as_array().unwrap().len(), 1);
    // A member cannot look at a department.
    let (st, body) = member
        .call(Method::GET, &format!("/api/stats?department_id={d2}"), None)
        .await;
    assert_error(st, &body, 403, "forbidden");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_are_rebuilt_from_the_log_when_the_zone_changes() {
    let t = team().await;
    let task = t.refund_task().await;
    let (st, task) = op(t.c(0), &task, "complete", json!({})).await;
    assert_eq!(st, StatusCode::OK, "{task}");
    let before = t.admin.get("/api/stats").await;
    let data = t.s.data.clone();
    let guard = t.s.stop().await;
    let s = TestServer::start_in(
        &data,
        baton::config::FileConfig {
            timezone: Some("Etc/UTC".into()),
            ..Default::default()
        },
    )
    .await;
    let admin = s.admin().await;
    let after = admin
        .get(&format!("/api/stats?at={}", before["at"].as_str().unwrap()))
        .await;
    assert_eq!(after["timezone"], "Etc/UTC");
    for i in [0usize, 1] {
        let id = t.users[i].1;
        assert_eq!(row(&before, id)["received"], row(&after, id)["received"]);
        assert_eq!(row(&before, id)["completed"], row(&after, id)["completed"]);
        assert_eq!(row(&before, id)["todo"], row(&after, id)["todo"]);
    }
    s.stop().await;
    drop(guard);
}

/// Creates a task by `creator` with the task's deadline `due` and nodes handled by
/// `handlers`; returns it.
async fn task_due(t: &crate::flow_api::Team, creator: usize, due: &str, handlers: &[u64]) -> Value {
    let nodes: Vec<Value> = handlers
        .iter()
        .map(|h| json!({"handler_id": h, "action": "do it"}))
        .collect();
    let (st, task) = t
        .c(creator)
        .call(
            Method::POST,
            &format!("/api/projects/{}/tasks", t.project),
            Some(json!({"kind": "workflow", "title": "Refund", "due_at": due, "nodes": nodes})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{task}");
    task
}

/// (completed, on time, on-time rate) of `user` in the current month and week.
async fn verdicts(admin: &Client, user: u64) -> Vec<(Value, Value, Value)> {
    let mut out = Vec::new();
    for kind in ["month", "week"] {
        let table = admin.get(&format!("/api/stats?period={kind}")).await;
        let r = row(&table, user);
        out.push((
            r["completed"].clone(),
            r["on_time"].clone(),
            r["on_time_rate"].clone(),
        ));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_step_stays_late_when_its_deadline_moves_and_counters_are_rebuilt() {
    let t = team().await;
    let now = chrono::Utc::now();
    let past = (now - chrono::Duration::hours(1)).to_rfc3339();
    // mia's task was due an hour ago; cs completes step 1 late.
    let task = task_due(&t, 4, &past, &[t.id(0), t.id(1)]).await;
    let (st, task) = op(t.c(0), &task, "complete", json!({})).await;
    assert_eq!(st, StatusCode::OK, "{task}");
    // The log line keeps the deadline and the verdict of that moment.
    let log = t.c(0).get(&format!("/api/tasks/{}/log", task["id"])).await;
    let line = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "complete")
        .unwrap_or_else(|| panic!("no complete line in {log}"))
        .clone();
    assert_eq!(line["completion"]["on_time"], false, "{line}");
    assert!(line["completion"]["due_at"].is_string(), "{line}");
    assert!(line["completion"].get("inferred").is_none(), "{line}");
    // …and the API document describes it.
    let doc = t.admin.get("/api/openapi.json").await;
    let schemas = &doc["components"]["schemas"];
    assert!(
        schemas["LogEntry"]["properties"]["completion"].is_object(),
        "{}",
        schemas["LogEntry"]
    );
    let completion = &schemas["Completion"];
    assert!(
        completion["properties"]["on_time"].is_object(),
        "{completion}"
    );
    // Only migrated lines carry `inferred`: the document must not require it.
    assert!(
        !completion["required"]
            .as_array()
            .is_some_and(|r| r.contains(&json!("inferred"))),
        "{completion}"
    );
    let late = vec![(json!(1), json!(0), json!(0.0)); 2];
    assert_eq!(verdicts(&t.admin, t.id(0)).await, late);

    // mia moves the deadline a week later: the past figure stays.
    let later = (now + chrono::Duration::days(7)).to_rfc3339();
    let (st, body) = t
        .c(4)
        .call(
            Method::PATCH,
            &format!("/api/tasks/{}", task["id"]),
            Some(json!({"rev": task["rev"], "due_at": later})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(verdicts(&t.admin, t.id(0)).await, late);

    // Restarts in another zone and back rebuild the counters from the log: still late.
    let cs = t.id(0);
    let data = t.s.data.clone();
    let mut guard = t.s.stop().await;
    for zone in ["Etc/UTC", "Asia/Shanghai"] {
        let s = TestServer::start_in(
            &data,
            baton::config::FileConfig {
                timezone: Some(zone.into()),
                ..Default::default()
            },
        )
        .await;
        let admin = s.admin().await;
        assert_eq!(
            admin.get("/api/stats").await["timezone"],
            zone,
            "rebuilt in {zone}"
        );
        assert_eq!(verdicts(&admin, cs).await, late, "after rebuild in {zone}");
        if let Some(g) = s.stop().await {
            guard = Some(g);
        }
    }
    drop(guard);
}

/// The `complete` lines of the store with their verdict taken away, in the layout of
/// then (a record per line, a tally per task), and the schema set back to 1: the data
/// of a Baton from before verdicts were recorded.
fn make_schema_1(db: &std::path::Path) {
    use baton::store::{Store, StoreError};
    use baton::tasks::log::LogEntry;
    let store = Store::open(db, 1 << 20).unwrap();
    let zone = baton::stats::record::built_zone(&store)
        .unwrap()
        .unwrap_or(chrono_tz::UTC);
    baton::stats::schema_5::to_legacy_layout(&store, zone).unwrap();
    store
        .write(|tx| {
            for mut e in store.list::<LogEntry>()? {
                if e.completion.take().is_some() {
                    let rev = e.rev;
                    tx.update(&mut e, rev)?;
                }
            }
            tx.put_meta(b"meta/schema", 1u32.to_be_bytes().to_vec());
            Ok::<_, StoreError>(())
        })
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_keeps_earlier_late_completions_late_after_their_deadline_moved() {
    let t = team().await;
    let now = chrono::Utc::now();
    let past = (now - chrono::Duration::hours(1)).to_rfc3339();
    let task = task_due(&t, 4, &past, &[t.id(0), t.id(1)]).await;
    let (st, task) = op(t.c(0), &task, "complete", json!({})).await;
    assert_eq!(st, StatusCode::OK, "{task}");
    let later = (now + chrono::Duration::days(7)).to_rfc3339();
    let (st, body) = t
        .c(4)
        .call(
            Method::PATCH,
            &format!("/api/tasks/{}", task["id"]),
            Some(json!({"rev": task["rev"], "due_at": later})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let cs = t.id(0);
    let id = task["id"].as_u64().unwrap();
    let data = t.s.data.clone();
    let guard = t.s.stop().await;
    let db = config_for(&data, Default::default()).db_dir();
    make_schema_1(&db);

    // The upgrade records the verdict once from the counters of the time; the
    // rebuild that a zone change causes then keeps it.
    let s = TestServer::start_in(
        &data,
        baton::config::FileConfig {
            timezone: Some("Etc/UTC".into()),
            ..Default::default()
        },
    )
    .await;
    let admin = s.admin().await;
    let late = vec![(json!(1), json!(0), json!(0.0)); 2];
    assert_eq!(verdicts(&admin, cs).await, late);
    let log = admin.get(&format!("/api/tasks/{id}/log")).await;
    let line = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "complete")
        .unwrap()
        .clone();
    assert_eq!(line["completion"]["on_time"], false, "{line}");
    assert_eq!(line["completion"]["inferred"], true, "{line}");
    s.stop().await;
    drop(guard);
}

/// Writes, through the library with a clock in the past, a task that `handler`
/// received at `at` and completed an hour later, `late` or not.
fn complete_in_the_past(
    db: &std::path::Path,
    project: u64,
    handler: u64,
    at: chrono::DateTime<chrono::Utc>,
    late: bool,
) {
    use baton::actor::Actor;
    use baton::flow::Op;
    use baton::org::Role;
    use baton::store::Store;
    let store = Store::open(db, 1 << 20).unwrap();
    let me = Actor {
        user_id: Some(handler),
        name: "handler".into(),
        role: Role::Member,
        department_id: None,
    };
    let due = at + chrono::Duration::minutes(if late { 30 } else { 90 });
    let new = serde_json::from_value(json!({
        "kind": "simple", "title": "old work", "due_at": due,
        "nodes": [{"handler_id": handler, "action": "do it"}]
    }))
    .unwrap();
    let task = baton::tasks::service::create(&store, &me, project, new, at).unwrap();
    let req = serde_json::from_value(json!({"rev": task.rev})).unwrap();
    baton::tasks::operate::operate(
        &store,
        &me,
        task.id,
        Op::Complete,
        req,
        at + chrono::Duration::hours(1),
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weeks_reach_back_six_months_and_no_further() {
    use baton::stats::period::{Period, PeriodKind};
    let t = team().await;
    let (cs, project) = (t.id(0), t.project);
    let data = t.s.data.clone();
    let guard = t.s.stop().await;
    let tz: chrono_tz::Tz = "Asia/Shanghai".parse().unwrap();
    let now = chrono::Utc::now();
    let twenty = now - chrono::Duration::weeks(20);
    let thirty = now - chrono::Duration::weeks(30);
    let db = config_for(&data, Default::default()).db_dir();
    complete_in_the_past(&db, project, cs, twenty, false);
    complete_in_the_past(&db, project, cs, twenty + chrono::Duration::hours(2), true);
    complete_in_the_past(&db, project, cs, thirty, false);

    let s = TestServer::start_in(&data, Default::default()).await;
    let admin = s.admin().await;
    let week = Period::of(PeriodKind::Week, twenty, tz).key();
    let table = admin
        .get(&format!("/api/stats?period=week&at={week}"))
        .await;
    assert_eq!(table["at"], week.as_str());
    let periods: Vec<&str> = table["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!((22..=28).contains(&periods.len()), "{periods:?}");
    assert!(periods.contains(&week.as_str()), "{periods:?}");
    let r = row(&table, cs);
    assert_eq!(
        (
            &r["received"],
            &r["completed"],
            &r["on_time"],
            &r["on_time_rate"]
        ),
        (&json!(2), &json!(2), &json!(1), &json!(0.5)),
        "{r}"
    );
    // Its neighbours hold nothing of it.
    let next = Period::of(PeriodKind::Week, twenty + chrono::Duration::weeks(1), tz).key();
    let table = admin
        .get(&format!("/api/stats?period=week&at={next}"))
        .await;
    assert_eq!(row(&table, cs)["completed"], 0);
    // The export takes the same weeks.
    let (st, _) = admin
        .call(
            Method::GET,
            &format!("/api/stats/export.csv?period=week&at={week}"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);

    // Thirty weeks ago is more than six months: refused, saying what is allowed.
    let old = Period::of(PeriodKind::Week, thirty, tz).key();
    assert!(!periods.contains(&old.as_str()));
    for path in [
        format!("/api/stats?period=week&at={old}"),
        format!("/api/stats/export.xlsx?period=week&at={old}"),
    ] {
        let (st, body) = admin.call(Method::GET, &path, None).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{path}: {body}");
        if path.starts_with("/api/stats?") {
            assert_error(st, &body, 400, "invalid");
            let msg = body["error"]["message"].as_str().unwrap_or_default();
            assert!(msg.contains("six months"), "{body}");
            assert!(msg.contains(periods[periods.len() - 1]), "{body}");
        }
    }
    // Next week is not there yet.
    let future = Period::of(PeriodKind::Week, now + chrono::Duration::weeks(1), tz).key();
    let (st, body) = admin
        .call(
            Method::GET,
            &format!("/api/stats?period=week&at={future}"),
            None,
        )
        .await;
    assert_error(st, &body, 400, "invalid");
    s.stop().await;
    drop(guard);
}
