//! What admins send and see for a connector: the view without the auth header's
//! value, the new-connector and patch bodies, and the checks on their fields. Apart
//! from `admin.rs` so the operations read without the field rules in between.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{MAX_INTERVAL_SECS, MAX_TIMEOUT_SECS, MIN_INTERVAL_SECS};
use crate::connectors::model::{AuthHeader, Connector, CursorSpec, PayloadFormat, RunReport};
use crate::error::{ServiceError, ServiceResult};
use crate::hooks::mapping;
use crate::net::outbound::parse_url;
use crate::net::AddressPolicy;
use crate::scenarios::script::ScriptError;

/// A connector as admins see it: everything but the auth header's value.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConnectorView {
    pub id: u64,
    pub rev: u64,
    pub name: String,
    pub url: String,
    pub format: PayloadFormat,
    /// The auth header's name; its value is never shown again.
    pub auth_header: Option<String>,
    pub auth_set: bool,
    pub interval_secs: u64,
    pub timeout_secs: u64,
    pub mapping: String,
    pub cursor: Option<CursorSpec>,
    pub cursor_value: Option<String>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub next_run_at: Option<DateTime<Utc>>,
    pub failures: u32,
    pub last_run: Option<RunReport>,
    pub last_ok_at: Option<DateTime<Utc>>,
    pub last_error: Option<ScriptError>,
}

impl From<&Connector> for ConnectorView {
    fn from(c: &Connector) -> Self {
        ConnectorView {
            id: c.id,
            rev: c.rev,
            name: c.name.clone(),
            url: c.url.clone(),
            format: c.format,
            auth_header: c.auth.as_ref().map(|a| a.name.clone()),
            auth_set: c.auth.as_ref().is_some_and(|a| !a.value.is_empty()),
            interval_secs: c.interval_secs,
            timeout_secs: c.timeout_secs,
            mapping: c.mapping.clone(),
            cursor: c.cursor.clone(),
            cursor_value: c.cursor_value.clone(),
            enabled: c.enabled,
            created_at: c.created_at,
            updated_at: c.updated_at,
            next_run_at: c.next_run_at,
            failures: c.failures,
            last_run: c.last_run.clone(),
            last_ok_at: c.last_ok_at,
            last_error: c.last_error.clone(),
        }
    }
}

/// A new connector. Left out: JSON, every 15 minutes, 30 s time-out, the default
/// mapping, no auth, no cursor, on.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConnector {
    /// 1–40 lower-case letters, digits, `-` or `_`.
    pub name: String,
    /// `http(s)://` on an address Baton may reach.
    pub url: String,
    pub format: Option<PayloadFormat>,
    /// A header sent with every fetch, e.g. `Authorization` or `X-Api-Key`…
    pub auth_header: Option<String>,
    /// …and its value (write-only).
    pub auth_value: Option<String>,
    pub interval_secs: Option<u64>,
    pub timeout_secs: Option<u64>,
    pub mapping: Option<String>,
    pub cursor: Option<CursorSpec>,
    pub enabled: Option<bool>,
}

/// Changes to a connector; what is left out stays. `auth_header: null` removes the
/// header, `cursor: null` stops incremental fetching; `reset_cursor` forgets the value
/// seen so far (the next fetch asks for everything).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectorPatch {
    pub url: Option<String>,
    pub format: Option<PayloadFormat>,
    #[serde(default, deserialize_with = "crate::patch::some")]
    #[schema(value_type = Option<String>)]
    pub auth_header: Option<Option<String>>,
    pub auth_value: Option<String>,
    pub interval_secs: Option<u64>,
    pub timeout_secs: Option<u64>,
    pub mapping: Option<String>,
    #[serde(default, deserialize_with = "crate::patch::some")]
    #[schema(value_type = Option<CursorSpec>)]
    pub cursor: Option<Option<CursorSpec>>,
    pub reset_cursor: Option<bool>,
    pub enabled: Option<bool>,
}

pub(super) fn valid_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

pub(super) fn check_url(policy: &AddressPolicy, url: &str) -> ServiceResult<String> {
    if url.len() > 2000 {
        return Err(ServiceError::invalid(
            "url",
            "the URL is longer than 2000 characters",
        ));
    }
    parse_url(policy, url.trim())
        .map(|u| u.to_string())
        .map_err(|e| ServiceError::invalid("url", format!("url: {e}")))
}

pub(super) fn check_header_name(name: &str) -> ServiceResult<String> {
    let n = name.trim();
    let ok = (1..=100).contains(&n.len())
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let lower = n.to_ascii_lowercase();
    if !ok || matches!(lower.as_str(), "cookie" | "host" | "content-length") {
        return Err(ServiceError::invalid(
            "auth_header",
            "a header name of letters, digits and '-' (not Cookie, Host or Content-Length)",
        ));
    }
    Ok(n.to_string())
}

pub(super) fn check_header_value(value: &str) -> ServiceResult<()> {
    if value.len() > 4096 || value.chars().any(|c| c.is_control()) {
        return Err(ServiceError::invalid(
            "auth_value",
            "at most 4096 characters, on one line",
        ));
    }
    Ok(())
}

pub(super) fn check_interval(secs: u64) -> ServiceResult<u64> {
    if !(MIN_INTERVAL_SECS..=MAX_INTERVAL_SECS).contains(&secs) {
        return Err(ServiceError::invalid(
            "interval_secs",
            format!(
                "between {MIN_INTERVAL_SECS} s and {} days",
                MAX_INTERVAL_SECS / 86_400
            ),
        ));
    }
    Ok(secs)
}

pub(super) fn check_timeout(secs: u64) -> ServiceResult<u64> {
    if !(1..=MAX_TIMEOUT_SECS).contains(&secs) {
        return Err(ServiceError::invalid(
            "timeout_secs",
            format!("between 1 and {MAX_TIMEOUT_SECS} s"),
        ));
    }
    Ok(secs)
}

pub(super) fn check_cursor(c: &CursorSpec) -> ServiceResult<()> {
    let name_ok = |s: &str| {
        (1..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
    };
    if !name_ok(&c.field) || !name_ok(&c.param) {
        return Err(ServiceError::invalid(
            "cursor",
            "the cursor's field and query parameter: 1-64 letters, digits, '_', '-' or '.'",
        ));
    }
    Ok(())
}

pub(super) fn check_mapping(source: &str) -> ServiceResult<()> {
    mapping::check(source)
        .map(|_| ())
        .map_err(|e| ServiceError::invalid("mapping", format!("mapping: {e}")))
}

pub(super) fn auth_from(
    name: Option<&str>,
    value: Option<&str>,
) -> ServiceResult<Option<AuthHeader>> {
    match (name, value) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(ServiceError::invalid(
            "auth_header",
            "a value needs the header's name",
        )),
        (Some(n), v) => {
            let v = v.unwrap_or("");
            check_header_value(v)?;
            Ok(Some(AuthHeader {
                name: check_header_name(n)?,
                value: v.to_string(),
            }))
        }
    }
}
