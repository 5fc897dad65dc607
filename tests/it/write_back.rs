//! Write-back: a loopback receiver stands in for the ERP. Signatures are checked here
//! with the `hmac` crate over the raw body, independently of Baton's code; the default
//! body is checked against `docs/schemas/write-back.json`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode as AxStatus};
use baton::config::FileConfig;
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::delivery::{project, until};
use crate::harness::*;

fn config() -> FileConfig {
    toml::from_str(
        "public_url = \"http://baton.test/\"\n[network]\nallow_private = [\"127.0.0.1/32\"]\n[delivery]\ninterval = \"100ms\"\ntimeout = \"2s\"\nretry_base = \"300ms\"\nmax_attempts = 3\n",
    )
    .unwrap()
}

#[derive(Clone, Debug)]
struct Hit {
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Hit {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
    fn header(&self, k: &str) -> String {
        self.headers
            .get(k)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }
    fn delivery(&self) -> u64 {
        self.header("x-baton-delivery").parse().unwrap()
    }
}

/// The ERP stand-in: records accepted requests; answers 503 to the next `fail` ones.
#[derive(Clone, Default)]
struct Erp {
    url: String,
    hits: Arc<Mutex<Vec<Hit>>>,
    fail: Arc<AtomicUsize>,
    refused: Arc<AtomicUsize>,
}

impl Erp {
    async fn start() -> Erp {
        Self::start_on(0).await
    }

    async fn start_on(port: u16) -> Erp {
        let l = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let erp = Erp {
            url: format!("http://{}", l.local_addr().unwrap()),
            ..Default::default()
        };
        async fn take(
            State(erp): State<Erp>,
            Path(path): Path<String>,
            headers: HeaderMap,
            body: axum::body::Bytes,
        ) -> AxStatus {
            let fail = erp.fail.load(Ordering::SeqCst);
            if fail > 0 {
                erp.fail.store(fail - 1, Ordering::SeqCst);
                erp.refused.fetch_add(1, Ordering::SeqCst);
                return AxStatus::SERVICE_UNAVAILABLE;
            }
            erp.hits.lock().unwrap().push(Hit {
                path,
                headers,
                body: body.to_vec(),
            });
            AxStatus::OK
        }
        let app = axum::Router::new()
            .route("/{path}", axum::routing::post(take))
            .with_state(erp.clone());
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        erp
    }

    /// Accepted requests to `path`, in the order they arrived.
    fn hits(&self, path: &str) -> Vec<Hit> {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .filter(|h| h.path == path)
            .cloned()
            .collect()
    }
}

fn signature(secret: &str, body: &[u8]) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    m.update(body);
    format!("sha256={}", hex::encode(m.finalize().into_bytes()))
}

/// The parts of JSON Schema the write-back schema uses: type (one or a list),
/// required, properties, additionalProperties: false, enum.
fn conforms(schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    let type_ok = |t: &str| match t {
        "object" => v.is_object(),
        "string" => v.is_string(),
        "integer" => v.is_u64() || v.is_i64(),
        "null" => v.is_null(),
        "array" => v.is_array(),
        "boolean" => v.is_boolean(),
        "number" => v.is_number(),
        _ => false,
    };
    match &schema["type"] {
        Value::String(t) if !type_ok(t) => return Err(format!("{at}: not a {t}: {v}")),
        Value::Array(ts) if !ts.iter().any(|t| type_ok(t.as_str().unwrap())) => {
            return Err(format!("{at}: none of {ts:?}: {v}"))
        }
        _ => {}
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(v) {
            return Err(format!("{at}: {v} not in {allowed:?}"));
        }
    }
    let Some(obj) = v.as_object() else {
        return Ok(());
    };
    for r in schema["required"].as_array().into_iter().flatten() {
        if !obj.contains_key(r.as_str().unwrap()) {
            return Err(format!("{at}: missing {r}"));
        }
    }
    let props = &schema["properties"];
    for (k, sub) in obj {
        match props.get(k) {
            Some(s) => conforms(s, sub, &format!("{at}.{k}"))?,
            None if schema["additionalProperties"] == false => {
                return Err(format!("{at}: unexpected {k}"))
            }
            None => {}
        }
    }
    Ok(())
}

fn schema() -> Value {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schemas/write-back.json"),
    )
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

async fn target(admin: &Client, name: &str, url: String, secret: Option<&str>) -> Value {
    let (st, v) = admin
        .call(
            Method::POST,
            "/api/admin/write-back",
            Some(json!({"name": name, "url": url, "secret": secret})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    v
}

async fn op(c: &Client, s: &TestServer, task: u64, op: &str, reason: Option<&str>) {
    let rev = s.store.get::<baton::flow::Task>(task).unwrap().unwrap().rev;
    let (st, v) = c
        .call(
            Method::POST,
            &format!("/api/tasks/{task}/{op}"),
            Some(json!({"rev": rev, "reason": reason})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{op}: {v}");
}

/// The one task a scenario made.
fn scenario_task(s: &TestServer, scenario: &str) -> u64 {
    s.store
        .list::<baton::flow::Task>()
        .unwrap()
        .into_iter()
        .find(|t| {
            t.source
                .as_ref()
                .is_some_and(|src| src.scenario_id == scenario)
        })
        .map(|t| t.id)
        .expect("the scenario made a task")
}

/// Lily, a member who takes part in ERP tasks (a member of the ERP project).
async fn erp_member(s: &TestServer, admin: &Client) -> (Client, u64) {
    let (lily, id) = s.user(admin, "lily", "member", None).await;
    let (st, v) = admin
        .call(
            Method::PATCH,
            &format!("/api/users/{id}"),
            Some(json!({"erp": true})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    (lily, id)
}

const PO_SCENARIO: &str = r#"
const ID = "po_approval";
const NAME = "PO approval";
const WATCHES = "purchase_order";
const WRITE_BACK = "erp";
fn condition(r, prev) { true }
fn task(r) { #{ title: `Approve ${r.id}`, nodes: [
    #{ handler: "admin", action: "approve" },
    #{ handler: "lily", action: "sign" },
] } }
"#;

#[tokio::test]
async fn a_scenario_task_writes_back_each_event_signed_in_order() {
    let erp = Erp::start().await;
    let s = TestServer::start_with(config()).await;
    let admin = s.admin().await;
    let (lily, lily_id) = erp_member(&s, &admin).await;
    let secret = "erp-secret-1";
    let t = target(&admin, "erp", format!("{}/erp", erp.url), Some(secret)).await;
    assert_eq!(t["secret_set"], true);
    assert!(!t.to_string().contains(secret), "the secret is never shown");
    admin
        .post("/api/scenarios", json!({ "source": PO_SCENARIO }))
        .await;
    let erp_client = s.erp_client(&admin).await;
    let pushed = erp_client
        .post(
            "/api/erp/records",
            json!({"records": [{"kind": "purchase_order", "id": "PO-88", "data": {"amount": "100.00"}}]}),
        )
        .await;
    assert_eq!(pushed["scenarios"]["tasks_created"], 1, "{pushed}");
    let id = scenario_task(&s, "po_approval");
    until("created", || (erp.hits("erp").len() == 1).then_some(())).await;
    op(&admin, &s, id, "complete", Some("budget ok")).await;
    until("step 1", || (erp.hits("erp").len() == 2).then_some(())).await;
    op(&lily, &s, id, "return", Some("price too high")).await;
    until("returned", || (erp.hits("erp").len() == 3).then_some(())).await;
    op(&admin, &s, id, "complete", None).await;
    until("step 1 again", || {
        (erp.hits("erp").len() == 4).then_some(())
    })
    .await;
    op(&lily, &s, id, "complete", Some("signed")).await;
    let hits = until("finished", || {
        let h = erp.hits("erp");
        (h.len() == 6).then_some(h)
    })
    .await;

    assert!(
        hits.windows(2).all(|w| w[0].delivery() < w[1].delivery()),
        "arrived one at a time, in the order they happened"
    );
    let schema = schema();
    for h in &hits {
        assert_eq!(
            h.header("x-baton-signature"),
            signature(secret, &h.body),
            "signed over the raw body"
        );
        assert_eq!(
            h.header("x-baton-event"),
            h.json()["event"].as_str().unwrap()
        );
        assert_eq!(h.header("content-type"), "application/json");
        conforms(&schema, &h.json(), "body").unwrap();
        assert_eq!(h.json()["task"]["id"], id);
        assert_eq!(
            h.json()["task"]["link"],
            format!("http://baton.test/tasks/{id}")
        );
        assert_eq!(
            h.json()["record"],
            json!({"kind": "purchase_order", "id": "PO-88"})
        );
    }
    let summary: Vec<(String, Value, Value, Value, Value)> = hits
        .iter()
        .map(|h| {
            let b = h.json();
            (
                b["event"].as_str().unwrap().to_string(),
                b["node"]["action"].clone(),
                b["who"]["username"].clone(),
                b["comment"].clone(),
                b["how"].clone(),
            )
        })
        .collect();
    let e = |ev: &str, node: Value, who: Value, comment: Value, how: Value| {
        (ev.to_string(), node, who, comment, how)
    };
    assert_eq!(
        summary,
        vec![
            e(
                "created",
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null
            ),
            e(
                "step_completed",
                json!("approve"),
                json!("admin"),
                json!("budget ok"),
                Value::Null
            ),
            e(
                "returned",
                json!("sign"),
                json!("lily"),
                json!("price too high"),
                Value::Null
            ),
            e(
                "step_completed",
                json!("approve"),
                json!("admin"),
                Value::Null,
                Value::Null
            ),
            e(
                "step_completed",
                json!("sign"),
                json!("lily"),
                json!("signed"),
                Value::Null
            ),
            e(
                "finished",
                Value::Null,
                json!("lily"),
                Value::Null,
                json!("completed")
            ),
        ]
    );
    assert_eq!(hits[2].json()["who"]["id"], lily_id);
    assert_eq!(hits[0].json()["who"]["name"], "scenario po_approval");

    // The target lists its deliveries, newest first, all sent.
    let list = admin
        .get(&format!("/api/admin/write-back/{}/deliveries", t["id"]))
        .await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 6, "{list}");
    assert!(items.iter().all(|i| i["status"] == "sent"), "{list}");
    assert_eq!(items[0]["write_back"]["event"], "finished");
}

const SHAPED: &str = r#"
const ID = "po_shaped";
const WATCHES = "purchase_order";
const WRITE_BACK = "shaped";
fn condition(r, prev) { true }
fn task(r) { #{ title: `Approve ${r.id}`, nodes: [
    #{ handler: "admin", action: "approve" },
    #{ handler: "lily", action: "sign" },
] } }
fn write_back(event, record) {
    if event.event == "created" { return (); }
    if event.event == "returned" { throw "returns are not wanted"; }
    #{ po: record.number, status: event.event, by: event.who.username, link: event.task.link }
}
"#;

#[tokio::test]
async fn fn_write_back_shapes_skips_and_its_error_fails_only_the_delivery() {
    let erp = Erp::start().await;
    let s = TestServer::start_with(config()).await;
    let admin = s.admin().await;
    let (lily, _) = erp_member(&s, &admin).await;
    let secret = "shaped-secret";
    let t = target(
        &admin,
        "shaped",
        format!("{}/shaped", erp.url),
        Some(secret),
    )
    .await;
    let (st, v) = admin
        .call(
            Method::POST,
            "/api/scenarios",
            Some(json!({ "source": SHAPED })),
        )
        .await;
    assert!(st.is_success(), "{v}");
    let pushed = s
        .erp_client(&admin)
        .await
        .post(
            "/api/erp/records",
            json!({"records": [{"kind": "purchase_order", "id": "PO-7", "data": {"number": "4500007"}}]}),
        )
        .await;
    assert_eq!(
        pushed["scenarios"]["tasks_created"],
        1,
        "{pushed} {}",
        admin.get("/api/scenarios").await
    );
    let id = scenario_task(&s, "po_shaped");
    op(&admin, &s, id, "complete", None).await;
    let hits = until("shaped step", || {
        let h = erp.hits("shaped");
        (!h.is_empty()).then_some(h)
    })
    .await;
    // `()` for created: nothing went out, and the item is gone.
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0].json(),
        json!({"po": "4500007", "status": "step_completed", "by": "admin",
               "link": format!("http://baton.test/tasks/{id}")})
    );
    assert_eq!(
        hits[0].header("x-baton-signature"),
        signature(secret, &hits[0].body)
    );

    // The script throws for a return: the return itself succeeds…
    op(&lily, &s, id, "return", Some("wrong supplier")).await;
    let failed = until("the failed delivery", || {
        let items = s.store.list::<baton::delivery::OutboxItem>().unwrap();
        items
            .into_iter()
            .find(|i| i.write_back.as_ref().is_some_and(|p| p.event == "returned"))
            .filter(|i| i.status == baton::delivery::OutboxStatus::Failed)
    })
    .await;
    // …the delivery fails at once with the script's error and position…
    let err = failed.last_error.clone().unwrap();
    assert!(
        err.contains("fn write_back") && err.contains("returns are not wanted"),
        "{err}"
    );
    assert!(err.contains("12:"), "with its line: {err}");
    assert_eq!(
        failed.attempts, 1,
        "a script error is not retried by itself"
    );
    let task = s.store.get::<baton::flow::Task>(id).unwrap().unwrap();
    assert_eq!(task.current, 0, "the task went back");
    // …the scenario shows it, and nothing was sent for it.
    let sc = admin.get("/api/scenarios").await;
    let shaped = sc["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["key"] == "po_shaped")
        .cloned()
        .unwrap();
    assert!(
        shaped["last_error"]["message"]
            .as_str()
            .unwrap()
            .contains("returns are not wanted"),
        "{shaped}"
    );
    assert_eq!(erp.hits("shaped").len(), 1);
    let list = admin
        .get(&format!("/api/admin/write-back/{}/deliveries", t["id"]))
        .await;
    assert_eq!(list["items"][0]["status"], "failed", "{list}");
}

#[tokio::test]
async fn a_project_target_retries_while_down_and_by_hand() {
    let erp = Erp::start().await;
    let s = TestServer::start_with(config()).await;
    let admin = s.admin().await;
    let (_bob, bob_id) = s.user(&admin, "bob", "member", None).await;
    let t = target(&admin, "shop", format!("{}/shop", erp.url), None).await;
    let p = project(&admin, &[bob_id]).await;
    let (st, v) = admin
        .call(
            Method::PUT,
            &format!("/api/projects/{p}/write-back"),
            Some(json!({"target": "nope"})),
        )
        .await;
    assert_error(st, &v, 400, "invalid");
    let (st, v) = admin
        .call(
            Method::PUT,
            &format!("/api/projects/{p}/write-back"),
            Some(json!({"target": "shop"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v, json!({"target": "shop", "choices": ["shop"]}));

    // Down for the first try: the outbox tries again after the backoff.
    erp.fail.store(1, Ordering::SeqCst);
    let task = admin
        .post(
            &format!("/api/projects/{p}/tasks"),
            json!({"kind": "simple", "title": "Pack", "nodes": [{"handler_id": bob_id, "action": "pack"}]}),
        )
        .await;
    let id = task["id"].as_u64().unwrap();
    let hits = until("created, on the second try", || {
        let h = erp.hits("shop");
        (h.len() == 1).then_some(h)
    })
    .await;
    assert_eq!(erp.refused.load(Ordering::SeqCst), 1);
    let b = hits[0].json();
    assert_eq!(
        (b["event"].as_str(), b["task"]["id"].as_u64()),
        (Some("created"), Some(id))
    );
    assert_eq!(
        b["record"],
        Value::Null,
        "a task made by people has no record"
    );
    assert_eq!(b["who"]["username"], "admin");
    assert!(
        hits[0].header("x-baton-signature").is_empty(),
        "no secret, no signature"
    );
    conforms(&schema(), &b, "body").unwrap();
    let items = admin
        .get(&format!("/api/admin/write-back/{}/deliveries", t["id"]))
        .await;
    assert_eq!(
        (
            items["items"][0]["status"].as_str(),
            items["items"][0]["attempts"].as_u64()
        ),
        (Some("sent"), Some(2)),
        "{items}"
    );

    // Down for good: both items of the completion fail after three tries…
    erp.fail.store(1000, Ordering::SeqCst);
    let bob = {
        let mut c = s.client();
        c.login("bob", "password-123").await;
        c
    };
    op(&bob, &s, id, "complete", Some("packed")).await;
    let failed = until("failed", || {
        let items: Vec<_> = s
            .store
            .list::<baton::delivery::OutboxItem>()
            .unwrap()
            .into_iter()
            .filter(|i| i.write_back.is_some() && i.status == baton::delivery::OutboxStatus::Failed)
            .collect();
        (items.len() == 2).then_some(items)
    })
    .await;
    assert!(failed.iter().all(|i| i.attempts == 3));
    assert!(
        failed[0].last_error.as_deref().unwrap().contains("503"),
        "{:?}",
        failed[0].last_error
    );
    // …and go out when retried by hand once the shop is back.
    erp.fail.store(0, Ordering::SeqCst);
    for i in &failed {
        let (st, v) = admin
            .call(
                Method::POST,
                &format!("/api/admin/outbox/{}/retry", i.id),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
    }
    let hits = until("retried", || {
        let h = erp.hits("shop");
        (h.len() == 3).then_some(h)
    })
    .await;
    let events: Vec<String> = hits.iter().map(|h| h.header("x-baton-event")).collect();
    assert_eq!(events, ["created", "step_completed", "finished"]);
    assert_eq!(hits[1].json()["comment"], "packed");

    // The test send posts a signed sample of the same shape.
    let (st, v) = admin
        .call(
            Method::POST,
            &format!("/api/admin/write-back/{}/test", t["id"]),
            None,
        )
        .await;
    assert_eq!((st, v["ok"].as_bool()), (StatusCode::OK, Some(true)), "{v}");
    let test = erp
        .hits("shop")
        .into_iter()
        .find(|h| h.header("x-baton-event") == "test")
        .unwrap();
    conforms(&schema(), &test.json(), "test body").unwrap();

    // Removing the target clears the project's choice.
    let (st, _) = admin
        .call(
            Method::DELETE,
            &format!("/api/admin/write-back/{}", t["id"]),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let v = admin.get(&format!("/api/projects/{p}/write-back")).await;
    assert_eq!(v, json!({"target": null, "choices": []}));
}

#[tokio::test]
async fn targets_are_checked_on_save_and_admins_only() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let (bob, _) = s.user(&admin, "bob", "member", None).await;
    for (body, field) in [
        (json!({"name": "erp", "url": "http://127.0.0.1:9/x"}), "url"),
        (json!({"name": "erp", "url": "ftp://erp.example/x"}), "url"),
        (
            json!({"name": "bad name", "url": "https://erp.example/x"}),
            "name",
        ),
    ] {
        let (st, v) = admin
            .call(Method::POST, "/api/admin/write-back", Some(body))
            .await;
        assert_error(st, &v, 400, "invalid");
        assert_eq!(v["error"]["field"], field, "{v}");
    }
    let t = target(&admin, "erp", "https://erp.example/baton".into(), Some("k")).await;
    let (st, v) = admin
        .call(
            Method::POST,
            "/api/admin/write-back",
            Some(json!({"name": "erp", "url": "https://erp.example/x"})),
        )
        .await;
    assert_error(st, &v, 409, "conflict");
    let (st, v) = admin
        .call(
            Method::PATCH,
            &format!("/api/admin/write-back/{}", t["id"]),
            Some(json!({"secret": "", "enabled": false})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        (v["secret_set"].as_bool(), v["enabled"].as_bool()),
        (Some(false), Some(false))
    );
    let (st, _) = bob.call(Method::GET, "/api/admin/write-back", None).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = admin
        .call(
            Method::DELETE,
            &format!("/api/admin/write-back/{}", t["id"]),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
}

const AUTO: &str = r#"
const ID = "stock_out";
const WATCHES = "stock";
const WRITE_BACK = "wms";
fn condition(r, prev) { r.qty == 0 }
fn task(r) { #{ title: `Restock ${r.id}`, auto_close: true, nodes: [#{ handler: "admin", action: "restock" }] } }
"#;

#[tokio::test]
async fn an_auto_closed_task_writes_back_how_it_finished() {
    let erp = Erp::start().await;
    let s = TestServer::start_with(config()).await;
    let admin = s.admin().await;
    target(&admin, "wms", format!("{}/wms", erp.url), Some("k")).await;
    let (st, v) = admin
        .call(
            Method::POST,
            "/api/scenarios",
            Some(json!({ "source": AUTO })),
        )
        .await;
    assert!(st.is_success(), "{v}");
    let erp_client = s.erp_client(&admin).await;
    for qty in [0, 5] {
        erp_client
            .post(
                "/api/erp/records",
                json!({"records": [{"kind": "stock", "id": "SKU-1", "data": {"qty": qty}}]}),
            )
            .await;
    }
    let hits = until("created and finished", || {
        let h = erp.hits("wms");
        (h.len() == 2).then_some(h)
    })
    .await;
    let (created, finished) = (hits[0].json(), hits[1].json());
    assert_eq!(created["event"], "created");
    assert_eq!(
        (finished["event"].as_str(), finished["how"].as_str()),
        (Some("finished"), Some("auto_closed"))
    );
    assert_eq!(finished["who"]["id"], Value::Null);
    assert_eq!(finished["record"], json!({"kind": "stock", "id": "SKU-1"}));
    conforms(&schema(), &finished, "body").unwrap();
}

#[tokio::test]
async fn a_target_that_is_not_listening_gets_the_event_once_it_is() {
    // A port nobody listens on (yet).
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let file: FileConfig = toml::from_str(
        "public_url = \"http://baton.test/\"\n[network]\nallow_private = [\"127.0.0.1/32\"]\n[delivery]\ninterval = \"100ms\"\ntimeout = \"2s\"\nretry_base = \"200ms\"\nmax_attempts = 10\n",
    )
    .unwrap();
    let s = TestServer::start_with(file).await;
    let admin = s.admin().await;
    let (_bob, bob_id) = s.user(&admin, "bob", "member", None).await;
    target(
        &admin,
        "late",
        format!("http://127.0.0.1:{port}/late"),
        None,
    )
    .await;
    let p = project(&admin, &[bob_id]).await;
    admin
        .call(
            Method::PUT,
            &format!("/api/projects/{p}/write-back"),
            Some(json!({"target": "late"})),
        )
        .await;
    admin
        .post(
            &format!("/api/projects/{p}/tasks"),
            json!({"kind": "simple", "title": "Pack", "nodes": [{"handler_id": bob_id, "action": "pack"}]}),
        )
        .await;
    let refused = until("a refused try", || {
        s.store
            .list::<baton::delivery::OutboxItem>()
            .unwrap()
            .into_iter()
            .find(|i| i.write_back.is_some() && i.last_error.is_some())
    })
    .await;
    assert!(
        matches!(
            refused.status,
            baton::delivery::OutboxStatus::Pending | baton::delivery::OutboxStatus::Sending
        ),
        "tried again later: {refused:?}"
    );
    assert!(
        refused
            .last_error
            .as_deref()
            .unwrap()
            .contains("write-back request failed"),
        "{:?}",
        refused.last_error
    );
    let erp = Erp::start_on(port).await;
    let hits = until("delivered once the target listens", || {
        let h = erp.hits("late");
        (!h.is_empty()).then_some(h)
    })
    .await;
    assert_eq!(hits[0].json()["event"], "created");
    let item = s
        .store
        .get::<baton::delivery::OutboxItem>(refused.id)
        .unwrap()
        .unwrap();
    assert!(item.attempts >= 2, "{item:?}");
}
