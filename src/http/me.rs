//! Login, logout and the caller's own account.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, Authed, ClientIp, Credential, SESSION_COOKIE};
use crate::auth::session;
use crate::error::ServiceError;
use crate::org::login::{self as login_svc, LoginOutcome};
use crate::org::model::UserView;
use crate::org::service::{self as org, ProfilePatch};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me, update_me))
        .routes(routes!(change_password))
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// The password step's answer: a session, or (two-factor sign-in) the code step.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum LoginAnswer {
    Session(LoginResponse),
    CodeStep(super::two_factor::CodeStep),
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Session token for `Authorization: Bearer`; browsers use the cookie instead.
    pub token: String,
    /// Send as `X-CSRF-Token` on cookie-authenticated writes.
    pub csrf_token: String,
    pub user: UserView,
    /// Only when this login finished setting up two-factor sign-in: the ten recovery
    /// codes, shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_codes: Option<Vec<String>>,
}

#[derive(Serialize, ToSchema)]
pub struct MeResponse {
    pub user: UserView,
    pub csrf_token: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

pub(super) fn session_cookie(state: &AppState, value: String) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, value))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.config.cookie_secure)
        .path("/")
        .build()
}

/// Log in with username and password. A user with two-factor sign-in (or whom the
/// company requires to set it up) gets a challenge for `POST /api/login/code` instead
/// of a session.
#[utoipa::path(post, path = "/api/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginAnswer), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<impl IntoResponse> {
    if !state.limiter.allow(&req.username, ip) {
        return Err(ServiceError::RateLimited.into());
    }
    let outcome = state
        .run(move |store| {
            login_svc::login(
                store,
                &req.username,
                &req.password,
                ip,
                super::two_factor::ISSUER,
                Utc::now(),
            )
        })
        .await?;
    Ok(match outcome {
        LoginOutcome::Session(done) => {
            let (jar, body) = signed_in(&state, jar, done, None);
            (jar, Json(LoginAnswer::Session(body)))
        }
        LoginOutcome::SecondStep {
            challenge,
            expires_at,
            enrolment,
        } => (
            jar,
            Json(LoginAnswer::CodeStep(super::two_factor::CodeStep {
                step: if enrolment.is_some() { "enrol" } else { "code" },
                challenge,
                expires_at,
                enrolment,
            })),
        ),
    })
}

/// The session cookie and the body of a finished login.
pub(super) fn signed_in(
    state: &AppState,
    jar: CookieJar,
    done: login_svc::LoggedIn,
    recovery_codes: Option<Vec<String>>,
) -> (CookieJar, LoginResponse) {
    let jar = jar.add(session_cookie(state, done.token.clone()));
    let body = LoginResponse {
        token: done.token,
        csrf_token: done.session.csrf,
        user: UserView::from(&done.user),
        recovery_codes,
    };
    (jar, body)
}

/// End the current session.
#[utoipa::path(post, path = "/api/logout", tag = "auth", responses((status = 204)))]
async fn logout(
    State(state): State<AppState>,
    auth: Authed,
    jar: CookieJar,
) -> ApiResult<impl IntoResponse> {
    if let Credential::Session { token, .. } = auth.credential {
        state
            .run(move |store| Ok(session::delete(store, &token)?))
            .await?;
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/").build());
    Ok((jar, StatusCode::NO_CONTENT))
}

/// Who am I.
#[utoipa::path(get, path = "/api/me", tag = "auth", responses((status = 200, body = MeResponse), (status = 401, body = ErrorBody)))]
async fn me(auth: Authed) -> Json<MeResponse> {
    let csrf_token = match &auth.credential {
        Credential::Session { session, .. } => Some(session.csrf.clone()),
        Credential::Token(_) => None,
    };
    Json(MeResponse {
        user: UserView::from(&auth.user),
        csrf_token,
    })
}

/// Change my display name, e-mail or language.
#[utoipa::path(patch, path = "/api/me", tag = "auth", request_body = ProfilePatch, responses((status = 200, body = UserView)))]
async fn update_me(
    State(state): State<AppState>,
    auth: Authed,
    ApiJson(patch): ApiJson<ProfilePatch>,
) -> ApiResult<Json<UserView>> {
    let u = state
        .run(move |store| org::update_profile(store, &auth.actor, patch))
        .await?;
    Ok(Json(UserView::from(&u)))
}

/// Change my password; every session of mine ends.
#[utoipa::path(post, path = "/api/me/password", tag = "auth", request_body = PasswordChange, responses((status = 204), (status = 400, body = ErrorBody)))]
async fn change_password(
    State(state): State<AppState>,
    auth: Authed,
    jar: CookieJar,
    ApiJson(req): ApiJson<PasswordChange>,
) -> ApiResult<impl IntoResponse> {
    state
        .run(move |store| {
            org::change_own_password(
                store,
                &auth.actor,
                &req.current_password,
                &req.new_password,
                Utc::now(),
            )
        })
        .await?;
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/").build());
    Ok((jar, StatusCode::NO_CONTENT))
}
