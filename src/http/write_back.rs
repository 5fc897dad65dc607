//! Write-back targets (company admins): the ERP or shop that hears what people
//! decided; their last deliveries and a test send. A project's choice of target
//! (its managers). Failed deliveries are retried with `POST /api/admin/outbox/{id}/retry`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::delivery::test_result;
use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, Authed};
use crate::delivery::service::TestResult;
use crate::delivery::worker;
use crate::delivery::write_back::body::{sample, Who};
use crate::delivery::write_back::send::post;
use crate::delivery::write_back::service::{
    self as wb, NewTarget, ProjectChoice, TargetPatch, TargetView,
};
use crate::delivery::OutboxItem;
use crate::error::ServiceError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_targets, create_target))
        .routes(routes!(get_target, update_target, delete_target))
        .routes(routes!(target_deliveries))
        .routes(routes!(test_target))
        .routes(routes!(get_project_choice, put_project_choice))
}

#[derive(Serialize, ToSchema)]
struct TargetList {
    items: Vec<TargetView>,
}

/// Write-back targets (company admins). Secrets are never shown.
#[utoipa::path(get, path = "/api/admin/write-back", tag = "write-back",
    responses((status = 200, body = TargetList), (status = 403, body = ErrorBody)))]
async fn list_targets(State(state): State<AppState>, auth: Authed) -> ApiResult<Json<TargetList>> {
    let items = state.run(move |s| wb::list(s, &auth.actor)).await?;
    Ok(Json(TargetList { items }))
}

/// Set up a write-back target (company admins): a name, an http(s) URL Baton may
/// reach, the HMAC-SHA256 secret.
#[utoipa::path(post, path = "/api/admin/write-back", tag = "write-back", request_body = NewTarget,
    responses((status = 201, body = TargetView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_target(
    State(state): State<AppState>,
    auth: Authed,
    ApiJson(input): ApiJson<NewTarget>,
) -> ApiResult<(StatusCode, Json<TargetView>)> {
    let net = state.config.network.clone();
    let t = state
        .run(move |s| wb::create(s, &auth.actor, input, &net, Utc::now()))
        .await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// One write-back target (company admins).
#[utoipa::path(get, path = "/api/admin/write-back/{id}", tag = "write-back", params(("id" = u64, Path)),
    responses((status = 200, body = TargetView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_target(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<Json<TargetView>> {
    Ok(Json(state.run(move |s| wb::get(s, &auth.actor, id)).await?))
}

/// Change a target's URL, secret (`""` removes it) or switch it on or off.
#[utoipa::path(patch, path = "/api/admin/write-back/{id}", tag = "write-back", params(("id" = u64, Path)), request_body = TargetPatch,
    responses((status = 200, body = TargetView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn update_target(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
    ApiJson(patch): ApiJson<TargetPatch>,
) -> ApiResult<Json<TargetView>> {
    let net = state.config.network.clone();
    Ok(Json(
        state
            .run(move |s| wb::update(s, &auth.actor, id, patch, &net, Utc::now()))
            .await?,
    ))
}

/// Remove a write-back target (company admins).
#[utoipa::path(delete, path = "/api/admin/write-back/{id}", tag = "write-back", params(("id" = u64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_target(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<StatusCode> {
    state
        .run(move |s| wb::delete(s, &auth.actor, id, Utc::now()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
struct DeliveryList {
    items: Vec<OutboxItem>,
}

/// A target's last 50 deliveries, newest first: status, attempts, last error, time.
#[utoipa::path(get, path = "/api/admin/write-back/{id}/deliveries", tag = "write-back", params(("id" = u64, Path)),
    responses((status = 200, body = DeliveryList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn target_deliveries(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<Json<DeliveryList>> {
    let items = state
        .run(move |s| wb::deliveries(s, &auth.actor, id, 50))
        .await?;
    Ok(Json(DeliveryList { items }))
}

/// Send a signed test body (`"event": "test"`) to the target now.
#[utoipa::path(post, path = "/api/admin/write-back/{id}/test", tag = "write-back", params(("id" = u64, Path)),
    responses((status = 200, body = TestResult), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn test_target(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<Json<TestResult>> {
    let actor = auth.actor.clone();
    let target = state
        .run(move |s| wb::target_for_test(s, &actor, id))
        .await?;
    let c = &state.config.delivery;
    let out = worker::outbound(c, &state.config.network).map_err(ServiceError::Internal)?;
    let who = Who {
        id: Some(auth.user.id),
        username: Some(auth.user.username.clone()),
        name: auth.user.display_name.clone(),
    };
    let body = sample(who, Utc::now());
    let outcome = post(&out, &target, "test", &body, 0, c.timeout).await;
    Ok(Json(test_result(outcome, &auth.actor, auth.user.id)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ChoiceInput {
    /// A target's name; `null` stops the project's write-back.
    target: Option<String>,
}

/// The write-back target a project's tasks report to (its managers).
#[utoipa::path(get, path = "/api/projects/{id}/write-back", tag = "write-back", params(("id" = u64, Path)),
    responses((status = 200, body = ProjectChoice), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_project_choice(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<Json<ProjectChoice>> {
    Ok(Json(
        state.run(move |s| wb::project(s, &auth.actor, id)).await?,
    ))
}

/// Choose (or with `null` clear) the project's write-back target (its managers).
/// A scenario's own `const WRITE_BACK` wins for its tasks.
#[utoipa::path(put, path = "/api/projects/{id}/write-back", tag = "write-back", params(("id" = u64, Path)), request_body = ChoiceInput,
    responses((status = 200, body = ProjectChoice), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn put_project_choice(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
    ApiJson(input): ApiJson<ChoiceInput>,
) -> ApiResult<Json<ProjectChoice>> {
    Ok(Json(
        state
            .run(move |s| wb::set_project(s, &auth.actor, id, input.target, Utc::now()))
            .await?,
    ))
}
