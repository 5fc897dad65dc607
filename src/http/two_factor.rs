//! Two-factor sign-in: the login's code step, the caller's own set-up on the Me page,
//! and the company's policy.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use axum_extra::extract::CookieJar;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, Authed, ClientIp};
use super::me::{signed_in, LoginResponse};
use crate::error::ServiceError;
use crate::org::login as login_svc;
use crate::org::two_factor::{self, service as tf, Enrolment, Requirement, TwoFactorStatus};
use crate::state::AppState;

/// How this Baton is named in an authenticator app.
pub const ISSUER: &str = "Baton";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login_code))
        .routes(routes!(my_status))
        .routes(routes!(enrol))
        .routes(routes!(confirm))
        .routes(routes!(disable))
        .routes(routes!(get_policy, set_policy))
}

/// The password was right; send a code with this challenge to `POST /api/login/code`.
#[derive(Serialize, ToSchema)]
pub struct CodeStep {
    /// `code`: enter the authenticator app's code (or a recovery code). `enrol`: the
    /// company requires two-factor sign-in: add `enrolment` to the app, then enter its
    /// first code.
    pub step: &'static str,
    pub challenge: String,
    pub expires_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enrolment: Option<Enrolment>,
}

#[derive(Deserialize, ToSchema)]
pub struct CodeLoginRequest {
    pub challenge: String,
    /// Six digits from the app, or a recovery code (`abcd-efgh-jkmn`).
    pub code: String,
}

/// The login's second step: the challenge and a code; answers like `POST /api/login`
/// with a session (and, after a required set-up, the recovery codes).
#[utoipa::path(post, path = "/api/login/code", tag = "auth", request_body = CodeLoginRequest,
    responses((status = 200, body = LoginResponse), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn login_code(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    ApiJson(req): ApiJson<CodeLoginRequest>,
) -> ApiResult<impl IntoResponse> {
    let challenge = req.challenge.clone();
    let username = state
        .run(move |store| login_svc::challenge_username(store, &challenge, Utc::now()))
        .await?;
    if !state.code_limiter.allow(&username, ip) {
        return Err(ServiceError::RateLimited.into());
    }
    let done = state
        .run(move |store| login_svc::second_step(store, &req.challenge, &req.code, ip, Utc::now()))
        .await?;
    let (jar, body) = signed_in(&state, jar, done.logged_in, done.recovery_codes);
    Ok((jar, Json(body)))
}

/// My two-factor sign-in: on or off, recovery codes left, whether the company requires it.
#[utoipa::path(get, path = "/api/me/two-factor", tag = "auth",
    responses((status = 200, body = TwoFactorStatus), (status = 401, body = ErrorBody)))]
async fn my_status(
    State(state): State<AppState>,
    auth: Authed,
) -> ApiResult<Json<TwoFactorStatus>> {
    let status = state
        .run(move |store| tf::status(store, &auth.user))
        .await?;
    Ok(Json(status))
}

/// Start setting up: a new secret as a QR code and text, to confirm with a code
/// within 15 minutes.
#[utoipa::path(post, path = "/api/me/two-factor/enrol", tag = "auth",
    responses((status = 200, body = Enrolment), (status = 409, body = ErrorBody)))]
async fn enrol(State(state): State<AppState>, auth: Authed) -> ApiResult<Json<Enrolment>> {
    let e = state
        .run(move |store| tf::start(store, &auth.user, ISSUER, Utc::now()))
        .await?;
    Ok(Json(e))
}

#[derive(Deserialize, ToSchema)]
pub struct ConfirmRequest {
    pub code: String,
}

#[derive(Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// Ten single-use codes, shown this once.
    pub recovery_codes: Vec<String>,
}

/// Finish setting up with the app's first code; returns the recovery codes (once).
#[utoipa::path(post, path = "/api/me/two-factor/confirm", tag = "auth", request_body = ConfirmRequest,
    responses((status = 200, body = RecoveryCodes), (status = 400, body = ErrorBody)))]
async fn confirm(
    State(state): State<AppState>,
    auth: Authed,
    ApiJson(req): ApiJson<ConfirmRequest>,
) -> ApiResult<Json<RecoveryCodes>> {
    // Not rate-limited: guessing the code of a secret one was just given gains nothing.
    let recovery_codes = state
        .run(move |store| tf::confirm(store, &auth.user, &req.code, Utc::now()))
        .await?;
    Ok(Json(RecoveryCodes { recovery_codes }))
}

#[derive(Deserialize, ToSchema)]
pub struct DisableRequest {
    pub password: String,
    /// A current code from the app, or a recovery code.
    pub code: String,
}

/// Turn two-factor sign-in off, with the password and a code (rate-limited like a
/// login's code step).
#[utoipa::path(post, path = "/api/me/two-factor/disable", tag = "auth", request_body = DisableRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn disable(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    auth: Authed,
    ApiJson(req): ApiJson<DisableRequest>,
) -> ApiResult<StatusCode> {
    if !state.code_limiter.allow(&auth.user.username, ip) {
        return Err(ServiceError::RateLimited.into());
    }
    state
        .run(move |store| tf::disable(store, &auth.user, &req.password, &req.code, Utc::now()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct PolicyBody {
    /// Who must sign in with a second factor: `off`, `admins` (company and department
    /// admins) or `everyone`.
    pub require: Requirement,
}

/// The company's two-factor policy.
#[utoipa::path(get, path = "/api/admin/two-factor-policy", tag = "admin",
    responses((status = 200, body = PolicyBody), (status = 403, body = ErrorBody)))]
async fn get_policy(State(state): State<AppState>, auth: Authed) -> ApiResult<Json<PolicyBody>> {
    let require = state
        .run(move |store| {
            crate::org::policy::require_company_admin(
                &auth.actor,
                crate::org::policy::CompanyArea::TwoFactor,
            )?;
            two_factor::policy(store)
        })
        .await?;
    Ok(Json(PolicyBody { require }))
}

/// Set who must use two-factor sign-in. Those it covers who have none are led to set
/// it up at their next request (their sessions answer 401 `two_factor_required`).
#[utoipa::path(put, path = "/api/admin/two-factor-policy", tag = "admin", request_body = PolicyBody,
    responses((status = 200, body = PolicyBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn set_policy(
    State(state): State<AppState>,
    auth: Authed,
    ApiJson(req): ApiJson<PolicyBody>,
) -> ApiResult<Json<PolicyBody>> {
    let require = state
        .run(move |store| tf::set_policy(store, &auth.actor, req.require, Utc::now()))
        .await?;
    Ok(Json(PolicyBody { require }))
}
