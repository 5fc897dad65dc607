//! Delivery channels: company SMTP and webhooks, project and personal webhooks, test
//! notices, and the outbox for admins (failed items, retry by hand).

use axum::extract::State;
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Authed};
use crate::delivery::failure::SendError;
use crate::delivery::outbox;
use crate::delivery::service::{
    self as delivery, DeliveryInput, DeliveryView, TestResult, TestTarget, WebhookInput,
    WebhookView,
};
use crate::delivery::worker;
use crate::delivery::{OutboxItem, OutboxStatus};
use crate::error::ServiceError;
use crate::org::policy::{require_company_admin, sees_delivery_errors, CompanyArea};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(send_test))
        .routes(routes!(list_outbox))
        .routes(routes!(retry_outbox))
        .routes(routes!(get_project_hook, put_project_hook))
        .routes(routes!(get_my_hook, put_my_hook))
}

/// Company delivery settings: mail server and company webhooks (secrets never shown).
#[utoipa::path(get, path = "/api/admin/delivery", tag = "delivery",
    responses((status = 200, body = DeliveryView), (status = 403, body = ErrorBody)))]
async fn get_settings(
    State(state): State<AppState>,
    auth: Authed,
) -> ApiResult<Json<DeliveryView>> {
    Ok(Json(
        state.run(move |s| delivery::get(s, &auth.actor)).await?,
    ))
}

/// Save the company delivery settings. A secret left out keeps the stored one; `""` removes it.
#[utoipa::path(put, path = "/api/admin/delivery", tag = "delivery", request_body = DeliveryInput,
    responses((status = 200, body = DeliveryView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn put_settings(
    State(state): State<AppState>,
    auth: Authed,
    ApiJson(input): ApiJson<DeliveryInput>,
) -> ApiResult<Json<DeliveryView>> {
    let net = state.config.network.clone();
    Ok(Json(
        state
            .run(move |s| delivery::put(s, &auth.actor, input, &net))
            .await?,
    ))
}

/// Send a test notice now, on one channel; `ok: false` comes with the error.
#[utoipa::path(post, path = "/api/admin/delivery/test", tag = "delivery", request_body = TestTarget,
    responses((status = 200, body = TestResult), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn send_test(
    State(state): State<AppState>,
    auth: Authed,
    ApiJson(t): ApiJson<TestTarget>,
) -> ApiResult<Json<TestResult>> {
    let actor = auth.actor.clone();
    let channel = state
        .run(move |s| {
            let target = delivery::test_target(s, &actor, t)?;
            Ok(worker::resolve(s, &target)?)
        })
        .await?;
    let now = Utc::now();
    let notice = delivery::test_notice(&auth.actor, auth.user.language, now);
    let c = &state.config.delivery;
    let out = worker::outbound(c, &state.config.network).map_err(ServiceError::Internal)?;
    let outcome = match channel {
        Ok(ch) => {
            worker::deliver(
                &out,
                &worker::chat_apps(&state.config),
                &ch,
                &notice,
                0,
                state.config.public_url.as_deref(),
                c.timeout,
                now,
            )
            .await
        }
        Err(e) => Err(SendError::Other(e)),
    };
    Ok(Json(test_result(outcome, &auth.actor, auth.user.id)))
}

/// A test send's answer: a failure in full for those who may read the details (they
/// configure the network), in a member's words for the others.
pub(super) fn test_result(
    outcome: Result<(), SendError>,
    actor: &crate::actor::Actor,
    user_id: u64,
) -> TestResult {
    let error = outcome.err().map(|e| {
        tracing::info!(user = user_id, error = %e, "test send failed");
        if sees_delivery_errors(actor) {
            e.to_string()
        } else {
            e.for_member()
        }
    });
    TestResult {
        ok: error.is_none(),
        error,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct OutboxQuery {
    /// pending, sending, sent or failed (default: all).
    status: Option<String>,
    /// At most this many, newest first (default 100, max 500).
    limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
struct OutboxList {
    items: Vec<OutboxItem>,
}

fn admin_only(auth: &Authed) -> Result<(), ServiceError> {
    require_company_admin(&auth.actor, CompanyArea::Outbox)
}

/// Outbox items (company admins), e.g. `?status=failed` with the last error.
#[utoipa::path(get, path = "/api/admin/outbox", tag = "delivery", params(OutboxQuery),
    responses((status = 200, body = OutboxList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_outbox(
    State(state): State<AppState>,
    auth: Authed,
    ApiQuery(q): ApiQuery<OutboxQuery>,
) -> ApiResult<Json<OutboxList>> {
    admin_only(&auth)?;
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(OutboxStatus::parse(s).ok_or_else(|| {
            ServiceError::invalid(
                "status",
                format!("'{s}' is not pending, sending, sent or failed"),
            )
        })?),
    };
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let items = state.run(move |s| outbox::list(s, status, limit)).await?;
    Ok(Json(OutboxList { items }))
}

/// Retry a failed outbox item now, with a fresh set of tries (company admins).
#[utoipa::path(post, path = "/api/admin/outbox/{id}/retry", tag = "delivery", params(("id" = u64, Path)),
    responses((status = 200, body = OutboxItem), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn retry_outbox(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<Json<OutboxItem>> {
    admin_only(&auth)?;
    Ok(Json(
        state.run(move |s| outbox::retry(s, id, Utc::now())).await?,
    ))
}

#[derive(Serialize, ToSchema)]
struct HookBody {
    webhook: Option<WebhookView>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct HookInput {
    /// `null` removes the webhook.
    webhook: Option<WebhookInput>,
}

/// A project's group webhook (project managers).
#[utoipa::path(get, path = "/api/projects/{id}/webhook", tag = "delivery", params(("id" = u64, Path)),
    responses((status = 200, body = HookBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_project_hook(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<Json<HookBody>> {
    let webhook = state
        .run(move |s| delivery::project_hook(s, &auth.actor, id))
        .await?;
    Ok(Json(HookBody { webhook }))
}

/// Set or remove a project's group webhook; the URL must be http(s).
#[utoipa::path(put, path = "/api/projects/{id}/webhook", tag = "delivery", params(("id" = u64, Path)), request_body = HookInput,
    responses((status = 200, body = HookBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn put_project_hook(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
    ApiJson(input): ApiJson<HookInput>,
) -> ApiResult<Json<HookBody>> {
    let net = state.config.network.clone();
    let webhook = state
        .run(move |s| delivery::set_project_hook(s, &auth.actor, id, input.webhook, &net))
        .await?;
    Ok(Json(HookBody { webhook }))
}

/// My own webhook (turn it on per event in my preferences).
#[utoipa::path(get, path = "/api/me/webhook", tag = "delivery", responses((status = 200, body = HookBody)))]
async fn get_my_hook(State(state): State<AppState>, auth: Authed) -> ApiResult<Json<HookBody>> {
    let uid = auth.user.id;
    let webhook = state.run(move |s| delivery::user_hook(s, uid)).await?;
    Ok(Json(HookBody { webhook }))
}

/// Set or remove my own webhook; the URL must be http(s).
#[utoipa::path(put, path = "/api/me/webhook", tag = "delivery", request_body = HookInput,
    responses((status = 200, body = HookBody), (status = 400, body = ErrorBody)))]
async fn put_my_hook(
    State(state): State<AppState>,
    auth: Authed,
    ApiJson(input): ApiJson<HookInput>,
) -> ApiResult<Json<HookBody>> {
    let net = state.config.network.clone();
    let uid = auth.user.id;
    let webhook = state
        .run(move |s| delivery::set_user_hook(s, uid, input.webhook, &net))
        .await?;
    Ok(Json(HookBody { webhook }))
}
