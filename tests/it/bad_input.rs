use reqwest::Method;
use serde_json::json;

use crate::harness::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_is_400() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let resp = admin
        .request(Method::POST, "/api/departments")
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    let st = resp.status();
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_error(st, &body, 400, "bad_request");
    // wrong types and unknown fields too
    let (st, body) = admin
        .call(Method::POST, "/api/departments", Some(json!({"name": 5})))
        .await;
    assert_error(st, &body, 400, "bad_request");
    let (st, body) = admin
        .call(
            Method::POST,
            "/api/departments",
            Some(json!({"name": "x", "colour": "red"})),
        )
        .await;
    assert_error(st, &body, 400, "bad_request");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_body_is_413() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    // On its own connection, a little over the 1 MiB limit: the server answers 413
    // before reading the whole body and closes that connection, which a pooled client
    // could otherwise reuse (or still be writing to).
    let big = "x".repeat((1 << 20) + (64 << 10));
    let mut refused = s.client();
    refused.login("admin", ADMIN_PASSWORD).await;
    let (st, body) = refused
        .call(Method::POST, "/api/departments", Some(json!({"name": big})))
        .await;
    assert_error(st, &body, 413, "too_large");
    assert!(admin.get("/api/departments").await["items"]
        .as_array()
        .unwrap()
        .is_empty());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_errors_name_the_field() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let cases = [
        (
            json!({"username": "a", "password": "password-123"}),
            "username",
        ),
        (json!({"username": "bob", "password": "short"}), "password"),
        (
            json!({"username": "bob", "password": "password-123", "email": "not-mail"}),
            "email",
        ),
        (
            json!({"username": "bob", "password": "password-123", "department_id": 999}),
            "department_id",
        ),
    ];
    for (body, field) in cases {
        let (st, resp) = admin.call(Method::POST, "/api/users", Some(body)).await;
        assert_error(st, &resp, 400, "invalid");
        assert_eq!(resp["error"]["field"], field, "{resp}");
    }
    s.user(&admin, "bob", "member", None).await;
    let (st, resp) = admin
        .call(
            Method::POST,
            "/api/users",
            Some(json!({"username": "BOB", "password": "password-123"})),
        )
        .await;
    assert_error(st, &resp, 409, "conflict");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_things_are_404_not_500() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    for path in ["/api/users/999", "/api/projects/999", "/api/no-such-thing"] {
        let (st, body) = admin.call(Method::GET, path, None).await;
        assert_error(st, &body, 404, "not_found");
    }
    let (st, body) = admin.call(Method::GET, "/api/users/abc", None).await;
    assert_error(st, &body, 400, "bad_request");
    s.stop().await;
}
