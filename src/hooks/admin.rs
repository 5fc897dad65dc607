//! What company admins do with inbound hooks: set one up from a preset, change its
//! secret or mapping, switch it off, read its deliveries. Secrets are never sent back.

use chrono::{DateTime, Utc};

use super::model::{
    HookDelivery, InboundHook, Preset, Verification, IX_DELIVERY_HOOK, IX_HOOK_NAME,
};
use super::presets;
use crate::actor::Actor;
use crate::audit;
use crate::error::{ServiceError, ServiceResult};
use crate::org::policy::{require_company_admin, CompanyArea};
use crate::store::Store;

mod forms;

use forms::{
    check_header, check_mapping, check_prefix, check_secret, custom_verification, valid_name,
};
pub use forms::{HookPatch, HookView, NewHook, Scheme};

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
