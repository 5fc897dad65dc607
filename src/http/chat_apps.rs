//! Chat apps (WeCom, DingTalk, Feishu): the company's app credentials and the bulk
//! mapping for admins, each member's linked app user id. Test messages go through
//! `POST /api/admin/delivery/test` with `{"channel":"chat_app","app":...}`.

use axum::extract::State;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, Authed};
use crate::delivery::apps::import::{self, ImportInput, ImportResult};
use crate::delivery::apps::service::{self as apps, AppInput, AppsView, LinkInput, LinksView};
use crate::delivery::apps::AppKind;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_apps))
        .routes(routes!(put_app, delete_app))
        .routes(routes!(import_links))
        .routes(routes!(get_my_links))
        .routes(routes!(put_my_link))
        .routes(routes!(get_user_links))
        .routes(routes!(put_user_link))
}

/// The company's chat apps: which are set up, how many members linked (no secrets).
#[utoipa::path(get, path = "/api/admin/chat-apps", tag = "delivery",
    responses((status = 200, body = AppsView), (status = 403, body = ErrorBody)))]
async fn get_apps(State(state): State<AppState>, auth: Authed) -> ApiResult<Json<AppsView>> {
    Ok(Json(state.run(move |s| apps::get(s, &auth.actor)).await?))
}

/// Set up one chat app; a secret left out keeps the stored one.
#[utoipa::path(put, path = "/api/admin/chat-apps/{app}", tag = "delivery",
    params(("app" = AppKind, Path)), request_body = AppInput,
    responses((status = 200, body = AppsView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn put_app(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(app): ApiPath<AppKind>,
    ApiJson(input): ApiJson<AppInput>,
) -> ApiResult<Json<AppsView>> {
    Ok(Json(
        state
            .run(move |s| apps::put(s, &auth.actor, app, input))
            .await?,
    ))
}

/// Remove one chat app (members' linked ids are kept).
#[utoipa::path(delete, path = "/api/admin/chat-apps/{app}", tag = "delivery",
    params(("app" = AppKind, Path)),
    responses((status = 200, body = AppsView), (status = 403, body = ErrorBody)))]
async fn delete_app(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(app): ApiPath<AppKind>,
) -> ApiResult<Json<AppsView>> {
    Ok(Json(
        state
            .run(move |s| apps::remove(s, &auth.actor, app))
            .await?,
    ))
}

/// Link members from CSV (`username,app user id` per line; an empty id unlinks).
/// Good rows are saved; each bad row comes back with its line and why.
#[utoipa::path(post, path = "/api/admin/chat-apps/{app}/links", tag = "delivery",
    params(("app" = AppKind, Path)), request_body = ImportInput,
    responses((status = 200, body = ImportResult), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn import_links(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(app): ApiPath<AppKind>,
    ApiJson(input): ApiJson<ImportInput>,
) -> ApiResult<Json<ImportResult>> {
    Ok(Json(
        state
            .run(move |s| import::import(s, &auth.actor, app, input))
            .await?,
    ))
}

/// My user ids in the company's chat apps (the set-up apps only).
#[utoipa::path(get, path = "/api/me/chat-apps", tag = "delivery",
    responses((status = 200, body = LinksView)))]
async fn get_my_links(State(state): State<AppState>, auth: Authed) -> ApiResult<Json<LinksView>> {
    let uid = auth.user.id;
    Ok(Json(state.run(move |s| apps::links_view(s, uid)).await?))
}

/// Link (or with `null` unlink) my user id in a chat app.
#[utoipa::path(put, path = "/api/me/chat-apps/{app}", tag = "delivery",
    params(("app" = AppKind, Path)), request_body = LinkInput,
    responses((status = 200, body = LinksView), (status = 400, body = ErrorBody)))]
async fn put_my_link(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(app): ApiPath<AppKind>,
    ApiJson(input): ApiJson<LinkInput>,
) -> ApiResult<Json<LinksView>> {
    let uid = auth.user.id;
    Ok(Json(
        state
            .run(move |s| apps::set_link(s, uid, app, input))
            .await?,
    ))
}

/// A member's user ids in the chat apps (company admins).
#[utoipa::path(get, path = "/api/users/{id}/chat-apps", tag = "delivery",
    params(("id" = u64, Path)),
    responses((status = 200, body = LinksView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_user_links(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<Json<LinksView>> {
    Ok(Json(
        state
            .run(move |s| apps::links_for(s, &auth.actor, id))
            .await?,
    ))
}

/// Link (or with `null` unlink) a member's user id in a chat app (company admins).
#[utoipa::path(put, path = "/api/users/{id}/chat-apps/{app}", tag = "delivery",
    params(("id" = u64, Path), ("app" = AppKind, Path)), request_body = LinkInput,
    responses((status = 200, body = LinksView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn put_user_link(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath((id, app)): ApiPath<(u64, AppKind)>,
    ApiJson(input): ApiJson<LinkInput>,
) -> ApiResult<Json<LinksView>> {
    Ok(Json(
        state
            .run(move |s| apps::set_link_for(s, &auth.actor, id, app, input))
            .await?,
    ))
}
