//! Delivery channels end to end: a tiny SMTP sink and a loopback HTTP receiver stand in
//! for the mail server and the chat services.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode as AxStatus};
use base64::Engine;
use baton::config::FileConfig;
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Sha256;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::harness::*;

/// The mock mail server and receivers listen on 127.0.0.1, which Baton refuses unless
/// `[network] allow_private` lists it.
fn config(extra: &str) -> FileConfig {
    toml::from_str(&format!(
        "public_url = \"http://baton.test/\"\n[network]\nallow_private = [\"127.0.0.1/32\"]\n[delivery]\ninterval = \"100ms\"\ntimeout = \"700ms\"\nretry_base = \"300ms\"\nmax_attempts = 3\n{extra}"
    ))
    .unwrap()
}

// ---------------------------------------------------------------- SMTP sink

#[derive(Clone, Default)]
struct Sink {
    port: u16,
    mails: Arc<Mutex<Vec<String>>>,
}

async fn smtp_sink() -> Sink {
    smtp_sink_on(0).await
}

async fn smtp_sink_on(port: u16) -> Sink {
    let l = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let sink = Sink {
        port: l.local_addr().unwrap().port(),
        ..Default::default()
    };
    let mails = sink.mails.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = l.accept().await else {
                return;
            };
            let mails = mails.clone();
            tokio::spawn(async move {
                let (r, mut w) = stream.into_split();
                let mut lines = BufReader::new(r).lines();
                w.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(d) = data.as_mut() {
                        if line == "." {
                            mails.lock().unwrap().push(data.take().unwrap());
                            w.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            d.push_str(&line);
                            d.push('\n');
                        }
                        continue;
                    }
                    let verb = line.split_whitespace().next().unwrap_or("").to_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250-sink\r\n250 8BITMIME\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            w.write_all(b"221 bye\r\n").await.unwrap();
                            return;
                        }
                        _ => b"250 ok\r\n",
                    };
                    w.write_all(reply).await.unwrap();
                }
            });
        }
    });
    sink
}

impl Sink {
    fn mails(&self) -> Vec<String> {
        self.mails.lock().unwrap().clone()
    }
}

// ---------------------------------------------------------------- HTTP receiver

#[derive(Clone, Debug)]
struct Hit {
    name: String,
    query: String,
    headers: HeaderMap,
    body: Vec<u8>,
    accepted: bool,
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
}

#[derive(Clone, Default)]
struct Receiver {
    url: String,
    hits: Arc<Mutex<Vec<Hit>>>,
    /// Answer 500 to this many requests first.
    fail_first: Arc<AtomicUsize>,
}

async fn hook(
    State(r): State<Receiver>,
    Path(name): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> (AxStatus, String) {
    let fail = r
        .fail_first
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    r.hits.lock().unwrap().push(Hit {
        name,
        query: q.unwrap_or_default(),
        headers,
        body: body.to_vec(),
        accepted: !fail,
    });
    if fail {
        (AxStatus::INTERNAL_SERVER_ERROR, "try later".into())
    } else {
        (AxStatus::OK, r#"{"errcode":0,"code":0}"#.into())
    }
}

async fn hang() -> &'static str {
    tokio::time::sleep(Duration::from_secs(3600)).await;
    "late"
}

async fn receiver() -> Receiver {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let r = Receiver {
        url: format!("http://{}", l.local_addr().unwrap()),
        ..Default::default()
    };
    let app = axum::Router::new()
        .route("/hook/{name}", axum::routing::post(hook))
        .route("/hang", axum::routing::post(hang))
        .with_state(r.clone());
    tokio::spawn(async move {
        axum::serve(l, app).await.unwrap();
    });
    r
}

impl Receiver {
    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }
    fn accepted(&self, name: &str) -> Vec<Hit> {
        self.hits()
            .into_iter()
            .filter(|h| h.accepted && h.name == name)
            .collect()
    }
}

pub(crate) async fn until<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    for _ in 0..100 {
        if let Some(v) = f() {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

fn hmac(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

pub(crate) async fn member(
    s: &TestServer,
    admin: &Client,
    name: &str,
    lang: &str,
) -> (Client, u64) {
    let (st, body) = admin
        .call(
            Method::POST,
            "/api/users",
            Some(json!({"username": name, "password": "password-123", "email": format!("{name}@b.example"), "language": lang})),
        )
        .await;
    assert_eq!(st, reqwest::StatusCode::CREATED, "{body}");
    let mut c = s.client();
    c.login(name, "password-123").await;
    (c, body["id"].as_u64().unwrap())
}

pub(crate) async fn project(admin: &Client, members: &[u64]) -> u64 {
    admin
        .post(
            "/api/projects",
            json!({"name": "Warehouse", "members": members}),
        )
        .await["id"]
        .as_u64()
        .unwrap()
}

pub(crate) async fn task(c: &Client, p: u64, title: &str, handler: u64) -> u64 {
    c.post(
        &format!("/api/projects/{p}/tasks"),
        json!({"kind": "simple", "title": title, "nodes": [{"handler_id": handler, "action": "pack"}]}),
    )
    .await["id"]
        .as_u64()
        .unwrap()
}

async fn smtp_settings(admin: &Client, port: u16) {
    let (st, v) = admin
        .call(
            Method::PUT,
            "/api/admin/delivery",
            Some(json!({"smtp": {"host": "127.0.0.1", "port": port, "tls": "none", "password": "smtp-secret-9", "from": "Baton <noreply@b.example>"}})),
        )
        .await;
    assert_eq!(st, reqwest::StatusCode::OK, "{v}");
    assert_eq!(v["smtp"]["password_set"], true);
    assert!(!v.to_string().contains("smtp-secret-9"), "{v}");
}

// ---------------------------------------------------------------- tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_email_with_link_in_the_recipients_language_and_preferences_respected() {
    let sink = smtp_sink().await;
    let s = TestServer::start_with(config("")).await;
    let admin = s.admin().await;
    smtp_settings(&admin, sink.port).await;
    let (bob, bob_id) = member(&s, &admin, "bob", "en").await;
    let (_ann, ann_id) = member(&s, &admin, "ann", "zh-CN").await;
    // Bob: e-mail for "assigned to me", not for mentions in comments.
    let (st, v) = bob
        .call(
            Method::PUT,
            "/api/me/preferences",
            Some(json!({"events": {"assigned": {"inbox": true, "email": true}, "mentioned": {"inbox": true, "email": false}}})),
        )
        .await;
    assert_eq!(st, reqwest::StatusCode::OK, "{v}");
    let p = project(&admin, &[bob_id, ann_id]).await;
    let t = task(&admin, p, "Restock <SKU-1>", bob_id).await;
    let mail = until("bob's e-mail", || sink.mails().first().cloned()).await;
    assert!(mail.contains("To: bob@b.example"), "{mail}");
    assert!(mail.contains("From: Baton <noreply@b.example>"), "{mail}");
    assert!(
        mail.contains("Subject: [Baton] Assigned to you: Restock <SKU-1>"),
        "{mail}"
    );
    assert!(mail.contains("Message-ID: <baton-"), "{mail}");
    assert!(mail.contains("multipart/alternative"), "{mail}");
    assert!(
        mail.contains("text/plain") && mail.contains("text/html"),
        "{mail}"
    );
    assert!(
        mail.contains(&format!("http://baton.test/tasks/{t}")),
        "{mail}"
    );
    assert!(
        mail.contains("Restock &lt;SKU-1&gt;"),
        "HTML escaped: {mail}"
    );

    // A mention in a comment: inbox yes, e-mail no.
    admin
        .post(
            &format!("/api/tasks/{t}/comments"),
            json!({"body": "@bob please check"}),
        )
        .await;
    let kinds = bob.get("/api/inbox").await;
    assert!(kinds.to_string().contains("mentioned"), "{kinds}");
    // Ann has e-mail off by default: nothing for her either.
    task(&admin, p, "Count pallets", ann_id).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(sink.mails().len(), 1, "{:?}", sink.mails());
    let sent = admin.get("/api/admin/outbox?status=sent").await;
    assert_eq!(sent["items"].as_array().unwrap().len(), 1, "{sent}");
    assert_eq!(sent["items"][0]["attempts"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_presets_payloads_and_signatures() {
    let r = receiver().await;
    let s = TestServer::start_with(config("")).await;
    let admin = s.admin().await;
    let (_bob, bob_id) = member(&s, &admin, "bob", "zh-CN").await;
    let secret = "SEC-test-1";
    let hooks: Vec<Value> = ["wecom", "dingtalk", "feishu", "slack", "generic"]
        .iter()
        .map(|k| json!({"name": k, "kind": k, "url": format!("{}/hook/{k}?key=abc", r.url), "secret": secret}))
        .collect();
    let (st, v) = admin
        .call(
            Method::PUT,
            "/api/admin/delivery",
            Some(json!({"smtp": null, "webhooks": hooks})),
        )
        .await;
    assert_eq!(st, reqwest::StatusCode::OK, "{v}");
    assert!(
        !v.to_string().contains(secret),
        "secrets never returned: {v}"
    );
    assert_eq!(v["webhooks"][1]["secret_set"], true);
    // Saving again without secrets keeps them.
    let again: Vec<Value> = ["wecom", "dingtalk", "feishu", "slack", "generic"]
        .iter()
        .map(|k| json!({"name": k, "kind": k, "url": format!("{}/hook/{k}?key=abc", r.url)}))
        .collect();
    let v = admin
        .call(
            Method::PUT,
            "/api/admin/delivery",
            Some(json!({"smtp": null, "webhooks": again})),
        )
        .await
        .1;
    assert_eq!(v["webhooks"][4]["secret_set"], true, "{v}");

    let p = project(&admin, &[bob_id]).await;
    let t = task(&admin, p, "补货 SKU-9", bob_id).await;
    let link = format!("http://baton.test/tasks/{t}");
    let all = until("five webhook calls", || {
        let h = r.hits();
        (h.len() >= 5).then_some(h)
    })
    .await;
    let by = |n: &str| all.iter().find(|h| h.name == n).unwrap().clone();

    let w = by("wecom").json();
    assert_eq!(w["msgtype"], "markdown");
    let c = w["markdown"]["content"].as_str().unwrap();
    assert!(
        c.contains("新任务") && c.contains("补货 SKU-9") && c.contains(&link),
        "{c}"
    );

    let d = by("dingtalk");
    let q: Vec<(String, String)> = url_pairs(&d.query);
    let ts = q.iter().find(|(k, _)| k == "timestamp").unwrap().1.clone();
    let sign = q.iter().find(|(k, _)| k == "sign").unwrap().1.clone();
    let want = base64::engine::general_purpose::STANDARD.encode(hmac(
        secret.as_bytes(),
        format!("{ts}\n{secret}").as_bytes(),
    ));
    assert_eq!(sign, want);
    assert_eq!(d.json()["msgtype"], "markdown");
    assert!(d.json()["markdown"]["title"].is_string());

    let f = by("feishu").json();
    let ts = f["timestamp"].as_str().unwrap();
    let want = base64::engine::general_purpose::STANDARD
        .encode(hmac(format!("{ts}\n{secret}").as_bytes(), b""));
    assert_eq!(f["sign"], want);
    assert_eq!(f["msg_type"], "text");
    assert!(f["content"]["text"].as_str().unwrap().contains(&link));

    let sl = by("slack").json();
    assert!(
        sl["text"].as_str().unwrap().contains(&format!("<{link}>")),
        "{sl}"
    );

    let g = by("generic");
    let want = format!("sha256={}", hex::encode(hmac(secret.as_bytes(), &g.body)));
    assert_eq!(g.header("x-baton-signature"), want);
    let gj = g.json();
    assert_eq!(g.header("x-baton-delivery"), gj["id"].to_string());
    assert_eq!(gj["event"], "assigned");
    assert_eq!(gj["user_id"], bob_id);
    assert_eq!(gj["task_id"], t);
    assert_eq!(gj["title"], "补货 SKU-9");
    assert_eq!(gj["url"], link);
    assert!(gj["created_at"].is_string() && gj["text"].is_string());

    // A project's own group webhook replaces the company ones for its tasks.
    let (st, v) = admin
        .call(
            Method::PUT,
            &format!("/api/projects/{p}/webhook"),
            Some(json!({"webhook": {"kind": "wecom", "url": format!("{}/hook/warehouse", r.url)}})),
        )
        .await;
    assert_eq!(st, reqwest::StatusCode::OK, "{v}");
    task(&admin, p, "Second", bob_id).await;
    until("the project webhook", || {
        (!r.accepted("warehouse").is_empty()).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        r.hits().len(),
        6,
        "company hooks not called for the project task"
    );
}

fn url_pairs(q: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://x/?{q}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_retried_after_500_and_once_across_a_restart() {
    let r = receiver().await;
    r.fail_first.store(1, Ordering::SeqCst);
    // A slow backoff, so the item is still pending when the server stops.
    let cfg = || config("").tap_retry("2s");
    let s = TestServer::start_with(cfg()).await;
    let admin = s.admin().await;
    let (_bob, bob_id) = member(&s, &admin, "bob", "en").await;
    let p = project(&admin, &[bob_id]).await;
    admin
        .call(
            Method::PUT,
            &format!("/api/projects/{p}/webhook"),
            Some(json!({"webhook": {"kind": "generic", "url": format!("{}/hook/g", r.url), "secret": "s"}})),
        )
        .await;
    task(&admin, p, "Ship order 17", bob_id).await;
    until("the first (refused) try", || {
        (!r.hits().is_empty()).then_some(())
    })
    .await;
    let pending = admin.get("/api/admin/outbox?status=pending").await;
    assert_eq!(pending["items"][0]["attempts"], 1, "{pending}");
    assert!(
        pending["items"][0]["last_error"]
            .as_str()
            .unwrap()
            .contains("500"),
        "{pending}"
    );
    let data = s.data.clone();
    let _keep = s.stop().await;

    let s = TestServer::start_in(&data, cfg()).await;
    let admin = s.admin().await;
    until("the retried delivery", || {
        (!r.accepted("g").is_empty()).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(r.accepted("g").len(), 1, "delivered exactly once");
    assert_eq!(r.hits().len(), 2);
    let ids: std::collections::BTreeSet<String> = r
        .hits()
        .iter()
        .map(|h| h.header("x-baton-delivery"))
        .collect();
    assert_eq!(ids.len(), 1, "same delivery id on the retry");
    let sent = admin.get("/api/admin/outbox?status=sent").await;
    assert_eq!(sent["items"][0]["attempts"], 2, "{sent}");
}

trait TapRetry {
    fn tap_retry(self, base: &str) -> FileConfig;
    fn tap_attempts(self, n: u32) -> FileConfig;
}

impl TapRetry for FileConfig {
    fn tap_retry(mut self, base: &str) -> FileConfig {
        let d = self.delivery.as_mut().unwrap();
        d.retry_base = Some(humantime::parse_duration(base).unwrap());
        self
    }
    fn tap_attempts(mut self, n: u32) -> FileConfig {
        self.delivery.as_mut().unwrap().max_attempts = Some(n);
        self
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_mail_server_down_then_back_each_notice_once() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let s = TestServer::start_with(config("").tap_retry("200ms").tap_attempts(8)).await;
    let admin = s.admin().await;
    smtp_settings(&admin, port).await;
    let (bob, bob_id) = member(&s, &admin, "bob", "en").await;
    bob.call(
        Method::PUT,
        "/api/me/preferences",
        Some(json!({"events": {"assigned": {"inbox": true, "email": true}}})),
    )
    .await;
    let p = project(&admin, &[bob_id]).await;
    task(&admin, p, "One", bob_id).await;
    task(&admin, p, "Two", bob_id).await;
    // The mail server is down: both wait with the reason.
    for _ in 0..50 {
        let v = admin.get("/api/admin/outbox?status=pending").await;
        let items = v["items"].as_array().unwrap();
        if items.len() == 2 && items.iter().all(|i| i["last_error"].is_string()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let v = admin.get("/api/admin/outbox?status=pending").await;
    assert_eq!(v["items"].as_array().unwrap().len(), 2, "{v}");
    // It comes back: each notice goes out once.
    let sink = smtp_sink_on(port).await;
    until("two e-mails", || (sink.mails().len() >= 2).then_some(())).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let mails = sink.mails();
    assert_eq!(mails.len(), 2);
    assert!(mails.iter().any(|m| m.contains("Assigned to you: One")));
    assert!(mails.iter().any(|m| m.contains("Assigned to you: Two")));
    let sent = admin.get("/api/admin/outbox?status=sent").await;
    assert_eq!(sent["items"].as_array().unwrap().len(), 2, "{sent}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_dead_endpoints_fail_with_reason_without_blocking_others() {
    let r = receiver().await;
    // A port nobody listens on.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let s = TestServer::start_with(config("")).await;
    let admin = s.admin().await;
    let (st, v) = admin
        .call(
            Method::PUT,
            "/api/admin/delivery",
            Some(json!({
                "smtp": {"host": "127.0.0.1", "port": dead, "tls": "none", "from": "noreply@b.example"},
                "webhooks": [
                    {"name": "silent", "kind": "slack", "url": format!("{}/hang", r.url)},
                    {"name": "live", "kind": "slack", "url": format!("{}/hook/live", r.url)},
                ]
            })),
        )
        .await;
    assert_eq!(st, reqwest::StatusCode::OK, "{v}");
    let (bob, bob_id) = member(&s, &admin, "bob", "en").await;
    bob.call(
        Method::PUT,
        "/api/me/preferences",
        Some(json!({"events": {"assigned": {"inbox": true, "email": true}}})),
    )
    .await;
    let p = project(&admin, &[bob_id]).await;
    let started = std::time::Instant::now();
    task(&admin, p, "Check stock", bob_id).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "requests never wait for delivery"
    );
    until("the live webhook", || {
        (!r.accepted("live").is_empty()).then_some(())
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "not blocked by the dead ones"
    );

    let mut items = Value::Null;
    for _ in 0..100 {
        items = admin.get("/api/admin/outbox?status=failed").await;
        if items["items"].as_array().unwrap().len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let list = items["items"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{items}");
    let err_of = |ty: &str| {
        list.iter()
            .find(|i| i["target"]["type"] == ty)
            .unwrap_or_else(|| panic!("{ty} in {items}"))
            .clone()
    };
    let mail = err_of("email");
    assert_eq!(mail["attempts"], 3);
    assert!(
        mail["last_error"]
            .as_str()
            .unwrap()
            .contains("mail server 127.0.0.1"),
        "{mail}"
    );
    let hook = err_of("company_webhook");
    assert!(
        hook["last_error"].as_str().unwrap().contains("timed out"),
        "{hook}"
    );
    assert_eq!(r.accepted("live").len(), 1);

    // Retry by hand: pending again with a fresh set of tries.
    let id = mail["id"].as_u64().unwrap();
    let v = admin
        .post(&format!("/api/admin/outbox/{id}/retry"), json!({}))
        .await;
    assert!(v["status"] == "pending" || v["status"] == "sending", "{v}");
    let (st, v) = admin
        .call(
            Method::POST,
            &format!(
                "/api/admin/outbox/{}/retry",
                hook["id"].as_u64().unwrap() + 1000
            ),
            None,
        )
        .await;
    assert_error(st, &v, 404, "not_found");
    // The test button reports the reason at once.
    let v = admin
        .post(
            "/api/admin/delivery/test",
            json!({"channel": "email", "to": "me@b.example"}),
        )
        .await;
    assert_eq!(v["ok"], false, "{v}");
    assert!(v["error"].as_str().unwrap().contains("mail server"), "{v}");
    let v = admin
        .post(
            "/api/admin/delivery/test",
            json!({"channel": "webhook", "name": "live"}),
        )
        .await;
    assert_eq!(v["ok"], true, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_bad_input_refused_on_save() {
    let s = TestServer::start_with(config("")).await;
    let admin = s.admin().await;
    let (bob, bob_id) = member(&s, &admin, "bob", "en").await;
    let p = project(&admin, &[bob_id]).await;
    let put = |path: &str, body: Value| {
        let path = path.to_string();
        let c = &admin;
        async move { c.call(Method::PUT, &path, Some(body)).await }
    };
    for url in [
        "ftp://hooks.example/x",
        "javascript:alert(1)",
        "hooks.example/x",
    ] {
        let (st, v) = put(
            "/api/admin/delivery",
            json!({"smtp": null, "webhooks": [{"name": "a", "kind": "generic", "url": url}]}),
        )
        .await;
        assert_error(st, &v, 400, "invalid");
        let (st, v) = put(
            &format!("/api/projects/{p}/webhook"),
            json!({"webhook": {"kind": "wecom", "url": url}}),
        )
        .await;
        assert_error(st, &v, 400, "invalid");
    }
    let (st, v) = bob
        .call(
            Method::PUT,
            "/api/me/webhook",
            Some(json!({"webhook": {"kind": "slack", "url": "file:///etc/passwd"}})),
        )
        .await;
    assert_error(st, &v, 400, "invalid");
    for from in ["not-an-address", "a@@b", ""] {
        let (st, v) = put(
            "/api/admin/delivery",
            json!({"smtp": {"host": "smtp.b.example", "port": 587, "tls": "starttls", "from": from}}),
        )
        .await;
        assert_error(st, &v, 400, "invalid");
    }
    let (st, v) = admin
        .call(
            Method::POST,
            "/api/admin/delivery/test",
            Some(json!({"channel": "email", "to": "nobody"})),
        )
        .await;
    assert_error(st, &v, 400, "invalid");
    let (st, v) = admin
        .call(Method::GET, "/api/admin/outbox?status=lost", None)
        .await;
    assert_error(st, &v, 400, "invalid");
    // Members may not see or change company channels, nor a project they do not manage.
    let (st, v) = bob.call(Method::GET, "/api/admin/delivery", None).await;
    assert_error(st, &v, 403, "forbidden");
    let (st, v) = bob.call(Method::GET, "/api/admin/outbox", None).await;
    assert_error(st, &v, 403, "forbidden");
    let (st, v) = bob
        .call(
            Method::PUT,
            &format!("/api/projects/{p}/webhook"),
            Some(json!({"webhook": null})),
        )
        .await;
    assert_error(st, &v, 403, "forbidden");
    // Nothing was saved by the refused requests.
    let v = admin.get("/api/admin/delivery").await;
    assert_eq!(v, json!({"smtp": null, "webhooks": []}));
    // A user's own webhook, with a write-only secret.
    let (st, v) = bob
        .call(Method::PUT, "/api/me/webhook", Some(json!({"webhook": {"kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=t", "secret": "SECme"}})))
        .await;
    assert_eq!(st, reqwest::StatusCode::OK, "{v}");
    assert_eq!(v["webhook"]["secret_set"], true);
    assert!(!bob
        .get("/api/me/webhook")
        .await
        .to_string()
        .contains("SECme"));
    // Every delivery endpoint is in the OpenAPI document.
    let doc = bob.get("/api/openapi.json").await;
    for path in [
        "/api/admin/delivery",
        "/api/admin/delivery/test",
        "/api/admin/outbox",
        "/api/admin/outbox/{id}/retry",
        "/api/projects/{id}/webhook",
        "/api/me/webhook",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_group_webhook_gets_one_card_per_event_not_per_recipient() {
    let r = receiver().await;
    let s = TestServer::start_with(config("")).await;
    let admin = s.admin().await;
    let (bob, bob_id) = member(&s, &admin, "bob", "en").await;
    let (_ann, ann_id) = member(&s, &admin, "ann", "en").await;
    let (_cy, cy_id) = member(&s, &admin, "cy", "en").await;
    admin
        .call(
            Method::PUT,
            "/api/admin/delivery",
            Some(json!({"smtp": null, "webhooks": [{"name": "all", "kind": "generic", "url": format!("{}/hook/all", r.url)}]})),
        )
        .await;
    let p = project(&admin, &[bob_id, ann_id, cy_id]).await;
    let t = admin
        .post(
            &format!("/api/projects/{p}/tasks"),
            json!({"kind": "simple", "title": "Pack", "watchers": [ann_id, cy_id], "nodes": [{"handler_id": bob_id, "action": "pack"}]}),
        )
        .await;
    let rev = t["rev"].as_u64().unwrap();
    let id = t["id"].as_u64().unwrap();
    bob.post(&format!("/api/tasks/{id}/complete"), json!({"rev": rev}))
        .await;
    // The creator and two watchers are told it is finished: three inbox messages…
    until("two cards", || (r.hits().len() >= 2).then_some(())).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    // …one card per event for the group.
    let mut events: Vec<String> = r
        .hits()
        .iter()
        .map(|h| h.json()["event"].as_str().unwrap().to_string())
        .collect();
    events.sort();
    assert_eq!(events, vec!["assigned", "finished"]);
}
