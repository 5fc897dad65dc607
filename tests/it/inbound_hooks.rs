//! Inbound webhooks: Shopify, WooCommerce and generic deliveries with signatures
//! computed here, independently of Baton's code (the `hmac` crate over the raw body);
//! replays, pings, bad signatures, mappings that refuse, and the delivery log.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::harness::*;

fn hmac_sha256(secret: &str, body: &[u8]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    m.update(body);
    m.finalize().into_bytes().to_vec()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Posts a raw body to a hook with the given headers.
async fn deliver(
    s: &TestServer,
    name: &str,
    content_type: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> (StatusCode, Value) {
    let mut rb = reqwest::Client::new()
        .post(format!("{}/api/hooks/{name}", s.url))
        .header("Content-Type", content_type)
        .body(body.to_vec());
    for (k, v) in headers {
        rb = rb.header(*k, v);
    }
    let resp = rb.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn create_hook(admin: &Client, body: Value) -> Value {
    let (s, v) = admin
        .call(Method::POST, "/api/admin/hooks", Some(body))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

async fn record(admin: &Client, kind: &str, id: &str) -> (StatusCode, Value) {
    admin
        .call(Method::GET, &format!("/api/erp/records/{kind}/{id}"), None)
        .await
}

async fn outcomes(admin: &Client, hook: &Value) -> Vec<String> {
    let v = admin
        .get(&format!("/api/admin/hooks/{}/deliveries", hook["id"]))
        .await;
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["outcome"].as_str().unwrap().to_string())
        .collect()
}

/// An order as Shopify's webhook documentation shows it (orders/create), shortened:
/// integer id, money as strings, no top-level `status`.
const SHOPIFY_ORDER: &str = r##"{"id":820982911946154508,"admin_graphql_api_id":"gid:\/\/shopify\/Order\/820982911946154508","email":"jon@example.com","created_at":"2021-12-31T19:00:00-05:00","updated_at":"2021-12-31T19:00:00-05:00","name":"#9999","currency":"USD","total_price":"398.00","subtotal_price":"388.00","financial_status":"voided","fulfillment_status":"pending","cancelled_at":"2021-12-31T19:00:00-05:00","line_items":[{"id":866550311766439020,"sku":"IPOD2008BLACK","title":"IPod Nano - 8GB","quantity":1,"price":"199.00"},{"id":141249953214522974,"sku":"IPOD2008GREEN","title":"IPod Nano - 8GB","quantity":1,"price":"199.00"}]}"##;

const BIG_ORDER: &str = r#"
const ID = "shop_big_order";
const NAME = "Big shop order";
const WATCHES = "order";
fn condition(r, prev) { r.source != () && cents(r.total_price ?? r.total ?? "0") > cents("300") }
fn task(r) { #{ title: `Big order ${r.id}`, nodes: [#{ handler: "admin", action: "Check" }] } }
"#;

#[tokio::test]
async fn shopify_orders_are_verified_stored_once_and_fire_scenarios() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    admin
        .post("/api/scenarios", json!({ "source": BIG_ORDER }))
        .await;
    let secret = "shpss_0123456789abcdef";
    let hook = create_hook(
        &admin,
        json!({"name": "shopify", "preset": "shopify", "secret": secret}),
    )
    .await;
    assert_eq!(hook["path"], "/api/hooks/shopify");
    assert_eq!(hook["header"], "x-shopify-hmac-sha256");
    assert_eq!(hook["secret_set"], true);
    assert!(
        !hook.to_string().contains(secret),
        "the secret is never sent back"
    );

    let body = SHOPIFY_ORDER.as_bytes();
    let headers = |id: &str, sig: String| {
        vec![
            ("X-Shopify-Topic", "orders/create".to_string()),
            ("X-Shopify-Hmac-Sha256", sig),
            ("X-Shopify-Shop-Domain", "example.myshopify.com".to_string()),
            ("X-Shopify-Webhook-Id", id.to_string()),
            (
                "X-Shopify-Event-Id",
                "98880550-7158-44d4-b7cd-2c97c8a091b5".to_string(),
            ),
        ]
    };
    let good = b64(&hmac_sha256(secret, body));
    let (st, v) = deliver(
        &s,
        "shopify",
        "application/json",
        &headers("b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", good.clone()),
        body,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        (
            v["outcome"].as_str(),
            v["stored"].as_u64(),
            v["tasks_created"].as_u64()
        ),
        (Some("stored"), Some(1), Some(1)),
        "{v}"
    );

    let (st, r) = record(&admin, "order", "820982911946154508").await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let data = &r["data"];
    assert_eq!(
        data["total_price"], "398.00",
        "money stays the string Shopify sent"
    );
    assert_eq!(data["line_items"][0]["price"], "199.00");
    assert_eq!(data["line_items"][1]["sku"], "IPOD2008GREEN");
    assert_eq!(data["shop"], "example.myshopify.com");
    assert_eq!(r["version"], 1);

    // the same delivery again (Shopify retries with the same webhook id): stored once
    let (st, v) = deliver(
        &s,
        "shopify",
        "application/json",
        &headers("b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", good.clone()),
        body,
    )
    .await;
    assert_eq!(
        (st, v["outcome"].as_str()),
        (StatusCode::OK, Some("duplicate")),
        "{v}"
    );

    // a signature made with another secret, or over another body: 401, nothing stored
    let other = SHOPIFY_ORDER.replace("820982911946154508,\"admin", "111,\"admin");
    for sig in [
        b64(&hmac_sha256("wrong-secret", other.as_bytes())),
        good.clone(),
        String::new(),
    ] {
        let (st, v) = deliver(
            &s,
            "shopify",
            "application/json",
            &headers("another-delivery", sig),
            other.as_bytes(),
        )
        .await;
        assert_error(st, &v, 401, "invalid_credentials");
    }
    assert_eq!(
        record(&admin, "order", "111").await.0,
        StatusCode::NOT_FOUND
    );

    // another topic is answered and not stored
    let product = br#"{"id":632910392,"title":"IPod Nano"}"#;
    let mut h = headers("p-1", b64(&hmac_sha256(secret, product)));
    h[0].1 = "products/update".into();
    let (st, v) = deliver(&s, "shopify", "application/json", &h, product).await;
    assert_eq!((st, v["stored"].as_u64()), (StatusCode::OK, Some(0)), "{v}");

    let seen = outcomes(&admin, &hook).await;
    assert_eq!(
        seen,
        [
            "stored",
            "unauthorized",
            "unauthorized",
            "unauthorized",
            "duplicate",
            "stored"
        ]
    );
    let tasks = admin.get("/api/my/todo").await.to_string();
    assert_eq!(
        tasks.matches("Big order 820982911946154508").count(),
        1,
        "one task: {tasks}"
    );
}

/// A WooCommerce order as PHP's `json_encode` writes it: `/` escaped, `total` a
/// string, line-item `price` a number.
const WOO_ORDER: &str = r##"{"id":727,"parent_id":0,"number":"727","status":"processing","currency":"USD","date_created":"2017-03-22T16:28:02","date_modified":"2017-03-22T16:28:08","date_modified_gmt":"2017-03-22T19:28:08","total":"29.35","payment_method":"bacs","billing":{"first_name":"John","email":"john.doe@example.com"},"line_items":[{"id":315,"name":"Woo Single #1","sku":"00123","quantity":2,"price":3}],"_links":{"self":[{"href":"https:\/\/example.com\/wp-json\/wc\/v3\/orders\/727"}]}}"##;

#[tokio::test]
async fn woocommerce_pings_orders_and_same_second_deliveries() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let secret = "wc-secret-&-more";
    let hook = create_hook(
        &admin,
        json!({"name": "woo", "preset": "woocommerce", "secret": secret}),
    )
    .await;

    // the unsigned set-up ping must get a 200, and stores nothing
    let (st, v) = deliver(
        &s,
        "woo",
        "application/x-www-form-urlencoded",
        &[],
        b"webhook_id=12",
    )
    .await;
    assert_eq!(
        (st, v["outcome"].as_str()),
        (StatusCode::OK, Some("ping")),
        "{v}"
    );

    let sign = |body: &str| b64(&hmac_sha256(secret, body.as_bytes()));
    let headers = |body: &str| {
        vec![
            ("X-WC-Webhook-Topic", "order.created".to_string()),
            ("X-WC-Webhook-Signature", sign(body)),
            ("X-WC-Webhook-Delivery-ID", "6a3f8c1e2d".to_string()),
            ("X-WC-Webhook-Source", "https://example.com/".to_string()),
        ]
    };
    let (st, v) = deliver(
        &s,
        "woo",
        "application/json",
        &headers(WOO_ORDER),
        WOO_ORDER.as_bytes(),
    )
    .await;
    assert_eq!((st, v["stored"].as_u64()), (StatusCode::OK, Some(1)), "{v}");
    let (_, r) = record(&admin, "order", "727").await;
    assert_eq!(r["data"]["total"], "29.35");
    assert_eq!(r["data"]["line_items"][0]["price"], 3);
    assert_eq!(
        r["data"]["line_items"][0]["sku"], "00123",
        "a SKU keeps its zeros"
    );
    assert_eq!(r["data"]["email"], "john.doe@example.com");
    assert_eq!(r["occurred_at"], "2017-03-22T19:28:08Z");

    // WooCommerce's delivery id is per webhook and second: another order in the same
    // second shares it and must still be stored
    let second = WOO_ORDER.replace("\"id\":727", "\"id\":728");
    let (st, v) = deliver(
        &s,
        "woo",
        "application/json",
        &headers(&second),
        second.as_bytes(),
    )
    .await;
    assert_eq!((st, v["stored"].as_u64()), (StatusCode::OK, Some(1)), "{v}");
    // the same delivery again is a replay
    let (st, v) = deliver(
        &s,
        "woo",
        "application/json",
        &headers(&second),
        second.as_bytes(),
    )
    .await;
    assert_eq!(
        (st, v["outcome"].as_str()),
        (StatusCode::OK, Some("duplicate")),
        "{v}"
    );
    // re-serialised JSON does not verify: the signature is over the bytes sent
    let reserialised =
        serde_json::to_string(&serde_json::from_str::<Value>(WOO_ORDER).unwrap()).unwrap();
    let (st, _) = deliver(
        &s,
        "woo",
        "application/json",
        &headers(WOO_ORDER),
        reserialised.as_bytes(),
    )
    .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(
        outcomes(&admin, &hook).await,
        ["unauthorized", "duplicate", "stored", "stored", "ping"]
    );
}

#[tokio::test]
async fn generic_hooks_mappings_that_refuse_and_bearer_tokens() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let secret = "generic-secret-1";
    let hook = create_hook(
        &admin,
        json!({"name": "erp-x", "preset": "generic", "secret": secret}),
    )
    .await;
    let send = |body: Value| {
        let text = body.to_string();
        let sig = format!(
            "sha256={}",
            hex::encode(hmac_sha256(secret, text.as_bytes()))
        );
        let s = &s;
        async move {
            deliver(
                s,
                "erp-x",
                "application/json",
                &[("X-Signature", sig)],
                text.as_bytes(),
            )
            .await
        }
    };
    let (st, v) = send(json!({"records": [
        {"kind": "stock", "id": "SKU-1", "data": {"sku": "00123", "available": 3}},
        {"kind": "stock", "id": "SKU-2", "data": {"sku": "00456", "available": 9}}
    ]}))
    .await;
    assert_eq!((st, v["stored"].as_u64()), (StatusCode::OK, Some(2)), "{v}");
    assert_eq!(
        record(&admin, "stock", "SKU-1").await.1["data"]["sku"],
        "00123"
    );

    // a record the ERP endpoint would refuse is refused here too, with the reason
    let (st, v) = send(json!({"kind": "Bad Kind", "id": "X", "data": {}})).await;
    assert_error(st, &v, 422, "unprocessable");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("kind"),
        "{v}"
    );

    // a mapping that throws: 422 with its reason, kept on the hook with line and column
    let throwing = "fn map(p, h) {\n    if p.status == \"test\" { throw \"test deliveries are not stored\"; }\n    [p]\n}\n";
    let (st, v) = admin
        .call(
            Method::PATCH,
            &format!("/api/admin/hooks/{}", hook["id"]),
            Some(json!({"mapping": throwing})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = send(json!({"status": "test"})).await;
    assert_error(st, &v, 422, "unprocessable");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("test deliveries are not stored"),
        "{v}"
    );
    let h = admin.get(&format!("/api/admin/hooks/{}", hook["id"])).await;
    assert_eq!(h["last_error"]["line"], 2, "{h}");
    // a delivery it maps clears the error
    let (st, _) = send(json!({"kind": "stock", "id": "SKU-3", "data": {}})).await;
    assert_eq!(st, StatusCode::OK);
    let h = admin.get(&format!("/api/admin/hooks/{}", hook["id"])).await;
    assert!(h["last_error"].is_null(), "{h}");

    // not JSON
    let (st, v) = deliver(
        &s,
        "erp-x",
        "application/json",
        &[(
            "X-Signature",
            format!("sha256={}", hex::encode(hmac_sha256(secret, b"nope"))),
        )],
        b"nope",
    )
    .await;
    assert_error(st, &v, 400, "invalid");

    // a bearer-token hook
    let bearer = create_hook(
        &admin,
        json!({"name": "bearer", "preset": "custom", "scheme": "bearer", "secret": "tok-abcdefgh"}),
    )
    .await;
    // the mapping never sees the token
    let (st, _) = admin
        .call(Method::PATCH, &format!("/api/admin/hooks/{}", bearer["id"]), Some(json!({"mapping": "fn map(p, h) { #{ kind: \"stock\", id: \"SKU-9\", data: #{ auth: h.authorization, n: h.len() } } }"})))
        .await;
    assert_eq!(st, StatusCode::OK);
    let body = json!({"kind": "stock", "id": "SKU-9", "data": {}}).to_string();
    let (st, _) = deliver(
        &s,
        "bearer",
        "application/json",
        &[("Authorization", "Bearer tok-wrong".into())],
        body.as_bytes(),
    )
    .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, v) = deliver(
        &s,
        "bearer",
        "application/json",
        &[("Authorization", "Bearer tok-abcdefgh".into())],
        body.as_bytes(),
    )
    .await;
    assert_eq!((st, v["stored"].as_u64()), (StatusCode::OK, Some(1)), "{v}");
    let stored = record(&admin, "stock", "SKU-9").await.1;
    assert!(stored["data"]["auth"].is_null(), "{stored}");
    assert!(!stored.to_string().contains("tok-abcdefgh"), "{stored}");

    // unknown and switched-off hooks look the same: 404
    let (st, _) = deliver(&s, "nope", "application/json", &[], b"{}").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    admin
        .call(
            Method::PATCH,
            &format!("/api/admin/hooks/{}", hook["id"]),
            Some(json!({"enabled": false})),
        )
        .await;
    let (st, _) = send(json!({"kind": "stock", "id": "SKU-4", "data": {}})).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn setting_up_hooks_is_for_company_admins_and_checks_its_input() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let (member, _) = s.user(&admin, "mia", "member", None).await;
    let (st, v) = member.call(Method::GET, "/api/admin/hooks", None).await;
    assert_error(st, &v, 403, "forbidden");
    let (st, v) = member
        .call(
            Method::POST,
            "/api/admin/hooks",
            Some(json!({"name": "x", "preset": "generic", "secret": "12345678"})),
        )
        .await;
    assert_error(st, &v, 403, "forbidden");

    let bad = [
        (
            json!({"name": "Has Space", "preset": "generic", "secret": "12345678"}),
            "name",
        ),
        (
            json!({"name": "ok", "preset": "generic", "secret": "short"}),
            "secret",
        ),
        (
            json!({"name": "ok", "preset": "generic", "secret": "12345678", "mapping": "fn map(p, h) { p. }"}),
            "mapping",
        ),
        (
            json!({"name": "ok", "preset": "generic", "secret": "12345678", "mapping": "fn other() { 1 }"}),
            "mapping",
        ),
        (
            json!({"name": "ok", "preset": "custom", "secret": "12345678"}),
            "header",
        ),
        (
            json!({"name": "ok", "preset": "custom", "secret": "12345678", "header": "Cookie"}),
            "header",
        ),
        (
            json!({"name": "ok", "preset": "shopify", "secret": "12345678", "header": "x-a"}),
            "preset",
        ),
    ];
    for (body, field) in bad {
        let (st, v) = admin
            .call(Method::POST, "/api/admin/hooks", Some(body.clone()))
            .await;
        assert_eq!(
            (st, v["error"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some(field)),
            "{body}: {v}"
        );
    }
    let (st, v) = admin
        .call(Method::POST, "/api/admin/hooks", Some(json!({"name": "ok", "preset": "generic", "secret": "12345678", "mapping": "fn map(p, h) {\n  p +\n}"})))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(
        v["error"]["message"].as_str().unwrap().contains("3:")
            || v["error"]["message"].as_str().unwrap().contains("2:"),
        "{v}"
    );

    create_hook(
        &admin,
        json!({"name": "ok", "preset": "generic", "secret": "12345678"}),
    )
    .await;
    let (st, v) = admin
        .call(
            Method::POST,
            "/api/admin/hooks",
            Some(json!({"name": "ok", "preset": "generic", "secret": "12345678"})),
        )
        .await;
    assert_error(st, &v, 409, "conflict");

    let presets = admin.get("/api/admin/hooks/presets").await;
    let names: Vec<&str> = presets["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["preset"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["shopify", "woocommerce", "generic", "custom"]);
    assert!(presets["items"][0]["mapping"]
        .as_str()
        .unwrap()
        .contains("fn map(payload, headers)"));

    // an oversized delivery is refused before anything is read into a mapping
    let big = vec![b' '; 1100 * 1024];
    let (st, v) = deliver(&s, "ok", "application/json", &[], &big).await;
    assert_error(st, &v, 413, "too_large");

    // deleting a hook removes its URL
    let list = admin.get("/api/admin/hooks").await;
    let id = list["items"][0]["id"].as_u64().unwrap();
    let (st, _) = admin
        .call(Method::DELETE, &format!("/api/admin/hooks/{id}"), None)
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = deliver(&s, "ok", "application/json", &[], b"{}").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}
