//! The HTTP API and the embedded UI. `app()` merges one router per resource; the
//! OpenAPI document is collected from the handlers' annotations.

mod admin;
mod board;
mod chat_apps;
mod compress;
mod connectors;
mod delivery;
mod departments;
mod erp;
mod erp_upload;
pub mod error;
mod error_docs;
pub mod extract;
mod files;
mod health;
mod hooks;
mod me;
mod personal;
mod projects;
mod push;
mod scenario_builder;
mod scenarios;
mod stats;
mod tasks;
mod tokens;
mod two_factor;
mod ui;
mod users;
mod work;
mod write_back;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::routing::get;
use axum::{Json, Router};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Baton API",
        description = "JSON API of Baton. Errors are `{\"error\":{\"code\",\"message\"}}`. Cookie-authenticated writes need the `X-CSRF-Token` header; scripts use `Authorization: Bearer <token>`."
    ),
    components(schemas(error::ErrorBody))
)]
struct ApiDoc;

/// The OpenAPI document, generated from the handlers.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = api_router().split_for_parts().1;
    error_docs::document_errors(&mut doc);
    doc
}

fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(me::router())
        .merge(users::router())
        .merge(departments::router())
        .merge(projects::router())
        .merge(tokens::router())
        .merge(admin::router())
        .merge(tasks::router())
        .merge(erp::router())
        .merge(erp_upload::router())
        .merge(scenarios::router())
        .merge(work::router())
        .merge(stats::router())
        .merge(personal::router())
        .merge(board::router())
        .merge(delivery::router())
        .merge(hooks::router())
        .merge(connectors::router())
        .merge(push::router())
        .merge(two_factor::router())
        .merge(chat_apps::router())
        .merge(scenario_builder::router())
        .merge(write_back::router())
}

pub(crate) const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn app(state: AppState) -> Router {
    let (api, mut doc) = api_router().split_for_parts();
    error_docs::document_errors(&mut doc);
    let doc = std::sync::Arc::new(doc);
    let body_limit = state.config.body_limit;
    Router::new()
        .merge(api)
        .route(
            "/api/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { Json(doc.as_ref().clone()) }
            }),
        )
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(health::metrics))
        .route_layer(axum::middleware::from_fn(crate::metrics::track))
        .route(
            "/api/{*rest}",
            axum::routing::any(|| async { error::ApiError::NoRoute }),
        )
        .fallback(ui::serve)
        .layer(compress::api_json())
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::Extension(extract::BodyLimit(body_limit)))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}
