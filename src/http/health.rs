use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::error::ApiResult;
use super::extract::Authed;
use crate::org::policy::{require_company_admin, CompanyArea};
use crate::state::AppState;

/// Liveness for load balancers and systemd: 200 `ok` while the server answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Prometheus metrics for company admins: a session, or (for the scraper) an API token
/// with the `read` scope owned by a company admin, as `Authorization: Bearer`.
pub async fn metrics(State(state): State<AppState>, auth: Authed) -> ApiResult<Response> {
    require_company_admin(&auth.actor, CompanyArea::Metrics)?;
    let text = state.run(|s| Ok(crate::metrics::render(s)?)).await?;
    let mut resp = text.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(resp)
}
