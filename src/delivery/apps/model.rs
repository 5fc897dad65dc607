//! Chat app records: the company's app credentials (one record) and each member's
//! user id in those apps (one record per member).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::store::Record;

pub mod ix {
    pub const SETTINGS: &str = "chat_apps";
    pub const LINKS: &str = "chat_links_user";
    /// Members by the apps they linked (counted on the admin page).
    pub const LINKED: &str = "chat_links_app";
}

/// Which chat app: decides the token and send endpoints and the message shape.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AppKind {
    /// WeCom (企业微信) self-built app: corp id, secret, agent id.
    Wecom,
    /// DingTalk (钉钉) internal app: app key, app secret, agent id.
    Dingtalk,
    /// Feishu / Lark (飞书) custom app: app id, app secret.
    Feishu,
}

impl AppKind {
    pub const ALL: [AppKind; 3] = [AppKind::Wecom, AppKind::Dingtalk, AppKind::Feishu];

    pub fn as_str(self) -> &'static str {
        match self {
            AppKind::Wecom => "wecom",
            AppKind::Dingtalk => "dingtalk",
            AppKind::Feishu => "feishu",
        }
    }

    /// The name people know it by, for errors and logs.
    pub fn label(self) -> &'static str {
        match self {
            AppKind::Wecom => "WeCom",
            AppKind::Dingtalk => "DingTalk",
            AppKind::Feishu => "Feishu",
        }
    }

    pub fn parse(s: &str) -> Option<AppKind> {
        AppKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the app needs an agent id (WeCom and DingTalk send as an agent).
    pub fn needs_agent(self) -> bool {
        !matches!(self, AppKind::Feishu)
    }
}

/// One app's credentials. The secret is write-only: never returned, never logged.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppCredentials {
    /// WeCom corp id (`corpid`), DingTalk app key (`appkey`), Feishu app id (`app_id`).
    pub key: String,
    pub secret: String,
    /// WeCom `agentid` / DingTalk `agent_id`; Feishu has none.
    pub agent_id: Option<u64>,
}

impl std::fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCredentials")
            .field("key", &self.key)
            .field("secret", &"***")
            .field("agent_id", &self.agent_id)
            .finish()
    }
}

/// The company's chat apps (one record).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ChatAppSettings {
    pub id: u64,
    pub rev: u64,
    pub apps: BTreeMap<AppKind, AppCredentials>,
}

impl Record for ChatAppSettings {
    const KIND: &'static str = "chat_app_settings";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![(ix::SETTINGS, "company".into())]
    }
}

/// A member's user ids in the chat apps (WeCom `userid`, DingTalk `userid`, Feishu
/// `user_id`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ChatLinks {
    pub id: u64,
    pub rev: u64,
    pub user_id: u64,
    pub ids: BTreeMap<AppKind, String>,
}

impl Record for ChatLinks {
    const KIND: &'static str = "chat_links";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![(ix::LINKS, self.user_id.to_string())]
    }
    fn multi_keys(&self) -> Vec<(&'static str, String)> {
        self.ids
            .keys()
            .map(|k| (ix::LINKED, k.as_str().to_string()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_out_of_debug_and_kinds_round_trip() {
        let c = AppCredentials {
            key: "ww1".into(),
            secret: "hunter2".into(),
            agent_id: Some(1000002),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
        for k in AppKind::ALL {
            assert_eq!(AppKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        assert_eq!(AppKind::parse("slack"), None);
    }
}
