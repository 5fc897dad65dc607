//! A project's group webhook (its managers) and a user's own webhook: one record per
//! owner, found through a unique index; a secret not re-entered is kept.

use super::model::{ix, ProjectWebhook, UserWebhook, Webhook};
use super::service::{webhook, WebhookInput, WebhookView};
use crate::actor::Actor;
use crate::error::ServiceResult;
use crate::net::AddressPolicy;
use crate::projects::service::managed;
use crate::store::Store;

pub fn project_hook(store: &Store, actor: &Actor, id: u64) -> ServiceResult<Option<WebhookView>> {
    managed(store, actor, id)?;
    Ok(match store.lookup(ix::PROJECT_HOOK, &id.to_string())? {
        Some(h) => Some(WebhookView::from(&store.load::<ProjectWebhook>(h)?.hook)),
        None => None,
    })
}

/// Sets (or with `None` removes) a project's group webhook.
pub fn set_project_hook(
    store: &Store,
    actor: &Actor,
    id: u64,
    input: Option<WebhookInput>,
    net: &AddressPolicy,
) -> ServiceResult<Option<WebhookView>> {
    managed(store, actor, id)?;
    set_hook(store, ix::PROJECT_HOOK, id, input, net, |hook| {
        ProjectWebhook {
            id: 0,
            rev: 0,
            project_id: id,
            hook,
        }
    })
}

pub fn user_hook(store: &Store, uid: u64) -> ServiceResult<Option<WebhookView>> {
    Ok(match store.lookup(ix::USER_HOOK, &uid.to_string())? {
        Some(h) => Some(WebhookView::from(&store.load::<UserWebhook>(h)?.hook)),
        None => None,
    })
}

/// Sets (or with `None` removes) a user's own webhook.
pub fn set_user_hook(
    store: &Store,
    uid: u64,
    input: Option<WebhookInput>,
    net: &AddressPolicy,
) -> ServiceResult<Option<WebhookView>> {
    set_hook(store, ix::USER_HOOK, uid, input, net, |hook| UserWebhook {
        id: 0,
        rev: 0,
        user_id: uid,
        hook,
    })
}

/// A record holding one owner's webhook (a project's or a user's).
pub trait HookRecord: crate::store::Record {
    fn hook(&self) -> &Webhook;
    fn hook_mut(&mut self) -> &mut Webhook;
}

impl HookRecord for ProjectWebhook {
    fn hook(&self) -> &Webhook {
        &self.hook
    }
    fn hook_mut(&mut self) -> &mut Webhook {
        &mut self.hook
    }
}

impl HookRecord for UserWebhook {
    fn hook(&self) -> &Webhook {
        &self.hook
    }
    fn hook_mut(&mut self) -> &mut Webhook {
        &mut self.hook
    }
}

/// Creates, replaces (keeping a secret that was not re-entered) or, with `None`,
/// removes the webhook of `owner` found through unique index `index`.
fn set_hook<R: HookRecord>(
    store: &Store,
    index: &str,
    owner: u64,
    input: Option<WebhookInput>,
    net: &AddressPolicy,
    new: impl FnOnce(Webhook) -> R,
) -> ServiceResult<Option<WebhookView>> {
    store.write(|tx| {
        let existing = match tx.lookup(index, &owner.to_string())? {
            Some(h) => Some(tx.load::<R>(h)?),
            None => None,
        };
        match (input, existing) {
            (None, None) => Ok(None),
            (None, Some(old)) => {
                tx.delete::<R>(old.id())?;
                Ok(None)
            }
            (Some(i), Some(mut old)) => {
                let hook = webhook(i, Some(old.hook()), net)?;
                *old.hook_mut() = hook;
                let rev = old.rev();
                tx.update(&mut old, rev)?;
                Ok(Some(WebhookView::from(old.hook())))
            }
            (Some(i), None) => {
                let mut r = new(webhook(i, None, net)?);
                tx.insert(&mut r)?;
                Ok(Some(WebhookView::from(r.hook())))
            }
        }
    })
}
