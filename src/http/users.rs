//! Users (admin).

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
use crate::org::model::UserView;
use crate::org::service::{self as org, NewUser, UserPatch};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user))
        .routes(routes!(set_password))
}

#[derive(Serialize, ToSchema)]
pub struct UserList {
    pub items: Vec<UserView>,
}

#[derive(Deserialize, ToSchema)]
pub struct NewPassword {
    pub password: String,
}

/// All users (the directory every member may read).
#[utoipa::path(get, path = "/api/users", tag = "users", responses((status = 200, body = UserList)))]
async fn list_users(State(state): State<AppState>, _auth: Authed) -> ApiResult<Json<UserList>> {
    let items = state.run(org::list_users).await?;
    Ok(Json(UserList { items }))
}

/// Create a user (company admins; department admins in their departments).
#[utoipa::path(post, path = "/api/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = UserView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    auth: Authed,
    ApiJson(new): ApiJson<NewUser>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let u = state
        .run(move |store| org::create_user(store, &auth.actor, new, Utc::now()))
        .await?;
    Ok((StatusCode::CREATED, Json(UserView::from(&u))))
}

/// One user.
#[utoipa::path(get, path = "/api/users/{id}", tag = "users", params(("id" = u64, Path)), responses((status = 200, body = UserView), (status = 404, body = ErrorBody)))]
async fn get_user(
    State(state): State<AppState>,
    _auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<Json<UserView>> {
    let u = state.run(move |store| org::get_user(store, id)).await?;
    Ok(Json(UserView::from(&u)))
}

/// Change a user; `rev` guards against overwriting someone else's change (409).
#[utoipa::path(patch, path = "/api/users/{id}", tag = "users", params(("id" = u64, Path)), request_body = UserPatch,
    responses((status = 200, body = UserView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_user(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
    ApiJson(patch): ApiJson<UserPatch>,
) -> ApiResult<Json<UserView>> {
    let u = state
        .run(move |store| org::update_user(store, &auth.actor, id, patch, Utc::now()))
        .await?;
    Ok(Json(UserView::from(&u)))
}

/// Set the password of a user you manage; their sessions end. Your own password is
/// changed with `POST /api/me/password`, which asks for the current one.
#[utoipa::path(post, path = "/api/users/{id}/password", tag = "users", params(("id" = u64, Path)), request_body = NewPassword,
    responses((status = 204), (status = 403, body = ErrorBody)))]
async fn set_password(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
    ApiJson(req): ApiJson<NewPassword>,
) -> ApiResult<StatusCode> {
    state
        .run(move |store| org::set_password(store, &auth.actor, id, &req.password, Utc::now()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
