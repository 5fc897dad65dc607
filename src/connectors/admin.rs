//! What company admins do with pull connectors: set one up, change it, switch it off,
//! forget its cursor, remove it. The auth header's value is never sent back.

use chrono::{DateTime, Utc};

use super::model::{AuthHeader, Connector, PayloadFormat, IX_CONNECTOR_NAME};
use crate::actor::Actor;
use crate::audit;
use crate::error::{ServiceError, ServiceResult};
use crate::net::AddressPolicy;
use crate::org::policy::{require_company_admin, CompanyArea};
use crate::store::Store;

mod forms;

use forms::{
    auth_from, check_cursor, check_header_name, check_header_value, check_interval, check_mapping,
    check_timeout, check_url, valid_name,
};
pub use forms::{ConnectorPatch, ConnectorView, NewConnector};

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
