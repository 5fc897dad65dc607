//! Wake times derived from a condition: a scenario with no `fn wake_at` fires when
//! time alone makes its condition true, and the check warns when it cannot know when.

use std::time::Duration;

use chrono::Utc;
use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::*;

fn scenario(id: &str, condition: &str) -> String {
    format!(
        r#"const ID = "{id}";
const NAME = "{id}";
const WATCHES = "backorder";
fn condition(r, prev) {{ {condition} }}
fn task(r) {{ #{{ title: `Backorder ${{r.id}}`, nodes: [#{{ handler: "admin", action: "restock" }}] }} }}
"#
    )
}

async fn tasks_titled(admin: &Client, title: &str) -> usize {
    let erp = admin.erp_project().await["id"].as_u64().unwrap();
    admin
        .get(&format!("/api/projects/{erp}/tasks?status=all"))
        .await["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["title"] == title)
        .count()
}

/// "Order out of stock for more than 3 days" with no `wake_at`: a record pushed 3
/// days minus 2 seconds after it ran out fires on its own, within a tick of the 3
/// days being up, and only once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_derived_wake_time_fires_without_a_new_record() {
    let s = TestServer::start_with(fast_scheduler()).await;
    let admin = s.admin().await;
    let erp = s.erp_client(&admin).await;
    let src = scenario(
        "backorder_3_days",
        r#"r.status == "out_of_stock" && days_since(r.out_of_stock_since) > 3"#,
    );
    assert!(!src.contains("wake_at"));
    let saved = admin.post("/api/scenarios", json!({"source": src})).await;
    assert_eq!(saved["key"], "backorder_3_days", "{saved}");
    let since =
        (Utc::now() - chrono::Duration::days(3) + chrono::Duration::seconds(2)).to_rfc3339();
    let r = erp
        .post(
            "/api/erp/records",
            json!({"records": [
                {"kind": "backorder", "id": "SO-7", "data": {"status": "out_of_stock", "out_of_stock_since": since}},
                // not out of stock: its time term crosses too, but the condition stays false
                {"kind": "backorder", "id": "SO-8", "data": {"status": "paid", "out_of_stock_since": since}}
            ]}),
        )
        .await;
    assert_eq!(r["scenarios"]["tasks_created"], 0, "{r}");
    let mut fired = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if tasks_titled(&admin, "Backorder SO-7").await == 1 {
            fired = true;
            break;
        }
    }
    assert!(fired, "the tick fired the scenario once the 3 days were up");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(tasks_titled(&admin, "Backorder SO-7").await, 1, "only once");
    assert_eq!(tasks_titled(&admin, "Backorder SO-8").await, 0);
    s.stop().await;
}

async fn check(admin: &Client, condition: &str) -> Value {
    let (st, body) = admin
        .call(
            Method::POST,
            "/api/scenarios/preview",
            Some(json!({"source": scenario("checked", condition)})),
        )
        .await;
    assert!(st.is_success(), "{body}");
    body
}

/// The check says where wake times come from, and warns when a condition reads the
/// clock in a way no wake time can be derived from; so does `baton rules check`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_warns_when_the_clock_is_read_without_a_wake_time() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    assert_eq!(
        check(&admin, "now() > parse_time(r.due) + days(r.grace)").await["wake"],
        "missing"
    );
    assert_eq!(
        check(&admin, "let age = days_since(r.since); age > 3").await["wake"],
        "missing"
    );
    assert_eq!(
        check(&admin, "(r.a == 1 || hours_since(r.since) >= 12)").await["wake"],
        "derived"
    );
    assert_eq!(check(&admin, "r.a == 1").await["wake"], "untimed");
    let list = admin.get("/api/scenarios").await;
    assert_eq!(list["scheduler_interval_secs"], 60, "the default, 1 min");

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.rhai");
    std::fs::write(&bad, scenario("bad", "now() > parse_time(r.due) + r.grace")).unwrap();
    let good = dir.path().join("good.rhai");
    std::fs::write(&good, scenario("good", "days_since(r.since) > 3")).unwrap();
    let (ok, out, err) = baton(
        &s.data,
        &[
            "rules",
            "check",
            bad.to_str().unwrap(),
            good.to_str().unwrap(),
        ],
        None,
    );
    assert!(ok, "a warning is not an error: {out}{err}");
    assert!(
        err.contains("bad.rhai: warning:") && err.contains("only fire when a record changes"),
        "{err}"
    );
    assert!(!err.contains("good.rhai"), "{err}");
    assert!(out.contains("good.rhai: wake times derived"), "{out}");
    s.stop().await;
}
