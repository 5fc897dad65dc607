//! Announcements, feedback and news.

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
use super::files;
use crate::board::announce::{self, Announcement, AnnouncementInput, AnnouncementView};
use crate::board::feedback::{self, Feedback, NewFeedback, NewReply, StatusChange};
use crate::board::news::{self, Feed, NewFeed, NewsItem};
use crate::org::policy::answers_feedback;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_announcements, create_announcement))
        .routes(routes!(
            get_announcement,
            update_announcement,
            delete_announcement
        ))
        .routes(routes!(read_announcement))
        .routes(routes!(list_feedback, create_feedback))
        .routes(routes!(get_feedback))
        .routes(routes!(reply_feedback))
        .routes(routes!(set_feedback_status))
        .merge(
            // Uploads are limited by `attachment_max_mb` while streaming.
            OpenApiRouter::new()
                .routes(routes!(attach_feedback))
                .routes(routes!(download_feedback_attachment))
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .routes(routes!(list_news))
        .routes(routes!(list_feeds, add_feed))
        .routes(routes!(delete_feed))
        .routes(routes!(fetch_feed))
}

#[derive(Serialize, ToSchema)]
pub struct AnnouncementList {
    pub items: Vec<AnnouncementView>,
}

/// Announcements, pinned first, with my read state.
#[utoipa::path(get, path = "/api/announcements", tag = "board", responses((status = 200, body = AnnouncementList)))]
async fn list_announcements(
    State(state): State<AppState>,
    auth: Authed,
) -> ApiResult<Json<AnnouncementList>> {
    let uid = auth.user.id;
    let items = state.run(move |s| announce::list(s, uid)).await?;
    Ok(Json(AnnouncementList { items }))
}

/// Publish an announcement (company admins); everyone gets an inbox message.
#[utoipa::path(post, path = "/api/announcements", tag = "board", request_body = AnnouncementInput,
    responses((status = 201, body = Announcement), (status = 403, body = ErrorBody)))]
async fn create_announcement(
    State(state): State<AppState>,
    auth: Authed,
    ApiJson(input): ApiJson<AnnouncementInput>,
) -> ApiResult<(StatusCode, Json<Announcement>)> {
    let a = state
        .run(move |s| announce::create(s, &auth.actor, input, Utc::now()))
        .await?;
    Ok((StatusCode::CREATED, Json(a)))
}

/// One announcement.
#[utoipa::path(get, path = "/api/announcements/{id}", tag = "board", params(("id" = u64, Path)), responses((status = 200, body = AnnouncementView)))]
async fn get_announcement(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<Json<AnnouncementView>> {
    let uid = auth.user.id;
    Ok(Json(state.run(move |s| announce::get(s, uid, id)).await?))
}

/// Change an announcement (company admins).
#[utoipa::path(put, path = "/api/announcements/{id}", tag = "board", params(("id" = u64, Path)), request_body = AnnouncementInput, responses((status = 200, body = Announcement)))]
async fn update_announcement(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
    ApiJson(input): ApiJson<AnnouncementInput>,
) -> ApiResult<Json<Announcement>> {
    Ok(Json(
        state
            .run(move |s| announce::update(s, &auth.actor, id, input, Utc::now()))
            .await?,
    ))
}

/// Delete an announcement (company admins).
#[utoipa::path(delete, path = "/api/announcements/{id}", tag = "board", params(("id" = u64, Path)), responses((status = 204)))]
async fn delete_announcement(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<StatusCode> {
    state
        .run(move |s| announce::delete(s, &auth.actor, id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mark an announcement read.
#[utoipa::path(post, path = "/api/announcements/{id}/read", tag = "board", params(("id" = u64, Path)), responses((status = 204)))]
async fn read_announcement(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<StatusCode> {
    let uid = auth.user.id;
    state
        .run(move |s| announce::mark_read(s, uid, id, Utc::now()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct FeedbackList {
    pub items: Vec<Feedback>,
    /// Whether the caller answers feedback (sees everyone's).
    pub admin: bool,
}

/// Feedback items: admins see all, members their own.
#[utoipa::path(get, path = "/api/feedback", tag = "board", responses((status = 200, body = FeedbackList)))]
async fn list_feedback(
    State(state): State<AppState>,
    auth: Authed,
) -> ApiResult<Json<FeedbackList>> {
    let admin = answers_feedback(&auth.actor);
    let items = state.run(move |s| feedback::list(s, &auth.actor)).await?;
    Ok(Json(FeedbackList { items, admin }))
}

/// Ask the admins a question, request a change or report a problem.
#[utoipa::path(post, path = "/api/feedback", tag = "board", request_body = NewFeedback, responses((status = 201, body = Feedback), (status = 400, body = ErrorBody)))]
async fn create_feedback(
    State(state): State<AppState>,
    auth: Authed,
    ApiJson(input): ApiJson<NewFeedback>,
) -> ApiResult<(StatusCode, Json<Feedback>)> {
    let f = state
        .run(move |s| feedback::create(s, &auth.actor, input, Utc::now()))
        .await?;
    Ok((StatusCode::CREATED, Json(f)))
}

/// One feedback item with its thread.
#[utoipa::path(get, path = "/api/feedback/{id}", tag = "board", params(("id" = u64, Path)), responses((status = 200, body = Feedback), (status = 404, body = ErrorBody)))]
async fn get_feedback(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<Json<Feedback>> {
    Ok(Json(
        state
            .run(move |s| feedback::get(s, &auth.actor, id))
            .await?,
    ))
}

/// Reply in the thread; an admin's reply tells the author in the inbox.
#[utoipa::path(post, path = "/api/feedback/{id}/replies", tag = "board", params(("id" = u64, Path)), request_body = NewReply, responses((status = 200, body = Feedback)))]
async fn reply_feedback(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
    ApiJson(input): ApiJson<NewReply>,
) -> ApiResult<Json<Feedback>> {
    Ok(Json(
        state
            .run(move |s| feedback::reply(s, &auth.actor, id, input, Utc::now()))
            .await?,
    ))
}

/// Set the status (admins; the author may close).
#[utoipa::path(put, path = "/api/feedback/{id}/status", tag = "board", params(("id" = u64, Path)), request_body = StatusChange, responses((status = 200, body = Feedback), (status = 403, body = ErrorBody)))]
async fn set_feedback_status(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
    ApiJson(input): ApiJson<StatusChange>,
) -> ApiResult<Json<Feedback>> {
    Ok(Json(
        state
            .run(move |s| feedback::set_status(s, &auth.actor, id, input.status, Utc::now()))
            .await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct NewsList {
    pub items: Vec<NewsItem>,
}

/// The newest news items of all feeds.
#[utoipa::path(get, path = "/api/news", tag = "board", responses((status = 200, body = NewsList)))]
async fn list_news(State(state): State<AppState>, _auth: Authed) -> ApiResult<Json<NewsList>> {
    let items = state.run(|s| news::items(s, 200)).await?;
    Ok(Json(NewsList { items }))
}

#[derive(Serialize, ToSchema)]
pub struct FeedList {
    pub items: Vec<Feed>,
}

/// News feeds with their last fetch and error (company admins).
#[utoipa::path(get, path = "/api/news/feeds", tag = "board", responses((status = 200, body = FeedList), (status = 403, body = ErrorBody)))]
async fn list_feeds(State(state): State<AppState>, auth: Authed) -> ApiResult<Json<FeedList>> {
    let items = state.run(move |s| news::list_feeds(s, &auth.actor)).await?;
    Ok(Json(FeedList { items }))
}

/// Add a feed (company admins); it is fetched right away.
#[utoipa::path(post, path = "/api/news/feeds", tag = "board", request_body = NewFeed, responses((status = 201, body = Feed), (status = 400, body = ErrorBody)))]
async fn add_feed(
    State(state): State<AppState>,
    auth: Authed,
    ApiJson(input): ApiJson<NewFeed>,
) -> ApiResult<(StatusCode, Json<Feed>)> {
    let net = state.config.network.clone();
    let f = state
        .run(move |s| news::add_feed(s, &auth.actor, input, &net, Utc::now()))
        .await?;
    let f = fetch(&state, f).await?;
    Ok((StatusCode::CREATED, Json(f)))
}

async fn fetch(state: &AppState, f: Feed) -> Result<Feed, crate::error::ServiceError> {
    let client =
        news::client(&state.config.network).map_err(crate::error::ServiceError::Internal)?;
    let n = &state.config.news;
    news::fetch_one(&state.store, &client, &f, n.timeout, n.max_bytes).await
}

/// Remove a feed and its items (company admins).
#[utoipa::path(delete, path = "/api/news/feeds/{id}", tag = "board", params(("id" = u64, Path)), responses((status = 204)))]
async fn delete_feed(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<StatusCode> {
    state
        .run(move |s| news::delete_feed(s, &auth.actor, id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Fetch a feed now (company admins); answers with its new state, error included.
#[utoipa::path(post, path = "/api/news/feeds/{id}/fetch", tag = "board", params(("id" = u64, Path)), responses((status = 200, body = Feed)))]
async fn fetch_feed(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<Json<Feed>> {
    let f = state
        .run(move |s| {
            news::list_feeds(s, &auth.actor)?;
            Ok(s.load::<Feed>(id)?)
        })
        .await?;
    Ok(Json(fetch(&state, f).await?))
}

/// Attach a file to a feedback item (multipart form, field `file`; author or admin).
#[utoipa::path(post, path = "/api/feedback/{id}/attachments", tag = "board", params(("id" = u64, Path)),
    request_body(content_type = "multipart/form-data", content = String),
    responses((status = 201, body = crate::flow::model::Attachment), (status = 413, body = ErrorBody)))]
async fn attach_feedback(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
    super::extract::ApiMultipart(form): super::extract::ApiMultipart,
) -> ApiResult<(StatusCode, Json<crate::flow::model::Attachment>)> {
    // Check access before taking the upload.
    let actor = auth.actor.clone();
    state.run(move |s| feedback::get(s, &actor, id)).await?;
    let upload = files::receive(form, state.config.attachment_max, &state.config.tmp_dir()).await?;
    let uploads = state.config.uploads_dir();
    let att = state
        .run(move |s| feedback::attach(s, &auth.actor, id, upload, &uploads, Utc::now()))
        .await?;
    Ok((StatusCode::CREATED, Json(att)))
}

/// Download a feedback attachment.
#[utoipa::path(get, path = "/api/feedback/{id}/attachments/{aid}", tag = "board", params(("id" = u64, Path), ("aid" = u64, Path)), responses((status = 200, description = "the file")))]
async fn download_feedback_attachment(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath((id, aid)): ApiPath<(u64, u64)>,
) -> ApiResult<axum::response::Response> {
    let uploads = state.config.uploads_dir();
    let (att, path) = state
        .run(move |s| feedback::open_attachment(s, &auth.actor, id, aid, &uploads))
        .await?;
    files::download(&att, &path).await
}
