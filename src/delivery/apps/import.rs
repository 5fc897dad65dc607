//! An admin's bulk mapping of members to app user ids from CSV: each good row is
//! saved, each bad row comes back with its line and why.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::AppKind;
use super::service::{set_link_in, settings, validate_app_user};
use crate::actor::Actor;
use crate::error::{ServiceError, ServiceResult};
use crate::org::policy::{require_company_admin, CompanyArea};
use crate::store::{Store, StoreError};

/// CSV text: `username,app user id` per line; a header line `username,...` is skipped.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportInput {
    pub csv: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RowError {
    /// 1-based line in the file.
    pub line: u64,
    pub username: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportResult {
    /// Rows that linked (or, with an empty id, unlinked) a member.
    pub linked: usize,
    pub errors: Vec<RowError>,
}

/// Largest CSV accepted (a few thousand members fit easily).
pub const CSV_MAX_ROWS: usize = 10_000;

/// Bulk mapping: each good row links (an empty id unlinks) in one write; each bad row
/// is reported with its line and why, and changes nothing.
pub fn import(
    store: &Store,
    actor: &Actor,
    app: AppKind,
    input: ImportInput,
) -> ServiceResult<ImportResult> {
    require_company_admin(actor, CompanyArea::DeliveryChannels)?;
    if !settings(store)?.apps.contains_key(&app) {
        return Err(ServiceError::invalid(
            "app",
            format!("set up {} before linking members", app.label()),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input.csv.as_bytes());
    let mut errors = Vec::new();
    let mut rows: Vec<(u64, String, Option<String>)> = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for (i, rec) in reader.records().enumerate() {
        if i >= CSV_MAX_ROWS {
            return Err(ServiceError::invalid(
                "csv",
                format!("at most {CSV_MAX_ROWS} rows at once"),
            ));
        }
        let line = u64::try_from(i).unwrap_or(u64::MAX).saturating_add(1);
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(RowError {
                    line,
                    username: String::new(),
                    message: format!("not CSV: {e}"),
                });
                continue;
            }
        };
        let username = rec
            .get(0)
            .unwrap_or("")
            .trim_start_matches('\u{feff}')
            .to_string();
        if username.is_empty() && rec.iter().all(str::is_empty) {
            continue;
        }
        if i == 0 && username.eq_ignore_ascii_case("username") {
            continue;
        }
        let mut fail = |message: String| {
            errors.push(RowError {
                line,
                username: username.clone(),
                message,
            })
        };
        if rec.len() > 2 {
            fail("a row has two columns: username, app user id".into());
            continue;
        }
        let id = match rec.get(1).unwrap_or("") {
            "" => None,
            s => match validate_app_user(s) {
                Ok(s) => Some(s),
                Err(m) => {
                    fail(m);
                    continue;
                }
            },
        };
        let Some(uid) = store.lookup("username", &crate::actor::username_key(&username))? else {
            fail(format!("no user '{username}'"));
            continue;
        };
        if let Some(prev) = seen.insert(uid, line) {
            fail(format!("'{username}' is already on line {prev}"));
            continue;
        }
        rows.push((uid, username.clone(), id));
    }
    let linked = rows.len();
    store.write(|tx| {
        for (uid, _, id) in rows {
            set_link_in(tx, uid, app, id)?;
        }
        Ok::<_, StoreError>(())
    })?;
    Ok(ImportResult { linked, errors })
}
