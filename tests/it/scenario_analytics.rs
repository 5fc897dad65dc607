//! Scenario analytics through the API: records evaluated, firings, tasks finished and
//! auto-closed, errors, the median, and the noisy flag, kept in the writes that
//! change them.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::harness::*;

const SOURCE: &str = r#"const ID = "widget_bad";
const NAME = "Widget bad";
const WATCHES = "widget";
fn condition(r, prev) {
    if r.boom == true { throw "boom"; }
    r.bad == true
}
fn task(r) { #{ title: `Widget ${r.id}`, due_in_days: 1, auto_close: true,
    nodes: [#{ handler: "admin", action: "fix" }] } }
"#;

fn widgets(ids: std::ops::Range<u32>, bad: bool) -> Value {
    Value::Array(
        ids.map(|i| json!({"kind": "widget", "id": format!("W-{i}"), "data": {"bad": bad}}))
            .collect(),
    )
}

async fn analytics(admin: &Client) -> Value {
    admin.get("/api/scenarios").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "widget_bad")
        .unwrap()
        .clone()
}

async fn task_of(admin: &Client, title: &str) -> Value {
    let erp = admin.erp_project().await["id"].as_u64().unwrap();
    let items = admin
        .get(&format!("/api/projects/{erp}/tasks?status=all"))
        .await["items"]
        .as_array()
        .unwrap()
        .clone();
    let id = items.iter().find(|t| t["title"] == title).unwrap()["id"].clone();
    admin.get(&format!("/api/tasks/{id}")).await
}

async fn complete(admin: &Client, title: &str) {
    let t = task_of(admin, title).await;
    let (st, body) = admin
        .call(
            Method::POST,
            &format!("/api/tasks/{}/complete", t["id"]),
            Some(json!({"rev": t["rev"]})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_follow_firing_finishing_and_auto_closing() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let erp = s.erp_client(&admin).await;
    admin
        .post("/api/scenarios", json!({"source": SOURCE}))
        .await;
    let empty = analytics(&admin).await;
    assert_eq!(empty["analytics"]["fired"], 0, "{empty}");
    assert_eq!(empty["analytics"]["per_day"].as_array().unwrap().len(), 30);

    // 7 fire, 2 do not, 1 fails
    let r = erp
        .post("/api/erp/records", json!({"records": widgets(0..7, true)}))
        .await;
    assert_eq!(r["scenarios"]["tasks_created"], 7, "{r}");
    erp.post(
        "/api/erp/records",
        json!({"records": widgets(10..12, false)}),
    )
    .await;
    erp.post(
        "/api/erp/records",
        json!({"records": [{"kind": "widget", "id": "W-99", "data": {"boom": true}}]}),
    )
    .await;
    // one finished after a comment, one without
    let t0 = task_of(&admin, "Widget W-0").await;
    admin
        .post(
            &format!("/api/tasks/{}/comments", t0["id"]),
            json!({"body": "replaced the part"}),
        )
        .await;
    complete(&admin, "Widget W-0").await;
    complete(&admin, "Widget W-1").await;

    let a = analytics(&admin).await;
    let f = &a["analytics"];
    assert_eq!(f["evaluated"], 10, "{a}");
    assert_eq!(f["fired"], 7);
    assert_eq!(f["errors"], 1);
    assert_eq!(f["finished"], 2);
    assert_eq!(f["auto_closed"], 0);
    assert_eq!(f["open"], 5);
    assert_eq!(f["median_finish_secs"], 30, "both under a minute");
    assert_eq!(f["late_share"], 0.0);
    assert_eq!(f["per_day"][29], 7, "today's firings, last");
    assert_eq!(f["noisy"], false, "2 ended: too few to judge");
    assert_eq!(a["fired_count"], 7, "the fired count comes from the days");
    assert!(a["last_fired_at"].is_string());

    // 4 conditions clear at once: their tasks auto-close within the hour
    erp.post("/api/erp/records", json!({"records": widgets(2..6, false)}))
        .await;
    let a = analytics(&admin).await;
    let f = &a["analytics"];
    assert_eq!(f["auto_closed"], 4, "{a}");
    assert_eq!(f["open"], 1);
    assert_eq!(f["evaluated"], 14);
    assert_eq!(
        f["noisy"], true,
        "4 of 6 ended tasks auto-closed within an hour"
    );
    s.stop().await;
}

/// A backup carries the counters: the restored server shows the same figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_backup_keeps_the_figures() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let erp = s.erp_client(&admin).await;
    admin
        .post("/api/scenarios", json!({"source": SOURCE}))
        .await;
    erp.post("/api/erp/records", json!({"records": widgets(0..3, true)}))
        .await;
    complete(&admin, "Widget W-0").await;
    let before = analytics(&admin).await;
    assert_eq!(before["analytics"]["fired"], 3, "{before}");

    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("b.baton-backup.gz");
    let (ok, _, err) = baton(&s.data, &["backup", "--out", file.to_str().unwrap()], None);
    assert!(ok, "{err}");
    s.stop().await;
    let target = work.path().join("restored");
    let (ok, _, err) = baton(&target, &["restore", file.to_str().unwrap()], None);
    assert!(ok, "{err}");
    let s2 = TestServer::start_in(&target, baton::config::FileConfig::default()).await;
    let after = analytics(&s2.admin().await).await;
    assert_eq!(after["analytics"], before["analytics"]);
    assert_eq!(after["fired_count"], 3);
    s2.stop().await;
}
