//! A scenario's versions (list, one, diff of two, roll back) and its stored test cases
//! (list, add, delete, run). Company admins only, like the rest of the scenario routes.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Authed};
use crate::org::policy::{require_company_admin, CompanyArea};
use crate::scenarios::admin as svc;
use crate::scenarios::case_store::{self, CaseRun, NewCase, ScenarioCase};
use crate::scenarios::diff::Diff;
use crate::scenarios::versions::{self, ScenarioVersion, VersionPage};
use crate::scenarios::Scenario;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_versions))
        .routes(routes!(get_version))
        .routes(routes!(diff))
        .routes(routes!(rollback))
        .routes(routes!(list_cases, add_case))
        .routes(routes!(delete_case))
        .routes(routes!(run_cases))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct VersionQuery {
    /// Versions below this number (the `next_before` of the page before).
    before: Option<u64>,
    /// At most this many, newest first (default 20, max 100).
    limit: Option<usize>,
}

/// A scenario's saved versions, newest first: author, time, comment and script.
#[utoipa::path(get, path = "/api/scenarios/{id}/versions", tag = "scenarios",
    params(("id" = u64, Path), VersionQuery),
    responses((status = 200, body = VersionPage), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_versions(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
    ApiQuery(q): ApiQuery<VersionQuery>,
) -> ApiResult<Json<VersionPage>> {
    let limit = q.limit.unwrap_or(20).clamp(1, 100);
    Ok(Json(
        state
            .run(move |s| versions::list(s, &auth.actor, id, q.before, limit))
            .await?,
    ))
}

/// One saved version, by its number (a task's `source.scenario_version`).
#[utoipa::path(get, path = "/api/scenarios/{id}/versions/{version}", tag = "scenarios",
    params(("id" = u64, Path), ("version" = u64, Path)),
    responses((status = 200, body = ScenarioVersion), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_version(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath((id, version)): ApiPath<(u64, u64)>,
) -> ApiResult<Json<ScenarioVersion>> {
    Ok(Json(
        state
            .run(move |s| versions::get(s, &auth.actor, id, version))
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DiffQuery {
    /// The older version's number.
    from: u64,
    /// The newer version's number.
    to: u64,
}

/// The line diff between two versions, as hunks of added, removed and unchanged lines.
#[utoipa::path(get, path = "/api/scenarios/{id}/diff", tag = "scenarios",
    params(("id" = u64, Path), DiffQuery),
    responses((status = 200, body = Diff), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn diff(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> ApiResult<Json<Diff>> {
    Ok(Json(
        state
            .run(move |s| versions::diff(s, &auth.actor, id, q.from, q.to))
            .await?,
    ))
}

/// Save the script of an older version as a new version ("rollback to vN"). Test cases
/// that fail do not stop it; the version comment counts them.
#[utoipa::path(post, path = "/api/scenarios/{id}/versions/{version}/rollback", tag = "scenarios",
    params(("id" = u64, Path), ("version" = u64, Path)),
    responses((status = 200, body = Scenario), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn rollback(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath((id, version)): ApiPath<(u64, u64)>,
) -> ApiResult<Json<Scenario>> {
    let scenarios = state.scenarios.clone();
    Ok(Json(
        state
            .run(move |s| svc::rollback(s, &scenarios, &auth.actor, id, version, Utc::now()))
            .await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct CaseList {
    pub items: Vec<ScenarioCase>,
}

/// A scenario's stored test cases, by name.
#[utoipa::path(get, path = "/api/scenarios/{id}/cases", tag = "scenarios",
    params(("id" = u64, Path)),
    responses((status = 200, body = CaseList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_cases(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<Json<CaseList>> {
    Ok(Json(CaseList {
        items: state
            .run(move |s| case_store::list(s, &auth.actor, id))
            .await?,
    }))
}

/// Add a test case: a record (pasted, or a stored one by kind and id) and what the
/// scenario should do with it. Without `now`, the case keeps the time it was added.
#[utoipa::path(post, path = "/api/scenarios/{id}/cases", tag = "scenarios",
    params(("id" = u64, Path)), request_body = NewCase,
    responses((status = 200, body = ScenarioCase), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn add_case(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
    ApiJson(new): ApiJson<NewCase>,
) -> ApiResult<Json<ScenarioCase>> {
    Ok(Json(
        state
            .run(move |s| case_store::add(s, &auth.actor, id, new, Utc::now()))
            .await?,
    ))
}

/// Delete a test case.
#[utoipa::path(delete, path = "/api/scenarios/{id}/cases/{case_id}", tag = "scenarios",
    params(("id" = u64, Path), ("case_id" = u64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_case(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath((id, case_id)): ApiPath<(u64, u64)>,
) -> ApiResult<StatusCode> {
    state
        .run(move |s| case_store::delete(s, &auth.actor, id, case_id, Utc::now()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunCases {
    /// A script to run them against instead of the saved one (the editor's).
    pub source: Option<String>,
}

/// Run a scenario's test cases against its saved script, or the one given.
#[utoipa::path(post, path = "/api/scenarios/{id}/cases/run", tag = "scenarios",
    params(("id" = u64, Path)), request_body = RunCases,
    responses((status = 200, body = CaseRun), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn run_cases(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
    ApiJson(body): ApiJson<RunCases>,
) -> ApiResult<Json<CaseRun>> {
    let scenarios = state.scenarios.clone();
    // Refuse before queueing: only admins may take a script place.
    require_company_admin(&auth.actor, CompanyArea::Scenarios)?;
    let slot = state.script_slots.acquire(&[super::ADMIN_LANE]).await;
    Ok(Json(
        state
            .run(move |s| {
                let _slot = slot;
                case_store::run(
                    s,
                    &scenarios,
                    &auth.actor,
                    id,
                    body.source.as_deref(),
                    Utc::now(),
                )
            })
            .await?,
    ))
}
