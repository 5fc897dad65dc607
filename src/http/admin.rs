//! Audit log and backups (company admins).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiQuery, Authed};
use crate::audit::{self, AuditEvent};
use crate::backup::{BackupError, BackupFile, Header};
use crate::error::ServiceError;
use crate::org::policy::{require_company_admin, CompanyArea};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(audit_log))
        .routes(routes!(list_backups, create_backup))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    /// At most this many events, newest first (default 200, max 1000).
    limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditList {
    pub items: Vec<AuditEvent>,
}

#[derive(Serialize, ToSchema)]
pub struct BackupList {
    pub items: Vec<BackupFile>,
}

#[derive(Serialize, ToSchema)]
pub struct BackupCreated {
    pub name: String,
    pub header: Header,
}

/// Security and administration events, newest first.
#[utoipa::path(get, path = "/api/audit", tag = "admin", params(AuditQuery), responses((status = 200, body = AuditList), (status = 403, body = ErrorBody)))]
async fn audit_log(
    State(state): State<AppState>,
    auth: Authed,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<AuditList>> {
    let limit = q.limit.unwrap_or(200);
    Ok(Json(AuditList {
        items: state
            .run(move |s| audit::list(s, &auth.actor, limit))
            .await?,
    }))
}

fn company_admin(auth: &Authed) -> Result<(), ServiceError> {
    require_company_admin(&auth.actor, CompanyArea::Backups)
}

fn backup_error(e: BackupError) -> ServiceError {
    match e {
        BackupError::Busy => ServiceError::Conflict(e.to_string()),
        other => ServiceError::Internal(other.to_string()),
    }
}

/// Backup files in the server's backup directory.
#[utoipa::path(get, path = "/api/admin/backups", tag = "admin", responses((status = 200, body = BackupList), (status = 403, body = ErrorBody)))]
async fn list_backups(State(state): State<AppState>, auth: Authed) -> ApiResult<Json<BackupList>> {
    company_admin(&auth)?;
    let runner = state.backups.clone();
    let items = state
        .run(move |_| runner.list().map_err(backup_error))
        .await?;
    Ok(Json(BackupList { items }))
}

/// Write a backup now into the server's backup directory.
#[utoipa::path(post, path = "/api/admin/backups", tag = "admin", responses((status = 201, body = BackupCreated), (status = 409, body = ErrorBody)))]
async fn create_backup(
    State(state): State<AppState>,
    auth: Authed,
) -> ApiResult<(StatusCode, Json<BackupCreated>)> {
    company_admin(&auth)?;
    let runner = state.backups.clone();
    let (path, header) = state
        .run(move |_| runner.to_backup_dir(Utc::now()).map_err(backup_error))
        .await?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok((StatusCode::CREATED, Json(BackupCreated { name, header })))
}
