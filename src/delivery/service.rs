//! Channel settings: company SMTP and webhooks (admins), a project's group webhook
//! (its managers), a user's own webhook. Secrets are write-only: views say whether one
//! is set, never what it is. The project's and user's webhooks are in `owner_hooks`,
//! "send test notice" in `test_send`; both are re-exported here.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{ix, DeliverySettings, NamedWebhook, Smtp, SmtpTls, Webhook, WebhookKind};
use super::presets::validate_url;
use crate::actor::Actor;
use crate::error::{ServiceError, ServiceResult};
use crate::net::outbound::parse_url;
use crate::net::AddressPolicy;
use crate::org::policy::{require_company_admin, CompanyArea};
use crate::store::Store;

pub use super::owner_hooks::{
    project_hook, set_project_hook, set_user_hook, user_hook, HookRecord,
};
pub use super::test_send::{test_notice, test_target, TestResult, TestTarget};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookView {
    pub kind: WebhookKind,
    pub url: String,
    pub secret_set: bool,
}

impl From<&Webhook> for WebhookView {
    fn from(h: &Webhook) -> Self {
        WebhookView {
            kind: h.kind,
            url: h.url.clone(),
            secret_set: h.secret.as_deref().is_some_and(|s| !s.is_empty()),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SmtpView {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password_set: bool,
    pub from: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NamedWebhookView {
    pub name: String,
    pub kind: WebhookKind,
    pub url: String,
    pub secret_set: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryView {
    pub smtp: Option<SmtpView>,
    pub webhooks: Vec<NamedWebhookView>,
}

/// A webhook to save. `secret`: left out keeps the stored one, `""` removes it.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    pub kind: WebhookKind,
    pub url: String,
    #[serde(default)]
    pub secret: Option<String>,
}

/// The mail server to save. `password`: left out keeps the stored one, `""` removes it.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmtpInput {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// Sender, `noreply@example.com` or `Baton <noreply@example.com>`.
    pub from: String,
}

#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NamedWebhookInput {
    pub name: String,
    pub kind: WebhookKind,
    pub url: String,
    #[serde(default)]
    pub secret: Option<String>,
}

/// Company settings to save; `smtp: null` turns e-mail off.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryInput {
    pub smtp: Option<SmtpInput>,
    #[serde(default)]
    pub webhooks: Vec<NamedWebhookInput>,
}

fn merge_secret(new: Option<String>, old: Option<&String>) -> Option<String> {
    match new {
        None => old.cloned(),
        Some(s) if s.is_empty() => None,
        Some(s) => Some(s),
    }
}

/// Checks an e-mail address (with an optional display name).
pub fn validate_address(field: &'static str, s: &str) -> ServiceResult<()> {
    s.trim()
        .parse::<lettre::message::Mailbox>()
        .map(|_| ())
        .map_err(|e| ServiceError::invalid(field, format!("'{s}' is not an e-mail address: {e}")))
}

pub(super) fn webhook(
    input: WebhookInput,
    old: Option<&Webhook>,
    net: &AddressPolicy,
) -> ServiceResult<Webhook> {
    validate_url(&input.url).map_err(|m| ServiceError::invalid("url", m))?;
    // Literal internal addresses (any spelling) and `localhost` are refused now; a
    // name is checked again, resolved, each time something is sent.
    parse_url(net, &input.url).map_err(|e| ServiceError::invalid("url", e.to_string()))?;
    Ok(Webhook {
        kind: input.kind,
        url: input.url.trim().to_string(),
        secret: merge_secret(input.secret, old.and_then(|o| o.secret.as_ref())),
    })
}

fn settings(store: &Store) -> ServiceResult<DeliverySettings> {
    Ok(match store.lookup(ix::SETTINGS, "company")? {
        Some(id) => store.load(id)?,
        None => DeliverySettings::default(),
    })
}

fn view(s: &DeliverySettings) -> DeliveryView {
    DeliveryView {
        smtp: s.smtp.as_ref().map(|m| SmtpView {
            host: m.host.clone(),
            port: m.port,
            tls: m.tls,
            username: m.username.clone(),
            password_set: m.password.as_deref().is_some_and(|p| !p.is_empty()),
            from: m.from.clone(),
        }),
        webhooks: s
            .webhooks
            .iter()
            .map(|w| NamedWebhookView {
                name: w.name.clone(),
                kind: w.hook.kind,
                url: w.hook.url.clone(),
                secret_set: w.hook.secret.as_deref().is_some_and(|p| !p.is_empty()),
            })
            .collect(),
    }
}

pub fn get(store: &Store, actor: &Actor) -> ServiceResult<DeliveryView> {
    require_company_admin(actor, CompanyArea::DeliveryChannels)?;
    Ok(view(&settings(store)?))
}

pub fn put(
    store: &Store,
    actor: &Actor,
    input: DeliveryInput,
    net: &AddressPolicy,
) -> ServiceResult<DeliveryView> {
    require_company_admin(actor, CompanyArea::DeliveryChannels)?;
    let old = settings(store)?;
    let smtp = match input.smtp {
        None => None,
        Some(m) => {
            if m.host.trim().is_empty() {
                return Err(ServiceError::invalid(
                    "host",
                    "the mail server host is empty",
                ));
            }
            net.check_host(m.host.trim())
                .map_err(|e| ServiceError::invalid("host", e.to_string()))?;
            if m.port == 0 {
                return Err(ServiceError::invalid("port", "the port must be 1-65535"));
            }
            validate_address("from", &m.from)?;
            Some(Smtp {
                host: m.host.trim().to_string(),
                port: m.port,
                tls: m.tls,
                username: m.username.filter(|u| !u.is_empty()),
                password: merge_secret(
                    m.password,
                    old.smtp.as_ref().and_then(|s| s.password.as_ref()),
                ),
                from: m.from.trim().to_string(),
            })
        }
    };
    let mut webhooks: Vec<NamedWebhook> = Vec::new();
    for w in input.webhooks {
        let name = w.name.trim().to_string();
        if name.is_empty() {
            return Err(ServiceError::invalid("name", "a webhook needs a name"));
        }
        if webhooks.iter().any(|x| x.name == name) {
            return Err(ServiceError::invalid(
                "name",
                format!("two webhooks are named '{name}'"),
            ));
        }
        let prev = old
            .webhooks
            .iter()
            .find(|x| x.name == name)
            .map(|x| &x.hook);
        let hook = webhook(
            WebhookInput {
                kind: w.kind,
                url: w.url,
                secret: w.secret,
            },
            prev,
            net,
        )?;
        webhooks.push(NamedWebhook { name, hook });
    }
    let saved = store.write(|tx| {
        let mut s = match tx.lookup(ix::SETTINGS, "company")? {
            Some(id) => tx.load::<DeliverySettings>(id)?,
            None => DeliverySettings::default(),
        };
        s.smtp = smtp;
        s.webhooks = webhooks;
        if s.id == 0 {
            tx.insert(&mut s)?;
        } else {
            let rev = s.rev;
            tx.update(&mut s, rev)?;
        }
        Ok::<_, ServiceError>(s)
    })?;
    Ok(view(&saved))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_kept_replaced_or_removed() {
        let old = "s1".to_string();
        assert_eq!(merge_secret(None, Some(&old)), Some("s1".into()));
        assert_eq!(merge_secret(Some("".into()), Some(&old)), None);
        assert_eq!(
            merge_secret(Some("s2".into()), Some(&old)),
            Some("s2".into())
        );
    }

    #[test]
    fn addresses_checked() {
        assert!(validate_address("from", "noreply@b.example").is_ok());
        assert!(validate_address("from", "Baton <noreply@b.example>").is_ok());
        assert!(validate_address("from", "not-an-address").is_err());
        assert!(validate_address("from", "a@@b").is_err());
    }

    #[test]
    fn debug_never_shows_secrets() {
        let s = Smtp {
            host: "smtp.b.example".into(),
            port: 587,
            tls: SmtpTls::Starttls,
            username: Some("u".into()),
            password: Some("hunter2".into()),
            from: "a@b.example".into(),
        };
        assert!(!format!("{s:?}").contains("hunter2"));
        let h = Webhook {
            kind: WebhookKind::Dingtalk,
            url: "https://x".into(),
            secret: Some("SECxyz".into()),
        };
        assert!(!format!("{h:?}").contains("SECxyz"));
    }
}
