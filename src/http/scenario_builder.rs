//! The scenario builder (company admins): a form → its script, a script → its form
//! (or why it opens in the code editor), and field suggestions from stored records.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiQuery, Authed};
use super::scenarios::Source;
use crate::scenarios::builder::fields::{self, Fields};
use crate::scenarios::builder::{self as svc, Form, Parsed, Rendered};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(render))
        .routes(routes!(parse))
        .routes(routes!(suggest_fields))
}

/// The script a builder form writes, with the form's problems per field (an empty
/// list: it may be saved through `POST /api/scenarios`). Nothing is stored.
#[utoipa::path(post, operation_id = "builder_render", path = "/api/scenarios/builder/render", tag = "scenarios", request_body = Form,
    responses((status = 200, body = Rendered), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn render(auth: Authed, ApiJson(form): ApiJson<Form>) -> ApiResult<Json<Rendered>> {
    Ok(Json(svc::render_for(&auth.actor, &form)?))
}

/// A script's builder form, or the reason it opens in the code editor.
#[utoipa::path(post, operation_id = "builder_parse", path = "/api/scenarios/builder/parse", tag = "scenarios", request_body = Source,
    responses((status = 200, body = Parsed), (status = 403, body = ErrorBody)))]
async fn parse(auth: Authed, ApiJson(src): ApiJson<Source>) -> ApiResult<Json<Parsed>> {
    Ok(Json(svc::parse_for(&auth.actor, &src.source)?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct FieldsQuery {
    /// The record kind whose fields to list (the newest records are sampled).
    kind: Option<String>,
}

/// The record kinds stored so far and, for `kind`, the fields its newest records have
/// with the JSON types seen.
#[utoipa::path(get, operation_id = "builder_fields", path = "/api/scenarios/builder/fields", tag = "scenarios", params(FieldsQuery),
    responses((status = 200, body = Fields), (status = 403, body = ErrorBody)))]
async fn suggest_fields(
    State(state): State<AppState>,
    auth: Authed,
    ApiQuery(q): ApiQuery<FieldsQuery>,
) -> ApiResult<Json<Fields>> {
    Ok(Json(
        state
            .run(move |s| fields::fields(s, &auth.actor, q.kind.as_deref()))
            .await?,
    ))
}
