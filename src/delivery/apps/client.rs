//! Sending one personal message: a cached access token, the send, and one refresh
//! when the app says the token is expired or invalid. Through [`Outbound`], so the
//! address policy applies to the apps' API addresses like to any webhook.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::api::{self, Answer, Bases, Request};
use super::message::Card;
use super::model::{AppCredentials, AppKind};
use super::tokens::{fingerprint, TokenCache};
use crate::delivery::failure::SendError;
use crate::net::{explain, Failure, Outbound};

/// What sending to chat apps needs besides the HTTP client: where each API lives,
/// the token cache, and the time zone due times are shown in. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ChatApps {
    pub bases: Bases,
    pub tokens: Arc<TokenCache>,
    pub tz: Tz,
}

impl ChatApps {
    pub fn new(bases: Bases, tz: Tz) -> ChatApps {
        ChatApps {
            bases,
            tokens: Arc::new(TokenCache::new()),
            tz,
        }
    }

    /// Sends `card` to the app user `to`.
    pub async fn send(
        &self,
        out: &Outbound,
        app: AppKind,
        creds: &AppCredentials,
        to: &str,
        card: &Card,
        now: DateTime<Utc>,
    ) -> Result<(), SendError> {
        let base = self.bases.of(app);
        let fp = fingerprint(base, creds);
        let mut refreshed = false;
        loop {
            let token = self
                .tokens
                .get(app, &fp, now, || self.fetch_token(out, app, base, creds))
                .await?;
            let req = api::send_request(app, base, creds, &token, to, card)?;
            let (status, body) = call(out, &req).await?;
            match api::read(app, status, &body) {
                Answer::Ok => return Ok(()),
                Answer::TokenExpired { .. } if !refreshed => {
                    refreshed = true;
                    self.tokens.forget(app, &token).await;
                }
                other => return Err(failure(app, "send", other)),
            }
        }
    }

    async fn fetch_token(
        &self,
        out: &Outbound,
        app: AppKind,
        base: &str,
        creds: &AppCredentials,
    ) -> Result<(String, u64), SendError> {
        let req = api::token_request(app, base, creds)?;
        let (status, body) = call(out, &req).await?;
        api::read_token(app, status, &body).map_err(|a| failure(app, "token", a))
    }
}

/// An app's answer as the outbox records it: the app's own code and message.
fn failure(app: AppKind, what: &str, a: Answer) -> SendError {
    let name = app.label();
    SendError::Other(match a {
        Answer::Ok => format!("{name} {what}: no answer"),
        Answer::TokenExpired { code, message } => {
            format!("{name} {what}: errcode {code} (token refused twice): {message}")
        }
        Answer::Busy { code, message } => {
            format!("{name} {what}: errcode {code} (rate limited, retried later): {message}")
        }
        Answer::Refused { code, message } => format!("{name} {what}: errcode {code}: {message}"),
        Answer::Http { status, body } => format!("{name} {what}: HTTP {status}: {body}"),
    })
}

/// One request; the status and body whatever the status (Feishu puts its error code in
/// 4xx bodies). Errors never show the URL: WeCom and DingTalk put secrets and tokens
/// in the query.
async fn call(out: &Outbound, req: &Request) -> Result<(u16, String), SendError> {
    let method = if req.post {
        reqwest::Method::POST
    } else {
        reqwest::Method::GET
    };
    let mut rb = out
        .request(method, &req.url)
        .map_err(|e| describe(e.into()))?;
    if let Some(t) = &req.bearer {
        rb = rb.bearer_auth(t);
    }
    if let Some(b) = &req.body {
        rb = rb.json(b);
    }
    let resp = rb.send().await.map_err(|e| describe(explain(e)))?;
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap_or_default();
    Ok((status, body))
}

fn describe(f: Failure) -> SendError {
    match f {
        Failure::Refused(r) => SendError::Refused(format!("chat app address refused: {r}")),
        Failure::TimedOut => SendError::Unreachable("chat app request timed out".into()),
        Failure::Other(e) => SendError::Unreachable(format!("chat app request failed: {e}")),
    }
}
