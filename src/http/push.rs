//! Web Push for the signed-in member: the server's public key, their subscribed
//! devices (add, list, remove), and a test push to one of them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, Authed};
use crate::delivery::failure::SendError;
use crate::delivery::push::service::{self as push, DeviceView, SubscriptionInput};
use crate::delivery::push::{send, service::secret_of};
use crate::delivery::service::{test_notice, TestResult};
use crate::delivery::worker;
use crate::error::ServiceError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_push))
        .routes(routes!(add_device))
        .routes(routes!(remove_device))
        .routes(routes!(test_device))
}

#[derive(Serialize, ToSchema)]
struct PushView {
    /// The server's VAPID key, base64url: `applicationServerKey` for
    /// `pushManager.subscribe`.
    public_key: String,
    devices: Vec<DeviceView>,
}

/// The server's push key and my subscribed devices.
#[utoipa::path(get, path = "/api/me/push", tag = "delivery", responses((status = 200, body = PushView)))]
async fn get_push(State(state): State<AppState>, auth: Authed) -> ApiResult<Json<PushView>> {
    let uid = auth.user.id;
    let view = state
        .run(move |s| {
            let key = push::vapid_key(s, Utc::now())?;
            let devices = push::devices(s, uid)?;
            Ok(PushView {
                public_key: key.public_key,
                devices: devices.iter().map(DeviceView::from).collect(),
            })
        })
        .await?;
    Ok(Json(view))
}

/// Subscribe this browser: the body is `PushSubscription.toJSON()` plus a `label`.
/// The same endpoint again updates that device.
#[utoipa::path(post, path = "/api/me/push/devices", tag = "delivery", request_body = SubscriptionInput,
    responses((status = 201, body = DeviceView), (status = 400, body = ErrorBody)))]
async fn add_device(
    State(state): State<AppState>,
    auth: Authed,
    ApiJson(input): ApiJson<SubscriptionInput>,
) -> ApiResult<(StatusCode, Json<DeviceView>)> {
    let net = state.config.network.clone();
    let uid = auth.user.id;
    let device = state
        .run(move |s| push::subscribe(s, uid, input, &net, Utc::now()))
        .await?;
    Ok((StatusCode::CREATED, Json(device)))
}

/// Stop pushing to one of my devices.
#[utoipa::path(delete, path = "/api/me/push/devices/{id}", tag = "delivery", params(("id" = u64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn remove_device(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<StatusCode> {
    let uid = auth.user.id;
    state
        .run(move |s| match push::remove(s, uid, id)? {
            true => Ok(()),
            false => Err(ServiceError::not_found(format!("device {id} not found"))),
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Push a test notice to one of my devices now; a device the push service no longer
/// knows is forgotten.
#[utoipa::path(post, path = "/api/me/push/devices/{id}/test", tag = "delivery", params(("id" = u64, Path)),
    responses((status = 200, body = TestResult), (status = 404, body = ErrorBody)))]
async fn test_device(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<Json<TestResult>> {
    let uid = auth.user.id;
    let (key, device) = state
        .run(move |s| {
            let device = push::device(s, uid, id)?
                .ok_or_else(|| ServiceError::not_found(format!("device {id} not found")))?;
            let key =
                secret_of(&push::vapid_key(s, Utc::now())?).map_err(ServiceError::Internal)?;
            Ok((key, device))
        })
        .await?;
    let now = Utc::now();
    let notice = test_notice(&auth.actor, auth.user.language, now);
    let c = &state.config.delivery;
    let out = worker::outbound(c, &state.config.network).map_err(ServiceError::Internal)?;
    let public_url = state.config.public_url.as_deref();
    let outcome = match tokio::time::timeout(
        c.timeout,
        send::send(&out, &key, &device, &notice, public_url, now),
    )
    .await
    {
        Ok(r) => r,
        Err(_) => Err(SendError::Unreachable("push request timed out".into())),
    };
    if matches!(outcome, Err(SendError::Gone(_))) {
        state.run(move |s| Ok(push::remove(s, uid, id)?)).await?;
    }
    Ok(Json(super::delivery::test_result(
        outcome,
        &auth.actor,
        uid,
    )))
}
