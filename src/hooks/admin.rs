//! What company admins do with inbound hooks: set one up from a preset, change its
//! secret or mapping, switch it off, read its deliveries. Secrets are never sent back.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::mapping;
use super::model::{
    HookDelivery, InboundHook, Preset, SigEncoding, Verification, IX_DELIVERY_HOOK, IX_HOOK_NAME,
};
use super::presets;
use crate::actor::Actor;
use crate::audit;
use crate::error::{ServiceError, ServiceResult};
use crate::org::policy::{require_company_admin, CompanyArea};
use crate::scenarios::script::ScriptError;
use crate::store::Store;

/// A hook as admins see it: everything but the secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HookView {
    pub id: u64,
    pub rev: u64,
    pub name: String,
    /// Where the platform sends deliveries: `POST` to this path on Baton's address.
    pub path: String,
    pub preset: Preset,
    /// `hmac` or `bearer`.
    pub scheme: String,
    /// The signature header (hmac).
    pub header: Option<String>,
    pub encoding: Option<SigEncoding>,
    pub prefix: Option<String>,
    /// Whether a secret (or token) is set; its value is never shown again.
    pub secret_set: bool,
    pub mapping: String,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_error: Option<ScriptError>,
    pub last_error_at: Option<DateTime<Utc>>,
}

impl From<&InboundHook> for HookView {
    fn from(h: &InboundHook) -> Self {
        let (scheme, header, encoding, prefix, secret_set) = match &h.verification {
            Verification::Hmac {
                header,
                encoding,
                prefix,
                secret,
            } => (
                "hmac",
                Some(header.clone()),
                Some(*encoding),
                Some(prefix.clone()),
                !secret.is_empty(),
            ),
            Verification::Bearer { token } => ("bearer", None, None, None, !token.is_empty()),
        };
        HookView {
            id: h.id,
            rev: h.rev,
            name: h.name.clone(),
            path: format!("/api/hooks/{}", h.name),
            preset: h.preset,
            scheme: scheme.into(),
            header,
            encoding,
            prefix,
            secret_set,
            mapping: h.mapping.clone(),
            enabled: h.enabled,
            created_at: h.created_at,
            updated_at: h.updated_at,
            last_error: h.last_error.clone(),
            last_error_at: h.last_error_at,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    Hmac,
    Bearer,
}

/// A new hook. A preset fills the scheme, header and encoding (and the mapping, unless
/// one is given); `custom` takes them from here.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHook {
    /// 1–40 lower-case letters, digits, `-` or `_`: the URL is `/api/hooks/{name}`.
    pub name: String,
    pub preset: Preset,
    /// The HMAC secret (the platform shows it where the webhook is set up), or the
    /// bearer token: 8–256 characters.
    pub secret: String,
    /// `custom` only; default `hmac`.
    pub scheme: Option<Scheme>,
    /// `custom` hmac only: the header carrying the signature.
    pub header: Option<String>,
    /// `custom` hmac only; default `hex`.
    pub encoding: Option<SigEncoding>,
    /// `custom` hmac only: text before the signature, e.g. `sha256=`.
    pub prefix: Option<String>,
    /// The rhai mapping; default: the preset's.
    pub mapping: Option<String>,
    pub enabled: Option<bool>,
}

/// Changes to a hook; what is left out stays.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HookPatch {
    pub secret: Option<String>,
    pub mapping: Option<String>,
    pub enabled: Option<bool>,
    /// `custom` hmac only.
    pub header: Option<String>,
    pub encoding: Option<SigEncoding>,
    pub prefix: Option<String>,
}

fn valid_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn check_secret(secret: &str) -> ServiceResult<()> {
    let n = secret.chars().count();
    if !(8..=256).contains(&n) || secret.trim() != secret {
        return Err(ServiceError::invalid(
            "secret",
            "the secret must have 8-256 characters, without spaces around it",
        ));
    }
    Ok(())
}

fn check_header(header: &str) -> ServiceResult<String> {
    let h = header.trim().to_ascii_lowercase();
    let ok = (1..=100).contains(&h.len())
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok || h == "authorization" || h == "cookie" {
        return Err(ServiceError::invalid(
            "header",
            "a header name of letters, digits and '-' (not Authorization or Cookie)",
        ));
    }
    Ok(h)
}

fn check_prefix(prefix: &str) -> ServiceResult<String> {
    if prefix.len() > 40 || prefix.chars().any(char::is_whitespace) {
        return Err(ServiceError::invalid(
            "prefix",
            "at most 40 characters, no spaces",
        ));
    }
    Ok(prefix.to_string())
}

fn check_mapping(source: &str) -> ServiceResult<()> {
    mapping::check(source)
        .map(|_| ())
        .map_err(|e| ServiceError::invalid("mapping", format!("mapping: {e}")))
}

fn custom_verification(input: &NewHook) -> ServiceResult<Verification> {
    Ok(match input.scheme.unwrap_or(Scheme::Hmac) {
        Scheme::Bearer => Verification::Bearer {
            token: input.secret.clone(),
        },
        Scheme::Hmac => Verification::Hmac {
            header: check_header(input.header.as_deref().ok_or_else(|| {
                ServiceError::invalid("header", "a custom HMAC hook needs the signature header")
            })?)?,
            encoding: input.encoding.unwrap_or(SigEncoding::Hex),
            prefix: check_prefix(input.prefix.as_deref().unwrap_or(""))?,
            secret: input.secret.clone(),
        },
    })
}

pub fn create(
    store: &Store,
    actor: &Actor,
    input: NewHook,
    now: DateTime<Utc>,
) -> ServiceResult<HookView> {
    require_company_admin(actor, CompanyArea::InboundHooks)?;
    if !valid_name(&input.name) {
        return Err(ServiceError::invalid(
            "name",
            "1-40 lower-case letters, digits, '-' or '_'",
        ));
    }
    check_secret(&input.secret)?;
    let verification = match presets::verification(input.preset, &input.secret) {
        Some(v) => {
            if input.scheme.is_some()
                || input.header.is_some()
                || input.encoding.is_some()
                || input.prefix.is_some()
            {
                return Err(ServiceError::invalid(
                    "preset",
                    "a preset sets the scheme, header, encoding and prefix itself; use `custom` to set them",
                ));
            }
            v
        }
        None => custom_verification(&input)?,
    };
    let source = input
        .mapping
        .unwrap_or_else(|| presets::mapping(input.preset).to_string());
    check_mapping(&source)?;
    let mut hook = InboundHook {
        id: 0,
        rev: 0,
        name: input.name,
        preset: input.preset,
        verification,
        mapping: source,
        enabled: input.enabled.unwrap_or(true),
        created_at: now,
        created_by: actor.user_id,
        updated_at: now,
        last_error: None,
        last_error_at: None,
    };
    store.write(|tx| {
        if tx.lookup(IX_HOOK_NAME, &hook.name)?.is_some() {
            return Err(ServiceError::Conflict(format!(
                "a hook named '{}' exists already",
                hook.name
            )));
        }
        tx.insert(&mut hook)?;
        audit::record(
            tx,
            actor,
            "hook.create",
            format!("inbound hook {}", hook.name),
            None,
            now,
        )?;
        Ok::<_, ServiceError>(())
    })?;
    Ok(HookView::from(&hook))
}

pub fn list(store: &Store, actor: &Actor) -> ServiceResult<Vec<HookView>> {
    require_company_admin(actor, CompanyArea::InboundHooks)?;
    let mut hooks = store.list::<InboundHook>()?;
    hooks.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(hooks.iter().map(HookView::from).collect())
}

fn load(store: &Store, id: u64) -> ServiceResult<InboundHook> {
    store
        .get::<InboundHook>(id)?
        .ok_or_else(|| ServiceError::not_found("no such hook"))
}

pub fn get(store: &Store, actor: &Actor, id: u64) -> ServiceResult<HookView> {
    require_company_admin(actor, CompanyArea::InboundHooks)?;
    Ok(HookView::from(&load(store, id)?))
}

pub fn update(
    store: &Store,
    actor: &Actor,
    id: u64,
    patch: HookPatch,
    now: DateTime<Utc>,
) -> ServiceResult<HookView> {
    require_company_admin(actor, CompanyArea::InboundHooks)?;
    if let Some(s) = &patch.secret {
        check_secret(s)?;
    }
    if let Some(m) = &patch.mapping {
        check_mapping(m)?;
    }
    let header = patch.header.as_deref().map(check_header).transpose()?;
    let prefix = patch.prefix.as_deref().map(check_prefix).transpose()?;
    store.write(|tx| {
        let mut hook: InboundHook = tx
            .get(id)?
            .ok_or_else(|| ServiceError::not_found("no such hook"))?;
        let custom = hook.preset == Preset::Custom;
        if !custom && (header.is_some() || prefix.is_some() || patch.encoding.is_some()) {
            return Err(ServiceError::invalid(
                "header",
                "a preset's header, encoding and prefix are fixed",
            ));
        }
        match &mut hook.verification {
            Verification::Hmac {
                header: h,
                encoding: e,
                prefix: p,
                secret,
            } => {
                if let Some(v) = &header {
                    *h = v.clone();
                }
                if let Some(v) = patch.encoding {
                    *e = v;
                }
                if let Some(v) = &prefix {
                    *p = v.clone();
                }
                if let Some(v) = &patch.secret {
                    *secret = v.clone();
                }
            }
            Verification::Bearer { token } => {
                if header.is_some() || prefix.is_some() || patch.encoding.is_some() {
                    return Err(ServiceError::invalid(
                        "header",
                        "a bearer-token hook has no signature header",
                    ));
                }
                if let Some(v) = &patch.secret {
                    *token = v.clone();
                }
            }
        }
        if let Some(m) = &patch.mapping {
            hook.mapping = m.clone();
            hook.last_error = None;
            hook.last_error_at = None;
        }
        if let Some(e) = patch.enabled {
            hook.enabled = e;
        }
        hook.updated_at = now;
        let rev = hook.rev;
        tx.update(&mut hook, rev)?;
        audit::record(
            tx,
            actor,
            "hook.update",
            format!("inbound hook {}", hook.name),
            None,
            now,
        )?;
        Ok(HookView::from(&hook))
    })
}

/// Removes the hook and its delivery log.
pub fn delete(store: &Store, actor: &Actor, id: u64, now: DateTime<Utc>) -> ServiceResult<()> {
    require_company_admin(actor, CompanyArea::InboundHooks)?;
    let hook = load(store, id)?;
    let deliveries = store.ids_by(IX_DELIVERY_HOOK, &id.to_string())?;
    store.write(|tx| {
        tx.delete::<InboundHook>(id)?;
        for d in &deliveries {
            if tx.get::<HookDelivery>(*d)?.is_some() {
                tx.delete::<HookDelivery>(*d)?;
            }
        }
        audit::record(
            tx,
            actor,
            "hook.delete",
            format!("inbound hook {}", hook.name),
            None,
            now,
        )?;
        Ok::<_, ServiceError>(())
    })
}

/// The hook's last deliveries, newest first.
pub fn deliveries(
    store: &Store,
    actor: &Actor,
    id: u64,
    limit: usize,
) -> ServiceResult<Vec<HookDelivery>> {
    require_company_admin(actor, CompanyArea::InboundHooks)?;
    load(store, id)?;
    let mut out = Vec::new();
    for d in store.ids_by_newest(IX_DELIVERY_HOOK, &id.to_string()) {
        if out.len() >= limit.clamp(1, super::model::KEEP_PER_HOOK) {
            break;
        }
        if let Some(d) = store.get::<HookDelivery>(d?)? {
            out.push(d);
        }
    }
    Ok(out)
}
