//! Departments.

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
use crate::org::service::{self as org, DepartmentPatch, NewDepartment};
use crate::org::Department;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(update, delete))
}

#[derive(Serialize, ToSchema)]
pub struct DepartmentList {
    pub items: Vec<Department>,
}

/// All departments.
#[utoipa::path(get, operation_id = "list_departments", path = "/api/departments", tag = "departments", responses((status = 200, body = DepartmentList)))]
async fn list(State(state): State<AppState>, _auth: Authed) -> ApiResult<Json<DepartmentList>> {
    Ok(Json(DepartmentList {
        items: state.run(org::list_departments).await?,
    }))
}

/// Create a department.
#[utoipa::path(post, operation_id = "create_department", path = "/api/departments", tag = "departments", request_body = NewDepartment,
    responses((status = 201, body = Department), (status = 403, body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    auth: Authed,
    ApiJson(new): ApiJson<NewDepartment>,
) -> ApiResult<(StatusCode, Json<Department>)> {
    let d = state
        .run(move |store| org::create_department(store, &auth.actor, new, Utc::now()))
        .await?;
    Ok((StatusCode::CREATED, Json(d)))
}

/// Rename or move a department.
#[utoipa::path(patch, operation_id = "update_department", path = "/api/departments/{id}", tag = "departments", params(("id" = u64, Path)), request_body = DepartmentPatch,
    responses((status = 200, body = Department), (status = 409, body = ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
    ApiJson(patch): ApiJson<DepartmentPatch>,
) -> ApiResult<Json<Department>> {
    Ok(Json(
        state
            .run(move |store| org::update_department(store, &auth.actor, id, patch, Utc::now()))
            .await?,
    ))
}

/// Delete an empty department.
#[utoipa::path(delete, operation_id = "delete_department", path = "/api/departments/{id}", tag = "departments", params(("id" = u64, Path)),
    responses((status = 204), (status = 409, body = ErrorBody)))]
async fn delete(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<StatusCode> {
    state
        .run(move |store| org::delete_department(store, &auth.actor, id, Utc::now()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
