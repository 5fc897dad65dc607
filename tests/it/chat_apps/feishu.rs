//! A stand-in for Feishu's open platform as documented: `POST
//! /open-apis/auth/v3/tenant_access_token/internal` with `app_id` and `app_secret`,
//! `POST /open-apis/im/v1/messages?receive_id_type=user_id` with a Bearer token and
//! `content` as a JSON string. Errors come as HTTP 400 with a `code`: 99991663 for
//! an invalid token, 99991400 for the frequency limit, 230001-ish for a bad user.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde_json::{json, Value};

use super::mock::{param, serve, Mock, Next, KNOWN_USERS};

pub const APP_ID: &str = "cli_a1b2c3d4e5";
pub const SECRET: &str = "feishu-secret-1";

async fn token(State(m): State<Mock>, Json(body): Json<Value>) -> Json<Value> {
    if body != json!({"app_id": APP_ID, "app_secret": SECRET}) {
        return Json(json!({"code": 10014, "msg": "app secret invalid"}));
    }
    let t = m.issue();
    Json(json!({"code": 0, "msg": "ok", "tenant_access_token": t, "expire": 7200}))
}

async fn send(
    State(m): State<Mock>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let q = q.unwrap_or_default();
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let next = m.record(&q, bearer.clone(), &body);
    let bad = |code: u64, msg: &str| {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({"code": code, "msg": msg})),
        )
    };
    if next == Some(Next::RateLimit) {
        return bad(99991400, "request trigger frequency limit");
    }
    if !bearer.as_deref().is_some_and(|t| m.token_is_current(t)) {
        return bad(
            99991663,
            "Invalid access token for authorization. Please make a request with token attached.",
        );
    }
    let card: Option<Value> = body["content"]
        .as_str()
        .and_then(|c| serde_json::from_str(c).ok());
    let shape_ok = param(&q, "receive_id_type").as_deref() == Some("user_id")
        && body["msg_type"] == "interactive"
        && card.is_some_and(|c| c["elements"].is_array());
    if !shape_ok {
        return bad(
            230001,
            "Your request contains an invalid request parameter.",
        );
    }
    if !KNOWN_USERS.contains(&body["receive_id"].as_str().unwrap_or("")) {
        return bad(230013, "Bot has NO availability to this user.");
    }
    m.accept(&body);
    (
        StatusCode::OK,
        Json(json!({"code": 0, "msg": "success", "data": {"message_id": "om_1"}})),
    )
}

pub async fn start() -> Mock {
    let m = Mock::default();
    let app = axum::Router::new()
        .route(
            "/open-apis/auth/v3/tenant_access_token/internal",
            axum::routing::post(token),
        )
        .route("/open-apis/im/v1/messages", axum::routing::post(send))
        .with_state(m.clone());
    let url = serve(app).await;
    m.at(url)
}
