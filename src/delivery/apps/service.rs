//! Chat app settings: the company's app credentials (company admins; the secret is
//! write-only) and each member's app user id (the member on the Me page, or an admin;
//! in bulk from CSV in [`super::import`]).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{ix, AppCredentials, AppKind, ChatAppSettings, ChatLinks};
use crate::actor::Actor;
use crate::error::{ServiceError, ServiceResult};
use crate::org::policy::{require_company_admin, CompanyArea};
use crate::org::User;
use crate::store::{Store, StoreError, WriteTx};

/// One app as admins see it: whether it is set up, never the secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppView {
    pub app: AppKind,
    pub configured: bool,
    /// Corp id / app key / app id.
    pub key: Option<String>,
    pub agent_id: Option<u64>,
    pub secret_set: bool,
    /// How many members have linked their user id in this app.
    pub linked: usize,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppsView {
    pub apps: Vec<AppView>,
}

/// An app's credentials to save. `secret` left out keeps the stored one.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppInput {
    /// WeCom corp id, DingTalk app key or Feishu app id.
    pub key: String,
    #[serde(default)]
    pub secret: Option<String>,
    /// WeCom and DingTalk: the app's agent id (a number).
    #[serde(default)]
    pub agent_id: Option<u64>,
}

/// A member's link to one app, as they (or an admin) see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LinkView {
    pub app: AppKind,
    /// The member's user id in that app, if linked.
    pub user_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LinksView {
    /// The configured apps only: there is nothing to link in the others.
    pub links: Vec<LinkView>,
}

/// `null` (or an empty string) unlinks.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    pub user_id: Option<String>,
}

pub fn settings(store: &Store) -> Result<ChatAppSettings, StoreError> {
    Ok(match store.lookup(ix::SETTINGS, "company")? {
        Some(id) => store.load(id)?,
        None => ChatAppSettings::default(),
    })
}

pub fn settings_in(tx: &WriteTx<'_>) -> Result<ChatAppSettings, StoreError> {
    Ok(match tx.lookup(ix::SETTINGS, "company")? {
        Some(id) => tx.load(id)?,
        None => ChatAppSettings::default(),
    })
}

pub fn links(store: &Store, uid: u64) -> Result<ChatLinks, StoreError> {
    Ok(match store.lookup(ix::LINKS, &uid.to_string())? {
        Some(id) => store.load(id)?,
        None => ChatLinks::default(),
    })
}

pub fn links_in(tx: &WriteTx<'_>, uid: u64) -> Result<ChatLinks, StoreError> {
    Ok(match tx.lookup(ix::LINKS, &uid.to_string())? {
        Some(id) => tx.load(id)?,
        None => ChatLinks::default(),
    })
}

fn view(store: &Store, s: &ChatAppSettings) -> ServiceResult<AppsView> {
    let mut counts = [0usize; 3];
    for (i, k) in AppKind::ALL.iter().enumerate() {
        counts[i] = store.count_by(ix::LINKED, k.as_str())?;
    }
    Ok(AppsView {
        apps: AppKind::ALL
            .iter()
            .zip(counts)
            .map(|(k, linked)| {
                let c = s.apps.get(k);
                AppView {
                    app: *k,
                    configured: c.is_some(),
                    key: c.map(|c| c.key.clone()),
                    agent_id: c.and_then(|c| c.agent_id),
                    secret_set: c.is_some_and(|c| !c.secret.is_empty()),
                    linked,
                }
            })
            .collect(),
    })
}

pub fn get(store: &Store, actor: &Actor) -> ServiceResult<AppsView> {
    require_company_admin(actor, CompanyArea::DeliveryChannels)?;
    view(store, &settings(store)?)
}

/// Sets up (or replaces) one app's credentials.
pub fn put(store: &Store, actor: &Actor, app: AppKind, input: AppInput) -> ServiceResult<AppsView> {
    require_company_admin(actor, CompanyArea::DeliveryChannels)?;
    let key = input.key.trim().to_string();
    if key.is_empty() || key.len() > 128 || key.contains(char::is_whitespace) {
        return Err(ServiceError::invalid(
            "key",
            format!(
                "the {} app's id has 1 to 128 characters and no spaces",
                app.label()
            ),
        ));
    }
    if app.needs_agent() && input.agent_id.is_none_or(|a| a == 0) {
        return Err(ServiceError::invalid(
            "agent_id",
            format!("a {} app needs its agent id (AgentId)", app.label()),
        ));
    }
    let saved = store.write(|tx| {
        let mut s = settings_in(tx)?;
        let secret = match (input.secret.clone(), s.apps.get(&app)) {
            (Some(new), _) if !new.trim().is_empty() => new.trim().to_string(),
            (_, Some(old)) if !old.secret.is_empty() => old.secret.clone(),
            _ => {
                return Err(ServiceError::invalid(
                    "secret",
                    format!("the {} app's secret is needed", app.label()),
                ))
            }
        };
        s.apps.insert(
            app,
            AppCredentials {
                key: key.clone(),
                secret,
                agent_id: if app.needs_agent() {
                    input.agent_id
                } else {
                    None
                },
            },
        );
        save(tx, &mut s)?;
        Ok::<_, ServiceError>(s)
    })?;
    view(store, &saved)
}

/// Removes one app (members' linked ids are kept, for when it comes back).
pub fn remove(store: &Store, actor: &Actor, app: AppKind) -> ServiceResult<AppsView> {
    require_company_admin(actor, CompanyArea::DeliveryChannels)?;
    let saved = store.write(|tx| {
        let mut s = settings_in(tx)?;
        s.apps.remove(&app);
        save(tx, &mut s)?;
        Ok::<_, ServiceError>(s)
    })?;
    view(store, &saved)
}

fn save(tx: &mut WriteTx<'_>, s: &mut ChatAppSettings) -> Result<(), StoreError> {
    if s.id == 0 {
        tx.insert(s)?;
    } else {
        let rev = s.rev;
        tx.update(s, rev)?;
    }
    Ok(())
}

/// Checks an app user id: WeCom separates several with `|`, DingTalk with `,`, so
/// neither (nor spaces) may be in one, or a member could address others.
pub fn validate_app_user(id: &str) -> Result<String, String> {
    let id = id.trim();
    if id.is_empty() || id.chars().count() > 64 {
        return Err("an app user id has 1 to 64 characters".into());
    }
    if id
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '|' | ',' | ';'))
    {
        return Err(format!(
            "'{id}' is not one app user id (no spaces, '|', ',' or ';')"
        ));
    }
    Ok(id.to_string())
}

/// The links of `uid` to the configured apps.
pub fn links_view(store: &Store, uid: u64) -> ServiceResult<LinksView> {
    let s = settings(store)?;
    let l = links(store, uid)?;
    Ok(LinksView {
        links: s
            .apps
            .keys()
            .map(|k| LinkView {
                app: *k,
                user_id: l.ids.get(k).cloned(),
            })
            .collect(),
    })
}

pub(super) fn set_link_in(
    tx: &mut WriteTx<'_>,
    uid: u64,
    app: AppKind,
    id: Option<String>,
) -> Result<(), StoreError> {
    let mut l = links_in(tx, uid)?;
    match id {
        Some(id) => {
            l.ids.insert(app, id);
        }
        None => {
            l.ids.remove(&app);
        }
    }
    match (l.id, l.ids.is_empty()) {
        (0, true) => {}
        (0, false) => {
            l.user_id = uid;
            tx.insert(&mut l)?;
        }
        (id, true) => tx.delete::<ChatLinks>(id)?,
        (_, false) => {
            let rev = l.rev;
            tx.update(&mut l, rev)?;
        }
    }
    Ok(())
}

/// Links (or with `None`/`""` unlinks) `uid`'s user id in `app`.
pub fn set_link(
    store: &Store,
    uid: u64,
    app: AppKind,
    input: LinkInput,
) -> ServiceResult<LinksView> {
    let id = match input.user_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(validate_app_user(s).map_err(|m| ServiceError::invalid("user_id", m))?),
    };
    store.write(|tx| {
        if tx.get::<User>(uid)?.is_none() {
            return Err(ServiceError::not_found(format!("user {uid} not found")));
        }
        if !settings_in(tx)?.apps.contains_key(&app) {
            return Err(ServiceError::invalid(
                "app",
                format!("{} is not set up: ask a company admin", app.label()),
            ));
        }
        set_link_in(tx, uid, app, id.clone())?;
        Ok::<_, ServiceError>(())
    })?;
    links_view(store, uid)
}

/// An admin links another member.
pub fn set_link_for(
    store: &Store,
    actor: &Actor,
    uid: u64,
    app: AppKind,
    input: LinkInput,
) -> ServiceResult<LinksView> {
    require_company_admin(actor, CompanyArea::DeliveryChannels)?;
    set_link(store, uid, app, input)
}

pub fn links_for(store: &Store, actor: &Actor, uid: u64) -> ServiceResult<LinksView> {
    require_company_admin(actor, CompanyArea::DeliveryChannels)?;
    if store.get::<User>(uid)?.is_none() {
        return Err(ServiceError::not_found(format!("user {uid} not found")));
    }
    links_view(store, uid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_app_user_id_only() {
        assert_eq!(validate_app_user(" zhangsan ").unwrap(), "zhangsan");
        assert!(validate_app_user("ou_7d8a6e6df7621556ce0d21922b676706ccs").is_ok());
        for bad in ["", "a|b", "a,b", "a b", "x\u{7}", &"x".repeat(65)] {
            assert!(validate_app_user(bad).is_err(), "{bad:?}");
        }
    }
}
