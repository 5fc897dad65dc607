//! A stand-in for DingTalk's internal-app API as documented: `GET /gettoken` with
//! `appkey` and `appsecret`, the work notification `POST
//! /topapi/message/corpconversation/asyncsend_v2?access_token=` with `agent_id`,
//! `userid_list` and `msg`; errcode 40014 for a bad token, 90018 for the rate limit.

use axum::extract::{RawQuery, State};
use axum::Json;
use serde_json::{json, Value};

use super::mock::{param, serve, Mock, Next, KNOWN_USERS};

pub const APP_KEY: &str = "dingabc123";
pub const SECRET: &str = "ding-secret-1";
pub const AGENT_ID: u64 = 2233445566;

async fn gettoken(State(m): State<Mock>, RawQuery(q): RawQuery) -> Json<Value> {
    let q = q.unwrap_or_default();
    if param(&q, "appkey").as_deref() != Some(APP_KEY)
        || param(&q, "appsecret").as_deref() != Some(SECRET)
    {
        return Json(json!({"errcode": 40089, "errmsg": "不合法的corpid或corpsecret"}));
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
    if next == Some(Next::RateLimit) {
        return Json(json!({"errcode": 90018, "errmsg": "当前企业调用该接口超过每秒调用上限"}));
    }
    if !m.token_is_current(&param(&q, "access_token").unwrap_or_default()) {
        return Json(json!({"errcode": 40014, "errmsg": "不合法的access_token"}));
    }
    let shape_ok = body["agent_id"] == AGENT_ID
        && body["userid_list"].is_string()
        && matches!(
            body["msg"]["msgtype"].as_str(),
            Some("action_card" | "markdown")
        );
    if !shape_ok {
        return Json(json!({"errcode": 40035, "errmsg": "缺少参数 json"}));
    }
    if !KNOWN_USERS.contains(&body["userid_list"].as_str().unwrap_or("")) {
        return Json(json!({"errcode": 33012, "errmsg": "无效的USERID"}));
    }
    m.accept(&body);
    Json(
        json!({"errcode": 0, "errmsg": "ok", "task_id": 256_271_667_526_u64, "request_id": "4jzllmte0wau"}),
    )
}

pub async fn start() -> Mock {
    let m = Mock::default();
    let app = axum::Router::new()
        .route("/gettoken", axum::routing::get(gettoken))
        .route(
            "/topapi/message/corpconversation/asyncsend_v2",
            axum::routing::post(send),
        )
        .with_state(m.clone());
    let url = serve(app).await;
    m.at(url)
}
