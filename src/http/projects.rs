//! Projects.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, Authed};
use crate::projects::service::{self as svc, NewProject, ProjectPatch};
use crate::projects::ProjectView;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_one, update))
        .routes(routes!(add_member))
        .routes(routes!(remove_member))
        .routes(routes!(archive))
        .routes(routes!(restore))
}

#[derive(Serialize, ToSchema)]
pub struct ProjectList {
    pub items: Vec<ProjectView>,
}

#[derive(Deserialize, ToSchema)]
pub struct MemberRequest {
    pub user_id: u64,
}

/// Projects the caller may see.
#[utoipa::path(get, operation_id = "list_projects", path = "/api/projects", tag = "projects", responses((status = 200, body = ProjectList)))]
async fn list(State(state): State<AppState>, auth: Authed) -> ApiResult<Json<ProjectList>> {
    Ok(Json(ProjectList {
        items: state.run(move |s| svc::list(s, &auth.actor)).await?,
    }))
}

/// Create a project.
#[utoipa::path(post, operation_id = "create_project", path = "/api/projects", tag = "projects", request_body = NewProject,
    responses((status = 201, body = ProjectView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    auth: Authed,
    ApiJson(new): ApiJson<NewProject>,
) -> ApiResult<(StatusCode, Json<ProjectView>)> {
    let p = state
        .run(move |s| svc::create(s, &auth.actor, new, Utc::now()))
        .await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// One project.
#[utoipa::path(get, path = "/api/projects/{id}", tag = "projects", params(("id" = u64, Path)), responses((status = 200, body = ProjectView), (status = 404, body = ErrorBody)))]
async fn get_one(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<Json<ProjectView>> {
    Ok(Json(
        state.run(move |s| svc::get(s, &auth.actor, id)).await?,
    ))
}

/// Rename, move or change business types.
#[utoipa::path(patch, operation_id = "update_project", path = "/api/projects/{id}", tag = "projects", params(("id" = u64, Path)), request_body = ProjectPatch,
    responses((status = 200, body = ProjectView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
    ApiJson(patch): ApiJson<ProjectPatch>,
) -> ApiResult<Json<ProjectView>> {
    Ok(Json(
        state
            .run(move |s| svc::update(s, &auth.actor, id, patch, Utc::now()))
            .await?,
    ))
}

/// Add a member.
#[utoipa::path(post, path = "/api/projects/{id}/members", tag = "projects", params(("id" = u64, Path)), request_body = MemberRequest,
    responses((status = 200, body = ProjectView), (status = 400, body = ErrorBody)))]
async fn add_member(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
    ApiJson(req): ApiJson<MemberRequest>,
) -> ApiResult<Json<ProjectView>> {
    Ok(Json(
        state
            .run(move |s| svc::set_member(s, &auth.actor, id, req.user_id, true, Utc::now()))
            .await?,
    ))
}

/// Remove a member.
#[utoipa::path(delete, path = "/api/projects/{id}/members/{user_id}", tag = "projects", params(("id" = u64, Path), ("user_id" = u64, Path)),
    responses((status = 200, body = ProjectView)))]
async fn remove_member(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath((id, user_id)): ApiPath<(u64, u64)>,
) -> ApiResult<Json<ProjectView>> {
    Ok(Json(
        state
            .run(move |s| svc::set_member(s, &auth.actor, id, user_id, false, Utc::now()))
            .await?,
    ))
}

/// Archive a project.
#[utoipa::path(post, path = "/api/projects/{id}/archive", tag = "projects", params(("id" = u64, Path)), responses((status = 200, body = ProjectView)))]
async fn archive(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<Json<ProjectView>> {
    Ok(Json(
        state
            .run(move |s| svc::set_archived(s, &auth.actor, id, true, Utc::now()))
            .await?,
    ))
}

/// Restore an archived project.
#[utoipa::path(post, path = "/api/projects/{id}/restore", tag = "projects", params(("id" = u64, Path)), responses((status = 200, body = ProjectView)))]
async fn restore(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<Json<ProjectView>> {
    Ok(Json(
        state
            .run(move |s| svc::set_archived(s, &auth.actor, id, false, Utc::now()))
            .await?,
    ))
}
