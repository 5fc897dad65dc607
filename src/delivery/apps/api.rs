//! Each app's token and send requests, and how its answers are read. Pure: the
//! [`super::client`] only sends what these build.
//!
//! - WeCom: `GET /cgi-bin/gettoken?corpid&corpsecret` → `{errcode, access_token,
//!   expires_in}`; `POST /cgi-bin/message/send?access_token=` with `touser`, `agentid`.
//!   Expired/invalid token: 42001, 40014. A 0 answer may still name `invaliduser`.
//! - DingTalk: `GET /gettoken?appkey&appsecret`; `POST
//!   /topapi/message/corpconversation/asyncsend_v2?access_token=` with `agent_id`,
//!   `userid_list`, `msg`. Expired/invalid token: 42001, 40014 (also as `errcode` 88
//!   with that `sub_code` from the newer gateway).
//! - Feishu: `POST /open-apis/auth/v3/tenant_access_token/internal` `{app_id,
//!   app_secret}` → `{code, tenant_access_token, expire}`; `POST
//!   /open-apis/im/v1/messages?receive_id_type=user_id` with a Bearer token. Invalid
//!   token: 99991663, 99991661. Feishu answers errors with HTTP 4xx *and* a JSON `code`,
//!   so the body is read whatever the status.
//!
//! Rate limits (HTTP 429 or the app's own codes) and "system busy" are answers to try
//! again later: the outbox's backoff does that.

use serde_json::{json, Value};

use super::message::Card;
use super::model::{AppCredentials, AppKind};

/// Where each app's API lives (`[chat_apps]` in the config overrides them, for tests
/// and private deployments such as Lark's `https://open.larksuite.com`).
pub use crate::config::ChatAppBases as Bases;

impl Bases {
    pub fn of(&self, app: AppKind) -> &str {
        match app {
            AppKind::Wecom => &self.wecom,
            AppKind::Dingtalk => &self.dingtalk,
            AppKind::Feishu => &self.feishu,
        }
        .trim_end_matches('/')
    }
}

/// One HTTP request, ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub post: bool,
    pub url: String,
    pub bearer: Option<String>,
    pub body: Option<Value>,
}

fn url(base: &str, path: &str, query: &[(&str, &str)]) -> Result<String, String> {
    let base = base.trim_end_matches('/');
    let mut u = reqwest::Url::parse(&format!("{base}{path}"))
        .map_err(|e| format!("the API address '{base}' is not a URL: {e}"))?;
    if !query.is_empty() {
        let mut q = u.query_pairs_mut();
        for (k, v) in query {
            q.append_pair(k, v);
        }
    }
    Ok(u.to_string())
}

/// The request for an access token.
pub fn token_request(app: AppKind, base: &str, c: &AppCredentials) -> Result<Request, String> {
    Ok(match app {
        AppKind::Wecom => Request {
            post: false,
            url: url(
                base,
                "/cgi-bin/gettoken",
                &[("corpid", &c.key), ("corpsecret", &c.secret)],
            )?,
            bearer: None,
            body: None,
        },
        AppKind::Dingtalk => Request {
            post: false,
            url: url(
                base,
                "/gettoken",
                &[("appkey", &c.key), ("appsecret", &c.secret)],
            )?,
            bearer: None,
            body: None,
        },
        AppKind::Feishu => Request {
            post: true,
            url: url(base, "/open-apis/auth/v3/tenant_access_token/internal", &[])?,
            bearer: None,
            body: Some(json!({"app_id": c.key, "app_secret": c.secret})),
        },
    })
}

/// The request that sends `card` to the app user `to`.
pub fn send_request(
    app: AppKind,
    base: &str,
    c: &AppCredentials,
    token: &str,
    to: &str,
    card: &Card,
) -> Result<Request, String> {
    let agent = c.agent_id.unwrap_or(0);
    Ok(match app {
        AppKind::Wecom => Request {
            post: true,
            url: url(base, "/cgi-bin/message/send", &[("access_token", token)])?,
            bearer: None,
            body: Some(card.wecom(to, agent)),
        },
        AppKind::Dingtalk => Request {
            post: true,
            url: url(
                base,
                "/topapi/message/corpconversation/asyncsend_v2",
                &[("access_token", token)],
            )?,
            bearer: None,
            body: Some(card.dingtalk(to, agent)),
        },
        AppKind::Feishu => Request {
            post: true,
            url: url(
                base,
                "/open-apis/im/v1/messages",
                &[("receive_id_type", "user_id")],
            )?,
            bearer: Some(token.to_string()),
            body: Some(card.feishu(to)),
        },
    })
}

/// What an app answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Ok,
    /// The access token is expired or invalid: fetch a new one and try once more.
    TokenExpired {
        code: i64,
        message: String,
    },
    /// Too many requests or the service is busy: try again later.
    Busy {
        code: i64,
        message: String,
    },
    /// The app refused, with its own code and message (wrong user id, no permission…).
    Refused {
        code: i64,
        message: String,
    },
    /// No answer the app documents (an HTTP error page, say).
    Http {
        status: u16,
        body: String,
    },
}

fn token_codes(app: AppKind) -> &'static [i64] {
    match app {
        AppKind::Wecom | AppKind::Dingtalk => &[40014, 42001],
        AppKind::Feishu => &[99991661, 99991663],
    }
}

fn busy_codes(app: AppKind) -> &'static [i64] {
    match app {
        // -1 system busy; 45009 API frequency limit; 45033 too many concurrent calls.
        AppKind::Wecom => &[-1, 45009, 45033],
        // -1 system busy; 90002 busy; 90006/90018/90019 per-minute/second limits.
        AppKind::Dingtalk => &[-1, 90002, 90006, 90018, 90019],
        // 99991400 request frequency limit; 11232/11233 message sending frequency limit.
        AppKind::Feishu => &[99991400, 11232, 11233],
    }
}

fn snippet(body: &str) -> String {
    body.chars().take(200).collect()
}

/// Reads an answer: its code (`errcode`, or `code` for Feishu) decides, whatever the
/// HTTP status; without a code, a 429 is busy and any other non-2xx an HTTP failure.
pub fn read(app: AppKind, status: u16, body: &str) -> Answer {
    let v: Option<Value> = serde_json::from_str(body).ok();
    let field = if app == AppKind::Feishu {
        "code"
    } else {
        "errcode"
    };
    let code = v
        .as_ref()
        .and_then(|v| v.get(field))
        .and_then(Value::as_i64);
    let Some(mut code) = code else {
        return if status == 429 {
            Answer::Busy {
                code: 429,
                message: "too many requests".into(),
            }
        } else if (200..300).contains(&status) {
            Answer::Http {
                status,
                body: format!("no {field} in the answer: {}", snippet(body)),
            }
        } else {
            Answer::Http {
                status,
                body: snippet(body),
            }
        };
    };
    let v = v.unwrap_or_default();
    let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let message = if app == AppKind::Feishu {
        text("msg")
    } else {
        text("errmsg")
    };
    // DingTalk's newer gateway wraps a token error as 88 with the old code beside it.
    if app == AppKind::Dingtalk && code == 88 {
        if let Ok(sub) = text("sub_code").parse::<i64>() {
            code = sub;
        }
    }
    if code == 0 {
        // WeCom answers 0 and names the user ids it could not reach.
        let invalid = text("invaliduser");
        if app == AppKind::Wecom && !invalid.is_empty() {
            return Answer::Refused {
                code,
                message: format!("invaliduser: {invalid}"),
            };
        }
        return if (200..300).contains(&status) {
            Answer::Ok
        } else {
            Answer::Http {
                status,
                body: snippet(body),
            }
        };
    }
    if token_codes(app).contains(&code) {
        Answer::TokenExpired { code, message }
    } else if busy_codes(app).contains(&code) || status == 429 {
        Answer::Busy { code, message }
    } else {
        Answer::Refused { code, message }
    }
}

/// A token answer: the token and its lifetime in seconds, or why there is none.
pub fn read_token(app: AppKind, status: u16, body: &str) -> Result<(String, u64), Answer> {
    match read(app, status, body) {
        Answer::Ok => {}
        other => return Err(other),
    }
    let v: Value = serde_json::from_str(body).unwrap_or_default();
    let (token, life) = match app {
        AppKind::Wecom | AppKind::Dingtalk => ("access_token", "expires_in"),
        AppKind::Feishu => ("tenant_access_token", "expire"),
    };
    match (
        v.get(token)
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty()),
        v.get(life).and_then(Value::as_u64),
    ) {
        (Some(t), Some(s)) => Ok((t.to_string(), s)),
        (Some(t), None) => Ok((t.to_string(), 7200)),
        (None, _) => Err(Answer::Http {
            status,
            body: format!("no {token} in the answer"),
        }),
    }
}

#[cfg(test)]
#[path = "api_tests.rs"]
mod tests;
