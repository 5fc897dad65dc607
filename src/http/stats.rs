//! Statistics: the table, its CSV/XLSX export, and a member's own trend.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiQuery, Authed};
use crate::error::ServiceError;
use crate::state::AppState;
use crate::stats::service::{self as stats, StatsQuery, StatsTable, TrendPoint};
use crate::tasks::field_reports::{self, Breakdown, BreakdownQuery};
use crate::tasks::record::open_work;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(table))
        .routes(routes!(export_csv))
        .routes(routes!(export_xlsx))
        .routes(routes!(my_trend))
        .routes(routes!(by_field))
}

/// A project's tasks the caller may see, counted by the values of one of its choice
/// custom fields (open, done, overdue per option).
#[utoipa::path(get, path = "/api/stats/fields", tag = "stats", params(BreakdownQuery),
    responses((status = 200, body = Breakdown), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn by_field(
    State(state): State<AppState>,
    auth: Authed,
    ApiQuery(q): ApiQuery<BreakdownQuery>,
) -> ApiResult<Json<Breakdown>> {
    Ok(Json(
        state
            .run(move |s| field_reports::by_choice(s, &auth.actor, &q, Utc::now()))
            .await?,
    ))
}

/// Statistics per member for one month or ISO week of the last six months (`periods`
/// in the answer lists them; anything else is 400). Company admins see everyone,
/// department admins their departments, members themselves.
#[utoipa::path(get, path = "/api/stats", tag = "stats", params(StatsQuery),
    responses((status = 200, body = StatsTable), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn table(
    State(state): State<AppState>,
    auth: Authed,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> ApiResult<Json<StatsTable>> {
    let tz = state.config.timezone;
    Ok(Json(
        state
            .run(move |s| stats::table(s, &auth.actor, &q, Utc::now(), tz, &open_work))
            .await?,
    ))
}

fn download(bytes: Vec<u8>, content_type: &'static str, name: String) -> Response {
    let mut resp = Body::from(bytes).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

async fn load(state: &AppState, auth: Authed, q: StatsQuery) -> Result<StatsTable, ServiceError> {
    let tz = state.config.timezone;
    state
        .run(move |s| stats::table(s, &auth.actor, &q, Utc::now(), tz, &open_work))
        .await
}

/// The statistics table as CSV (same query as `/api/stats`).
#[utoipa::path(get, path = "/api/stats/export.csv", tag = "stats", params(StatsQuery),
    responses((status = 200, description = "text/csv"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn export_csv(
    State(state): State<AppState>,
    auth: Authed,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> ApiResult<Response> {
    let t = load(&state, auth, q).await?;
    let bytes = stats::to_csv(&t)?;
    Ok(download(
        bytes,
        "text/csv; charset=utf-8",
        format!("baton-stats-{}.csv", t.at),
    ))
}

/// The statistics table as an XLSX workbook (same query as `/api/stats`).
#[utoipa::path(get, path = "/api/stats/export.xlsx", tag = "stats", params(StatsQuery),
    responses((status = 200, description = "XLSX workbook"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn export_xlsx(
    State(state): State<AppState>,
    auth: Authed,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> ApiResult<Response> {
    let t = load(&state, auth, q).await?;
    let bytes = tokio::task::spawn_blocking(move || stats::to_xlsx(&t).map(|b| (b, t.at)))
        .await
        .map_err(|e| ServiceError::Internal(format!("worker failed: {e}")))??;
    Ok(download(
        bytes.0,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        format!("baton-stats-{}.xlsx", bytes.1),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct TrendList {
    pub items: Vec<TrendPoint>,
}

/// My last six months, oldest first.
#[utoipa::path(get, path = "/api/stats/me/trend", tag = "stats", responses((status = 200, body = TrendList)))]
async fn my_trend(State(state): State<AppState>, auth: Authed) -> ApiResult<Json<TrendList>> {
    let tz = state.config.timezone;
    let uid = auth.user.id;
    let items = state
        .run(move |s| stats::trend(s, uid, Utc::now(), tz))
        .await?;
    Ok(Json(TrendList { items }))
}
