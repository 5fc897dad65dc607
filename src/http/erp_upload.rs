//! Importing an uploaded export (company admins): upload the file, look at its columns
//! and the first records as they would be stored, then import it a batch at a time
//! (each batch one durable write through the ERP push path, so the page can show
//! progress and a failure never leaves a batch half-stored).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiMultipart, ApiPath, Authed};
use super::files;
use crate::erp::ingest::MAX_BATCH;
use crate::erp::push as erp_push;
use crate::erp::upload::records::{self, Choices, ColumnInfo};
use crate::erp::upload::table::{self, Format, Table, MAX_BYTES};
use crate::error::ServiceError;
use crate::org::policy::{require_company_admin, CompanyArea};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(
            // The file is limited to `table::MAX_BYTES` while it streams in.
            OpenApiRouter::new()
                .routes(routes!(upload_export))
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .routes(routes!(discard_upload))
        .routes(routes!(preview_upload))
        .routes(routes!(import_upload_batch))
}

#[derive(Serialize, ToSchema)]
pub struct UploadInfo {
    /// Names this upload in the next calls (kept 30 minutes, for its uploader only).
    pub id: String,
    pub name: String,
    pub format: Format,
    /// Data rows (the header not counted; empty rows skipped).
    pub rows: usize,
    pub columns: Vec<ColumnInfo>,
    /// The column that looks like the id: `id` when there is one.
    pub id_column: Option<String>,
}

fn owner(auth: &Authed) -> ApiResult<u64> {
    require_company_admin(&auth.actor, CompanyArea::ErpImport)?;
    auth.actor
        .user_id
        .ok_or_else(|| ServiceError::forbidden("uploads belong to a person").into())
}

/// Upload a CSV, XLSX or JSON-lines file (multipart field `file`, at most 10 MiB and
/// 100,000 rows). Nothing is stored yet: the answer lists the columns with a type each
/// one's cells fit, to choose from.
#[utoipa::path(post, path = "/api/erp/uploads", tag = "erp",
    request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 200, body = UploadInfo), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody)))]
async fn upload_export(
    State(state): State<AppState>,
    auth: Authed,
    ApiMultipart(form): ApiMultipart,
) -> ApiResult<Json<UploadInfo>> {
    let owner = owner(&auth)?;
    let up = files::receive(form, MAX_BYTES, &state.config.tmp_dir()).await?;
    let name = up.name.clone();
    let parsed = tokio::task::spawn_blocking(move || {
        let bytes = std::fs::read(up.temp.path())
            .map_err(|e| ServiceError::Internal(format!("reading the upload: {e}")))?;
        table::parse(&up.name, &bytes).map_err(|e| ServiceError::invalid("file", e.to_string()))
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("worker failed: {e}")))??;
    let info_columns = records::columns(&parsed);
    let id_column = parsed
        .columns
        .iter()
        .find(|c| c.eq_ignore_ascii_case("id"))
        .cloned();
    let (format, rows) = (parsed.format, parsed.rows.len());
    let id = state.uploads.put(owner, parsed);
    Ok(Json(UploadInfo {
        id,
        name,
        format,
        rows,
        columns: info_columns,
        id_column,
    }))
}

fn staged(state: &AppState, owner: u64, id: &str) -> ApiResult<std::sync::Arc<Table>> {
    state.uploads.get(owner, id).ok_or_else(|| {
        ApiError::from(ServiceError::not_found(
            "no such upload (uploads are kept 30 minutes): upload the file again",
        ))
    })
}

fn checked(table: &Table, c: &Choices) -> ApiResult<()> {
    records::check(table, c).map_err(|(field, why)| ServiceError::invalid(field, why).into())
}

/// Forget an upload.
#[utoipa::path(delete, path = "/api/erp/uploads/{id}", tag = "erp", params(("id" = String, Path)), responses((status = 204)))]
async fn discard_upload(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let owner = owner(&auth)?;
    if state.uploads.remove(owner, &id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ServiceError::not_found("no such upload").into())
    }
}

/// One row as it would be stored, or why it would be refused.
#[derive(Serialize, ToSchema)]
pub struct RowOutcome {
    /// The row's number in the file (the header is row 1).
    pub line: usize,
    pub kind: Option<String>,
    pub id: Option<String>,
    #[schema(value_type = Object)]
    pub data: Option<serde_json::Value>,
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PreviewResult {
    pub rows: usize,
    /// The first 20 rows.
    pub records: Vec<RowOutcome>,
}

/// The first 20 rows as records, by the given choices; stores nothing.
#[utoipa::path(post, path = "/api/erp/uploads/{id}/preview", tag = "erp", params(("id" = String, Path)), request_body = Choices,
    responses((status = 200, body = PreviewResult), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn preview_upload(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<String>,
    ApiJson(choices): ApiJson<Choices>,
) -> ApiResult<Json<PreviewResult>> {
    let owner = owner(&auth)?;
    let table = staged(&state, owner, &id)?;
    checked(&table, &choices)?;
    let out = records::records(&table, &choices, 0, 20)
        .into_iter()
        .map(|(line, r)| match r {
            Ok(rec) => RowOutcome {
                line,
                kind: Some(rec.kind),
                id: Some(rec.record_id),
                data: Some(rec.data),
                reason: None,
            },
            Err(reason) => RowOutcome {
                line,
                kind: None,
                id: None,
                data: None,
                reason: Some(reason),
            },
        })
        .collect();
    Ok(Json(PreviewResult {
        rows: table.rows.len(),
        records: out,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportBatch {
    pub choices: Choices,
    /// The first row of the batch (0 = the first data row).
    pub from: usize,
    /// Rows in this batch, at most 1000.
    pub count: usize,
}

#[derive(Serialize, ToSchema)]
pub struct Refusal {
    pub line: usize,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct BatchResult {
    pub from: usize,
    /// The row after this batch: the next batch's `from`.
    pub to: usize,
    pub rows: usize,
    pub done: bool,
    /// Records new or changed.
    pub stored: usize,
    /// Of those, records seen for the first time.
    pub new: usize,
    pub unchanged: usize,
    pub tasks_created: usize,
    pub rejected: Vec<Refusal>,
}

/// Import rows `from..from+count` (at most 1000): valid rows are stored in one durable
/// write with what their scenarios do; refused rows are listed with the reason.
#[utoipa::path(post, path = "/api/erp/uploads/{id}/import", tag = "erp", params(("id" = String, Path)), request_body = ImportBatch,
    responses((status = 200, body = BatchResult), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn import_upload_batch(
    State(state): State<AppState>,
    auth: Authed,
    ApiPath(id): ApiPath<String>,
    ApiJson(batch): ApiJson<ImportBatch>,
) -> ApiResult<Json<BatchResult>> {
    let owner = owner(&auth)?;
    let table = staged(&state, owner, &id)?;
    checked(&table, &batch.choices)?;
    if batch.count == 0 || batch.count > MAX_BATCH {
        return Err(ServiceError::invalid("count", format!("1-{MAX_BATCH} rows per batch")).into());
    }
    let total = table.rows.len();
    if batch.from > total {
        return Err(ServiceError::invalid("from", format!("the upload has {total} rows")).into());
    }
    let mut valid = Vec::new();
    let mut rejected = Vec::new();
    for (line, r) in records::records(&table, &batch.choices, batch.from, batch.count) {
        match r {
            Ok(rec) => valid.push(rec),
            Err(reason) => rejected.push(Refusal { line, reason }),
        }
    }
    let to = batch.from.saturating_add(batch.count).min(total);
    let slot = state
        .script_slot_for(valid.iter().map(|r| r.kind.as_str()))
        .await;
    let set = state.scenarios.clone();
    let now = Utc::now();
    let pushed = if valid.is_empty() {
        erp_push::Pushed::default()
    } else {
        state
            .run(move |s| erp_push::push(s, &set, valid, slot, now))
            .await?
    };
    crate::metrics::ingest(pushed.stored, pushed.unchanged, rejected.len());
    crate::metrics::scenarios(&pushed.report);
    Ok(Json(BatchResult {
        from: batch.from,
        to,
        rows: total,
        done: to >= total,
        stored: pushed.stored,
        new: pushed.new,
        unchanged: pushed.unchanged,
        tasks_created: pushed.report.tasks_created,
        rejected,
    }))
}
