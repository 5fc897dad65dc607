//! Pull connectors against local servers started here: JSON and CSV answers, the
//! cursor advancing, a server down then back, an answer that never ends, one too large,
//! the schedule running a connector by itself, and bad settings refused.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode as AxStatus};
use axum::response::IntoResponse;
use baton::config::{FileConfig, FileNetwork};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::harness::*;

/// Loopback allowed (the test servers are on it), the scheduler ticking fast.
fn config() -> FileConfig {
    let mut f: FileConfig = toml::from_str("scheduler_interval = \"200ms\"").unwrap();
    f.network = Some(FileNetwork {
        allow_private: vec!["127.0.0.1/32".into()],
    });
    f
}

/// An ERP's order list: `/orders?since=N` answers the orders with `seq` above N, only
/// with the right API key; every `since` asked for is kept.
struct Erp {
    url: String,
    asked: Arc<Mutex<Vec<Option<String>>>>,
}

fn days_ago(n: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::days(n)).to_rfc3339()
}

async fn erp_on(l: tokio::net::TcpListener) -> Erp {
    let url = format!("http://{}", l.local_addr().unwrap());
    let asked = Arc::new(Mutex::new(Vec::new()));
    let seen = asked.clone();
    let orders = json!([
        {"id": "SO-1", "seq": 1, "status": "out_of_stock", "sku": "00123", "out_of_stock_since": days_ago(5)},
        {"id": "SO-2", "seq": 2, "status": "paid", "sku": "MUG-01"},
    ]);
    let app = axum::Router::new()
        .route(
            "/orders",
            axum::routing::get(
                move |q: Query<std::collections::HashMap<String, String>>, h: HeaderMap| {
                    let since = q.get("since").cloned();
                    seen.lock().unwrap().push(since.clone());
                    let orders = orders.clone();
                    async move {
                        if h.get("x-api-key").and_then(|v| v.to_str().ok()) != Some("k-123") {
                            return (AxStatus::UNAUTHORIZED, "no key").into_response();
                        }
                        let n: i64 = since.and_then(|s| s.parse().ok()).unwrap_or(0);
                        let items: Vec<Value> = orders
                            .as_array()
                            .unwrap()
                            .iter()
                            .filter(|o| o["seq"].as_i64().unwrap() > n)
                            .cloned()
                            .collect();
                        axum::Json(json!({ "items": items })).into_response()
                    }
                },
            ),
        )
        .route(
            "/export.csv",
            axum::routing::get(|| async { "id,sku,qty\nP-1,00123,5\nP-2,0042,12\n" }),
        )
        .route(
            "/huge",
            axum::routing::get(|| async { vec![b' '; 11 << 20] }),
        );
    tokio::spawn(async move {
        axum::serve(l, app).await.unwrap();
    });
    Erp { url, asked }
}

/// A server that answers 200 and then sends a chunk every 200 ms, forever.
async fn endless() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/never-ends", l.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = l.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
                if sock.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                while sock.write_all(b"2\r\n[ \r\n").await.is_ok() {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            });
        }
    });
    url
}

async fn erp() -> Erp {
    erp_on(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap()).await
}

async fn create(admin: &Client, body: Value) -> Value {
    let (st, v) = admin
        .call(reqwest::Method::POST, "/api/admin/connectors", Some(body))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    v
}

async fn post(admin: &Client, body: Value) -> (StatusCode, Value) {
    admin
        .call(reqwest::Method::POST, "/api/admin/connectors", Some(body))
        .await
}

async fn run_now(admin: &Client, id: u64) -> Value {
    let (st, v) = admin
        .call(
            reqwest::Method::POST,
            &format!("/api/admin/connectors/{id}/run"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v
}

#[tokio::test]
async fn json_answers_are_stored_scenarios_fire_and_the_cursor_advances() {
    let s = TestServer::start_with(config()).await;
    let admin = s.admin().await;
    let erp = erp().await;
    let c = create(
        &admin,
        json!({
            "name": "erp-orders",
            "url": format!("{}/orders", erp.url),
            "auth_header": "X-Api-Key",
            "auth_value": "k-123",
            "interval_secs": 3600,
            "cursor": {"field": "seq", "param": "since"},
            // run by hand only: a scheduled run at the same time would get in the way
            "enabled": false,
        }),
    )
    .await;
    assert_eq!(c["auth_header"], "X-Api-Key");
    assert_eq!(c["auth_set"], true);
    assert!(
        !c.to_string().contains("k-123"),
        "the key is never sent back: {c}"
    );
    let id = c["id"].as_u64().unwrap();

    let r = run_now(&admin, id).await;
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(
        (r["records"].as_u64(), r["stored"].as_u64()),
        (Some(2), Some(2)),
        "{r}"
    );
    // SO-1 has been out of stock for 5 days: the shipped scenario makes a task
    assert_eq!(r["tasks_created"].as_u64(), Some(1), "{r}");
    assert_eq!(r["cursor_next"], "2", "{r}");
    let rec = admin.get("/api/erp/records/order/SO-1").await;
    assert_eq!(rec["data"]["sku"], "00123", "stored as sent: {rec}");

    // the next run asks only for what is newer, and stores nothing new
    let r = run_now(&admin, id).await;
    assert_eq!(
        (r["ok"].as_bool(), r["records"].as_u64()),
        (Some(true), Some(0)),
        "{r}"
    );
    assert_eq!(r["cursor_sent"], "2");
    assert_eq!(r["cursor_next"], "2");
    assert_eq!(
        *erp.asked.lock().unwrap(),
        vec![None, Some("2".to_string())]
    );
    let c = admin.get(&format!("/api/admin/connectors/{id}")).await;
    assert_eq!(c["cursor_value"], "2");
    assert_eq!(c["last_run"]["manual"], true);
    assert_eq!(c["failures"], 0);

    // forgetting the cursor asks for everything again
    let (st, _) = admin
        .call(
            reqwest::Method::PATCH,
            &format!("/api/admin/connectors/{id}"),
            Some(json!({"reset_cursor": true})),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let r = run_now(&admin, id).await;
    assert_eq!(
        (r["records"].as_u64(), r["unchanged"].as_u64()),
        (Some(2), Some(2)),
        "{r}"
    );

    // a wrong key: the server's 401 is the run's error, nothing changes
    let (st, _) = admin
        .call(
            reqwest::Method::PATCH,
            &format!("/api/admin/connectors/{id}"),
            Some(json!({"auth_value": "wrong"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let r = run_now(&admin, id).await;
    assert_eq!(r["ok"], false, "{r}");
    assert_eq!(r["status"], 401, "{r}");
    assert!(r["error"].as_str().unwrap().contains("401"), "{r}");
    s.stop().await;
}

#[tokio::test]
async fn csv_answers_keep_cells_as_written() {
    let s = TestServer::start_with(config()).await;
    let admin = s.admin().await;
    let erp = erp().await;
    let mapping = "fn map(rows, headers) {\n  let out = [];\n  for row in rows { out.push(#{ kind: \"product\", id: row.id, data: row }); }\n  out\n}\n";
    let c = create(
        &admin,
        json!({"name": "stock-csv", "url": format!("{}/export.csv", erp.url), "format": "csv", "mapping": mapping, "enabled": false}),
    )
    .await;
    let r = run_now(&admin, c["id"].as_u64().unwrap()).await;
    assert_eq!(
        (r["ok"].as_bool(), r["stored"].as_u64()),
        (Some(true), Some(2)),
        "{r}"
    );
    let p = admin.get("/api/erp/records/product/P-2").await;
    assert_eq!(
        p["data"],
        json!({"id": "P-2", "sku": "0042", "qty": "12"}),
        "{p}"
    );
    s.stop().await;
}

#[tokio::test]
async fn a_server_down_backs_off_and_is_fetched_again_when_back() {
    let s = TestServer::start_with(config()).await;
    let admin = s.admin().await;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = create(
        &admin,
        json!({"name": "flaky", "url": format!("http://127.0.0.1:{port}/orders"),
               "auth_header": "x-api-key", "auth_value": "k-123", "interval_secs": 60, "enabled": false}),
    )
    .await;
    let id = c["id"].as_u64().unwrap();
    let before = chrono::Utc::now();
    let r = run_now(&admin, id).await;
    assert_eq!(r["ok"], false, "{r}");
    assert!(
        r["error"].as_str().unwrap().starts_with("request failed"),
        "{r}"
    );
    let c = admin.get(&format!("/api/admin/connectors/{id}")).await;
    assert_eq!(c["failures"], 1);
    let next: chrono::DateTime<chrono::Utc> = c["next_run_at"].as_str().unwrap().parse().unwrap();
    let wait = (next - before).num_seconds();
    assert!(
        (115..=125).contains(&wait),
        "one failure doubles the 60 s wait: {wait} s"
    );

    let l = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let _erp = erp_on(l).await;
    let r = run_now(&admin, id).await;
    assert_eq!(
        (r["ok"].as_bool(), r["stored"].as_u64()),
        (Some(true), Some(2)),
        "{r}"
    );
    let c = admin.get(&format!("/api/admin/connectors/{id}")).await;
    assert_eq!(c["failures"], 0);
    assert!(c["last_ok_at"].is_string());
    s.stop().await;
}

#[tokio::test]
async fn endless_and_oversized_answers_are_cut_off() {
    let s = TestServer::start_with(config()).await;
    let admin = s.admin().await;
    let erp = erp().await;
    let slow = create(
        &admin,
        json!({"name": "endless", "url": endless().await, "timeout_secs": 1, "enabled": false}),
    )
    .await;
    let started = std::time::Instant::now();
    let r = run_now(&admin, slow["id"].as_u64().unwrap()).await;
    assert_eq!(r["ok"], false, "{r}");
    assert_eq!(r["error"], "no complete answer within 1 s", "{r}");
    assert!(started.elapsed() < Duration::from_secs(10));

    let huge = create(
        &admin,
        json!({"name": "huge", "url": format!("{}/huge", erp.url), "enabled": false}),
    )
    .await;
    let r = run_now(&admin, huge["id"].as_u64().unwrap()).await;
    assert_eq!(r["ok"], false, "{r}");
    assert_eq!(r["error"], "the answer is larger than 10 MiB", "{r}");
    s.stop().await;
}

#[tokio::test]
async fn the_schedule_runs_a_connector_by_itself_and_one_run_at_a_time() {
    let s = TestServer::start_with(config()).await;
    let admin = s.admin().await;
    let erp = erp().await;
    let c = create(
        &admin,
        json!({"name": "scheduled", "url": format!("{}/orders", erp.url),
               "auth_header": "x-api-key", "auth_value": "k-123", "interval_secs": 3600}),
    )
    .await;
    let id = c["id"].as_u64().unwrap();
    let mut ran = Value::Null;
    for _ in 0..100 {
        ran = admin.get(&format!("/api/admin/connectors/{id}")).await;
        if ran["last_run"].is_object() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(ran["last_run"]["ok"], true, "{ran}");
    assert_eq!(ran["last_run"]["manual"], false, "{ran}");
    assert_eq!(ran["last_run"]["stored"], 2, "{ran}");
    // the next run is an interval away: the schedule does not run it again meanwhile
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(erp.asked.lock().unwrap().len(), 1);

    // "run now" while a run is under way is refused
    let slow = create(
        &admin,
        json!({"name": "slow", "url": endless().await, "timeout_secs": 2, "enabled": false}),
    )
    .await;
    let sid = slow["id"].as_u64().unwrap();
    let other = s.admin().await;
    let first = tokio::spawn(async move {
        other
            .call(
                reqwest::Method::POST,
                &format!("/api/admin/connectors/{sid}/run"),
                None,
            )
            .await
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (st, v) = admin
        .call(
            reqwest::Method::POST,
            &format!("/api/admin/connectors/{sid}/run"),
            None,
        )
        .await;
    assert_error(st, &v, 409, "conflict");
    let (st, _) = first.await.unwrap();
    assert_eq!(st, StatusCode::OK);
    s.stop().await;
}

#[tokio::test]
async fn bad_settings_and_mapping_errors_are_clear() {
    let s = TestServer::start_with(config()).await;
    let admin = s.admin().await;
    let erp = erp().await;
    for (body, field) in [
        (
            json!({"name": "Bad Name", "url": "https://erp.example.com/"}),
            "name",
        ),
        (json!({"name": "x", "url": "ftp://erp.example.com/"}), "url"),
        (json!({"name": "x", "url": "http://10.1.2.3/orders"}), "url"),
        (
            json!({"name": "x", "url": "https://erp.example.com/", "interval_secs": 1}),
            "interval_secs",
        ),
        (
            json!({"name": "x", "url": "https://erp.example.com/", "timeout_secs": 0}),
            "timeout_secs",
        ),
        (
            json!({"name": "x", "url": "https://erp.example.com/", "mapping": "fn map(p) { p }"}),
            "mapping",
        ),
        (
            json!({"name": "x", "url": "https://erp.example.com/", "auth_header": "Cookie", "auth_value": "a"}),
            "auth_header",
        ),
        (
            json!({"name": "x", "url": "https://erp.example.com/", "auth_value": "a"}),
            "auth_header",
        ),
        (
            json!({"name": "x", "url": "https://erp.example.com/", "cursor": {"field": "a b", "param": "since"}}),
            "cursor",
        ),
    ] {
        let (st, v) = post(&admin, body.clone()).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{body}: {v}");
        assert!(
            v["error"]["message"].as_str().unwrap().contains(field) || v["error"]["field"] == field,
            "{body}: {v}"
        );
    }
    let (st, v) = post(
        &admin,
        json!({"name": "x", "url": "https://erp.example.com/", "extra": 1}),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    create(
        &admin,
        json!({"name": "twice", "url": "https://erp.example.com/"}),
    )
    .await;
    let (st, v) = post(
        &admin,
        json!({"name": "twice", "url": "https://erp.example.com/"}),
    )
    .await;
    assert_error(st, &v, 409, "conflict");
    let (st, v) = admin
        .call(
            reqwest::Method::POST,
            "/api/admin/connectors/999999/run",
            None,
        )
        .await;
    assert_error(st, &v, 404, "not_found");

    // a mapping that throws: the run fails with the line, the error stays on the page
    let c = create(
        &admin,
        json!({"name": "throws", "url": format!("{}/export.csv", erp.url), "format": "csv",
               "mapping": "fn map(rows, headers) {\n  throw \"no orders here\";\n}\n", "enabled": false}),
    )
    .await;
    let id = c["id"].as_u64().unwrap();
    let r = run_now(&admin, id).await;
    assert_eq!(r["ok"], false, "{r}");
    assert!(
        r["error"].as_str().unwrap().contains("no orders here"),
        "{r}"
    );
    let c = admin.get(&format!("/api/admin/connectors/{id}")).await;
    assert_eq!(c["last_error"]["line"], 2, "{c}");
    // a JSON connector fed CSV says so
    let (st, _) = admin
        .call(
            reqwest::Method::PATCH,
            &format!("/api/admin/connectors/{id}"),
            Some(json!({"format": "json", "mapping": "fn map(p, h) { [] }"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let r = run_now(&admin, id).await;
    assert!(
        r["error"]
            .as_str()
            .unwrap()
            .starts_with("the answer is not JSON"),
        "{r}"
    );
    s.stop().await;
}
