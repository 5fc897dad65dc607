//! Managing write-back targets (company admins) and a project's choice of one
//! (its managers). URLs are checked by the address guard on save and again on send.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{ix, ProjectWriteBack, WriteBackTarget};
use crate::actor::Actor;
use crate::audit;
use crate::delivery::model::{ix as outbox_ix, OutboxItem};
use crate::delivery::presets::validate_url;
use crate::error::{ServiceError, ServiceResult};
use crate::net::outbound::parse_url;
use crate::net::AddressPolicy;
use crate::org::policy::{require_company_admin, CompanyArea};
use crate::projects::service::managed;
use crate::store::Store;

/// A target as the API shows it: the secret only as `secret_set`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TargetView {
    pub id: u64,
    pub name: String,
    pub url: String,
    pub secret_set: bool,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&WriteBackTarget> for TargetView {
    fn from(t: &WriteBackTarget) -> Self {
        TargetView {
            id: t.id,
            name: t.name.clone(),
            url: t.url.clone(),
            secret_set: t.secret.as_deref().is_some_and(|s| !s.is_empty()),
            enabled: t.enabled,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTarget {
    /// 1-64 letters, digits, `_` or `-`: what `const WRITE_BACK` and projects name.
    pub name: String,
    pub url: String,
    /// The HMAC-SHA256 key for `X-Baton-Signature` (write-only).
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// A change to a target; what is left out stays. `secret: ""` removes the secret.
#[derive(Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetPatch {
    pub url: Option<String>,
    pub secret: Option<String>,
    pub enabled: Option<bool>,
}

fn admin(actor: &Actor) -> ServiceResult<()> {
    require_company_admin(actor, CompanyArea::DeliveryChannels)
}

fn check_name(name: &str) -> ServiceResult<()> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(ServiceError::invalid(
            "name",
            format!("'{name}' must be 1-64 letters, digits, '_' or '-'"),
        ));
    }
    Ok(())
}

fn check_url(url: &str, net: &AddressPolicy) -> ServiceResult<String> {
    validate_url(url).map_err(|m| ServiceError::invalid("url", m))?;
    parse_url(net, url).map_err(|e| ServiceError::invalid("url", e.to_string()))?;
    Ok(url.trim().to_string())
}

fn secret_of(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

fn load(store: &Store, id: u64) -> ServiceResult<WriteBackTarget> {
    store
        .get::<WriteBackTarget>(id)?
        .ok_or_else(|| ServiceError::not_found(format!("write-back target {id} not found")))
}

pub fn list(store: &Store, actor: &Actor) -> ServiceResult<Vec<TargetView>> {
    admin(actor)?;
    let mut all = store.list::<WriteBackTarget>()?;
    all.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(all.iter().map(TargetView::from).collect())
}

pub fn get(store: &Store, actor: &Actor, id: u64) -> ServiceResult<TargetView> {
    admin(actor)?;
    Ok(TargetView::from(&load(store, id)?))
}

/// The target itself, secret included, for a test send.
pub fn target_for_test(store: &Store, actor: &Actor, id: u64) -> ServiceResult<WriteBackTarget> {
    admin(actor)?;
    load(store, id)
}

pub fn create(
    store: &Store,
    actor: &Actor,
    new: NewTarget,
    net: &AddressPolicy,
    now: DateTime<Utc>,
) -> ServiceResult<TargetView> {
    admin(actor)?;
    let name = new.name.trim().to_string();
    check_name(&name)?;
    let url = check_url(&new.url, net)?;
    store.write(|tx| {
        if tx.lookup(ix::NAME, &name)?.is_some() {
            return Err(ServiceError::Conflict(format!(
                "a write-back target named '{name}' exists"
            )));
        }
        let mut t = WriteBackTarget {
            id: 0,
            rev: 0,
            name: name.clone(),
            url,
            secret: secret_of(new.secret),
            enabled: new.enabled,
            created_at: now,
            updated_at: now,
        };
        tx.insert(&mut t)?;
        audit::record(
            tx,
            actor,
            "write_back.create",
            format!("write-back target '{name}'"),
            None,
            now,
        )?;
        Ok(TargetView::from(&t))
    })
}

pub fn update(
    store: &Store,
    actor: &Actor,
    id: u64,
    patch: TargetPatch,
    net: &AddressPolicy,
    now: DateTime<Utc>,
) -> ServiceResult<TargetView> {
    admin(actor)?;
    let url = patch.url.map(|u| check_url(&u, net)).transpose()?;
    store.write(|tx| {
        let mut t = tx
            .get::<WriteBackTarget>(id)?
            .ok_or_else(|| ServiceError::not_found(format!("write-back target {id} not found")))?;
        let rev = t.rev;
        if let Some(u) = url {
            t.url = u;
        }
        if let Some(s) = patch.secret {
            t.secret = secret_of(Some(s));
        }
        if let Some(e) = patch.enabled {
            t.enabled = e;
        }
        t.updated_at = now;
        tx.update(&mut t, rev)?;
        audit::record(
            tx,
            actor,
            "write_back.update",
            format!("write-back target '{}'", t.name),
            None,
            now,
        )?;
        Ok(TargetView::from(&t))
    })
}

/// Removes a target. Items still waiting for it fail when they come due; projects
/// that chose it no longer write back (their choice is cleared).
pub fn delete(store: &Store, actor: &Actor, id: u64, now: DateTime<Utc>) -> ServiceResult<()> {
    admin(actor)?;
    let choices = store.list::<ProjectWriteBack>()?;
    store.write(|tx| {
        let t = tx
            .get::<WriteBackTarget>(id)?
            .ok_or_else(|| ServiceError::not_found(format!("write-back target {id} not found")))?;
        tx.delete::<WriteBackTarget>(id)?;
        for c in choices.iter().filter(|c| c.target == t.name) {
            if tx.get::<ProjectWriteBack>(c.id)?.is_some() {
                tx.delete::<ProjectWriteBack>(c.id)?;
            }
        }
        audit::record(
            tx,
            actor,
            "write_back.delete",
            format!("write-back target '{}'", t.name),
            None,
            now,
        )?;
        Ok(())
    })
}

/// The target's last `limit` deliveries, newest first.
pub fn deliveries(
    store: &Store,
    actor: &Actor,
    id: u64,
    limit: usize,
) -> ServiceResult<Vec<OutboxItem>> {
    admin(actor)?;
    let t = load(store, id)?;
    let mut out = Vec::new();
    for item in store.ids_by_newest(outbox_ix::WRITE_BACK, &t.name) {
        if out.len() >= limit {
            break;
        }
        if let Some(it) = store.get::<OutboxItem>(item?)? {
            out.push(it);
        }
    }
    Ok(out)
}

/// A project's write-back choice and the targets there are to choose from.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProjectChoice {
    /// The chosen target's name; `null`: none.
    pub target: Option<String>,
    /// Names of the targets set up by the company admins.
    pub choices: Vec<String>,
}

fn choice(store: &Store, project_id: u64) -> ServiceResult<ProjectChoice> {
    let target = match store.lookup(ix::PROJECT, &project_id.to_string())? {
        Some(id) => Some(store.load::<ProjectWriteBack>(id)?.target),
        None => None,
    };
    let mut choices: Vec<String> = store
        .list::<WriteBackTarget>()?
        .into_iter()
        .map(|t| t.name)
        .collect();
    choices.sort();
    Ok(ProjectChoice { target, choices })
}

pub fn project(store: &Store, actor: &Actor, project_id: u64) -> ServiceResult<ProjectChoice> {
    managed(store, actor, project_id)?;
    choice(store, project_id)
}

/// Chooses (or with `None` clears) the project's target (its managers).
pub fn set_project(
    store: &Store,
    actor: &Actor,
    project_id: u64,
    target: Option<String>,
    now: DateTime<Utc>,
) -> ServiceResult<ProjectChoice> {
    managed(store, actor, project_id)?;
    store.write(|tx| {
        if let Some(name) = &target {
            if tx.lookup(ix::NAME, name)?.is_none() {
                return Err(ServiceError::invalid(
                    "target",
                    format!("there is no write-back target named '{name}'"),
                ));
            }
        }
        let existing = tx.lookup(ix::PROJECT, &project_id.to_string())?;
        match (existing, target.clone()) {
            (Some(id), None) => tx.delete::<ProjectWriteBack>(id)?,
            (Some(id), Some(name)) => {
                let mut p: ProjectWriteBack = tx.load(id)?;
                let rev = p.rev;
                p.target = name;
                tx.update(&mut p, rev)?;
            }
            (None, Some(name)) => {
                tx.insert(&mut ProjectWriteBack {
                    id: 0,
                    rev: 0,
                    project_id,
                    target: name,
                })?;
            }
            (None, None) => {}
        }
        audit::record(
            tx,
            actor,
            "write_back.project",
            format!(
                "project {project_id} writes back to {}",
                target.as_deref().unwrap_or("nothing")
            ),
            None,
            now,
        )?;
        Ok::<_, ServiceError>(())
    })?;
    choice(store, project_id)
}
