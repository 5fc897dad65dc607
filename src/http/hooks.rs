//! Inbound webhooks: `POST /api/hooks/{name}` for the shop or ERP (checked by the
//! hook's signature or token, not by a session), and their set-up for company admins.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Authed, RawBody};
use crate::hooks::admin::{self, HookPatch, HookView, NewHook};
use crate::hooks::model::{HookDelivery, Preset, Verification};
use crate::hooks::presets;
use crate::hooks::receive::{self, Delivery, DeliveryAnswer, Prepared};
use crate::org::policy::{require_company_admin, CompanyArea};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(deliver))
        .routes(routes!(list_hooks, create_hook))
        .routes(routes!(hook_presets))
        .routes(routes!(get_hook, update_hook, delete_hook))
        .routes(routes!(hook_deliveries))
}

/// At most this many headers are handed to a mapping, each at most 1 KiB.
const MAX_HEADERS: usize = 100;

fn header_list(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(k, _)| k.as_str() != "cookie" && k.as_str() != "authorization")
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .filter(|(_, v)| v.len() <= 1024)
        .take(MAX_HEADERS)
        .collect()
}

/// A delivery from a shop or an ERP. The body is any JSON the hook's mapping reads
/// (WooCommerce's unsigned set-up ping, a form body `webhook_id=N`, is answered 200).
/// 401: signature or token wrong or missing; 404: no such hook, or switched off;
/// 422: the mapping refused the payload (the reason is in the message and on the
/// hook's page). A replay of a delivery already stored is answered 200
/// (`"outcome": "duplicate"`) and stores nothing.
#[utoipa::path(post, path = "/api/hooks/{name}", tag = "hooks", params(("name" = String, Path)),
    request_body(content = Object, content_type = "application/json"),
    security(()),
    responses((status = 200, body = DeliveryAnswer), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn deliver(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<DeliveryAnswer>> {
    let now = Utc::now();
    let maps = state.hook_maps.clone();
    // A bearer hook checks Authorization; `receive` keeps it from the mapping.
    let mut list = header_list(&headers);
    if let Some(a) = headers.get("authorization").and_then(|v| v.to_str().ok()) {
        list.push(("authorization".into(), a.to_string()));
    }
    let prepared = state
        .run(move |s| {
            let d = Delivery {
                headers: &list,
                body: &body,
                now,
            };
            receive::prepare(s, &maps, &name, &d)
        })
        .await?;
    let mapped = match prepared {
        Prepared::Answered(a) => return Ok(Json(a)),
        Prepared::Mapped(m) => *m,
    };
    let slot = state
        .script_slot_for(mapped.records.iter().map(|r| r.kind.as_str()))
        .await;
    let set = state.scenarios.clone();
    let answer = state
        .run(move |s| receive::store_records(s, &set, mapped, slot, now))
        .await?;
    crate::metrics::ingest(answer.stored, answer.unchanged, 0);
    Ok(Json(answer))
}

#[derive(Serialize, ToSchema)]
pub struct HookList {
    pub items: Vec<HookView>,
}

/// Inbound hooks (company admins). Secrets are never shown.
#[utoipa::path(get, path = "/api/admin/hooks", tag = "hooks", responses((status = 200, body = HookList)))]
async fn list_hooks(State(state): State<AppState>, auth: Authed) -> ApiResult<Json<HookList>> {
    let items = state.run(move |s| admin::list(s, &auth.actor)).await?;
    Ok(Json(HookList { items }))
}

/// Set up an inbound hook (company admins): a preset (`shopify`, `woocommerce`,
/// `generic`) or `custom`, the secret, optionally a mapping of your own.
#[utoipa::path(post, path = "/api/admin/hooks", tag = "hooks", request_body = NewHook,
    responses((status = 201, body = HookView), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_hook(
    State(state): State<AppState>,
    auth: Authed,
    ApiJson(input): ApiJson<NewHook>,
) -> ApiResult<(StatusCode, Json<HookView>)> {
    let h = state
        .run(move |s| admin::create(s, &auth.actor, input, Utc::now()))
        .await?;
    Ok((StatusCode::CREATED, Json(h)))
}

#[derive(Serialize, ToSchema)]
pub struct PresetInfo {
    pub preset: Preset,
    /// `hmac` or `bearer`.
    pub scheme: String,
    pub header: Option<String>,
    pub encoding: Option<crate::hooks::model::SigEncoding>,
    pub prefix: Option<String>,
    /// The header naming one delivery (replays of it are stored once).
    pub delivery_header: Option<String>,
    /// The mapping a new hook starts with.
    pub mapping: String,
}

#[derive(Serialize, ToSchema)]
pub struct PresetList {
    pub items: Vec<PresetInfo>,
}

/// The presets with their signature schemes and ready mappings (company admins).
#[utoipa::path(get, path = "/api/admin/hooks/presets", tag = "hooks", responses((status = 200, body = PresetList)))]
async fn hook_presets(auth: Authed) -> ApiResult<Json<PresetList>> {
    require_company_admin(&auth.actor, CompanyArea::InboundHooks)?;
    let items = [
        Preset::Shopify,
        Preset::Woocommerce,
        Preset::Generic,
        Preset::Custom,
    ]
    .into_iter()
    .map(|p| {
        let (scheme, header, encoding, prefix) = match presets::verification(p, "") {
            Some(Verification::Hmac {
                header,
                encoding,
                prefix,
                ..
            }) => ("hmac", Some(header), Some(encoding), Some(prefix)),
            _ => ("hmac", None, None, None),
        };
        PresetInfo {
            preset: p,
            scheme: scheme.into(),
            header,
            encoding,
            prefix,
            delivery_header: presets::delivery_header(p).map(|(h, _)| h.to_string()),
            mapping: presets::mapping(p).to_string(),
        }
    })
    .collect();
    Ok(Json(PresetList { items }))
}

#[utoipa::path(get, path = "/api/admin/hooks/{id}", tag = "hooks", params(("id" = u64, Path)), responses((status = 200, body = HookView)))]
async fn get_hook(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<Json<HookView>> {
    Ok(Json(
        state.run(move |s| admin::get(s, &auth.actor, id)).await?,
    ))
}

/// Change a hook (company admins): a new secret, the mapping, on/off.
#[utoipa::path(patch, path = "/api/admin/hooks/{id}", tag = "hooks", params(("id" = u64, Path)), request_body = HookPatch,
    responses((status = 200, body = HookView), (status = 400, body = ErrorBody)))]
async fn update_hook(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
    ApiJson(patch): ApiJson<HookPatch>,
) -> ApiResult<Json<HookView>> {
    Ok(Json(
        state
            .run(move |s| admin::update(s, &auth.actor, id, patch, Utc::now()))
            .await?,
    ))
}

/// Remove a hook and its delivery log (company admins).
#[utoipa::path(delete, path = "/api/admin/hooks/{id}", tag = "hooks", params(("id" = u64, Path)), responses((status = 204)))]
async fn delete_hook(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
) -> ApiResult<StatusCode> {
    state
        .run(move |s| admin::delete(s, &auth.actor, id, Utc::now()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DeliveriesQuery {
    /// At most this many, newest first (default 50, max 200).
    limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryList {
    pub items: Vec<HookDelivery>,
}

/// A hook's last deliveries with their outcome, kept seven days (company admins).
#[utoipa::path(get, path = "/api/admin/hooks/{id}/deliveries", tag = "hooks", params(("id" = u64, Path), DeliveriesQuery),
    responses((status = 200, body = DeliveryList)))]
async fn hook_deliveries(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<u64>,
    ApiQuery(q): ApiQuery<DeliveriesQuery>,
) -> ApiResult<Json<DeliveryList>> {
    let limit = q.limit.unwrap_or(50);
    let items = state
        .run(move |s| admin::deliveries(s, &auth.actor, id, limit))
        .await?;
    Ok(Json(DeliveryList { items }))
}
