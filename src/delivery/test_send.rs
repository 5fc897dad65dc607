//! "Send test notice": which channel a caller may test, and the notice that is sent.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::Target;
use super::notice::Notice;
use super::service::validate_address;
use crate::actor::Actor;
use crate::error::{ServiceError, ServiceResult};
use crate::inbox::MessageKind;
use crate::org::policy::{require_company_admin, CompanyArea};
use crate::org::Language;
use crate::projects::service::managed;
use crate::store::Store;

/// Which channel "send test notice" goes to.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(tag = "channel", rename_all = "snake_case", deny_unknown_fields)]
pub enum TestTarget {
    /// The configured mail server, to this address.
    Email { to: String },
    /// A company webhook by name.
    Webhook { name: String },
    /// A project's group webhook.
    Project { project_id: u64 },
    /// The caller's own webhook.
    Me,
    /// The caller's own user in a chat app (WeCom, DingTalk, Feishu).
    ChatApp { app: super::apps::AppKind },
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TestResult {
    pub ok: bool,
    /// Why it failed: in full for company admins; for others, without how the
    /// connection failed (see `delivery::failure`).
    pub error: Option<String>,
}

/// Checks the caller may test `t` and returns the outbox target it stands for.
pub fn test_target(store: &Store, actor: &Actor, t: TestTarget) -> ServiceResult<Target> {
    match t {
        TestTarget::Email { to } => {
            require_company_admin(actor, CompanyArea::DeliveryChannels)?;
            validate_address("to", &to)?;
            Ok(Target::Email {
                to: to.trim().to_string(),
            })
        }
        TestTarget::Webhook { name } => {
            require_company_admin(actor, CompanyArea::DeliveryChannels)?;
            Ok(Target::CompanyWebhook { name })
        }
        TestTarget::Project { project_id } => {
            managed(store, actor, project_id)?;
            Ok(Target::ProjectWebhook { project_id })
        }
        TestTarget::Me => Ok(Target::UserWebhook {
            user_id: actor
                .user_id
                .ok_or_else(|| ServiceError::forbidden("no user"))?,
        }),
        TestTarget::ChatApp { app } => Ok(Target::ChatApp {
            app,
            user_id: actor
                .user_id
                .ok_or_else(|| ServiceError::forbidden("no user"))?,
        }),
    }
}

/// The notice a test sends.
pub fn test_notice(actor: &Actor, language: Language, now: DateTime<Utc>) -> Notice {
    let title = match language {
        Language::ZhCn => "Baton 测试通知",
        Language::En => "Baton test notice",
    };
    Notice {
        message_id: 0,
        kind: MessageKind::Announcement,
        user_id: actor.user_id.unwrap_or(0),
        recipient: actor.name.clone(),
        actor: Some(actor.name.clone()),
        task_id: None,
        title: Some(title.into()),
        text: "Baton test notice".into(),
        reason: None,
        language,
        created_at: now,
        due_at: None,
        todo: None,
    }
}
