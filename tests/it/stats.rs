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
