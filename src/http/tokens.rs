//! API tokens (company admins).

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
use crate::auth::token::{self, Scope, TokenView};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(revoke))
}

#[derive(Serialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenView>,
}

#[derive(Deserialize, ToSchema)]
pub struct NewToken {
    pub name: String,
    pub scopes: Vec<Scope>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    /// The secret: shown only in this response.
    pub token: String,
    pub info: TokenView,
}

/// All tokens (never their secrets).
#[utoipa::path(get, operation_id = "list_tokens", path = "/api/tokens", tag = "tokens", responses((status = 200, body = TokenList), (status = 403, body = ErrorBody)))]
async fn list(State(state): State<AppState>, auth: Authed) -> ApiResult<Json<TokenList>> {
    Ok(Json(TokenList {
        items: state.run(move |s| token::list(s, &auth.actor)).await?,
    }))
}

/// Create a token.
#[utoipa::path(post, operation_id = "create_token", path = "/api/tokens", tag = "tokens", request_body = NewToken, responses((status = 201, body = CreatedToken), (status = 403, body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    auth: Authed,
    ApiJson(req): ApiJson<NewToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let (secret, info) = state
        .run(move |s| {
            token::create(
                s,
                &auth.actor,
                &req.name,
                req.scopes,
                auth.actor.user_id,
                Utc::now(),
            )
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token: secret,
            info,
        }),
    ))
}

/// Revoke a token.
#[utoipa::path(delete, path = "/api/tokens/{id}", tag = "tokens", params(("id" = u64, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
async fn revoke(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<StatusCode> {
    state
        .run(move |s| token::revoke(s, &auth.actor, id, Utc::now()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
