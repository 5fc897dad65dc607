//! Workflow templates, the inbox and the personal views.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Authed, Presenting};
use crate::error::ServiceError;
use crate::inbox::service::{self as inbox, InboxQuery};
use crate::inbox::Message;
use crate::state::AppState;
use crate::tasks::lists::{self, TaskList, Todo};
use crate::tasks::templates::{self, Template, TemplateInput, TemplatePatch};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates, create_template))
        .routes(routes!(update_template, delete_template))
        .routes(routes!(my_todo))
        .routes(routes!(my_list))
        .routes(routes!(list_inbox))
        .routes(routes!(unread_count))
        .routes(routes!(mark_read))
        .routes(routes!(follow_up))
        .routes(routes!(read_all))
}

#[derive(Serialize, ToSchema)]
pub struct TemplateList {
    pub items: Vec<Template>,
}

/// Workflow templates: the built-ins first.
#[utoipa::path(get, path = "/api/templates", tag = "templates", responses((status = 200, body = TemplateList)))]
async fn list_templates(
    State(state): State<AppState>,
    _auth: Authed,
) -> ApiResult<Json<TemplateList>> {
    Ok(Json(TemplateList {
        items: state.run(templates::list).await?,
    }))
}

/// Create a template (admins).
#[utoipa::path(post, path = "/api/templates", tag = "templates", request_body = TemplateInput, responses((status = 201, body = Template), (status = 403, body = ErrorBody)))]
async fn create_template(
    State(state): State<AppState>,
    auth: Authed,
    ApiJson(t): ApiJson<TemplateInput>,
) -> ApiResult<(StatusCode, Json<Template>)> {
    let t = state
        .run(move |s| templates::create(s, &auth.actor, t, Utc::now()))
        .await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// Change a template (admins; not the built-ins).
#[utoipa::path(patch, path = "/api/templates/{id}", tag = "templates", params(("id" = u64, Path)), request_body = TemplatePatch, responses((status = 200, body = Template)))]
async fn update_template(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
    ApiJson(p): ApiJson<TemplatePatch>,
) -> ApiResult<Json<Template>> {
    Ok(Json(
        state
            .run(move |s| templates::update(s, &auth.actor, id, p, Utc::now()))
            .await?,
    ))
}

/// Delete a template (admins; not the built-ins).
#[utoipa::path(delete, path = "/api/templates/{id}", tag = "templates", params(("id" = u64, Path)), responses((status = 204)))]
async fn delete_template(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<StatusCode> {
    state
        .run(move |s| templates::delete(s, &auth.actor, id, Utc::now()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// My todo: tasks whose current step I handle, split into overdue, new and started.
#[utoipa::path(get, path = "/api/my/todo", tag = "my", responses((status = 200, body = Todo)))]
async fn my_todo(State(state): State<AppState>, auth: Presenting) -> ApiResult<Response> {
    let todos = state.todos.clone();
    let body = auth.run(&state, move |s, a| todos.todo(s, &a.actor, Utc::now()));
    Ok(([(header::CONTENT_TYPE, "application/json")], body.await?).into_response())
}

/// The personal lists of `GET /api/my/{which}`, for the OpenAPI document only
/// (`lists::personal` decides; another name is a 404).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
enum MyView {
    Done,
    Created,
    Watching,
    /// Open tasks whose current claim step I may claim (抢单).
    ToClaim,
}

/// Tasks I handled (`done`), created, watch, or may claim (`to_claim`).
#[utoipa::path(get, path = "/api/my/{which}", tag = "my", params(("which" = inline(MyView), Path, description = "done, created, watching or to_claim")), responses((status = 200, body = TaskList)))]
async fn my_list(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(which): ApiPath<String>,
) -> ApiResult<Json<TaskList>> {
    Ok(Json(
        state
            .run(move |s| lists::personal(s, &auth.actor, &which, Utc::now()))
            .await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct InboxPage {
    pub items: Vec<Message>,
    pub unread: usize,
}

#[derive(Serialize, ToSchema)]
pub struct Unread {
    pub unread: usize,
}

#[derive(Deserialize, ToSchema)]
pub struct ReadRequest {
    pub read: bool,
}

#[derive(Deserialize, ToSchema)]
pub struct FollowUpRequest {
    pub follow_up: bool,
}

/// My messages, newest first.
#[utoipa::path(get, path = "/api/inbox", tag = "inbox", params(InboxQuery), responses((status = 200, body = InboxPage)))]
async fn list_inbox(
    State(state): State<AppState>,
    auth: Authed,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> ApiResult<Json<InboxPage>> {
    let (items, unread) = state.run(move |s| inbox::list(s, &auth.actor, &q)).await?;
    Ok(Json(InboxPage { items, unread }))
}

/// How many of my messages are unread.
#[utoipa::path(get, path = "/api/inbox/unread-count", tag = "inbox", responses((status = 200, body = Unread)))]
async fn unread_count(State(state): State<AppState>, auth: Authed) -> ApiResult<Json<Unread>> {
    let uid = auth
        .actor
        .user_id
        .ok_or_else(|| ServiceError::forbidden("no inbox"))?;
    Ok(Json(Unread {
        unread: state.run(move |s| inbox::unread_count(s, uid)).await?,
    }))
}

/// Mark a message read or unread.
#[utoipa::path(post, path = "/api/inbox/{id}/read", tag = "inbox", params(("id" = u64, Path)), request_body = ReadRequest, responses((status = 200, body = Message)))]
async fn mark_read(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
    ApiJson(r): ApiJson<ReadRequest>,
) -> ApiResult<Json<Message>> {
    Ok(Json(
        state
            .run(move |s| inbox::set_read(s, &auth.actor, id, r.read))
            .await?,
    ))
}

/// Set or clear the follow-up flag (待处理).
#[utoipa::path(post, path = "/api/inbox/{id}/follow-up", tag = "inbox", params(("id" = u64, Path)), request_body = FollowUpRequest, responses((status = 200, body = Message)))]
async fn follow_up(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
    ApiJson(r): ApiJson<FollowUpRequest>,
) -> ApiResult<Json<Message>> {
    Ok(Json(
        state
            .run(move |s| inbox::set_follow_up(s, &auth.actor, id, r.follow_up))
            .await?,
    ))
}

/// Mark every message read.
#[utoipa::path(post, path = "/api/inbox/read-all", tag = "inbox", responses((status = 204)))]
async fn read_all(State(state): State<AppState>, auth: Authed) -> ApiResult<StatusCode> {
    state.run(move |s| inbox::read_all(s, &auth.actor)).await?;
    Ok(StatusCode::NO_CONTENT)
}
