//! ERP ingest and scenarios through the HTTP API.

use std::time::Duration;

use baton::config::FileConfig;
use chrono::Utc;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::harness::*;

struct Erp {
    s: TestServer,
    admin: Client,
    erp: Client,
}

async fn setup(file: FileConfig) -> Erp {
    let s = TestServer::start_with(file).await;
    let admin = s.admin().await;
    let erp = s.erp_client(&admin).await;
    Erp { s, admin, erp }
}

async fn push(c: &Client, records: Value) -> (StatusCode, Value) {
    c.call(
        Method::POST,
        "/api/erp/records",
        Some(json!({ "records": records })),
    )
    .await
}

async fn erp_tasks(admin: &Client) -> Vec<Value> {
    let erp = admin.erp_project().await["id"].as_u64().unwrap();
    admin
        .get(&format!("/api/projects/{erp}/tasks?status=all"))
        .await["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn stale(days: i64) -> String {
    (Utc::now() - chrono::Duration::days(days)).to_rfc3339()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_records_become_tasks_once() {
    let e = setup(FileConfig::default()).await;
    let scen = e.admin.get("/api/scenarios").await;
    assert_eq!(
        scen["items"].as_array().unwrap().len(),
        5,
        "shipped scenarios installed at first start"
    );
    let order = json!({"kind": "order", "id": "SO-1042", "data": {"status": "out_of_stock", "sku": "MUG-01", "out_of_stock_since": stale(4)}});
    let (st, r) = push(&e.erp, json!([order.clone(), {"kind": "order", "id": "bad/id", "data": {}}, {"kind": "Nope", "id": "x", "data": {}}, 5])).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["stored"], 1);
    let rejected: Vec<u64> = r["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["index"].as_u64().unwrap())
        .collect();
    assert_eq!(rejected, vec![1, 2, 3]);
    assert!(r["rejected"][0]["reason"].as_str().unwrap().contains("'/'"));
    assert_eq!(r["scenarios"]["tasks_created"], 1);
    let tasks = erp_tasks(&e.admin).await;
    assert_eq!(tasks.len(), 1);
    assert!(tasks[0]["title"]
        .as_str()
        .unwrap()
        .starts_with("订单 SO-1042 缺货 4 天 Order SO-1042 out of stock for 4 days"));
    let t = e.admin.get(&format!("/api/tasks/{}", tasks[0]["id"])).await;
    assert_eq!(t["nodes"].as_array().unwrap().len(), 2);
    assert_eq!(t["source"]["scenario_id"], "order_out_of_stock");
    assert_eq!(t["source"]["scenario_version"], 1);
    assert_eq!(t["source"]["record"]["sku"], "MUG-01");
    assert_eq!(t["priority"], "high");
    assert!(
        !t["watchers"].as_array().unwrap().is_empty()
            && !t["editors"].as_array().unwrap().is_empty()
    );
    // the same payload again: nothing changes, no second task
    let (_, r) = push(&e.erp, json!([order.clone()])).await;
    assert_eq!(
        (r["stored"].as_u64(), r["unchanged"].as_u64()),
        (Some(0), Some(1))
    );
    // a change that keeps the condition true: still one open task
    let mut changed = order.clone();
    changed["data"]["note"] = json!("called supplier");
    push(&e.erp, json!([changed])).await;
    assert_eq!(erp_tasks(&e.admin).await.len(), 1);
    // the record and its versions can be read back
    let rec = e.admin.get("/api/erp/records/order/SO-1042").await;
    assert_eq!(
        (rec["version"].as_u64(), rec["data"]["note"].as_str()),
        (Some(2), Some("called supplier"))
    );
    assert_eq!(rec["previous"]["status"], "out_of_stock");
    let (st, body) = e
        .admin
        .call(Method::GET, "/api/erp/records/order/SO-404", None)
        .await;
    assert_error(st, &body, 404, "not_found");
    // the condition clears: the task closes by itself; true again: a new task
    let mut cleared = order.clone();
    cleared["data"]["status"] = json!("allocated");
    let (_, r) = push(&e.erp, json!([cleared])).await;
    assert_eq!(r["scenarios"]["tasks_closed"], 1);
    let (_, r) = push(&e.erp, json!([order])).await;
    assert_eq!(r["scenarios"]["tasks_created"], 1);
    assert_eq!(erp_tasks(&e.admin).await.len(), 2);
    let listed = e.admin.get("/api/scenarios").await;
    let s = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "order_out_of_stock")
        .unwrap()
        .clone();
    assert_eq!(s["fired_count"], 2);
    e.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_need_the_erp_write_scope() {
    let e = setup(FileConfig::default()).await;
    let read = e
        .admin
        .post("/api/tokens", json!({"name": "r", "scopes": ["read"]}))
        .await;
    let reader = Client {
        bearer: Some(read["token"].as_str().unwrap().to_string()),
        ..Client::new(&e.s.url)
    };
    let (st, body) = push(&reader, json!([])).await;
    assert_error(st, &body, 403, "forbidden");
    let (st, _) = push(&e.admin, json!([])).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "a session cannot push");
    // the read token may read records
    push(
        &e.erp,
        json!([{"kind": "stock", "id": "S1", "data": {"available": 50, "safety_stock": 10}}]),
    )
    .await;
    assert_eq!(reader.get("/api/erp/records/stock/S1").await["version"], 1);
    // an oversized batch is refused whole with a clear error
    let many: Vec<Value> = (0..1001)
        .map(|i| json!({"kind": "stock", "id": format!("S{i}"), "data": {}}))
        .collect();
    let (st, body) = push(&e.erp, Value::Array(many)).await;
    assert_error(st, &body, 413, "too_large");
    // a body over the size limit, malformed JSON, the wrong shape, not JSON at all:
    // each a clear error, nothing stored
    // Each on a connection of its own: the server answers 413 before reading the
    // whole body and closes that connection, which a pooled client could reuse (or
    // still be writing to); a little over the limit, so the body is sent in full.
    let raw = |body: String, content_type: &'static str| {
        Client {
            bearer: e.erp.bearer.clone(),
            ..Client::new(&e.s.url)
        }
        .request(reqwest::Method::POST, "/api/erp/records")
        .header("content-type", content_type)
        .body(body)
    };
    let huge = format!(
        r#"{{"records":[{{"kind":"stock","id":"S9","data":{{"x":"{}"}}}}]}}"#,
        "y".repeat((1 << 20) + (64 << 10))
    );
    for (body, ct, status, code, says) in [
        (huge, "application/json", 413, "too_large", ""),
        (
            "{\"records\": [".to_string(),
            "application/json",
            400,
            "bad_request",
            "malformed JSON",
        ),
        (
            "{\"records\": 5}".to_string(),
            "application/json",
            400,
            "bad_request",
            "invalid body",
        ),
        (
            "records=1".to_string(),
            "application/x-www-form-urlencoded",
            400,
            "bad_request",
            "Content-Type",
        ),
    ] {
        let resp = raw(body, ct).send().await.unwrap();
        let st = resp.status();
        let v: Value = resp.json().await.unwrap();
        assert_error(st, &v, status, code);
        assert!(
            v["error"]["message"].as_str().unwrap().contains(says),
            "{v}"
        );
    }
    let (st, _) = reader
        .call(reqwest::Method::GET, "/api/erp/records/stock/S9", None)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    e.s.stop().await;
}

const BROKEN_LOOP: &str = r#"
const ID = "endless";
const WATCHES = "stock";
fn condition(r, prev) { loop { } }
fn task(r) { #{ title: "x", nodes: [] } }
"#;

const UNKNOWN_HANDLER: &str = r#"
const ID = "ghost_handler";
const WATCHES = "stock";
fn condition(r, prev) { true }
fn task(r) { #{ title: `ghost ${r.id}`, nodes: [#{ handler: "nobody_here", action: "x" }] } }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_scripts_record_errors_and_harm_nothing_else() {
    let e = setup(FileConfig::default()).await;
    // a syntax error is refused with line and column, the old version kept
    let (st, body) = e.admin.call(Method::POST, "/api/scenarios", Some(json!({"source": "const ID = \"po_over_5000\";\nconst WATCHES = \"purchase_order\";\nfn condition(r, prev) { r.amount > }\n"}))).await;
    assert_error(st, &body, 400, "invalid");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("3:"),
        "{body}"
    );
    let kept = e.admin.get("/api/scenarios").await;
    let po = kept["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "po_over_5000")
        .unwrap()
        .clone();
    assert_eq!(po["version"], 1);
    assert!(po["source"].as_str().unwrap().contains("cents"));

    e.admin
        .post("/api/scenarios", json!({"source": BROKEN_LOOP}))
        .await;
    e.admin
        .post("/api/scenarios", json!({"source": UNKNOWN_HANDLER}))
        .await;
    let (st, r) = push(
        &e.erp,
        json!([{"kind": "stock", "id": "MUG-01", "data": {"available": 1, "safety_stock": 20}}]),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(r["stored"], 1, "the record is stored all the same");
    assert_eq!(r["scenarios"]["errors"], 2);
    assert_eq!(
        r["scenarios"]["tasks_created"], 1,
        "the shipped stock scenario still fired"
    );
    let list = e.admin.get("/api/scenarios").await;
    let by_key = |k: &str| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == k)
            .unwrap()
            .clone()
    };
    let endless = by_key("endless");
    assert!(
        endless["last_error"]["message"]
            .as_str()
            .unwrap()
            .contains("operations")
            || endless["last_error"]["message"]
                .as_str()
                .unwrap()
                .contains("time limit"),
        "{endless}"
    );
    assert!(endless["last_error"]["line"].is_number(), "{endless}");
    let ghost = by_key("ghost_handler");
    assert!(
        ghost["last_error"]["message"]
            .as_str()
            .unwrap()
            .contains("handler 'nobody_here' does not exist"),
        "{ghost}"
    );
    let titles: Vec<String> = erp_tasks(&e.admin)
        .await
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_string())
        .collect();
    assert!(
        titles.iter().all(|t| !t.starts_with("ghost")),
        "no half-made task: {titles:?}"
    );
    // the ERP status page shows the newest record per kind and the failing scenarios
    let status = e.admin.get("/api/erp/status").await;
    assert_eq!(status["last_records"][0]["kind"], "stock", "{status}");
    assert_eq!(status["last_records"][0]["id"], "MUG-01");
    let failing: Vec<&str> = status["scenario_errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["key"].as_str().unwrap())
        .collect();
    assert!(
        failing.contains(&"endless") && failing.contains(&"ghost_handler"),
        "{status}"
    );
    // a member may not manage scenarios
    let (member, _) = e.s.user(&e.admin, "mia", "member", None).await;
    let (st, _) = member.call(Method::GET, "/api/scenarios", None).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    e.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_alone_fires_a_condition_without_a_new_record() {
    let e = setup(fast_scheduler()).await;
    // out of stock for 3 days minus one second: not yet
    let since =
        (Utc::now() - chrono::Duration::days(3) + chrono::Duration::seconds(1)).to_rfc3339();
    let (_, r) = push(&e.erp, json!([{"kind": "order", "id": "SO-9", "data": {"status": "out_of_stock", "sku": "X", "out_of_stock_since": since}}])).await;
    assert_eq!(r["scenarios"]["tasks_created"], 0);
    let mut found = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if !erp_tasks(&e.admin).await.is_empty() {
            found = true;
            break;
        }
    }
    assert!(
        found,
        "the scheduler fired the scenario once the 3 days were up"
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(erp_tasks(&e.admin).await.len(), 1, "and only once");
    e.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_and_preview_store_nothing() {
    let e = setup(FileConfig::default()).await;
    push(&e.erp, json!([
        {"kind": "order", "id": "SO-1", "data": {"status": "out_of_stock", "sku": "A", "out_of_stock_since": stale(4)}},
        {"kind": "order", "id": "SO-2", "data": {"status": "out_of_stock", "sku": "B", "out_of_stock_since": stale(6)}}
    ])).await;
    let before = erp_tasks(&e.admin).await.len();
    let source = e.admin.get("/api/scenarios").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "order_out_of_stock")
        .unwrap()["source"]
        .as_str()
        .unwrap()
        .replace("> 3", "> 5");
    let dry = e
        .admin
        .post(
            "/api/scenarios/dry-run",
            json!({"source": source, "kind": "order", "id": "SO-1"}),
        )
        .await;
    assert_eq!(dry["matches"], false);
    let dry = e.admin.post("/api/scenarios/dry-run", json!({"source": source, "record": {"kind": "order", "id": "P-1", "data": {"status": "out_of_stock", "sku": "Z", "out_of_stock_since": stale(7)}}})).await;
    assert_eq!(dry["matches"], true);
    assert!(dry["task"]["title"].as_str().unwrap().contains("P-1"));
    let preview = e
        .admin
        .post("/api/scenarios/preview", json!({"source": source}))
        .await;
    assert_eq!(preview["evaluated"], 2);
    let ids: Vec<&str> = preview["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["record_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["SO-2"]);
    // A condition written another way gives the same answer.
    let interpreted = source.replace(
        r#"r.status == "out_of_stock" &&"#,
        r#"r.status.starts_with("out_of") &&"#,
    );
    assert_ne!(interpreted, source);
    let slow = e
        .admin
        .post("/api/scenarios/preview", json!({"source": interpreted}))
        .await;
    assert!(
        slow.get("fast_path").is_none(),
        "one evaluator: nothing to tell"
    );
    assert_eq!(slow["matches"], preview["matches"]);
    assert_eq!(erp_tasks(&e.admin).await.len(), before);
    // the shipped case SO-1042 (4 days out of stock) no longer fires: refused, unless
    // saved anyway, which bumps the version
    let (st, body) = e
        .admin
        .call(
            Method::POST,
            "/api/scenarios",
            Some(json!({"source": source})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let saved = e
        .admin
        .post(
            "/api/scenarios",
            json!({"source": source, "save_anyway": true}),
        )
        .await;
    assert_eq!(saved["version"], 2);
    e.s.stop().await;
}

/// Issue 19: values keep their JSON types; an integer beyond 64 bits is refused with
/// its position (never stored as a rounded float), and the rest of the batch is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_integers_keep_every_digit() {
    let e = setup(FileConfig::default()).await;
    // written by hand: serde_json's `Value` cannot even hold the 25-digit number
    let body = r#"{"records":[
        {"kind":"order","id":"SO-1","data":{"n":1234567890123456789,"u":18446744073709551615,"sku":"00123","amount":"12.50","f":1.5}},
        {"kind":"order","id":"SO-2","data":{"tracking":1234567890123456789012345}},
        {"kind":"order","id":"SO-3","data":{"tracking":"1234567890123456789012345"}}
    ]}"#;
    let resp = e
        .erp
        .request(Method::POST, "/api/erp/records")
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let r: Value = resp.json().await.unwrap();
    assert_eq!(r["stored"], 2, "{r}");
    assert_eq!(r["rejected"].as_array().unwrap().len(), 1, "{r}");
    let rej = &r["rejected"][0];
    assert_eq!(
        (rej["index"].as_u64(), rej["id"].as_str()),
        (Some(1), Some("SO-2"))
    );
    assert!(
        rej["reason"]
            .as_str()
            .unwrap()
            .contains("the integer 1234567890123456789012345 does not fit in 64 bits"),
        "{r}"
    );
    assert_eq!(
        e.admin.get("/api/erp/records/order/SO-1").await["data"],
        json!({"n": 1234567890123456789i64, "u": u64::MAX, "sku": "00123", "amount": "12.50", "f": 1.5})
    );
    assert_eq!(
        e.admin.get("/api/erp/records/order/SO-3").await["data"]["tracking"],
        "1234567890123456789012345"
    );
    let (st, _) = e
        .admin
        .call(Method::GET, "/api/erp/records/order/SO-2", None)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    e.s.stop().await;
}
