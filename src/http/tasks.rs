//! Tasks: create, read, edit, copy, move, delete, archive; flow operations; checklist;
//! comments; the task log; attachments.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiMultipart, ApiPath, ApiQuery, Authed, Presenting};
use super::files;
use crate::flow::model::Attachment;
use crate::flow::Op;
use crate::state::AppState;
use crate::tasks::attachments;
use crate::tasks::comments::{self, CommentView, NewComment};
use crate::tasks::lists::{self, ListQuery, TaskPage};
use crate::tasks::log::{self, LogEntry};
use crate::tasks::operate::{self, CheckRequest, OpRequest};
use crate::tasks::service::{self as svc, NewTask, TaskPatch};
use crate::tasks::view::TaskView;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tasks, create_task))
        .routes(routes!(export_tasks))
        .routes(routes!(get_task, edit_task, delete_task))
        .routes(routes!(copy_task))
        .routes(routes!(move_task))
        .routes(routes!(archive_task))
        .routes(routes!(archive_finished))
        .routes(routes!(flow_op))
        .routes(routes!(check_item))
        .routes(routes!(list_comments, add_comment))
        .routes(routes!(task_log))
        .merge(
            // Only uploads may be larger than the JSON body limit: they are limited by
            // `attachment_max_mb` in the handler, while streaming.
            OpenApiRouter::new()
                .routes(routes!(upload))
                .routes(routes!(download, remove_attachment))
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
}

/// Create a task in a project.
#[utoipa::path(post, path = "/api/projects/{pid}/tasks", tag = "tasks", params(("pid" = u64, Path)), request_body = NewTask,
    responses((status = 201, body = TaskView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn create_task(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(pid): ApiPath<u64>,
    ApiJson(new): ApiJson<NewTask>,
) -> ApiResult<(StatusCode, Json<TaskView>)> {
    let v = state
        .run(move |s| svc::create(s, &auth.actor, pid, new, Utc::now()))
        .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// A project's tasks the caller may see, filtered, sorted and paged.
#[utoipa::path(get, path = "/api/projects/{pid}/tasks", tag = "tasks", params(("pid" = u64, Path), ListQuery), responses((status = 200, body = TaskPage)))]
async fn list_tasks(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(pid): ApiPath<u64>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<TaskPage>> {
    Ok(Json(
        state
            .run(move |s| lists::project_tasks(s, &auth.actor, pid, &q, Utc::now()))
            .await?,
    ))
}

/// The same list (all pages, at most 10 000 tasks) as CSV, a column per custom field.
#[utoipa::path(get, path = "/api/projects/{pid}/tasks/export.csv", tag = "tasks", params(("pid" = u64, Path), ListQuery),
    responses((status = 200, description = "text/csv"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn export_tasks(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(pid): ApiPath<u64>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<axum::response::Response> {
    use axum::http::{header, HeaderValue};
    use axum::response::IntoResponse;
    let bytes = state
        .run(move |s| crate::tasks::field_reports::tasks_csv(s, &auth.actor, pid, &q, Utc::now()))
        .await?;
    let mut resp = axum::body::Body::from(bytes).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"baton-tasks-{pid}.csv\""))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

/// One task, with the operations the caller may perform.
#[utoipa::path(get, path = "/api/tasks/{id}", tag = "tasks", params(("id" = u64, Path)), responses((status = 200, body = TaskView), (status = 404, body = ErrorBody)))]
async fn get_task(
    State(state): State<AppState>,
    auth: Presenting,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<Json<TaskView>> {
    let task = auth.run(&state, move |s, a| svc::get(s, &a.actor, id, Utc::now()));
    Ok(Json(task.await?))
}

/// Edit a task (creator, editors, admins); only steps not yet reached may change.
#[utoipa::path(patch, path = "/api/tasks/{id}", tag = "tasks", params(("id" = u64, Path)), request_body = TaskPatch,
    responses((status = 200, body = TaskView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn edit_task(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
    ApiJson(patch): ApiJson<TaskPatch>,
) -> ApiResult<Json<TaskView>> {
    Ok(Json(
        state
            .run(move |s| svc::edit(s, &auth.actor, id, patch, Utc::now()))
            .await?,
    ))
}

/// Delete a task (creator or admin); recorded in the audit log.
#[utoipa::path(delete, path = "/api/tasks/{id}", tag = "tasks", params(("id" = u64, Path)), responses((status = 204), (status = 403, body = ErrorBody)))]
async fn delete_task(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<StatusCode> {
    let uploads = state.config.uploads_dir();
    state
        .run(move |s| svc::delete(s, &auth.actor, id, &uploads, Utc::now()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct CopyRequest {
    pub project_id: u64,
}

#[derive(Deserialize, ToSchema)]
pub struct MoveRequest {
    pub project_id: u64,
    pub rev: u64,
}

/// Copy a task into a project as a fresh task.
#[utoipa::path(post, path = "/api/tasks/{id}/copy", tag = "tasks", params(("id" = u64, Path)), request_body = CopyRequest, responses((status = 201, body = TaskView)))]
async fn copy_task(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
    ApiJson(req): ApiJson<CopyRequest>,
) -> ApiResult<(StatusCode, Json<TaskView>)> {
    let v = state
        .run(move |s| svc::copy(s, &auth.actor, id, req.project_id, Utc::now()))
        .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Move a task to another project whose members include its handlers.
#[utoipa::path(post, path = "/api/tasks/{id}/move", tag = "tasks", params(("id" = u64, Path)), request_body = MoveRequest, responses((status = 200, body = TaskView), (status = 400, body = ErrorBody)))]
async fn move_task(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
    ApiJson(req): ApiJson<MoveRequest>,
) -> ApiResult<Json<TaskView>> {
    Ok(Json(
        state
            .run(move |s| svc::move_to(s, &auth.actor, id, req.project_id, req.rev, Utc::now()))
            .await?,
    ))
}

/// Archive a finished task (admins).
#[utoipa::path(post, path = "/api/tasks/{id}/archive", tag = "tasks", params(("id" = u64, Path)), responses((status = 200, body = TaskView), (status = 403, body = ErrorBody)))]
async fn archive_task(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<Json<TaskView>> {
    Ok(Json(
        state
            .run(move |s| svc::archive(s, &auth.actor, id, Utc::now()))
            .await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct Archived {
    pub archived: usize,
}

/// Archive every finished task of a project (admins).
#[utoipa::path(post, path = "/api/projects/{pid}/archive-finished", tag = "tasks", params(("pid" = u64, Path)), responses((status = 200, body = Archived)))]
async fn archive_finished(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(pid): ApiPath<u64>,
) -> ApiResult<Json<Archived>> {
    let n = state
        .run(move |s| svc::archive_finished(s, &auth.actor, pid, Utc::now()))
        .await?;
    Ok(Json(Archived { archived: n }))
}

/// A flow operation: complete, start, transfer, return, urge or withdraw; on node
/// kinds also claim and release (claim steps; a claim someone won first is 409) and
/// add-sign before or after (`to`, `action`, `reason`). Rules: `docs/flows.md`.
#[utoipa::path(post, path = "/api/tasks/{id}/{op}", tag = "flow", params(("id" = u64, Path), ("op" = Op, Path, description = "complete, start, transfer, return, urge, withdraw, claim, release, add_before or add_after")),
    request_body = OpRequest,
    responses((status = 200, body = TaskView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn flow_op(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath((id, op)): ApiPath<(u64, String)>,
    ApiJson(req): ApiJson<OpRequest>,
) -> ApiResult<Json<TaskView>> {
    let op = Op::parse(&op).ok_or(ApiError::NoRoute)?;
    Ok(Json(
        state
            .run(move |s| operate::operate(s, &auth.actor, id, op, req, Utc::now()))
            .await?,
    ))
}

/// Tick or untick a checklist item (the current handler; starts the step).
#[utoipa::path(post, path = "/api/tasks/{id}/checklist/{item}", tag = "flow", params(("id" = u64, Path), ("item" = u32, Path)), request_body = CheckRequest,
    responses((status = 200, body = TaskView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn check_item(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath((id, item)): ApiPath<(u64, u32)>,
    ApiJson(req): ApiJson<CheckRequest>,
) -> ApiResult<Json<TaskView>> {
    Ok(Json(
        state
            .run(move |s| operate::check_item(s, &auth.actor, id, item, req, Utc::now()))
            .await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct CommentList {
    pub items: Vec<CommentView>,
}

/// Comments, oldest first.
#[utoipa::path(get, path = "/api/tasks/{id}/comments", tag = "tasks", params(("id" = u64, Path)), responses((status = 200, body = CommentList)))]
async fn list_comments(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<Json<CommentList>> {
    Ok(Json(CommentList {
        items: state
            .run(move |s| comments::list(s, &auth.actor, id))
            .await?,
    }))
}

/// Add a comment; `@username` mentions are told.
#[utoipa::path(post, path = "/api/tasks/{id}/comments", tag = "tasks", params(("id" = u64, Path)), request_body = NewComment, responses((status = 201, body = CommentView)))]
async fn add_comment(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
    ApiJson(c): ApiJson<NewComment>,
) -> ApiResult<(StatusCode, Json<CommentView>)> {
    let v = state
        .run(move |s| comments::add(s, &auth.actor, id, c, Utc::now()))
        .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[derive(Serialize, ToSchema)]
pub struct LogList {
    pub items: Vec<LogEntry>,
}

/// The task's log, oldest first.
#[utoipa::path(get, path = "/api/tasks/{id}/log", tag = "tasks", params(("id" = u64, Path)), responses((status = 200, body = LogList)))]
async fn task_log(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<Json<LogList>> {
    let items = state
        .run(move |s| {
            crate::tasks::context::visible_task(s, &auth.actor, id)?;
            Ok(log::list(s, id)?)
        })
        .await?;
    Ok(Json(LogList { items }))
}

/// Upload an attachment (multipart form, field `file`).
#[utoipa::path(post, path = "/api/tasks/{id}/attachments", tag = "tasks", params(("id" = u64, Path)),
    request_body(content_type = "multipart/form-data", content = String),
    responses((status = 201, body = Attachment), (status = 413, body = ErrorBody)))]
async fn upload(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
    ApiMultipart(form): ApiMultipart,
) -> ApiResult<(StatusCode, Json<Attachment>)> {
    let upload = files::receive(form, state.config.attachment_max, &state.config.tmp_dir()).await?;
    let uploads = state.config.uploads_dir();
    let att = state
        .run(move |s| attachments::attach(s, &auth.actor, id, upload, &uploads, Utc::now()))
        .await?;
    Ok((StatusCode::CREATED, Json(att)))
}

/// Download an attachment.
#[utoipa::path(get, path = "/api/tasks/{id}/attachments/{aid}", tag = "tasks", params(("id" = u64, Path), ("aid" = u64, Path)), responses((status = 200, description = "the file")))]
async fn download(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath((id, aid)): ApiPath<(u64, u64)>,
) -> ApiResult<Response> {
    let uploads = state.config.uploads_dir();
    let (att, path) = state
        .run(move |s| attachments::open(s, &auth.actor, id, aid, &uploads))
        .await?;
    files::download(&att, &path).await
}

/// Remove an attachment (uploader or editor).
#[utoipa::path(delete, path = "/api/tasks/{id}/attachments/{aid}", tag = "tasks", params(("id" = u64, Path), ("aid" = u64, Path)), responses((status = 200, body = TaskView)))]
async fn remove_attachment(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath((id, aid)): ApiPath<(u64, u64)>,
) -> ApiResult<Json<TaskView>> {
    let uploads = state.config.uploads_dir();
    Ok(Json(
        state
            .run(move |s| attachments::remove(s, &auth.actor, id, aid, &uploads, Utc::now()))
            .await?,
    ))
}
