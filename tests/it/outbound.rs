//! Requests Baton makes on someone's behalf (webhooks, news feeds, the mail server) go
//! only to public addresses and the internal ranges `[network] allow_private` lists:
//! refused on save, at send and on every redirect, and members never learn how a
//! connection failed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode as AxStatus;
use axum::response::IntoResponse;
use baton::config::{FileConfig, FileNetwork};
use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::*;

/// Every spelling of an internal address a member might try.
const INTERNAL_URLS: &[&str] = &[
    "http://127.0.0.1:6379/",
    "http://127.0.0.2/",
    "http://[::1]:8080/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://127.1/",
    "http://127.0.0.1./",
    "http://localhost:9000/",
    "http://LOCALHOST./",
    "http://api.localhost/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://0.0.0.0:8080/",
    "http://10.0.0.5/",
    "http://172.16.3.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://224.0.0.1/",
];

fn allow_loopback(extra_delivery: &str) -> FileConfig {
    let mut f: FileConfig = toml::from_str(&format!(
        "[delivery]\ninterval = \"100ms\"\ntimeout = \"700ms\"\nretry_base = \"300ms\"\nmax_attempts = 1\n{extra_delivery}"
    ))
    .unwrap();
    f.network = Some(FileNetwork {
        allow_private: vec!["127.0.0.1/32".into()],
    });
    f
}

fn strict() -> FileConfig {
    toml::from_str("[delivery]\ninterval = \"100ms\"\ntimeout = \"700ms\"\nmax_attempts = 1\n")
        .unwrap()
}

fn message(v: &Value) -> String {
    v["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_internal_addresses_refused_on_save() {
    let s = TestServer::start_with(strict()).await;
    let admin = s.admin().await;
    let (bob, _) = s.user(&admin, "bob", "member", None).await;
    let p = admin
        .post("/api/projects", json!({"name": "Warehouse", "members": []}))
        .await["id"]
        .as_u64()
        .unwrap();
    for url in INTERNAL_URLS {
        let (st, v) = bob
            .call(
                Method::PUT,
                "/api/me/webhook",
                Some(json!({"webhook": {"kind": "generic", "url": url}})),
            )
            .await;
        assert_error(st, &v, 400, "invalid");
        assert!(
            message(&v).contains("does not connect to internal addresses"),
            "{url}: {v}"
        );
        let (st, v) = admin
            .call(
                Method::PUT,
                &format!("/api/projects/{p}/webhook"),
                Some(json!({"webhook": {"kind": "wecom", "url": url}})),
            )
            .await;
        assert_error(st, &v, 400, "invalid");
        let (st, v) = admin
            .call(
                Method::PUT,
                "/api/admin/delivery",
                Some(json!({"smtp": null, "webhooks": [{"name": "ops", "kind": "slack", "url": url}]})),
            )
            .await;
        assert_error(st, &v, 400, "invalid");
        let (st, v) = admin
            .call(Method::POST, "/api/news/feeds", Some(json!({"url": url})))
            .await;
        assert_error(st, &v, 400, "invalid");
        assert!(message(&v).contains("internal addresses"), "{url}: {v}");
    }
    // The mail server host is not a URL: its odd spellings are caught all the same.
    for host in [
        "127.0.0.1",
        "localhost",
        "2130706433",
        "0x7f.1",
        "127.0.0.1.",
        "[::1]",
        "::1",
        "169.254.169.254",
        "10.1.1.1",
    ] {
        let (st, v) = admin
            .call(
                Method::PUT,
                "/api/admin/delivery",
                Some(json!({"smtp": {"host": host, "port": 25, "tls": "none", "from": "noreply@b.example"}})),
            )
            .await;
        assert_error(st, &v, 400, "invalid");
        assert!(message(&v).contains("allow_private"), "{host}: {v}");
    }
    // Nothing refused was saved; public-looking addresses are fine (checked again,
    // resolved, when something is sent).
    assert_eq!(bob.get("/api/me/webhook").await["webhook"], Value::Null);
    assert_eq!(
        admin.get("/api/admin/delivery").await,
        json!({"smtp": null, "webhooks": []})
    );
    let (st, v) = bob
        .call(
            Method::PUT,
            "/api/me/webhook",
            Some(json!({"webhook": {"kind": "slack", "url": "https://hooks.example.com/services/x"}})),
        )
        .await;
    assert_eq!(st, reqwest::StatusCode::OK, "{v}");
    let (st, v) = admin
        .call(
            Method::PUT,
            "/api/admin/delivery",
            Some(json!({"smtp": {"host": "smtp.example.com", "port": 587, "tls": "starttls", "from": "noreply@b.example"}})),
        )
        .await;
    assert_eq!(st, reqwest::StatusCode::OK, "{v}");
    s.stop().await;
}

/// A loopback receiver: `/ok` answers 200, `/hang` never, `/redirect` sends to `/ok`.
struct Receiver {
    url: String,
    hits: Arc<AtomicUsize>,
}

async fn receiver() -> Receiver {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let app = axum::Router::new()
        .route(
            "/ok",
            axum::routing::post(move || {
                h.fetch_add(1, Ordering::SeqCst);
                async { "{}" }
            }),
        )
        .route(
            "/hang",
            axum::routing::post(|| async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                "late"
            }),
        )
        .route(
            "/redirect",
            axum::routing::post(|| async {
                (AxStatus::TEMPORARY_REDIRECT, [("location", "/ok")]).into_response()
            }),
        );
    tokio::spawn(async move {
        axum::serve(l, app).await.unwrap();
    });
    Receiver { url, hits }
}

fn dead_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

async fn set_my_hook(c: &Client, url: &str) {
    let (st, v) = c
        .call(
            Method::PUT,
            "/api/me/webhook",
            Some(json!({"webhook": {"kind": "generic", "url": url}})),
        )
        .await;
    assert_eq!(st, reqwest::StatusCode::OK, "{url}: {v}");
}

async fn test_me(c: &Client) -> Value {
    c.post("/api/admin/delivery/test", json!({"channel": "me"}))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_allow_private_honoured_and_no_port_oracle_for_members() {
    let r = receiver().await;
    let dead = dead_port();
    let s = TestServer::start_with(allow_loopback("")).await;
    let admin = s.admin().await;
    let (bob, _) = s.user(&admin, "bob", "member", None).await;

    // Listed: 127.0.0.1 is reachable. Not listed: other loopback addresses.
    set_my_hook(&bob, &format!("{}/ok", r.url)).await;
    let v = test_me(&bob).await;
    assert_eq!(v, json!({"ok": true, "error": null}));
    assert_eq!(r.hits.load(Ordering::SeqCst), 1);
    let port = r.url.rsplit(':').next().unwrap();
    for url in [
        format!("http://[::1]:{port}/ok"),
        format!("http://127.0.0.2:{port}/ok"),
        format!("http://2130706434:{port}/ok"),
        format!("http://[::ffff:127.0.0.2]:{port}/ok"),
    ] {
        let (st, v) = bob
            .call(
                Method::PUT,
                "/api/me/webhook",
                Some(json!({"webhook": {"kind": "generic", "url": url}})),
            )
            .await;
        assert_error(st, &v, 400, "invalid");
    }

    // A closed port and a port that never answers look the same to a member.
    let mut answers = Vec::new();
    for url in [
        format!("http://127.0.0.1:{dead}/x"),
        format!("{}/hang", r.url),
    ] {
        set_my_hook(&bob, &url).await;
        let v = test_me(&bob).await;
        assert_eq!(v["ok"], false, "{v}");
        answers.push(v["error"].as_str().unwrap().to_string());
    }
    assert_eq!(
        answers,
        vec!["could not deliver to that address"; 2],
        "no port oracle"
    );
    // Webhooks do not follow redirects: the 3xx is the answer.
    set_my_hook(&bob, &format!("{}/redirect", r.url)).await;
    let v = test_me(&bob).await;
    assert_eq!(v["ok"], false, "{v}");
    assert!(v["error"].as_str().unwrap().contains("307"), "{v}");
    assert_eq!(r.hits.load(Ordering::SeqCst), 1, "redirect not followed");

    // A department admin testing a project's group webhook is told no more.
    let dept = admin.post("/api/departments", json!({"name": "Ops"})).await["id"]
        .as_u64()
        .unwrap();
    let (dana, _) = s.user(&admin, "dana", "department_admin", Some(dept)).await;
    let p = dana
        .post(
            "/api/projects",
            json!({"name": "Restock", "department_id": dept, "members": []}),
        )
        .await["id"]
        .as_u64()
        .unwrap();
    let (st, v) = dana
        .call(
            Method::PUT,
            &format!("/api/projects/{p}/webhook"),
            Some(
                json!({"webhook": {"kind": "wecom", "url": format!("http://127.0.0.1:{dead}/x")}}),
            ),
        )
        .await;
    assert_eq!(st, reqwest::StatusCode::OK, "{v}");
    let v = dana
        .post(
            "/api/admin/delivery/test",
            json!({"channel": "project", "project_id": p}),
        )
        .await;
    assert_eq!(v["error"], "could not deliver to that address", "{v}");

    // The company admin sees the detail (and so does the log).
    let (st, v) = admin
        .call(
            Method::PUT,
            "/api/admin/delivery",
            Some(json!({
                "smtp": {"host": "127.0.0.1", "port": dead, "tls": "none", "from": "noreply@b.example"},
                "webhooks": [{"name": "dead", "kind": "slack", "url": format!("http://127.0.0.1:{dead}/x")}],
            })),
        )
        .await;
    assert_eq!(st, reqwest::StatusCode::OK, "{v}");
    let v = admin
        .post(
            "/api/admin/delivery/test",
            json!({"channel": "webhook", "name": "dead"}),
        )
        .await;
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("webhook request failed"),
        "{v}"
    );

    // Saved while allowed, refused at send once the range is no longer listed.
    set_my_hook(&bob, &format!("{}/ok", r.url)).await;
    let data = s.data.clone();
    let guard = s.stop().await;
    let s = TestServer::start_in(&data, strict()).await;
    let admin = s.admin().await;
    let mut bob = s.client();
    bob.login("bob", "password-123").await;
    let v = test_me(&bob).await;
    assert_eq!(v["ok"], false, "{v}");
    let e = v["error"].as_str().unwrap();
    assert!(e.contains("does not send to internal"), "{v}");
    assert!(
        !e.contains("127.0.0.1"),
        "members are not told the address: {v}"
    );
    assert_eq!(r.hits.load(Ordering::SeqCst), 1, "nothing sent");
    let v = admin
        .post(
            "/api/admin/delivery/test",
            json!({"channel": "email", "to": "me@b.example"}),
        )
        .await;
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1 is a loopback address"),
        "{v}"
    );
    s.stop().await;
    drop(guard);
}

/// A feed served on `addr`, counting its requests.
async fn feed_on(addr: &str) -> (String, Arc<AtomicUsize>) {
    let l = tokio::net::TcpListener::bind(addr).await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let app = axum::Router::new().route(
        "/good.xml",
        axum::routing::get(move || {
            h.fetch_add(1, Ordering::SeqCst);
            async {
                (
                    [("content-type", "application/rss+xml")],
                    r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Internal</title><item><guid>i1</guid><title>secret</title></item></channel></rss>"#,
                )
            }
        }),
    );
    tokio::spawn(async move {
        axum::serve(l, app).await.unwrap();
    });
    (base, hits)
}

async fn redirector(targets: Vec<(&'static str, String)>) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    let mut app = axum::Router::new();
    for (path, to) in targets {
        app = app.route(
            path,
            axum::routing::get(move || {
                let to = to.clone();
                async move { (AxStatus::FOUND, [("location", to)]).into_response() }
            }),
        );
    }
    tokio::spawn(async move {
        axum::serve(l, app).await.unwrap();
    });
    base
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_feed_redirects_checked_at_every_hop() {
    // Live feeds on addresses outside the allowed 127.0.0.1/32: without the check on
    // each hop, the redirects below would fetch them.
    let (v6, v6_hits) = feed_on("[::1]:0").await;
    let (lo2, lo2_hits) = feed_on("127.0.0.2:0").await;
    let (lo1, lo1_hits) = feed_on("127.0.0.1:0").await;
    let lo2_port = lo2.rsplit(':').next().unwrap().to_string();
    let base = redirector(vec![
        ("/to-v6", format!("{v6}/good.xml")),
        ("/to-127-2", format!("{lo2}/good.xml")),
        (
            "/to-decimal",
            format!("http://2130706434:{lo2_port}/good.xml"),
        ),
        ("/to-allowed", format!("{lo1}/good.xml")),
        ("/twice", "/to-v6".to_string()),
    ])
    .await;
    let mut f = allow_loopback("");
    f.news = Some(baton::config::FileNews {
        interval: Some(Duration::ZERO),
        timeout: Some(Duration::from_secs(2)),
        max_kb: None,
    });
    let s = TestServer::start_with(f).await;
    let admin = s.admin().await;
    let ok = admin
        .post(
            "/api/news/feeds",
            json!({"url": format!("{base}/to-allowed")}),
        )
        .await;
    assert!(ok["last_error"].is_null(), "redirects are followed: {ok}");
    assert_eq!(ok["title"], "Internal");
    assert_eq!(lo1_hits.load(Ordering::SeqCst), 1);
    for path in ["/to-v6", "/to-127-2", "/to-decimal", "/twice"] {
        let v = admin
            .post("/api/news/feeds", json!({"url": format!("{base}{path}")}))
            .await;
        let e = v["last_error"].as_str().unwrap_or_default();
        assert!(
            e.contains("address refused") && e.contains("loopback"),
            "{path}: {v}"
        );
    }
    assert_eq!(v6_hits.load(Ordering::SeqCst), 0);
    assert_eq!(lo2_hits.load(Ordering::SeqCst), 0);
    s.stop().await;
}
