//! The sections of the configuration besides the top-level keys: `[chat_apps]`,
//! `[network]`, `[delivery]`, `[news]`, `[backup]`, each as read from the file and as
//! resolved; `config.rs` does the layering and re-exports them.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;

/// Where the chat apps' APIs live (resolved `[chat_apps]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatAppBases {
    pub wecom: String,
    pub dingtalk: String,
    pub feishu: String,
}

impl Default for ChatAppBases {
    fn default() -> Self {
        ChatAppBases {
            wecom: "https://qyapi.weixin.qq.com".into(),
            dingtalk: "https://oapi.dingtalk.com".into(),
            feishu: "https://open.feishu.cn".into(),
        }
    }
}

/// Where the chat apps' APIs live, for Lark (`feishu = "https://open.larksuite.com"`),
/// private deployments and tests. An internal address also needs `[network]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileChatApps {
    /// WeCom API (default https://qyapi.weixin.qq.com).
    pub wecom: Option<String>,
    /// DingTalk API (default https://oapi.dingtalk.com).
    pub dingtalk: Option<String>,
    /// Feishu API (default https://open.feishu.cn).
    pub feishu: Option<String>,
}

/// Where Baton may connect on someone's behalf (webhooks, news feeds, mail server).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileNetwork {
    /// Internal address ranges (CIDR) webhooks, feeds and the mail server may use;
    /// everything internal is refused otherwise. Loopback only when listed itself.
    #[serde(default)]
    pub allow_private: Vec<String>,
}

/// The delivery worker (e-mail and webhooks through the outbox).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileDelivery {
    /// How often the outbox is checked for due notices (default 2s).
    #[serde(default, with = "humantime_serde")]
    pub interval: Option<Duration>,
    /// Time-out for one send, connect to last byte (default 10s).
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// Wait after the first failed try, doubled after each further one (default 30s).
    #[serde(default, with = "humantime_serde")]
    pub retry_base: Option<Duration>,
    /// Tries before a notice is marked failed (default 8).
    pub max_attempts: Option<u32>,
    /// Sends at once (default 4).
    pub concurrency: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    pub interval: Duration,
    pub timeout: Duration,
    pub retry_base: Duration,
    pub max_attempts: u32,
    pub concurrency: usize,
}

/// News feeds (跨境眼): how often and how carefully they are fetched.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileNews {
    /// How often every feed is fetched (default 1h; 0 turns fetching off).
    #[serde(default, with = "humantime_serde")]
    pub interval: Option<Duration>,
    /// Time-out for one feed request, connect to last byte (default 20s).
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// Largest feed document in KiB (default 2048).
    pub max_kb: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct NewsSettings {
    /// `None`: feeds are fetched only when an admin asks.
    pub interval: Option<Duration>,
    pub timeout: Duration,
    pub max_bytes: u64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileBackup {
    #[serde(default, with = "humantime_serde")]
    pub interval: Option<Duration>,
    pub dir: Option<PathBuf>,
    pub keep: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct BackupSchedule {
    /// `None`: no automatic backups.
    pub interval: Option<Duration>,
    pub dir: PathBuf,
    pub keep: usize,
}

/// The chat apps' API addresses: each an http(s) URL without query, else the default.
pub(super) fn chat_app_bases(f: FileChatApps) -> Result<ChatAppBases, ConfigError> {
    let d = ChatAppBases::default();
    let pick = |name: &str, v: Option<String>, default: String| match v {
        None => Ok(default),
        Some(u) => match reqwest::Url::parse(u.trim()) {
            Ok(p) if matches!(p.scheme(), "http" | "https") && p.query().is_none() => {
                Ok(u.trim().trim_end_matches('/').to_string())
            }
            _ => Err(ConfigError::Invalid(format!(
                "[chat_apps] {name} = '{u}' is not an http(s) address"
            ))),
        },
    };
    Ok(ChatAppBases {
        wecom: pick("wecom", f.wecom, d.wecom)?,
        dingtalk: pick("dingtalk", f.dingtalk, d.dingtalk)?,
        feishu: pick("feishu", f.feishu, d.feishu)?,
    })
}
