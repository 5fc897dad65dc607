use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_me_logout() {
    let s = TestServer::start().await;
    let mut c = s.client();
    let (st, body) = c.call(Method::GET, "/api/me", None).await;
    assert_error(st, &body, 401, "unauthenticated");
    let login = c.login("admin", ADMIN_PASSWORD).await;
    assert!(login["token"].as_str().unwrap().len() >= 40);
    let me = c.get("/api/me").await;
    assert_eq!(me["user"]["username"], "admin");
    assert_eq!(me["user"]["role"], "company_admin");
    assert!(me["user"].get("password_hash").is_none());
    let (st, _) = c.call(Method::POST, "/api/logout", None).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = c.call(Method::GET, "/api/me", None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_cookie_is_httponly_and_samesite() {
    let s = TestServer::start().await;
    let resp = reqwest::Client::new()
        .post(format!("{}/api/login", s.url))
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = resp
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("baton_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_token_from_login_works_for_scripts() {
    let s = TestServer::start().await;
    let mut c = s.client();
    let token = c.login("admin", ADMIN_PASSWORD).await["token"]
        .as_str()
        .unwrap()
        .to_string();
    let script = Client {
        bearer: Some(token),
        ..Client::new(&s.url)
    };
    // no cookie and no CSRF header needed with a bearer token
    let (st, body) = script
        .call(
            Method::POST,
            "/api/departments",
            Some(json!({"name": "Finance"})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookie_writes_need_the_csrf_header() {
    let s = TestServer::start().await;
    let mut c = s.admin().await;
    c.csrf = None;
    let (st, body) = c
        .call(Method::POST, "/api/departments", Some(json!({"name": "X"})))
        .await;
    assert_error(st, &body, 403, "csrf");
    c.csrf = Some("wrong".into());
    let (st, _) = c
        .call(Method::POST, "/api/departments", Some(json!({"name": "X"})))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let admin = s.admin().await;
    assert_eq!(
        admin.get("/api/departments").await["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_and_unknown_user_look_the_same() {
    let s = TestServer::start().await;
    let c = s.client();
    let (st1, b1) = c
        .call(
            Method::POST,
            "/api/login",
            Some(json!({"username": "admin", "password": "nope-nope"})),
        )
        .await;
    let (st2, b2) = c
        .call(
            Method::POST,
            "/api/login",
            Some(json!({"username": "ghost", "password": "nope-nope"})),
        )
        .await;
    assert_error(st1, &b1, 401, "invalid_credentials");
    assert_eq!((st1, &b1), (st2, &b2));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_failed_logins_get_429() {
    let s = TestServer::start().await;
    let c = s.client();
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let (st, _) = c
            .call(
                Method::POST,
                "/api/login",
                Some(json!({"username": "admin", "password": "guess-guess"})),
            )
            .await;
        statuses.push(st.as_u16());
    }
    assert_eq!(&statuses[..10], &[401; 10]);
    let (st, body) = c
        .call(
            Method::POST,
            "/api/login",
            Some(json!({"username": "admin", "password": ADMIN_PASSWORD})),
        )
        .await;
    assert_error(st, &body, 429, "rate_limited");
    // another account from the same address is still let through to the password check
    let (st, body) = Client::new(&s.url)
        .call(
            Method::POST,
            "/api/login",
            Some(json!({"username": "nobody", "password": "x"})),
        )
        .await;
    assert_error(st, &body, 401, "invalid_credentials");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_change_ends_every_session() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let (bob, _) = s.user(&admin, "bob", "member", None).await;
    let mut bob2 = s.client();
    bob2.login("bob", "password-123").await;
    let (st, body) = bob
        .call(
            Method::POST,
            "/api/me/password",
            Some(json!({"current_password": "wrong-one", "new_password": "new-password-9"})),
        )
        .await;
    assert_error(st, &body, 400, "invalid");
    let (st, _) = bob
        .call(
            Method::POST,
            "/api/me/password",
            Some(json!({"current_password": "password-123", "new_password": "new-password-9"})),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert_eq!(
        bob.call(Method::GET, "/api/me", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        bob2.call(Method::GET, "/api/me", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let mut again = s.client();
    again.login("bob", "new-password-9").await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_user_is_logged_out_and_cannot_log_in() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let (bob, id) = s.user(&admin, "bob", "member", None).await;
    admin
        .call(
            Method::PATCH,
            &format!("/api/users/{id}"),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(
        bob.call(Method::GET, "/api/me", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (st, _) = s
        .client()
        .call(
            Method::POST,
            "/api/login",
            Some(json!({"username": "bob", "password": "password-123"})),
        )
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_tokens_are_scoped_shown_once_and_revocable() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let created = admin
        .post("/api/tokens", json!({"name": "erp", "scopes": ["read"]}))
        .await;
    let secret = created["token"].as_str().unwrap().to_string();
    assert!(secret.starts_with("baton_"));
    let id = created["info"]["id"].as_u64().unwrap();
    let listed = admin.get("/api/tokens").await;
    assert!(
        !listed.to_string().contains(&secret),
        "secret must not be listed"
    );
    let script = Client {
        bearer: Some(secret.clone()),
        ..Client::new(&s.url)
    };
    assert_eq!(
        script.get("/api/projects").await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // a read token cannot write
    let (st, body) = script
        .call(Method::POST, "/api/departments", Some(json!({"name": "X"})))
        .await;
    assert_error(st, &body, 403, "forbidden");
    let listed = admin.get("/api/tokens").await;
    assert!(listed["items"][0]["last_used_at"].is_string(), "{listed}");
    let (st, _) = admin
        .call(Method::DELETE, &format!("/api/tokens/{id}"), None)
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert_eq!(
        script.call(Method::GET, "/api/projects", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let audit = admin.get("/api/audit").await.to_string();
    for action in ["token.create", "token.use", "token.revoke", "login"] {
        assert!(audit.contains(action), "{action} missing from audit");
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_headers_and_health() {
    let s = TestServer::start().await;
    let resp = reqwest::get(format!("{}/", s.url)).await.unwrap();
    let h = resp.headers();
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("script-src 'self'"));
    assert!(!h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("unsafe-inline"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert!(resp.text().await.unwrap().contains("<html"));
    assert_eq!(
        reqwest::get(format!("{}/healthz", s.url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok"
    );
    let doc: serde_json::Value = reqwest::get(format!("{}/api/openapi.json", s.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for p in [
        "/api/login",
        "/api/users",
        "/api/projects/{id}/members",
        "/api/tokens",
        "/api/admin/backups",
    ] {
        assert!(doc["paths"].get(p).is_some(), "{p} missing from OpenAPI");
    }
    s.stop().await;
}
