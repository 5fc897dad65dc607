//! Delivery records: channel settings (company, project, user) and outbox items.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::notice::Notice;
use crate::store::Record;
use crate::time::time_key;

pub mod ix {
    /// Pending and sending items by the time they are next due (`time_key`).
    pub const DUE: &str = "outbox_due";
    /// Items by status (`pending`, `sending`, `sent`, `failed`).
    pub const STATUS: &str = "outbox_status";
    /// Group channels: one item per hook, task, event and instant.
    pub const ONCE: &str = "outbox_once";
    pub const SETTINGS: &str = "delivery_settings";
    pub const PROJECT_HOOK: &str = "delivery_project";
    pub const USER_HOOK: &str = "delivery_user";
    /// Write-back items by their target's name (its delivery history).
    pub const WRITE_BACK: &str = "outbox_write_back";
    /// Write-back items still to send (pending or sending), by their target's name:
    /// a target gets its events one at a time, in the order they happened.
    pub const WRITE_BACK_OPEN: &str = "outbox_write_back_open";
}

/// Which chat service a webhook speaks to: decides the payload and the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WebhookKind {
    /// WeCom (企业微信) group robot.
    Wecom,
    /// DingTalk (钉钉) robot, signed when a secret is set.
    Dingtalk,
    /// Feishu / Lark (飞书) bot, signed when a secret is set.
    Feishu,
    /// Slack incoming webhook.
    Slack,
    /// JSON signed with HMAC-SHA256 in `X-Baton-Signature` when a secret is set.
    Generic,
}

/// A webhook endpoint. The secret is write-only: never returned, never logged.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    pub kind: WebhookKind,
    pub url: String,
    pub secret: Option<String>,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("kind", &self.kind)
            .field("url", &self.url)
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (usually port 587).
    Starttls,
    /// TLS from the first byte (usually port 465).
    Tls,
    /// No encryption: only for a relay on the same host or a test sink.
    None,
}

/// The outgoing mail server. The password is write-only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from: String,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smtp")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("from", &self.from)
            .finish()
    }
}

/// A company-wide webhook, named so admins can test and replace it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedWebhook {
    pub name: String,
    pub hook: Webhook,
}

/// Company-wide delivery settings (one record).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DeliverySettings {
    pub id: u64,
    pub rev: u64,
    pub smtp: Option<Smtp>,
    pub webhooks: Vec<NamedWebhook>,
}

impl Record for DeliverySettings {
    const KIND: &'static str = "delivery_settings";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![(ix::SETTINGS, "company".into())]
    }
}

/// A project's group webhook (the warehouse team's WeCom robot, say).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProjectWebhook {
    pub id: u64,
    pub rev: u64,
    pub project_id: u64,
    pub hook: Webhook,
}

impl Record for ProjectWebhook {
    const KIND: &'static str = "project_webhook";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![(ix::PROJECT_HOOK, self.project_id.to_string())]
    }
}

/// A user's own webhook (their DingTalk robot, say).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserWebhook {
    pub id: u64,
    pub rev: u64,
    pub user_id: u64,
    pub hook: Webhook,
}

impl Record for UserWebhook {
    const KIND: &'static str = "user_webhook";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![(ix::USER_HOOK, self.user_id.to_string())]
    }
}

/// Where an outbox item goes. Webhooks are resolved when sending, so a changed URL or
/// secret applies to items still waiting, and secrets are not copied into the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Target {
    Email {
        to: String,
    },
    UserWebhook {
        user_id: u64,
    },
    ProjectWebhook {
        project_id: u64,
    },
    CompanyWebhook {
        name: String,
    },
    WebPush {
        user_id: u64,
        device_id: u64,
    },
    /// A member's own user in a chat app (WeCom, DingTalk, Feishu).
    ChatApp {
        app: super::apps::AppKind,
        user_id: u64,
    },
    /// A company's ERP or shop, by the write-back target's name.
    WriteBack {
        name: String,
    },
}

impl Target {
    /// Group channels get one notice per event, not one per recipient.
    pub fn is_group(&self) -> bool {
        matches!(
            self,
            Target::ProjectWebhook { .. } | Target::CompanyWebhook { .. }
        )
    }

    pub fn label(&self) -> String {
        match self {
            Target::Email { to } => format!("email:{to}"),
            Target::UserWebhook { user_id } => format!("user:{user_id}"),
            Target::ProjectWebhook { project_id } => format!("project:{project_id}"),
            Target::CompanyWebhook { name } => format!("company:{name}"),
            Target::WebPush { device_id, .. } => format!("push:{device_id}"),
            Target::ChatApp { app, user_id } => format!("{}:{user_id}", app.as_str()),
            Target::WriteBack { name } => format!("write_back:{name}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    Pending,
    Sending,
    Sent,
    Failed,
}

impl OutboxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Sending => "sending",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<OutboxStatus> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OutboxItem {
    pub id: u64,
    pub rev: u64,
    pub target: Target,
    pub status: OutboxStatus,
    /// Tries so far (a try starts when the item is marked `sending`).
    pub attempts: u32,
    /// When a pending item is due; for a sending item, when its lease runs out.
    pub next_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    /// What to say, fixed when the event happened.
    #[schema(value_type = Object)]
    pub notice: Notice,
    /// Dedupe key of group channels.
    #[serde(default)]
    pub once: Option<String>,
    /// A write-back's event and body (then `notice` only labels it in lists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_back: Option<super::write_back::WriteBackPayload>,
}

impl Record for OutboxItem {
    const KIND: &'static str = "outbox";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        self.once.iter().map(|k| (ix::ONCE, k.clone())).collect()
    }
    fn multi_keys(&self) -> Vec<(&'static str, String)> {
        let mut keys = vec![(ix::STATUS, self.status.as_str().to_string())];
        if matches!(self.status, OutboxStatus::Pending | OutboxStatus::Sending) {
            keys.push((ix::DUE, time_key(self.next_at)));
        }
        if let Target::WriteBack { name } = &self.target {
            keys.push((ix::WRITE_BACK, name.clone()));
            if matches!(self.status, OutboxStatus::Pending | OutboxStatus::Sending) {
                keys.push((ix::WRITE_BACK_OPEN, name.clone()));
            }
        }
        keys
    }
}
