//! Web Push end to end: a stand-in push service on 127.0.0.1 receives Baton's
//! requests, checks the VAPID header (ES256 over header.claims with the key in `k=`,
//! `aud` the endpoint's origin, `exp` ahead) and decrypts the body with the browser
//! keys made here by `ece` (OpenSSL: an implementation independent of Baton's).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode as AxStatus};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use baton::config::FileConfig;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::harness::*;

fn config() -> FileConfig {
    toml::from_str(
        "public_url = \"https://baton.example/\"\n[network]\nallow_private = [\"127.0.0.1/32\"]\n[delivery]\ninterval = \"100ms\"\ntimeout = \"2s\"\nretry_base = \"300ms\"\nmax_attempts = 3\n",
    )
    .unwrap()
}

#[derive(Clone)]
struct Hit {
    headers: HeaderMap,
    body: Vec<u8>,
    status: u16,
}

/// The push service: `/push/{name}` answers what `script` says for that name (one
/// status per request, the last one repeated; 201 when unscripted).
#[derive(Clone, Default)]
struct PushService {
    origin: String,
    hits: Arc<Mutex<HashMap<String, Vec<Hit>>>>,
    script: Arc<Mutex<HashMap<String, Vec<u16>>>>,
}

async fn receive(
    State(p): State<PushService>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AxStatus {
    let mut hits = p.hits.lock().unwrap();
    let seen = hits.entry(name.clone()).or_default();
    let status = p
        .script
        .lock()
        .unwrap()
        .get(&name)
        .and_then(|s| s.get(seen.len()).or(s.last()).copied())
        .unwrap_or(201);
    seen.push(Hit {
        headers,
        body: body.to_vec(),
        status,
    });
    AxStatus::from_u16(status).unwrap()
}

async fn push_service() -> PushService {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let p = PushService {
        origin: format!("http://{}", l.local_addr().unwrap()),
        ..Default::default()
    };
    let app = axum::Router::new()
        .route("/push/{name}", axum::routing::post(receive))
        .with_state(p.clone());
    tokio::spawn(async move {
        axum::serve(l, app).await.unwrap();
    });
    p
}

impl PushService {
    fn hits(&self, name: &str) -> Vec<Hit> {
        self.hits
            .lock()
            .unwrap()
            .get(name)
            .cloned()
            .unwrap_or_default()
    }
}

/// A browser: its push keys, made by `ece`.
struct Browser {
    keys: Box<dyn ece::LocalKeyPair>,
    auth: [u8; 16],
}

impl Browser {
    fn new() -> Browser {
        let (keys, auth) = ece::generate_keypair_and_auth_secret().unwrap();
        Browser { keys, auth }
    }
    fn subscription(&self, endpoint: &str, label: &str) -> Value {
        json!({
            "endpoint": endpoint,
            "expirationTime": null,
            "keys": {
                "p256dh": URL_SAFE_NO_PAD.encode(self.keys.pub_as_raw().unwrap()),
                "auth": URL_SAFE_NO_PAD.encode(self.auth),
            },
            "label": label,
        })
    }
    fn decrypt(&self, body: &[u8]) -> Value {
        let plain = ece::decrypt(&self.keys.raw_components().unwrap(), &self.auth, body).unwrap();
        serde_json::from_slice(&plain).unwrap()
    }
}

/// Checks the request as a push service does (RFC 8292 §2–3) and returns the claims.
fn check_vapid(hit: &Hit, server_key: &str, origin: &str) -> Value {
    let h = |name: &str| hit.headers.get(name).unwrap().to_str().unwrap().to_string();
    assert_eq!(h("content-encoding"), "aes128gcm");
    assert!(h("ttl").parse::<u32>().unwrap() > 0);
    let auth = h("authorization");
    let rest = auth.strip_prefix("vapid t=").expect(&auth);
    let (jwt, k) = rest.split_once(", k=").expect(&auth);
    assert_eq!(k, server_key, "k= is the key the UI was given");
    let (input, sig) = jwt.rsplit_once('.').unwrap();
    let (head, claims) = input.split_once('.').unwrap();
    let head: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(head).unwrap()).unwrap();
    assert_eq!(head["alg"], "ES256");
    let vk = VerifyingKey::from_sec1_bytes(&URL_SAFE_NO_PAD.decode(k).unwrap()).unwrap();
    let sig = Signature::from_slice(&URL_SAFE_NO_PAD.decode(sig).unwrap()).unwrap();
    vk.verify(input.as_bytes(), &sig)
        .expect("the JWT is signed by k");
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
    assert_eq!(claims["aud"], origin);
    let now = chrono::Utc::now().timestamp();
    let exp = claims["exp"].as_i64().unwrap();
    assert!(exp > now && exp <= now + 24 * 3600, "{claims}");
    assert_eq!(claims["sub"], "https://baton.example");
    claims
}

async fn until<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    for _ in 0..150 {
        if let Some(v) = f() {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn member(s: &TestServer, admin: &Client, name: &str, lang: &str) -> (Client, u64) {
    let (st, body) = admin
        .call(
            Method::POST,
            "/api/users",
            Some(json!({"username": name, "password": "password-123", "language": lang})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    let mut c = s.client();
    c.login(name, "password-123").await;
    (c, body["id"].as_u64().unwrap())
}

async fn assign(admin: &Client, handler: u64, title: &str) -> u64 {
    let p = admin
        .post(
            "/api/projects",
            json!({"name": format!("P {title}"), "members": [handler]}),
        )
        .await["id"]
        .as_u64()
        .unwrap();
    admin
        .post(
            &format!("/api/projects/{p}/tasks"),
            json!({"kind": "simple", "title": title, "nodes": [{"handler_id": handler, "action": "pack"}]}),
        )
        .await["id"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn web_push_encrypted_signed_retried_and_gone_devices_forgotten() {
    let push = push_service().await;
    push.script
        .lock()
        .unwrap()
        .insert("flaky".into(), vec![500, 201]);
    push.script.lock().unwrap().insert("gone".into(), vec![410]);
    let s = TestServer::start_with(config()).await;
    let admin = s.admin().await;
    let (ann, ann_id) = member(&s, &admin, "ann", "zh-CN").await;

    let view = ann.get("/api/me/push").await;
    let server_key = view["public_key"].as_str().unwrap().to_string();
    assert_eq!(URL_SAFE_NO_PAD.decode(&server_key).unwrap().len(), 65);
    assert_eq!(view["devices"], json!([]));

    let (phone, flaky, gone) = (Browser::new(), Browser::new(), Browser::new());
    for (b, name, label) in [
        (&phone, "phone", "Phone"),
        (&flaky, "flaky", "Tablet"),
        (&gone, "gone", "Old laptop"),
    ] {
        let endpoint = format!("{}/push/{name}", push.origin);
        let (st, v) = ann
            .call(
                Method::POST,
                "/api/me/push/devices",
                Some(b.subscription(&endpoint, label)),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        assert_eq!(v["label"], label);
    }
    assert_eq!(
        ann.get("/api/me/push").await["devices"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    let task = assign(&admin, ann_id, "补货 SKU-1").await;

    // The phone: one request, signed, decrypting to the notice in Ann's language.
    let hit = until("the phone's push", || push.hits("phone").first().cloned()).await;
    check_vapid(&hit, &server_key, &push.origin);
    assert_eq!(
        phone.decrypt(&hit.body),
        json!({
            "title": "任务已分配给你",
            "body": "任务: 补货 SKU-1",
            "url": format!("/tasks/{task}"),
            "tag": format!("baton-task-{task}"),
        })
    );

    // The tablet's push service answered 500 once: retried, then delivered.
    let hits = until("the retried push", || {
        Some(push.hits("flaky")).filter(|h| h.len() == 2)
    })
    .await;
    assert_eq!((hits[0].status, hits[1].status), (500, 201));
    assert_eq!(
        flaky.decrypt(&hits[1].body)["url"],
        format!("/tasks/{task}")
    );

    // The laptop's browser unsubscribed (410): forgotten, the notice not retried.
    until("the gone device's push", || {
        Some(()).filter(|_| !push.hits("gone").is_empty())
    })
    .await;
    let mut labels = Vec::new();
    for _ in 0..50 {
        let v = ann.get("/api/me/push").await;
        labels = v["devices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["label"].as_str().unwrap().to_string())
            .collect();
        if labels.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(labels, ["Phone", "Tablet"]);
    let failed = admin.get("/api/admin/outbox?status=failed").await;
    let items = failed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{failed}");
    assert_eq!(items[0]["target"]["type"], "web_push");
    assert_eq!(items[0]["attempts"], 1, "not retried: {failed}");
    assert!(
        items[0]["last_error"].as_str().unwrap().contains("410"),
        "{failed}"
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(push.hits("gone").len(), 1);
    assert_eq!(push.hits("phone").len(), 1, "each device once");

    // "Send a test" to the phone; then removing it stops pushes there.
    let phone_id = ann.get("/api/me/push").await["devices"][0]["id"]
        .as_u64()
        .unwrap();
    let r = ann
        .post(&format!("/api/me/push/devices/{phone_id}/test"), json!({}))
        .await;
    assert_eq!(r["ok"], true, "{r}");
    let test = push.hits("phone").last().cloned().unwrap();
    check_vapid(&test, &server_key, &push.origin);
    assert_eq!(phone.decrypt(&test.body)["body"], "任务: Baton 测试通知");
    let (st, _) = ann
        .call(
            Method::DELETE,
            &format!("/api/me/push/devices/{phone_id}"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, v) = ann
        .call(
            Method::DELETE,
            &format!("/api/me/push/devices/{phone_id}"),
            None,
        )
        .await;
    assert_error(st, &v, 404, "not_found");
    assign(&admin, ann_id, "Count pallets").await;
    until("the tablet's second push", || {
        Some(()).filter(|_| push.hits("flaky").len() == 3)
    })
    .await;
    assert_eq!(push.hits("phone").len(), 2, "removed: no more pushes");
}

#[tokio::test]
async fn web_push_bad_subscriptions_are_400_and_devices_are_private() {
    let s = TestServer::start_with(config()).await;
    let admin = s.admin().await;
    let (ann, _) = member(&s, &admin, "ann", "en").await;
    let (bob, _) = member(&s, &admin, "bob", "en").await;
    let b = Browser::new();
    let good = b.subscription("https://push.example/abc", "Phone");
    let with = |f: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        f(&mut v);
        v
    };
    let cases: Vec<(&str, Value)> = vec![
        (
            "plain http",
            with(&|v| v["endpoint"] = json!("http://push.example/abc")),
        ),
        ("not a URL", with(&|v| v["endpoint"] = json!("push"))),
        (
            "internal address",
            with(&|v| v["endpoint"] = json!("https://10.0.0.1/abc")),
        ),
        ("short key", with(&|v| v["keys"]["p256dh"] = json!("BAAA"))),
        (
            "not a point",
            with(&|v| v["keys"]["p256dh"] = json!(URL_SAFE_NO_PAD.encode([4u8; 65]))),
        ),
        ("short auth", with(&|v| v["keys"]["auth"] = json!("AAAA"))),
        ("no keys", json!({"endpoint": "https://push.example/abc"})),
        ("long label", with(&|v| v["label"] = json!("x".repeat(81)))),
    ];
    for (what, body) in cases {
        let (st, v) = ann
            .call(Method::POST, "/api/me/push/devices", Some(body))
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{what}: {v}");
        assert!(v["error"]["message"].is_string(), "{what}: {v}");
    }
    let (st, v) = ann
        .call(Method::POST, "/api/me/push/devices", Some(good))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let id = v["id"].as_u64().unwrap();
    // Bob can neither see, test nor remove Ann's device.
    assert_eq!(bob.get("/api/me/push").await["devices"], json!([]));
    let (st, _) = bob
        .call(
            Method::POST,
            &format!("/api/me/push/devices/{id}/test"),
            Some(json!({})),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = bob
        .call(Method::DELETE, &format!("/api/me/push/devices/{id}"), None)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = s.client().call(Method::GET, "/api/me/push", None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // Every member gets the same server key.
    assert_eq!(
        ann.get("/api/me/push").await["public_key"],
        bob.get("/api/me/push").await["public_key"]
    );
}

/// The key and the devices survive a backup and restore: browsers bound their
/// subscriptions to that public key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_push_key_and_devices_are_in_backups() {
    let s = TestServer::start_with(config()).await;
    let admin = s.admin().await;
    let b = Browser::new();
    admin
        .post(
            "/api/me/push/devices",
            b.subscription("https://push.example/abc", "Phone"),
        )
        .await;
    let before = admin.get("/api/me/push").await;
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("b.baton-backup.gz");
    let (ok, _, err) = baton(&s.data, &["backup", "--out", file.to_str().unwrap()], None);
    assert!(ok, "{err}");
    s.stop().await;
    let target = work.path().join("restored");
    let (ok, _, err) = baton(&target, &["restore", file.to_str().unwrap()], None);
    assert!(ok, "{err}");
    let s2 = TestServer::start_in(&target, config()).await;
    let admin2 = s2.admin().await;
    assert_eq!(admin2.get("/api/me/push").await, before);
    s2.stop().await;
}
