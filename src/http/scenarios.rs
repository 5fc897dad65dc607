//! Scenarios (company admins): list, save with a syntax check and the test cases,
//! enable, delete, dry run and preview; `history` has versions and cases.

mod history;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody, ErrorDetail};
use super::extract::{ApiJson, ApiPath, Authed};
use crate::org::policy::{require_company_admin, CompanyArea};
use crate::scenarios::admin::{self as svc, DryRun, DryRunRequest, Preview, SaveOptions, Saved};
use crate::scenarios::cases::CaseResult;
use crate::scenarios::Scenario;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, save))
        .routes(routes!(update, delete))
        .routes(routes!(dry_run))
        .routes(routes!(preview))
        .merge(history::router())
}

/// The script lane of admins' dry runs and previews: they wait for a place like a
/// push does, in a lane of their own ('#' never appears in a record kind).
const ADMIN_LANE: &str = "#admin";

#[derive(Serialize, ToSchema)]
pub struct ScenarioList {
    pub items: Vec<Scenario>,
    /// How often the scheduler looks for wake times (`scheduler_interval`): a
    /// time-based scenario fires at most this late.
    pub scheduler_interval_secs: u64,
}

#[derive(Deserialize, ToSchema)]
pub struct Source {
    pub source: String,
}

#[derive(Deserialize, ToSchema)]
pub struct SaveRequest {
    pub source: String,
    /// Why, kept with the version.
    #[serde(default)]
    pub comment: Option<String>,
    /// Save even when test cases fail; the version comment then says how many.
    #[serde(default)]
    pub save_anyway: bool,
}

/// 422: the save was refused because these test cases fail (an [`ErrorBody`] with the
/// list beside it).
#[derive(Serialize)]
pub struct CasesFailedBody {
    pub error: ErrorDetail,
    pub failing: Vec<CaseResult>,
}

#[derive(Deserialize, ToSchema)]
pub struct ScenarioPatch {
    pub enabled: bool,
}

/// All scenarios with their state: enabled, times fired, last fired, last error.
#[utoipa::path(get, operation_id = "list_scenarios", path = "/api/scenarios", tag = "scenarios", responses((status = 200, body = ScenarioList), (status = 403, body = ErrorBody)))]
async fn list(State(state): State<AppState>, auth: Authed) -> ApiResult<Json<ScenarioList>> {
    let scheduler_interval_secs = state.config.scheduler_interval.as_secs().max(1);
    Ok(Json(ScenarioList {
        items: state
            .run(move |s| svc::list(s, &auth.actor, Utc::now()))
            .await?,
        scheduler_interval_secs,
    }))
}

/// Create or update a scenario (by its `const ID`). A script that does not compile is
/// refused with line and column, and the stored version stays; so is one whose test
/// cases fail (422 with the failing cases), unless `save_anyway`. A changed script is
/// kept as a new version with the comment.
#[utoipa::path(post, path = "/api/scenarios", tag = "scenarios", request_body = SaveRequest,
    responses((status = 200, body = Scenario), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody, description = "Test cases fail: code `cases_failed`, and beside `error` a list `failing` of {name, passed, expected, got}")))]
async fn save(
    State(state): State<AppState>,
    auth: Authed,
    ApiJson(req): ApiJson<SaveRequest>,
) -> ApiResult<Response> {
    let scenarios = state.scenarios.clone();
    let opts = SaveOptions {
        comment: req.comment.unwrap_or_default(),
        save_anyway: req.save_anyway,
        ..SaveOptions::default()
    };
    let saved = state
        .run(move |s| svc::save_with(s, &scenarios, &auth.actor, &req.source, opts, Utc::now()))
        .await?;
    Ok(match saved {
        Saved::Saved(s) => Json(s).into_response(),
        Saved::CasesFailed(failing) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(CasesFailedBody {
                error: ErrorDetail {
                    code: "cases_failed".into(),
                    message: format!(
                        "{} test case(s) fail, so the scenario was not saved (save anyway to keep it)",
                        failing.len()
                    ),
                    field: Some("source".into()),
                },
                failing,
            }),
        )
            .into_response(),
    })
}

/// Enable or disable a scenario.
#[utoipa::path(patch, operation_id = "update_scenario", path = "/api/scenarios/{id}", tag = "scenarios", params(("id" = u64, Path)), request_body = ScenarioPatch, responses((status = 200, body = Scenario)))]
async fn update(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
    ApiJson(p): ApiJson<ScenarioPatch>,
) -> ApiResult<Json<Scenario>> {
    let scenarios = state.scenarios.clone();
    Ok(Json(
        state
            .run(move |s| svc::set_enabled(s, &scenarios, &auth.actor, id, p.enabled, Utc::now()))
            .await?,
    ))
}

/// Delete a scenario (its tasks stay).
#[utoipa::path(delete, operation_id = "delete_scenario", path = "/api/scenarios/{id}", tag = "scenarios", params(("id" = u64, Path)), responses((status = 204)))]
async fn delete(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<StatusCode> {
    let scenarios = state.scenarios.clone();
    state
        .run(move |s| svc::delete(s, &scenarios, &auth.actor, id, Utc::now()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What task would this script create for this record? Nothing is stored.
#[utoipa::path(post, path = "/api/scenarios/dry-run", tag = "scenarios", request_body = DryRunRequest, responses((status = 200, body = DryRun), (status = 400, body = ErrorBody)))]
async fn dry_run(
    State(state): State<AppState>,
    auth: Authed,
    ApiJson(req): ApiJson<DryRunRequest>,
) -> ApiResult<Json<DryRun>> {
    let scenarios = state.scenarios.clone();
    // Refuse before queueing: only admins may take a script place.
    require_company_admin(&auth.actor, CompanyArea::Scenarios)?;
    let slot = state.script_slots.acquire(&[ADMIN_LANE]).await;
    Ok(Json(
        state
            .run(move |s| {
                let _slot = slot;
                svc::dry_run(s, &scenarios, &auth.actor, req, Utc::now())
            })
            .await?,
    ))
}

/// Which stored records match this script now, and which tasks it would create.
#[utoipa::path(post, path = "/api/scenarios/preview", tag = "scenarios", request_body = Source, responses((status = 200, body = Preview), (status = 400, body = ErrorBody)))]
async fn preview(
    State(state): State<AppState>,
    auth: Authed,
    ApiJson(src): ApiJson<Source>,
) -> ApiResult<Json<Preview>> {
    let scenarios = state.scenarios.clone();
    // Refuse before queueing: only admins may take a script place.
    require_company_admin(&auth.actor, CompanyArea::Scenarios)?;
    let slot = state.script_slots.acquire(&[ADMIN_LANE]).await;
    Ok(Json(
        state
            .run(move |s| {
                let _slot = slot;
                svc::preview(s, &scenarios, &auth.actor, &src.source, Utc::now())
            })
            .await?,
    ))
}
