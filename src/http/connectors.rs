//! Pull connectors for company admins: set-up, "run now" and the last run's outcome.

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
use crate::connectors::admin::{
    self, ConnectorPatch, ConnectorView, NewConnector, DEFAULT_MAPPING,
};
use crate::connectors::model::RunReport;
use crate::org::policy::{require_company_admin, CompanyArea};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_connectors, create_connector))
        .routes(routes!(connector_defaults))
        .routes(routes!(get_connector, update_connector, delete_connector))
        .routes(routes!(run_connector))
}

#[derive(Serialize, ToSchema)]
pub struct ConnectorList {
    pub items: Vec<ConnectorView>,
}

/// Pull connectors (company admins). Auth header values are never shown.
#[utoipa::path(get, path = "/api/admin/connectors", tag = "connectors", responses((status = 200, body = ConnectorList)))]
async fn list_connectors(
    State(state): State<AppState>,
    auth: Authed,
) -> ApiResult<Json<ConnectorList>> {
    let items = state.run(move |s| admin::list(s, &auth.actor)).await?;
    Ok(Json(ConnectorList { items }))
}

/// Set up a pull connector (company admins): a URL answering JSON or CSV, optionally an
/// auth header, an interval, a mapping and a cursor. It first runs on the next tick.
#[utoipa::path(post, path = "/api/admin/connectors", tag = "connectors", request_body = NewConnector,
    responses((status = 201, body = ConnectorView), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_connector(
    State(state): State<AppState>,
    auth: Authed,
    ApiJson(input): ApiJson<NewConnector>,
) -> ApiResult<(StatusCode, Json<ConnectorView>)> {
    let policy = state.config.network.clone();
    let c = state
        .run(move |s| admin::create(s, &policy, &auth.actor, input, Utc::now()))
        .await?;
    Ok((StatusCode::CREATED, Json(c)))
}

#[derive(Serialize, ToSchema)]
pub struct ConnectorDefaults {
    /// The mapping a new connector starts with.
    pub mapping: String,
    pub interval_secs: u64,
    pub timeout_secs: u64,
    pub min_interval_secs: u64,
    pub max_timeout_secs: u64,
    /// How often the schedule looks for due connectors (`scheduler_interval`).
    pub tick_secs: u64,
}

/// What a new connector starts with (company admins).
#[utoipa::path(get, path = "/api/admin/connectors/defaults", tag = "connectors", responses((status = 200, body = ConnectorDefaults)))]
async fn connector_defaults(
    State(state): State<AppState>,
    auth: Authed,
) -> ApiResult<Json<ConnectorDefaults>> {
    require_company_admin(&auth.actor, CompanyArea::Connectors)?;
    Ok(Json(ConnectorDefaults {
        mapping: DEFAULT_MAPPING.to_string(),
        interval_secs: admin::DEFAULT_INTERVAL_SECS,
        timeout_secs: admin::DEFAULT_TIMEOUT_SECS,
        min_interval_secs: admin::MIN_INTERVAL_SECS,
        max_timeout_secs: admin::MAX_TIMEOUT_SECS,
        tick_secs: state.config.scheduler_interval.as_secs().max(1),
    }))
}

#[utoipa::path(get, path = "/api/admin/connectors/{id}", tag = "connectors", params(("id" = u64, Path)), responses((status = 200, body = ConnectorView)))]
async fn get_connector(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<Json<ConnectorView>> {
    Ok(Json(
        state.run(move |s| admin::get(s, &auth.actor, id)).await?,
    ))
}

/// Change a connector (company admins): URL, format, auth, interval, time-out, mapping,
/// cursor (`reset_cursor` asks for everything again), on/off.
#[utoipa::path(patch, path = "/api/admin/connectors/{id}", tag = "connectors", params(("id" = u64, Path)), request_body = ConnectorPatch,
    responses((status = 200, body = ConnectorView), (status = 400, body = ErrorBody)))]
async fn update_connector(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
    ApiJson(patch): ApiJson<ConnectorPatch>,
) -> ApiResult<Json<ConnectorView>> {
    let policy = state.config.network.clone();
    Ok(Json(
        state
            .run(move |s| admin::update(s, &policy, &auth.actor, id, patch, Utc::now()))
            .await?,
    ))
}

/// Remove a connector (company admins); the records it stored stay.
#[utoipa::path(delete, path = "/api/admin/connectors/{id}", tag = "connectors", params(("id" = u64, Path)), responses((status = 204)))]
async fn delete_connector(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<StatusCode> {
    state
        .run(move |s| admin::delete(s, &auth.actor, id, Utc::now()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Run a connector now (company admins), for testing its settings: answers with the
/// run's report once it has finished (also when the fetch or the mapping failed: see
/// `ok` and `error`). 409 while the connector is running already.
#[utoipa::path(post, path = "/api/admin/connectors/{id}/run", tag = "connectors", params(("id" = u64, Path)),
    responses((status = 200, body = RunReport), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn run_connector(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<Json<RunReport>> {
    let actor = auth.actor.clone();
    state
        .run(move |s| admin::get(s, &actor, id).map(|_| ()))
        .await?;
    Ok(Json(state.connectors.run(id, true).await?))
}
