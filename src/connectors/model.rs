//! A pull connector and the outcome of its last run, as stored.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::scenarios::script::ScriptError;
use crate::store::Record;

/// What the URL answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PayloadFormat {
    /// Any JSON; the mapping reads it as it is.
    Json,
    /// A header row and data rows; the mapping gets a list of objects whose values are
    /// the cells as written (strings: `00123` stays `00123`).
    Csv,
}

/// A header sent with every fetch, e.g. `Authorization: Bearer …` or `X-Api-Key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthHeader {
    pub name: String,
    pub value: String,
}

/// Incremental fetching: the highest value of `field` among the records stored so far
/// is sent back as the query parameter `param` on the next fetch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CursorSpec {
    /// A field of the mapped records' `data` (or `id`).
    pub field: String,
    /// The query parameter it is sent as.
    pub param: String,
}

/// What one run did. Kept on the connector (the last run only) for its page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RunReport {
    pub started_at: Option<DateTime<Utc>>,
    pub duration_ms: u64,
    /// Started by an admin ("run now"), not by the schedule.
    pub manual: bool,
    pub ok: bool,
    /// The HTTP status the URL answered, when it answered.
    pub status: Option<u16>,
    pub bytes: u64,
    /// Records the mapping returned.
    pub records: usize,
    /// New or changed records stored.
    pub stored: usize,
    pub unchanged: usize,
    pub tasks_created: usize,
    /// Records the mapping returned that are not valid, with why (at most 20 listed).
    pub rejected: usize,
    pub rejected_reasons: Vec<String>,
    /// Why the run failed (nothing stored), for admins.
    pub error: Option<String>,
    /// The cursor sent, and the one the next fetch will send.
    pub cursor_sent: Option<String>,
    pub cursor_next: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Connector {
    pub id: u64,
    pub rev: u64,
    pub name: String,
    pub url: String,
    pub format: PayloadFormat,
    pub auth: Option<AuthHeader>,
    /// Seconds between runs.
    pub interval_secs: u64,
    /// Seconds a fetch may take, answer included.
    pub timeout_secs: u64,
    /// A rhai script with `fn map(payload, headers)`.
    pub mapping: String,
    pub cursor: Option<CursorSpec>,
    /// The highest cursor value seen so far, as it was written in the record.
    pub cursor_value: Option<String>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<u64>,
    pub updated_at: DateTime<Utc>,
    /// When the schedule runs it next (`None`: as soon as it can).
    pub next_run_at: Option<DateTime<Utc>>,
    /// Failed runs in a row: each doubles the wait, up to [`super::plan::MAX_BACKOFF_SECS`].
    pub failures: u32,
    pub last_run: Option<RunReport>,
    pub last_ok_at: Option<DateTime<Utc>>,
    /// The mapping's last run-time error, with its line and column.
    pub last_error: Option<ScriptError>,
}

pub const IX_CONNECTOR_NAME: &str = "connector_name";

impl Record for Connector {
    const KIND: &'static str = "connector";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![(IX_CONNECTOR_NAME, self.name.clone())]
    }
}
