//! ERP records: the ERP pushes them with an `erp:write` token; admins and `read`
//! tokens read them.

use axum::extract::State;
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{body_error, ApiPath, ApiQuery, Authed, BulkBody, Credential, ErpWriter};
use crate::erp::batch::read_batch;
use crate::erp::ingest::{self, Rejected, MAX_BATCH};
use crate::erp::push as erp_push;
use crate::erp::{ErpRecord, ErpVersion};
use crate::error::ServiceError;
use crate::org::policy::may_read_erp;
use crate::scenarios::apply::Report;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(push, browse))
        .routes(routes!(get_record))
        .routes(routes!(versions))
}

/// The body, for the OpenAPI document only: `erp::batch::read_batch` reads it, checking
/// integers in the text before serde_json parses it.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Batch {
    /// Up to 1000 records. A record that does not fit is rejected on its own (listed
    /// in `rejected`), the others are stored.
    #[schema(max_items = 1000)]
    pub records: Vec<RecordInput>,
}

/// One record as the ERP sends it, for the OpenAPI document only (`ingest::validate`
/// is the check): describing it lets generated clients and the fuzz run send records
/// that reach the scenarios.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct RecordInput {
    /// 1–40 lower-case letters, digits or `_`. Suggested kinds: `order`,
    /// `purchase_order`, `stock`, `shipment`; any other kind is accepted.
    #[schema(pattern = "^[a-z0-9_]{1,40}$")]
    pub kind: String,
    /// The ERP's id: 1–100 characters, no `/` (a JSON number is taken as its text).
    #[schema(min_length = 1, max_length = 100, pattern = "^[^/]+$")]
    pub id: String,
    /// The record's fields, any JSON; integers beyond 64 bits are refused.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// When it happened in the ERP, RFC 3339 in the years 2000–2200; default: when
    /// it arrives.
    pub occurred_at: Option<chrono::DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct PushResult {
    /// New or changed records (durable).
    pub stored: usize,
    /// Records equal to what was stored: nothing changed.
    pub unchanged: usize,
    pub rejected: Vec<Rejected>,
    pub scenarios: Report,
}

/// Push records (token with `erp:write`). Valid records are stored even when others
/// in the batch are rejected; each rejection says why. Values keep their JSON types; a
/// record with an integer beyond 64 bits is rejected (send such numbers as strings).
#[utoipa::path(post, path = "/api/erp/records", tag = "erp", request_body = Batch,
    responses((status = 200, body = PushResult), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody)))]
async fn push(
    State(state): State<AppState>,
    _token: ErpWriter,
    BulkBody(body): BulkBody,
) -> ApiResult<Json<PushResult>> {
    let records = read_batch(&body).map_err(body_error)?;
    drop(body);
    if records.len() > MAX_BATCH {
        return Err(ServiceError::TooLarge(format!(
            "at most {MAX_BATCH} records per batch; send {} in several",
            records.len()
        ))
        .into());
    }
    let mut valid = Vec::new();
    let mut rejected = Vec::new();
    for (index, read) in records.into_iter().enumerate() {
        let (v, reason) = match read {
            Ok(mut v) => match ingest::validate(&mut v) {
                Ok(r) => {
                    valid.push(r);
                    continue;
                }
                Err(reason) => (v, reason),
            },
            Err(refused) => refused,
        };
        rejected.push(Rejected {
            index,
            kind: v.get("kind").and_then(|k| k.as_str()).map(String::from),
            id: v.get("id").map(|i| {
                i.as_str()
                    .map(String::from)
                    .unwrap_or_else(|| i.to_string())
            }),
            reason,
        });
    }
    let now = Utc::now();
    // Scripts run in bounded places, fair between record kinds (a batch no scenario
    // watches waits for none); records and the tasks they cause are written together,
    // durably, before the answer. A failing script only records its error on the
    // scenario, and one that keeps running away is quarantined.
    let slot = state
        .script_slot_for(valid.iter().map(|r| r.kind.as_str()))
        .await;
    let set = state.scenarios.clone();
    let pushed = state
        .run(move |s| erp_push::push(s, &set, valid, slot, now))
        .await?;
    crate::metrics::ingest(pushed.stored, pushed.unchanged, rejected.len());
    crate::metrics::scenarios(&pushed.report);
    Ok(Json(PushResult {
        stored: pushed.stored,
        unchanged: pushed.unchanged,
        rejected,
        scenarios: pushed.report,
    }))
}

/// ERP records are the company admins' (`Authed` already required a token's read
/// scope; the token reads as its owner).
fn may_read(auth: &Authed) -> Result<(), ServiceError> {
    may_read_erp(&auth.actor, matches!(auth.credential, Credential::Token(_)))
}

#[derive(Serialize, ToSchema)]
pub struct RecordView {
    pub kind: String,
    pub id: String,
    pub version: u64,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    #[schema(value_type = Option<Object>)]
    pub previous: Option<serde_json::Value>,
    pub occurred_at: Option<chrono::DateTime<Utc>>,
    pub received_at: chrono::DateTime<Utc>,
}

impl From<ErpRecord> for RecordView {
    fn from(r: ErpRecord) -> Self {
        RecordView {
            kind: r.kind,
            id: r.record_id,
            version: r.version,
            data: r.data,
            previous: r.previous,
            occurred_at: r.occurred_at,
            received_at: r.received_at,
        }
    }
}

/// The current version of a record.
#[utoipa::path(get, path = "/api/erp/records/{kind}/{id}", tag = "erp", params(("kind" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = RecordView), (status = 404, body = ErrorBody)))]
async fn get_record(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath((kind, id)): ApiPath<(String, String)>,
) -> ApiResult<Json<RecordView>> {
    may_read(&auth)?;
    Ok(Json(
        state.run(move |s| ingest::get(s, &kind, &id)).await?.into(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct VersionList {
    pub items: Vec<ErpVersion>,
}

/// Every stored version of a record, newest first.
#[utoipa::path(get, path = "/api/erp/records/{kind}/{id}/versions", tag = "erp", params(("kind" = String, Path), ("id" = String, Path)), responses((status = 200, body = VersionList)))]
async fn versions(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath((kind, id)): ApiPath<(String, String)>,
) -> ApiResult<Json<VersionList>> {
    may_read(&auth)?;
    Ok(Json(VersionList {
        items: state.run(move |s| ingest::versions(s, &kind, &id)).await?,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BrowseQuery {
    pub kind: String,
    /// Text in the id or the data.
    pub q: Option<String>,
    pub limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct RecordList {
    pub items: Vec<RecordView>,
}

/// Records of a kind, newest first.
#[utoipa::path(get, path = "/api/erp/records", tag = "erp", params(BrowseQuery), responses((status = 200, body = RecordList)))]
async fn browse(
    State(state): State<AppState>,
    auth: Authed,
    ApiQuery(q): ApiQuery<BrowseQuery>,
) -> ApiResult<Json<RecordList>> {
    may_read(&auth)?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let items = state
        .run(move |s| ingest::browse(s, &q.kind, q.q.as_deref(), limit))
        .await?;
    Ok(Json(RecordList {
        items: items.into_iter().map(RecordView::from).collect(),
    }))
}
