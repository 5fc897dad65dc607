//! What an attacker or a careless client sends cannot stop or corrupt Baton: extreme
//! dates, oversized bodies, spellings around the login limit, tokens beyond their
//! owner's rights, runaway scripts (issue "Trust under fire").

use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::harness::*;

const EXTREME: [&str; 5] = [
    "-262143-01-01T00:00:00Z",
    "+262142-12-31T23:59:59Z",
    "9999-12-31T23:59:59Z",
    "1970-01-01T00:00:00Z",
    "2201-01-01T00:00:00Z",
];

async fn project_with(admin: &Client, members: &[u64]) -> u64 {
    admin
        .post("/api/projects", json!({"name": "P", "members": members}))
        .await["id"]
        .as_u64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extreme_dates_are_refused_on_every_endpoint_and_writes_go_on() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let (bob, bob_id) = s.user(&admin, "bob", "member", None).await;
    let p = project_with(&admin, &[bob_id]).await;
    let task = bob
        .post(
            &format!("/api/projects/{p}/tasks"),
            json!({"kind": "simple", "title": "t", "nodes": [{"handler_id": bob_id, "action": "x"}]}),
        )
        .await;
    let tid = task["id"].as_u64().unwrap();
    for when in EXTREME {
        let create = [
            json!({"kind": "simple", "title": "t", "due_at": when, "nodes": [{"handler_id": bob_id, "action": "x"}]}),
            json!({"kind": "simple", "title": "t", "nodes": [{"handler_id": bob_id, "action": "x", "due_at": when}]}),
        ];
        for body in create {
            let (st, b) = bob
                .call(
                    Method::POST,
                    &format!("/api/projects/{p}/tasks"),
                    Some(body),
                )
                .await;
            assert_eq!(st, StatusCode::BAD_REQUEST, "{when}: {b}");
        }
        let (st, b) = bob
            .call(
                Method::PATCH,
                &format!("/api/tasks/{tid}"),
                Some(json!({"rev": task["rev"], "due_at": when})),
            )
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "patch {when}: {b}");
        let (st, b) = bob
            .call(
                Method::PATCH,
                &format!("/api/tasks/{tid}"),
                Some(json!({"rev": task["rev"], "nodes": [{"handler_id": bob_id, "action": "x", "due_at": when}]})),
            )
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "patch nodes {when}: {b}");
        let q = urlencode(when);
        let (st, b) = bob
            .call(
                Method::GET,
                &format!("/api/projects/{p}/tasks?due_from={q}"),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "list {when}: {b}");
    }
    // ERP records refuse such a time per record
    let erp = s.erp_client(&admin).await;
    let r = erp
        .post(
            "/api/erp/records",
            json!({"records": [{"kind": "stock", "id": "X", "data": {}, "occurred_at": EXTREME[0]}]}),
        )
        .await;
    assert_eq!(r["stored"], 0, "{r}");
    assert_eq!(r["rejected"].as_array().unwrap().len(), 1, "{r}");
    // nothing was poisoned: writes and logins still work
    let mut again = s.client();
    again.login("bob", "password-123").await;
    let (st, b) = again
        .call(
            Method::POST,
            &format!("/api/tasks/{tid}/comments"),
            Some(json!({"body": "still here"})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    s.stop().await;
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_json_routes_keep_the_body_limit_uploads_may_be_larger() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let p = admin.erp_project().await["id"].as_u64().unwrap();
    let me = admin.get("/api/me").await["user"]["id"].as_u64().unwrap();
    let task = admin
        .post(
            &format!("/api/projects/{p}/tasks"),
            json!({"kind": "simple", "title": "t", "nodes": [{"handler_id": me, "action": "x"}]}),
        )
        .await;
    let tid = task["id"].as_u64().unwrap();
    let big = "x".repeat(3 * 1024 * 1024);
    // On its own connection: the server answers 413 before reading the whole body and
    // closes that connection, which a pooled client could otherwise reuse.
    let mut refused = s.client();
    refused.login("admin", ADMIN_PASSWORD).await;
    let (st, b) = refused
        .call(
            Method::POST,
            &format!("/api/tasks/{tid}/comments"),
            Some(json!({ "body": big })),
        )
        .await;
    assert_error(st, &b, 413, "too_large");
    assert!(
        b["error"]["message"].as_str().unwrap().contains("1048576"),
        "the message names the real limit: {b}"
    );
    // an attachment above the JSON limit is fine (limited by attachment_max_mb)
    let file = vec![b'a'; 1536 * 1024];
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(file).file_name("big.txt"),
    );
    let resp = admin
        .request(Method::POST, &format!("/api/tasks/{tid}/attachments"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    // a body that is not multipart is a JSON 400, not text
    let resp = admin
        .request(Method::POST, &format!("/api/tasks/{tid}/attachments"))
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    let st = resp.status();
    let b: Value = resp.json().await.unwrap();
    assert_error(st, &b, 400, "bad_request");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_limit_counts_every_spelling_of_a_name() {
    let s = TestServer::start_with(toml::from_str("login_attempts_per_minute = 3").unwrap()).await;
    let c = s.client();
    let mut codes = Vec::new();
    for name in ["admin", "  admin ", "ADMIN", "\tAdmin\n", " admin"] {
        let (st, _) = c
            .call(
                Method::POST,
                "/api/login",
                Some(json!({"username": name, "password": "wrong-password"})),
            )
            .await;
        codes.push(st.as_u16());
    }
    assert_eq!(codes, vec![401, 401, 401, 429, 429]);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_reads_no_more_than_its_owner() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let (boss, boss_id) = s.user(&admin, "boss", "company_admin", None).await;
    let read = boss
        .post("/api/tokens", json!({"name": "r", "scopes": ["read"]}))
        .await;
    let write = boss
        .post("/api/tokens", json!({"name": "w", "scopes": ["erp:write"]}))
        .await;
    let reader = Client {
        bearer: Some(read["token"].as_str().unwrap().to_string()),
        ..Client::new(&s.url)
    };
    let writer = Client {
        bearer: Some(write["token"].as_str().unwrap().to_string()),
        ..Client::new(&s.url)
    };
    writer
        .post(
            "/api/erp/records",
            json!({"records": [{"kind": "stock", "id": "A", "data": {"available": 50}}]}),
        )
        .await;
    reader.get("/api/erp/records/stock/A").await;
    // the owner becomes a member: the tokens keep only a member's rights
    let (st, b) = admin
        .call(
            Method::PATCH,
            &format!("/api/users/{boss_id}"),
            Some(json!({"role": "member"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    for path in [
        "/api/erp/records/stock/A",
        "/api/erp/records?kind=stock",
        "/api/erp/records/stock/A/versions",
    ] {
        let (st, b) = reader.call(Method::GET, path, None).await;
        assert!(
            st == StatusCode::FORBIDDEN || st == StatusCode::NOT_FOUND,
            "{path}: {st} {b}"
        );
        assert!(b.get("items").is_none() && b.get("data").is_none(), "{b}");
    }
    let (st, b) = writer
        .call(
            Method::POST,
            "/api/erp/records",
            Some(json!({"records": [{"kind": "stock", "id": "B", "data": {}}]})),
        )
        .await;
    assert_error(st, &b, 403, "forbidden");
    drop(boss);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_does_not_make_a_handler_reload() {
    let s = TestServer::start_with(fast_scheduler()).await;
    let admin = s.admin().await;
    let (bob, bob_id) = s.user(&admin, "bob", "member", None).await;
    let p = project_with(&admin, &[bob_id]).await;
    let soon = (Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let task = admin
        .post(
            &format!("/api/projects/{p}/tasks"),
            json!({"kind": "simple", "title": "soon", "due_at": soon, "nodes": [{"handler_id": bob_id, "action": "x"}]}),
        )
        .await;
    let tid = task["id"].as_u64().unwrap();
    let opened = bob.get(&format!("/api/tasks/{tid}")).await;
    bob.wait_for_message("due_soon").await;
    // bob acts with the revision he loaded before the reminder
    let (st, b) = bob
        .call(
            Method::POST,
            &format!("/api/tasks/{tid}/complete"),
            Some(json!({"rev": opened["rev"]})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let log = bob.get(&format!("/api/tasks/{tid}/log")).await;
    let reminder = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["action"] == "due_soon")
        .cloned()
        .unwrap_or(Value::Null);
    assert!(
        reminder["actor_name"]
            .as_str()
            .is_some_and(|a| !a.eq_ignore_ascii_case("cli")),
        "the reminder is the system's, not the CLI's: {reminder}"
    );
    s.stop().await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_data_directory_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let s = TestServer::start().await;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&s.data), 0o700);
    let mut files = 0;
    let mut stack = vec![s.data.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            let ft = e.file_type().unwrap();
            if ft.is_dir() {
                assert_eq!(mode(&e.path()), 0o700, "{:?}", e.path());
                stack.push(e.path());
            } else if ft.is_file() && e.path().to_string_lossy().contains("/db/") {
                assert_eq!(mode(&e.path()), 0o600, "{:?}", e.path());
                files += 1;
            }
        }
    }
    assert!(files > 0, "the database files were checked");
    s.stop().await;
}

const HUGE_DEADLINE: &str = r#"
const ID = "far_future";
const WATCHES = "stock";
fn condition(r, prev) { true }
fn task(r) {
    #{ title: `far ${r.id}`, due_in_days: 1000000000000.0, nodes: [#{ handler: "admin", action: "x" }] }
}
"#;

async fn scenario(admin: &Client, key: &str) -> Value {
    admin.get("/api/scenarios").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == key)
        .cloned()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scenario_asking_for_an_impossible_deadline_records_an_error() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    admin
        .post("/api/scenarios", json!({"source": HUGE_DEADLINE}))
        .await;
    let erp = s.erp_client(&admin).await;
    let (st, r) = erp
        .call(
            Method::POST,
            "/api/erp/records",
            Some(json!({"records": [{"kind": "stock", "id": "FAR-1", "data": {"available": 1}}]})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["stored"], 1, "{r}");
    admin.get("/api/erp/records/stock/FAR-1").await;
    let sc = scenario(&admin, "far_future").await;
    let err = &sc["last_error"];
    assert!(
        err["message"].as_str().unwrap().contains("out of range"),
        "{sc}"
    );
    assert!(err["line"].is_number() && err["column"].is_number(), "{sc}");
    // the dry run says so too, without a 500
    let (st, d) = admin
        .call(
            Method::POST,
            "/api/scenarios/dry-run",
            Some(json!({"source": HUGE_DEADLINE, "record": {"kind": "stock", "id": "FAR-2", "data": {}}})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{d}");
    assert!(
        d["problem"].as_str().unwrap().contains("out of range"),
        "{d}"
    );
    s.stop().await;
}

const RUNAWAY: &str = r#"
const ID = "runaway";
const WATCHES = "stock";
fn condition(r, prev) { let n = 0; loop { n += 1; } }
fn task(r) { #{ title: "never", nodes: [] } }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scenario_that_keeps_running_away_is_quarantined() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    admin
        .post("/api/scenarios", json!({"source": RUNAWAY}))
        .await;
    let erp = s.erp_client(&admin).await;
    let push = |n: usize, prefix: &'static str| {
        let records: Vec<Value> = (0..n)
            .map(|i| json!({"kind": "stock", "id": format!("{prefix}-{i}"), "data": {"available": 100, "safety_stock": 1}}))
            .collect();
        json!({ "records": records })
    };
    // three pushes, each stopped by the sandbox: the third quarantines it
    for i in 0..3 {
        let r = erp
            .post("/api/erp/records", push(1, ["a", "b", "c"][i]))
            .await;
        assert_eq!(r["stored"], 1, "{r}");
        let quarantined = r["scenarios"]["quarantined"].clone();
        if i < 2 {
            assert!(quarantined.is_null(), "{r}");
        } else {
            assert_eq!(quarantined, json!(["runaway"]), "{r}");
        }
    }
    let sc = scenario(&admin, "runaway").await;
    assert_eq!(sc["enabled"], false, "{sc}");
    assert!(
        sc["quarantined"].as_str().unwrap().contains("3 times"),
        "{sc}"
    );
    let inbox = admin.get("/api/inbox").await;
    assert!(
        inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["kind"] == "scenario_quarantined"),
        "the admin is told: {inbox}"
    );
    // switched off, it costs nothing: a big batch is quick
    let t = Instant::now();
    let r = erp.post("/api/erp/records", push(200, "d")).await;
    assert_eq!(r["stored"], 200);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    // the admin enables it again; a big batch then spends one budget and switches it off
    let id = sc["id"].as_u64().unwrap();
    let (st, b) = admin
        .call(
            Method::PATCH,
            &format!("/api/scenarios/{id}"),
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert!(b["quarantined"].is_null(), "{b}");
    let t = Instant::now();
    let r = erp.post("/api/erp/records", push(200, "e")).await;
    assert_eq!(r["stored"], 200, "every record is stored");
    assert_eq!(r["scenarios"]["quarantined"], json!(["runaway"]), "{r}");
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "one budget, not 200 deadlines: {:?}",
        t.elapsed()
    );
    assert_eq!(scenario(&admin, "runaway").await["enabled"], false);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_of_an_unwatched_kind_does_not_wait_for_runaway_scripts() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    for i in 0..4 {
        let src = RUNAWAY.replace("\"runaway\"", &format!("\"runaway_{i}\""));
        admin.post("/api/scenarios", json!({"source": src})).await;
    }
    let erp = s.erp_client(&admin).await;
    let url = s.url.clone();
    let token = erp.bearer.clone();
    // two clients keep the runaway kind busy
    let feeders: Vec<_> = (0..2)
        .map(|c| {
            let feeder = Client {
                bearer: token.clone(),
                ..Client::new(&url)
            };
            tokio::spawn(async move {
                let records: Vec<Value> = (0..50)
                    .map(|i| json!({"kind": "stock", "id": format!("f{c}-{i}"), "data": {}}))
                    .collect();
                feeder
                    .call(
                        Method::POST,
                        "/api/erp/records",
                        Some(json!({ "records": records })),
                    )
                    .await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let t = Instant::now();
    let r = erp
        .post(
            "/api/erp/records",
            json!({"records": [{"kind": "shipment_note", "id": "N1", "data": {}}]}),
        )
        .await;
    let took = t.elapsed();
    assert_eq!(r["stored"], 1);
    assert!(
        took < Duration::from_secs(2),
        "an unwatched kind waits for no script place: {took:?}"
    );
    for f in feeders {
        let (st, b) = f.await.unwrap();
        assert_eq!(st, StatusCode::OK, "{b}");
    }
    s.stop().await;
}

/// Hostile scripts: each is refused when saved or stopped when it runs, its error is
/// on the scenario, and the shipped scenarios on the same kind still fire.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_scripts_are_refused_or_stopped_and_harm_no_other() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let body = |id: &str, cond: &str, extra: &str| {
        format!(
            "const ID = \"{id}\";\nconst WATCHES = \"stock\";\n{extra}\nfn condition(r, prev) {{ {cond} }}\nfn task(r) {{ #{{ title: \"x\", nodes: [] }} }}\n"
        )
    };
    let refused_on_save = [
        body("h_import", "true", "import \"os\" as os;"),
        body("h_eval", "eval(\"true\")", ""),
        body("h_syntax", "r.available >", ""),
    ];
    for src in refused_on_save {
        let (st, b) = admin
            .call(
                Method::POST,
                "/api/scenarios",
                Some(json!({ "source": src })),
            )
            .await;
        assert_error(st, &b, 400, "invalid");
    }
    let stopped_when_run = [
        ("h_loop", body("h_loop", "loop { }", "")),
        (
            "h_recursion",
            body("h_recursion", "deep(0)", "fn deep(n) { deep(n + 1) }"),
        ),
        (
            "h_string_bomb",
            body(
                "h_string_bomb",
                "let s = \"xxxxxxxx\"; loop { s += s; }",
                "",
            ),
        ),
        (
            "h_array_bomb",
            body("h_array_bomb", "let a = [1, 2, 3]; loop { a += a; }", ""),
        ),
        (
            "h_map_bomb",
            body(
                "h_map_bomb",
                "let m = #{}; let i = 0; loop { m[`k${i}`] = i; i += 1; }",
                "",
            ),
        ),
        ("h_sleep", body("h_sleep", "sleep(10); true", "")),
        (
            "h_throw",
            body("h_throw", "throw \"boom on every record\"", ""),
        ),
    ];
    for (_, src) in &stopped_when_run {
        admin.post("/api/scenarios", json!({ "source": src })).await;
    }
    let erp = s.erp_client(&admin).await;
    let t = Instant::now();
    let r = erp
        .post(
            "/api/erp/records",
            json!({"records": [{"kind": "stock", "id": "MUG-9", "data": {"available": 1, "safety_stock": 20}}]}),
        )
        .await;
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "each script stopped within its deadline: {:?}",
        t.elapsed()
    );
    assert_eq!(r["stored"], 1, "{r}");
    assert_eq!(
        r["scenarios"]["tasks_created"], 1,
        "the shipped stock scenario fired: {r}"
    );
    assert_eq!(
        r["scenarios"]["errors"].as_u64().unwrap(),
        stopped_when_run.len() as u64,
        "{r}"
    );
    for (key, _) in stopped_when_run {
        let sc = scenario(&admin, key).await;
        let msg = sc["last_error"]["message"].as_str().unwrap_or_default();
        assert!(!msg.is_empty(), "{key}: {sc}");
    }
    // the server still answers and stores
    admin.get("/api/erp/records/stock/MUG-9").await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_for_company_admins_and_count_what_happened() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let (member, _) = s.user(&admin, "mem", "member", None).await;
    let erp = s.erp_client(&admin).await;
    erp.post(
        "/api/erp/records",
        json!({"records": [{"kind": "stock", "id": "M1", "data": {"available": 1, "safety_stock": 20}}]}),
    )
    .await;
    let resp = s
        .client()
        .request(Method::GET, "/metrics")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = member
        .request(Method::GET, "/metrics")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = admin.request(Method::GET, "/metrics").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = resp.text().await.unwrap();
    for name in [
        "baton_http_requests_total",
        "baton_http_request_duration_seconds",
        "baton_ingest_batches_total",
        "baton_ingest_records_total",
        "baton_scenario_evaluations_total",
        "baton_outbox_items",
        "baton_store_size_bytes",
    ] {
        assert!(text.contains(name), "{name} missing in:\n{text}");
    }
    assert!(
        text.contains("route=\"/api/erp/records\""),
        "requests are labelled by route template: {text}"
    );
    assert!(!text.contains("/api/erp/records/stock/M1"), "no raw paths");
    // a read token of a company admin scrapes too
    let t = admin
        .post("/api/tokens", json!({"name": "prom", "scopes": ["read"]}))
        .await;
    let prom = Client {
        bearer: Some(t["token"].as_str().unwrap().to_string()),
        ..Client::new(&s.url)
    };
    let resp = prom.request(Method::GET, "/metrics").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn below_the_free_disk_floor_writes_are_refused_and_reads_go_on() {
    let first = TestServer::start().await;
    let data = first.data.clone();
    let keep = first.stop().await;
    // Again on the same data, with a floor no disk here reaches: writes are refused.
    let s = TestServer::start_in(
        &data,
        toml::from_str("min_free_disk_mb = 1000000000").unwrap(),
    )
    .await;
    let reader = s.client();
    let (st, _) = reader.call(Method::GET, "/healthz", None).await;
    assert_eq!(st, StatusCode::OK, "the server answers");
    let mut c = s.client();
    // logging in writes an audit line: refused too, with a clear error
    let (st, b) = c
        .call(
            Method::POST,
            "/api/login",
            Some(json!({"username": "admin", "password": ADMIN_PASSWORD})),
        )
        .await;
    assert_error(st, &b, 507, "insufficient_storage");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("disk is nearly full"),
        "{b}"
    );
    c.csrf = None;
    s.stop().await;
    drop(keep);
}

/// An admin handling every scenario task may have thousands open: "my todo" lists the
/// most urgent of each group and says how many there are, instead of megabytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_todo_lists_the_most_urgent_and_counts_the_rest() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let erp = s.erp_client(&admin).await;
    let records: Vec<Value> = (0..130)
        .map(|i| json!({"kind": "stock", "id": format!("LOW-{i}"), "data": {"available": 1, "safety_stock": 20}}))
        .collect();
    let r = erp
        .post("/api/erp/records", json!({ "records": records }))
        .await;
    let made = r["scenarios"]["tasks_created"].as_u64().unwrap() as usize;
    assert_eq!(made, 130, "{r}");
    let todo = admin.get("/api/my/todo").await;
    let shown: usize = ["overdue", "new", "started"]
        .iter()
        .map(|k| todo[k].as_array().unwrap().len())
        .sum();
    let counted: u64 = ["overdue", "new", "started"]
        .iter()
        .map(|k| todo["counts"][k].as_u64().unwrap())
        .sum();
    assert_eq!(counted as usize, made, "{}", todo["counts"]);
    assert!(shown <= 100 * 3 && shown < made, "{shown} of {made}");
    for k in ["overdue", "new", "started"] {
        assert!(todo[k].as_array().unwrap().len() <= 100);
    }
    s.stop().await;
}

/// Setting a password without the current one is for managing others: a stolen
/// session cannot take its own account over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_sets_their_own_password_without_the_current_one() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let (mem, mem_id) = s.user(&admin, "mem", "member", None).await;
    let me = admin.get("/api/me").await["user"]["id"].as_u64().unwrap();
    for (c, id) in [(&mem, mem_id), (&admin, me)] {
        let (st, b) = c
            .call(
                Method::POST,
                &format!("/api/users/{id}/password"),
                Some(json!({"password": "taken-over-1"})),
            )
            .await;
        assert_error(st, &b, 403, "forbidden");
    }
    // the Me page's way, with the current password, works
    let (st, b) = mem
        .call(
            Method::POST,
            "/api/me/password",
            Some(json!({"current_password": "password-123", "new_password": "changed-pass-1"})),
        )
        .await;
    assert!(st.is_success(), "{st} {b}");
    // and an admin still sets a member's
    let (st, b) = admin
        .call(
            Method::POST,
            &format!("/api/users/{mem_id}/password"),
            Some(json!({"password": "reset-by-admin-1"})),
        )
        .await;
    assert!(st.is_success(), "{st} {b}");
    s.stop().await;
}
