//! What company admins do with pull connectors: set one up, change it, switch it off,
//! forget its cursor, remove it. The auth header's value is never sent back.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{
    AuthHeader, Connector, CursorSpec, PayloadFormat, RunReport, IX_CONNECTOR_NAME,
};
use crate::actor::Actor;
use crate::audit;
use crate::error::{ServiceError, ServiceResult};
use crate::hooks::mapping;
use crate::net::outbound::parse_url;
use crate::net::AddressPolicy;
use crate::org::policy::{require_company_admin, CompanyArea};
use crate::scenarios::script::ScriptError;
use crate::store::Store;

/// Bounds of the schedule: often enough for "new orders every minute", rare enough
/// for a nightly export.
pub const MIN_INTERVAL_SECS: u64 = 10;
pub const MAX_INTERVAL_SECS: u64 = 7 * 86_400;
pub const DEFAULT_INTERVAL_SECS: u64 = 900;
pub const MAX_TIMEOUT_SECS: u64 = 120;
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;

/// The mapping a new connector starts with: a list of rows (a JSON array, an object
/// with `items`, or a CSV answer) each stored as an `order` keyed by its `id`.
pub const DEFAULT_MAPPING: &str = r#"// Each row of the answer becomes one "order" record keyed by its "id".
// A JSON answer may be a list or an object with "items"; a CSV answer is a list of
// rows whose values are the cells as written.
fn map(payload, headers) {
    let rows = if type_of(payload) == "array" { payload } else { payload.items ?? [] };
    let out = [];
    for row in rows {
        out.push(#{ kind: "order", id: `${row.id}`, data: row });
    }
    out
}
"#;

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

fn valid_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn check_url(policy: &AddressPolicy, url: &str) -> ServiceResult<String> {
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

fn check_header_name(name: &str) -> ServiceResult<String> {
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

fn check_header_value(value: &str) -> ServiceResult<()> {
    if value.len() > 4096 || value.chars().any(|c| c.is_control()) {
        return Err(ServiceError::invalid(
            "auth_value",
            "at most 4096 characters, on one line",
        ));
    }
    Ok(())
}

fn check_interval(secs: u64) -> ServiceResult<u64> {
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

fn check_timeout(secs: u64) -> ServiceResult<u64> {
    if !(1..=MAX_TIMEOUT_SECS).contains(&secs) {
        return Err(ServiceError::invalid(
            "timeout_secs",
            format!("between 1 and {MAX_TIMEOUT_SECS} s"),
        ));
    }
    Ok(secs)
}

fn check_cursor(c: &CursorSpec) -> ServiceResult<()> {
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

fn check_mapping(source: &str) -> ServiceResult<()> {
    mapping::check(source)
        .map(|_| ())
        .map_err(|e| ServiceError::invalid("mapping", format!("mapping: {e}")))
}

fn auth_from(name: Option<&str>, value: Option<&str>) -> ServiceResult<Option<AuthHeader>> {
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

pub fn create(
    store: &Store,
    policy: &AddressPolicy,
    actor: &Actor,
    input: NewConnector,
    now: DateTime<Utc>,
) -> ServiceResult<ConnectorView> {
    require_company_admin(actor, CompanyArea::Connectors)?;
    if !valid_name(&input.name) {
        return Err(ServiceError::invalid(
            "name",
            "1-40 lower-case letters, digits, '-' or '_'",
        ));
    }
    let url = check_url(policy, &input.url)?;
    let auth = auth_from(input.auth_header.as_deref(), input.auth_value.as_deref())?;
    let interval_secs = check_interval(input.interval_secs.unwrap_or(DEFAULT_INTERVAL_SECS))?;
    let timeout_secs = check_timeout(input.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS))?;
    if let Some(c) = &input.cursor {
        check_cursor(c)?;
    }
    let source = input.mapping.unwrap_or_else(|| DEFAULT_MAPPING.to_string());
    check_mapping(&source)?;
    let mut c = Connector {
        id: 0,
        rev: 0,
        name: input.name,
        url,
        format: input.format.unwrap_or(PayloadFormat::Json),
        auth,
        interval_secs,
        timeout_secs,
        mapping: source,
        cursor: input.cursor,
        cursor_value: None,
        enabled: input.enabled.unwrap_or(true),
        created_at: now,
        created_by: actor.user_id,
        updated_at: now,
        next_run_at: None,
        failures: 0,
        last_run: None,
        last_ok_at: None,
        last_error: None,
    };
    store.write(|tx| {
        if tx.lookup(IX_CONNECTOR_NAME, &c.name)?.is_some() {
            return Err(ServiceError::Conflict(format!(
                "a connector named '{}' exists already",
                c.name
            )));
        }
        tx.insert(&mut c)?;
        audit::record(
            tx,
            actor,
            "connector.create",
            format!("connector {}", c.name),
            None,
            now,
        )?;
        Ok::<_, ServiceError>(())
    })?;
    Ok(ConnectorView::from(&c))
}

pub fn list(store: &Store, actor: &Actor) -> ServiceResult<Vec<ConnectorView>> {
    require_company_admin(actor, CompanyArea::Connectors)?;
    let mut all = store.list::<Connector>()?;
    all.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(all.iter().map(ConnectorView::from).collect())
}

pub fn load(store: &Store, id: u64) -> ServiceResult<Connector> {
    store
        .get::<Connector>(id)?
        .ok_or_else(|| ServiceError::not_found("no such connector"))
}

pub fn get(store: &Store, actor: &Actor, id: u64) -> ServiceResult<ConnectorView> {
    require_company_admin(actor, CompanyArea::Connectors)?;
    Ok(ConnectorView::from(&load(store, id)?))
}

pub fn update(
    store: &Store,
    policy: &AddressPolicy,
    actor: &Actor,
    id: u64,
    patch: ConnectorPatch,
    now: DateTime<Utc>,
) -> ServiceResult<ConnectorView> {
    require_company_admin(actor, CompanyArea::Connectors)?;
    let url = patch
        .url
        .as_deref()
        .map(|u| check_url(policy, u))
        .transpose()?;
    let interval = patch.interval_secs.map(check_interval).transpose()?;
    let timeout = patch.timeout_secs.map(check_timeout).transpose()?;
    if let Some(m) = &patch.mapping {
        check_mapping(m)?;
    }
    if let Some(Some(c)) = &patch.cursor {
        check_cursor(c)?;
    }
    if let Some(v) = &patch.auth_value {
        check_header_value(v)?;
    }
    let header = match &patch.auth_header {
        Some(Some(n)) => Some(Some(check_header_name(n)?)),
        Some(None) => Some(None),
        None => None,
    };
    store.write(|tx| {
        let mut c: Connector = tx
            .get(id)?
            .ok_or_else(|| ServiceError::not_found("no such connector"))?;
        if let Some(u) = &url {
            c.url = u.clone();
        }
        if let Some(f) = patch.format {
            c.format = f;
        }
        match &header {
            Some(None) => c.auth = None,
            Some(Some(n)) => {
                let value = match (&patch.auth_value, &c.auth) {
                    (Some(v), _) => v.clone(),
                    (None, Some(old)) => old.value.clone(),
                    (None, None) => String::new(),
                };
                c.auth = Some(AuthHeader {
                    name: n.clone(),
                    value,
                });
            }
            None => {
                if let Some(v) = &patch.auth_value {
                    match &mut c.auth {
                        Some(a) => a.value = v.clone(),
                        None => {
                            return Err(ServiceError::invalid(
                                "auth_header",
                                "a value needs the header's name",
                            ))
                        }
                    }
                }
            }
        }
        if let Some(i) = interval {
            c.interval_secs = i;
            // the new interval counts from now, not from a far backoff
            c.next_run_at = None;
            c.failures = 0;
        }
        if let Some(t) = timeout {
            c.timeout_secs = t;
        }
        if let Some(m) = &patch.mapping {
            c.mapping = m.clone();
            c.last_error = None;
        }
        if let Some(cur) = &patch.cursor {
            if *cur != c.cursor {
                c.cursor_value = None;
            }
            c.cursor = cur.clone();
        }
        if patch.reset_cursor == Some(true) {
            c.cursor_value = None;
        }
        if let Some(e) = patch.enabled {
            if e && !c.enabled {
                c.next_run_at = None;
                c.failures = 0;
            }
            c.enabled = e;
        }
        c.updated_at = now;
        let rev = c.rev;
        tx.update(&mut c, rev)?;
        audit::record(
            tx,
            actor,
            "connector.update",
            format!("connector {}", c.name),
            None,
            now,
        )?;
        Ok(ConnectorView::from(&c))
    })
}

pub fn delete(store: &Store, actor: &Actor, id: u64, now: DateTime<Utc>) -> ServiceResult<()> {
    require_company_admin(actor, CompanyArea::Connectors)?;
    store.write(|tx| {
        let c: Connector = tx
            .get(id)?
            .ok_or_else(|| ServiceError::not_found("no such connector"))?;
        tx.delete::<Connector>(id)?;
        audit::record(
            tx,
            actor,
            "connector.delete",
            format!("connector {}", c.name),
            None,
            now,
        )?;
        Ok::<_, ServiceError>(())
    })
}
