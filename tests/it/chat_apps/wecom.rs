//! A stand-in for the WeCom server API as documented: `GET /cgi-bin/gettoken` with
//! `corpid` and `corpsecret`, `POST /cgi-bin/message/send?access_token=`; errcode
//! 42001 for an expired token, 45009 for the frequency limit, 81013 when no
//! recipient is valid.

use axum::extract::{RawQuery, State};
use axum::Json;
use serde_json::{json, Value};

use super::mock::{param, serve, Mock, Next, KNOWN_USERS};

pub const CORP_ID: &str = "ww0123456789";
pub const SECRET: &str = "wecom-secret-1";
pub const AGENT_ID: u64 = 1000002;

async fn gettoken(State(m): State<Mock>, RawQuery(q): RawQuery) -> Json<Value> {
    let q = q.unwrap_or_default();
    if param(&q, "corpid").as_deref() != Some(CORP_ID)
        || param(&q, "corpsecret").as_deref() != Some(SECRET)
    {
        return Json(json!({"errcode": 40001, "errmsg": "invalid credential"}));
    }
    let t = m.issue();
    Json(json!({"errcode": 0, "errmsg": "ok", "access_token": t, "expires_in": 7200}))
}

async fn send(
    State(m): State<Mock>,
    RawQuery(q): RawQuery,
    Json(body): Json<Value>,
) -> Json<Value> {
    let q = q.unwrap_or_default();
    let next = m.record(&q, None, &body);
    let token = param(&q, "access_token").unwrap_or_default();
    if next == Some(Next::RateLimit) {
        return Json(json!({"errcode": 45009, "errmsg": "api freq out of limit"}));
    }
    if !m.token_is_current(&token) {
        return Json(json!({"errcode": 42001, "errmsg": "access_token expired"}));
    }
    let shape_ok = body["agentid"] == AGENT_ID
        && matches!(body["msgtype"].as_str(), Some("textcard" | "markdown"))
        && body["touser"].is_string();
    if !shape_ok {
        return Json(json!({"errcode": 40008, "errmsg": "invalid message type"}));
    }
    if !KNOWN_USERS.contains(&body["touser"].as_str().unwrap_or("")) {
        return Json(json!({"errcode": 81013, "errmsg": "user & party & tag all invalid"}));
    }
    m.accept(&body);
    Json(json!({"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": "m1"}))
}

pub async fn start() -> Mock {
    let m = Mock::default();
    let app = axum::Router::new()
        .route("/cgi-bin/gettoken", axum::routing::get(gettoken))
        .route("/cgi-bin/message/send", axum::routing::post(send))
        .with_state(m.clone());
    let url = serve(app).await;
    m.at(url)
}
