//! Announcements, feedback, news feeds, avatar and preferences through the API.

use std::time::Duration;

use baton::config::{FileConfig, FileNetwork, FileNews};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn announcements_are_unread_until_read_and_scripts_are_inert() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let (m, _) = s.user(&admin, "mia", "member", None).await;
    let (st, body) = m
        .call(
            Method::POST,
            "/api/announcements",
            Some(json!({"title": "x", "body": "y"})),
        )
        .await;
    assert_error(st, &body, 403, "forbidden");
    let a = admin
        .post(
            "/api/announcements",
            json!({"title": "Holiday", "body": "**Closed** <script>alert(1)</script><img src=x onerror=alert(1)>", "pinned": true}),
        )
        .await;
    let html = a["body_html"].as_str().unwrap();
    assert!(html.contains("<strong>Closed</strong>"));
    assert!(
        !html.contains("<script") && !html.contains("onerror"),
        "{html}"
    );
    let d = m.get("/api/me/dashboard").await;
    assert_eq!(d["unread_announcements"].as_array().unwrap().len(), 1);
    let inbox = m.get("/api/inbox").await;
    assert!(
        inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["kind"] == "announcement"),
        "{inbox}"
    );
    let list = m.get("/api/announcements").await;
    assert_eq!(list["items"][0]["read"], false);
    assert_eq!(list["items"][0]["pinned"], true);
    m.post(&format!("/api/announcements/{}/read", a["id"]), json!({}))
        .await;
    assert_eq!(m.get("/api/announcements").await["items"][0]["read"], true);
    assert!(m.get("/api/me/dashboard").await["unread_announcements"]
        .as_array()
        .unwrap()
        .is_empty());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedback_thread_with_inbox_message_at_each_reply() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let (m, _) = s.user(&admin, "mia", "member", None).await;
    let (other, _) = s.user(&admin, "olaf", "member", None).await;
    let (st, body) = m
        .call(
            Method::POST,
            "/api/feedback",
            Some(json!({"kind": "question", "title": "", "body": "x"})),
        )
        .await;
    assert_error(st, &body, 400, "invalid");
    let f = m
        .post(
            "/api/feedback",
            json!({"kind": "question", "title": "How do I export?", "body": "Where is the <script>alert(1)</script> button?"}),
        )
        .await;
    assert!(!f["body_html"].as_str().unwrap().contains("<script"));
    assert_eq!(f["status"], "open");
    let id = f["id"].as_u64().unwrap();
    // Others do not see it.
    assert!(other.get("/api/feedback").await["items"]
        .as_array()
        .unwrap()
        .is_empty());
    let (st, _) = other
        .call(Method::GET, &format!("/api/feedback/{id}"), None)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // Admin sees and answers; the author is told.
    let all = admin.get("/api/feedback").await;
    assert_eq!(all["admin"], true);
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
    let f = admin
        .post(
            &format!("/api/feedback/{id}/replies"),
            json!({"body": "On the **Statistics** page <script>x</script>"}),
        )
        .await;
    assert_eq!(f["status"], "answered");
    assert!(!f["replies"][0]["body_html"]
        .as_str()
        .unwrap()
        .contains("<script"));
    let kinds: Vec<String> = m.get("/api/inbox").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "feedback").count(), 1);
    m.post(
        &format!("/api/feedback/{id}/replies"),
        json!({"body": "thanks, one more"}),
    )
    .await;
    admin
        .post(
            &format!("/api/feedback/{id}/replies"),
            json!({"body": "sure"}),
        )
        .await;
    let kinds: Vec<String> = m.get("/api/inbox").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "feedback").count(), 2);
    // Members may only close; admins set any status.
    let (st, _) = m
        .call(
            Method::PUT,
            &format!("/api/feedback/{id}/status"),
            Some(json!({"status": "answered"})),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, f) = admin
        .call(
            Method::PUT,
            &format!("/api/feedback/{id}/status"),
            Some(json!({"status": "closed"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(f["status"], "closed");
    s.stop().await;
}

async fn feed_server() -> String {
    use axum::routing::get;
    let good = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Seller news</title>
<item><guid>n1</guid><title>Fees change</title><link>https://example.com/n1</link><description>Marketplace fees rise in &lt;b&gt;March&lt;/b&gt;</description></item>
<item><guid>n2</guid><title>Holiday shipping</title><link>https://example.com/n2</link></item>
</channel></rss>"#;
    let big = format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Big</title><description>{}</description></channel></rss>", "x".repeat(8 * 1024));
    let app = axum::Router::new()
        .route(
            "/good.xml",
            get(move || async move { ([("content-type", "application/rss+xml")], good) }),
        )
        .route(
            "/html",
            get(|| async { "<html><body>not a feed</body></html>" }),
        )
        .route(
            "/big.xml",
            get(move || {
                let b = big.clone();
                async move { b }
            }),
        )
        .route(
            "/hang",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "late"
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_fetch_with_errors_kept_per_feed() {
    let base = feed_server().await;
    let s = TestServer::start_with(FileConfig {
        news: Some(FileNews {
            interval: Some(Duration::ZERO),
            timeout: Some(Duration::from_secs(1)),
            max_kb: Some(4),
        }),
        // The feed server is on loopback.
        network: Some(FileNetwork {
            allow_private: vec!["127.0.0.1/32".into()],
        }),
        ..Default::default()
    })
    .await;
    let admin = s.admin().await;
    let (m, _) = s.user(&admin, "mia", "member", None).await;
    let (st, _) = m
        .call(
            Method::POST,
            "/api/news/feeds",
            Some(json!({"url": format!("{base}/good.xml")})),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, body) = admin
        .call(
            Method::POST,
            "/api/news/feeds",
            Some(json!({"url": "file:///etc/passwd"})),
        )
        .await;
    assert_error(st, &body, 400, "invalid");
    let good = admin
        .post(
            "/api/news/feeds",
            json!({"url": format!("{base}/good.xml")}),
        )
        .await;
    assert!(good["last_error"].is_null(), "{good}");
    assert_eq!(good["title"], "Seller news");
    let html = admin
        .post("/api/news/feeds", json!({"url": format!("{base}/html")}))
        .await;
    assert!(
        html["last_error"]
            .as_str()
            .unwrap()
            .contains("not an RSS or Atom feed"),
        "{html}"
    );
    let big = admin
        .post("/api/news/feeds", json!({"url": format!("{base}/big.xml")}))
        .await;
    assert!(
        big["last_error"].as_str().unwrap().contains("larger than"),
        "{big}"
    );
    let hang = admin
        .post("/api/news/feeds", json!({"url": format!("{base}/hang")}))
        .await;
    assert!(
        hang["last_error"].as_str().unwrap().contains("within"),
        "{hang}"
    );
    // Fetching the good one again adds nothing twice; the errors stay on their feeds.
    let again = admin
        .post(&format!("/api/news/feeds/{}/fetch", good["id"]), json!({}))
        .await;
    assert!(again["last_error"].is_null());
    let feeds = admin.get("/api/news/feeds").await;
    let errors = feeds["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["last_error"].is_null())
        .count();
    assert_eq!(errors, 3, "{feeds}");
    let items = m.get("/api/news").await;
    let items = items["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items
        .iter()
        .all(|i| !i["summary"].as_str().unwrap().contains('<')));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn avatar_limits_and_preferences() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let (m, id) = s.user(&admin, "mia", "member", None).await;
    let upload = |bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("a.png"),
        );
        m.request(Method::POST, "/api/me/avatar")
            .multipart(form)
            .send()
    };
    // Not an image (an SVG with script, named .png), and too large: 400, nothing stored.
    let r = upload(b"<svg onload=alert(1)></svg>".to_vec())
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
    big.resize(1024 * 1024 + 1, 0);
    let r = upload(big).await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let (st, _) = m
        .call(Method::GET, &format!("/api/users/{id}/avatar"), None)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(!s.data.join("uploads/avatars").join(id.to_string()).exists());
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let r = upload(png.clone()).await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = admin
        .request(Method::GET, &format!("/api/users/{id}/avatar"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.unwrap().to_vec(), png);

    let p = m.get("/api/me/preferences").await;
    assert_eq!(p["events"]["assigned"]["inbox"], true);
    let (st, p) = m
        .call(
            Method::PUT,
            "/api/me/preferences",
            Some(json!({"events": {"urged": {"inbox": true, "email": true}}})),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(p["events"]["urged"]["email"], true);
    assert_eq!(
        m.get("/api/me/preferences").await["events"]["urged"]["email"],
        true
    );
    let (st, body) = m
        .call(
            Method::PUT,
            "/api/me/preferences",
            Some(json!({"events": {"nonsense": {"inbox": true, "email": true}}})),
        )
        .await;
    assert_error(st, &body, 400, "invalid");

    // My ERP: company admins only.
    let e = admin.get("/api/erp/status").await;
    assert!(e["tokens"].is_array() && e["last_records"].is_array());
    let (st, _) = m.call(Method::GET, "/api/erp/status", None).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedback_attachments_are_private_and_limited() {
    use reqwest::multipart::{Form, Part};
    let s = TestServer::start_with(toml::from_str("attachment_max_mb = 1").unwrap()).await;
    let admin = s.admin().await;
    let (m, _) = s.user(&admin, "mia", "member", None).await;
    let (other, _) = s.user(&admin, "olaf", "member", None).await;
    let f = m
        .post(
            "/api/feedback",
            json!({"kind": "problem", "title": "Export breaks", "body": "see screenshot"}),
        )
        .await;
    let url = format!("/api/feedback/{}/attachments", f["id"]);
    let form = Form::new().part(
        "file",
        Part::bytes(b"PNGDATA".to_vec()).file_name("screen.png"),
    );
    let resp = m
        .request(Method::POST, &url)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let att: serde_json::Value = resp.json().await.unwrap();
    let got = admin
        .request(Method::GET, &format!("{url}/{}", att["id"]))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.text().await.unwrap(), "PNGDATA");
    assert_eq!(
        admin.get(&format!("/api/feedback/{}", f["id"])).await["attachments"][0]["name"],
        "screen.png"
    );
    let form = Form::new().part("file", Part::bytes(b"x".to_vec()).file_name("x.txt"));
    let resp = other
        .request(Method::POST, &url)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404, "someone else's item");
    let resp = other
        .request(Method::GET, &format!("{url}/{}", att["id"]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let form = Form::new().part(
        "file",
        Part::bytes(vec![0u8; 1024 * 1024 + 1]).file_name("big.bin"),
    );
    let resp = m
        .request(Method::POST, &url)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    assert_eq!(
        m.get(&format!("/api/feedback/{}", f["id"])).await["attachments"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    s.stop().await;
}
