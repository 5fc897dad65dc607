//! Request extractors: who is asking, from where, and JSON bodies with JSON errors.

use std::net::{IpAddr, SocketAddr};

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum_extra::extract::CookieJar;
use chrono::Utc;
use serde::de::DeserializeOwned;

use super::error::{ApiError, ApiResult};
use crate::actor::Actor;
pub use crate::auth::identify::Credential;
use crate::auth::identify::{erp_writer, identify, Presented};
use crate::auth::token::ApiToken;
use crate::error::ServiceResult;
use crate::org::User;
use crate::state::AppState;
use crate::store::Store;

pub const SESSION_COOKIE: &str = "baton_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
const NOT_JSON: &str = "send the body as JSON with Content-Type: application/json";

/// A JSON body whose rejections become our JSON errors (400, or 413 past the limit).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let limit = body_limit(&req);
        if !json_content_type(&req) {
            return Err(ApiError::BadRequest(NOT_JSON.into()));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|r| json_rejection(r.into(), limit))?;
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            // serde_json calls a number where an enum's name belongs ("priority": 5)
            // a syntax error; the body is valid JSON, so it is the field's value that
            // is wrong, and the answer names that field.
            Err(JsonRejection::JsonSyntaxError(e))
                if serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok() =>
            {
                Err(parse_error(
                    "invalid body",
                    "Failed to parse the request body as JSON: ",
                    &e.body_text(),
                ))
            }
            Err(rejection) => Err(json_rejection(rejection, limit)),
        }
    }
}

/// `application/json` or `application/<anything>+json`, as axum's `Json` accepts.
fn json_content_type(req: &Request) -> bool {
    let Some(value) = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    let subtype = subtype.to_ascii_lowercase();
    kind.eq_ignore_ascii_case("application") && (subtype == "json" || subtype.ends_with("+json"))
}

/// The bytes of a JSON body (checked to say it is JSON, 413 past the limit), for
/// handlers that look at the text before parsing it (the ERP ingest checks integers).
pub struct BulkBody(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for BulkBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(ApiError::BadRequest(NOT_JSON.into()));
        }
        let limit = body_limit(&req);
        axum::body::Bytes::from_request(req, state)
            .await
            .map(BulkBody)
            .map_err(|r| {
                if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge(limit)
                } else {
                    ApiError::BadRequest(r.body_text())
                }
            })
    }
}

/// The bytes of a body whatever its type (413 past the limit), for senders that sign
/// the raw bytes: inbound hooks verify the signature before anything is parsed.
pub struct RawBody(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let limit = body_limit(&req);
        axum::body::Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(|r| {
                if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge(limit)
                } else {
                    ApiError::BadRequest(r.body_text())
                }
            })
    }
}

/// A multipart body whose rejections (no boundary, not multipart) are our JSON 400s
/// rather than axum's plain-text ones.
pub struct ApiMultipart(pub axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for ApiMultipart {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Multipart::from_request(req, state)
            .await
            .map(ApiMultipart)
            .map_err(|r| {
                ApiError::BadRequest(format!(
                    "send the file as multipart/form-data: {}",
                    r.body_text()
                ))
            })
    }
}

/// The body limit in force, as `app()` records it for the 413 message.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

fn body_limit(req: &Request) -> usize {
    req.extensions().get::<BodyLimit>().map_or(0, |l| l.0)
}

/// A body serde_json refused: the wrong shape, or not JSON at all.
pub fn body_error(e: serde_json::Error) -> ApiError {
    match e.classify() {
        serde_json::error::Category::Data => ApiError::BadRequest(format!("invalid body: {e}")),
        _ => ApiError::BadRequest(format!("malformed JSON: {e}")),
    }
}

fn json_rejection(r: JsonRejection, limit: usize) -> ApiError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::PayloadTooLarge(limit);
    }
    match r {
        JsonRejection::MissingJsonContentType(_) => ApiError::BadRequest(NOT_JSON.into()),
        JsonRejection::JsonSyntaxError(e) => {
            ApiError::BadRequest(format!("malformed JSON: {}", e.body_text()))
        }
        JsonRejection::JsonDataError(e) => parse_error(
            "invalid body",
            "Failed to deserialize the JSON body into the target type: ",
            &e.body_text(),
        ),
        other => ApiError::BadRequest(other.body_text()),
    }
}

/// The client's address: the peer, or the first X-Forwarded-For entry when the
/// config trusts a reverse proxy.
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if state.config.trusted_proxy {
            let forwarded = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .and_then(|v| v.trim().parse().ok());
            if forwarded.is_some() {
                return Ok(ClientIp(forwarded));
            }
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(ClientIp(peer))
    }
}

/// A logged-in caller. Sessions may do anything their role allows; API tokens reach
/// these endpoints only for reads, with the `read` scope, as their owner.
pub struct Authed {
    pub actor: Actor,
    pub user: User,
    pub credential: Credential,
}

fn bearer(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|v| v.trim().to_string())
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The credential a request presents (bearer token or session cookie), unchecked.
fn presented(parts: &Parts) -> Result<Presented, ApiError> {
    let (secret, via_cookie) = match bearer(parts) {
        Some(t) => (t, false),
        None => {
            let jar = CookieJar::from_headers(&parts.headers);
            match jar.get(SESSION_COOKIE) {
                Some(c) => (c.value().to_string(), true),
                None => return Err(ApiError::Unauthenticated),
            }
        }
    };
    Ok(Presented {
        secret,
        via_cookie,
        safe_method: is_safe(&parts.method),
        csrf: parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(String::from),
    })
}

impl Authed {
    fn new(user: User, credential: Credential) -> Authed {
        Authed {
            actor: Actor::from_user(&user),
            user,
            credential,
        }
    }
}

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let presented = presented(parts)?;
        let life = state.lifetimes();
        let (user, credential) = state
            .run(move |store| Ok(identify(store, presented, Utc::now(), life)))
            .await??;
        Ok(Authed::new(user, credential))
    }
}

/// A caller as [`Authed`] checks them, for the hot reads ("my todo", a task): the
/// check and the read run in one trip to the blocking pool ([`Presenting::run`])
/// instead of one each. Under 64 readers the second hand-off between threads cost
/// about a tenth of "my todo"'s time (`benches/reads.rs`).
pub struct Presenting(Presented);

impl<S: Send + Sync> FromRequestParts<S> for Presenting {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        presented(parts).map(Presenting)
    }
}

impl Presenting {
    /// Checks the credential as [`Authed`] does, then runs `f` as that caller.
    pub async fn run<T: Send + 'static>(
        self,
        state: &AppState,
        f: impl FnOnce(&Store, &Authed) -> ServiceResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        let (presented, life) = (self.0, state.lifetimes());
        let checked = state
            .run(move |store| {
                Ok(identify(store, presented, Utc::now(), life)
                    .map(|(user, credential)| f(store, &Authed::new(user, credential))))
            })
            .await??;
        Ok(checked?)
    }
}

/// Path parameters whose rejections are our JSON 400s.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// Query parameters whose rejections are our JSON 400s.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(r: axum::extract::rejection::PathRejection) -> Self {
        ApiError::BadRequest(format!("bad path: {}", r.body_text()))
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(r: axum::extract::rejection::QueryRejection) -> Self {
        parse_error(
            "bad query",
            "Failed to deserialize query string: ",
            &r.body_text(),
        )
    }
}

/// A parse failure as our 400, naming the field when the parser's text does.
fn parse_error(what: &str, axum_prefix: &str, text: &str) -> ApiError {
    let detail = text.strip_prefix(axum_prefix).unwrap_or(text);
    let message = format!("{what}: {detail}");
    match named_field(detail) {
        Some(field) => ApiError::BadField { field, message },
        None => ApiError::BadRequest(message),
    }
}

/// The field a parse error is about, so the answer can name it: serde reports
/// `limit: number too large…` or `nodes[0].action: invalid type…` for a bad value
/// and ``missing field `kind` `` for an absent one. A nested path is named by its
/// top-level field (the message keeps the whole path).
fn named_field(message: &str) -> Option<String> {
    if let Some((path, _)) = message.split_once(": ") {
        let is_path = path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'));
        if is_path {
            // `[0]: …` is about an element of a top-level array: no field to name.
            let top = path.split(['.', '[']).next().unwrap_or_default();
            return (!top.is_empty()).then(|| top.to_string());
        }
    }
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next().map(String::from)
}

/// An API token with the `erp:write` scope (the ERP pushing records).
pub struct ErpWriter(pub ApiToken);

impl FromRequestParts<AppState> for ErpWriter {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(secret) = bearer(parts) else {
            return Err(ApiError::Unauthenticated);
        };
        let t = state
            .run(move |store| Ok(erp_writer(store, &secret, Utc::now())))
            .await??;
        Ok(ErpWriter(t))
    }
}

#[cfg(test)]
#[path = "extract_tests.rs"]
mod parse_tests;
