//! Resolving an outbox target to a channel: the settings, webhook, device or chat
//! app credentials it needs, looked up at send time (a channel removed since is an error).

use p256::SecretKey;

use super::apps::{AppCredentials, AppKind};
use super::model::{ix, ProjectWebhook, Smtp, Target, UserWebhook, Webhook};
use super::push::model::Device;
use crate::store::{Store, StoreError};

/// A target resolved to what sending needs.
#[derive(Debug, Clone)]
pub enum Channel {
    Email {
        smtp: Smtp,
        to: String,
    },
    Hook {
        hook: Webhook,
        group: bool,
    },
    Push {
        key: SecretKey,
        device: Device,
    },
    /// A member's user in a chat app, with the app's credentials.
    ChatApp {
        app: AppKind,
        creds: AppCredentials,
        to: String,
    },
    /// A write-back target (its items carry their own body, see `write_back::send`).
    WriteBack {
        target: super::write_back::WriteBackTarget,
    },
}

/// Looks up the settings a target needs now; a channel removed since the event is an error.
pub fn resolve(store: &Store, target: &Target) -> Result<Result<Channel, String>, StoreError> {
    let settings = match store.lookup(ix::SETTINGS, "company")? {
        Some(id) => store.load::<super::model::DeliverySettings>(id)?,
        None => Default::default(),
    };
    Ok(match target {
        Target::Email { to } => match settings.smtp {
            Some(smtp) => Ok(Channel::Email {
                smtp,
                to: to.clone(),
            }),
            None => Err("no mail server is configured".into()),
        },
        Target::UserWebhook { user_id } => {
            match store.lookup(ix::USER_HOOK, &user_id.to_string())? {
                Some(id) => Ok(Channel::Hook {
                    hook: store.load::<UserWebhook>(id)?.hook,
                    group: false,
                }),
                None => Err(format!("user {user_id} has no webhook any more")),
            }
        }
        Target::ProjectWebhook { project_id } => {
            match store.lookup(ix::PROJECT_HOOK, &project_id.to_string())? {
                Some(id) => Ok(Channel::Hook {
                    hook: store.load::<ProjectWebhook>(id)?.hook,
                    group: true,
                }),
                None => Err(format!("project {project_id} has no webhook any more")),
            }
        }
        Target::CompanyWebhook { name } => {
            match settings.webhooks.into_iter().find(|w| &w.name == name) {
                Some(w) => Ok(Channel::Hook {
                    hook: w.hook,
                    group: true,
                }),
                None => Err(format!(
                    "company webhook '{name}' is not configured any more"
                )),
            }
        }
        Target::WebPush { user_id, device_id } => resolve_push(store, *user_id, *device_id)?,
        Target::ChatApp { app, user_id } => {
            let creds = super::apps::service::settings(store)?.apps.remove(app);
            let to = super::apps::service::links(store, *user_id)?
                .ids
                .remove(app);
            match (creds, to) {
                (Some(creds), Some(to)) => Ok(Channel::ChatApp {
                    app: *app,
                    creds,
                    to,
                }),
                (None, _) => Err(format!("{} is not set up any more", app.label())),
                (_, None) => Err(format!(
                    "no {} user id is linked to this account",
                    app.label()
                )),
            }
        }
        Target::WriteBack { name } => {
            use super::write_back::model::ix as wb;
            match store.lookup(wb::NAME, name)? {
                Some(id) => Ok(Channel::WriteBack {
                    target: store.load(id)?,
                }),
                None => Err(format!(
                    "write-back target '{name}' is not configured any more"
                )),
            }
        }
    })
}

/// A subscribed device and the server's key to sign with.
fn resolve_push(
    store: &Store,
    user_id: u64,
    device_id: u64,
) -> Result<Result<Channel, String>, StoreError> {
    use super::push::{model as pm, service as ps};
    let Some(device) = ps::device(store, user_id, device_id)? else {
        return Ok(Err(format!("device {device_id} is no longer subscribed")));
    };
    let Some(id) = store.lookup(pm::ix::VAPID, "current")? else {
        return Ok(Err("there is no Web Push key".into()));
    };
    Ok(ps::secret_of(&store.load(id)?).map(|key| Channel::Push { key, device }))
}
