//! The personal centre: dashboard, preferences, avatar, and "my ERP" for admins.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, Authed};
use crate::error::ServiceError;
use crate::personal::{self, Dashboard, ErpStatus, Preferences, AVATAR_MAX};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(dashboard))
        .routes(routes!(get_preferences, put_preferences))
        .routes(routes!(upload_avatar))
        .routes(routes!(get_avatar))
        .routes(routes!(erp_status))
}

/// My dashboard: counts, this month's rates, six-month trend, overdue tasks, unread announcements.
#[utoipa::path(get, path = "/api/me/dashboard", tag = "me", responses((status = 200, body = Dashboard)))]
async fn dashboard(State(state): State<AppState>, auth: Authed) -> ApiResult<Json<Dashboard>> {
    let tz = state.config.timezone;
    let uid = auth.user.id;
    Ok(Json(
        state
            .run(move |s| personal::dashboard(s, uid, Utc::now(), tz))
            .await?,
    ))
}

/// My notification preferences (event type × channel).
#[utoipa::path(get, path = "/api/me/preferences", tag = "me", responses((status = 200, body = Preferences)))]
async fn get_preferences(
    State(state): State<AppState>,
    auth: Authed,
) -> ApiResult<Json<Preferences>> {
    let uid = auth.user.id;
    Ok(Json(
        state.run(move |s| personal::preferences(s, uid)).await?,
    ))
}

/// Set my notification preferences; events left out keep their defaults.
#[utoipa::path(put, path = "/api/me/preferences", tag = "me", request_body = Preferences,
    responses((status = 200, body = Preferences), (status = 400, body = ErrorBody)))]
async fn put_preferences(
    State(state): State<AppState>,
    auth: Authed,
    ApiJson(p): ApiJson<Preferences>,
) -> ApiResult<Json<Preferences>> {
    let uid = auth.user.id;
    Ok(Json(
        state
            .run(move |s| personal::set_preferences(s, uid, p))
            .await?,
    ))
}

/// Upload my avatar (multipart field `file`; PNG, JPEG or WebP; at most 1 MiB).
#[utoipa::path(post, path = "/api/me/avatar", tag = "me",
    request_body(content_type = "multipart/form-data", content = String),
    responses((status = 204), (status = 400, body = ErrorBody)))]
async fn upload_avatar(
    State(state): State<AppState>,
    auth: Authed,
    super::extract::ApiMultipart(mut form): super::extract::ApiMultipart,
) -> ApiResult<StatusCode> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        ApiError::BadRequest(format!("bad upload: {}", e.body_text()))
    };
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        if field.name() != Some("file") {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(bad)? {
            if bytes.len() + chunk.len() > AVATAR_MAX {
                return Err(
                    ServiceError::invalid("file", "an avatar may have at most 1 MiB").into(),
                );
            }
            bytes.extend_from_slice(&chunk);
        }
        let uid = auth.user.id;
        let (uploads, tmp) = (state.config.uploads_dir(), state.config.tmp_dir());
        state
            .run(move |_| personal::save_avatar(&uploads, &tmp, uid, &bytes))
            .await?;
        return Ok(StatusCode::NO_CONTENT);
    }
    Err(ApiError::BadRequest(
        "send the image in a multipart field named 'file'".into(),
    ))
}

/// A user's avatar image (404 when they have none).
#[utoipa::path(get, path = "/api/users/{id}/avatar", tag = "me", params(("id" = u64, Path)),
    responses((status = 200, description = "the image"), (status = 404, body = ErrorBody)))]
async fn get_avatar(
    State(state): State<AppState>,
    _auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<Response> {
    let uploads = state.config.uploads_dir();
    let (bytes, ct) = state
        .run(move |_| personal::load_avatar(&uploads, id))
        .await?;
    let mut resp = Body::from(bytes).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=60"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    Ok(resp)
}

/// The ERP connection's status (company admins): tokens with last use; record and
/// scenario details come with ERP ingest.
#[utoipa::path(get, path = "/api/erp/status", tag = "me", responses((status = 200, body = ErpStatus), (status = 403, body = ErrorBody)))]
async fn erp_status(State(state): State<AppState>, auth: Authed) -> ApiResult<Json<ErpStatus>> {
    Ok(Json(
        state
            .run(move |s| personal::erp_status(s, &auth.actor))
            .await?,
    ))
}
