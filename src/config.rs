//! Configuration: defaults < TOML file < `BATON_*` environment < flags. Clap already
//! ranks a flag above its environment variable, so merging is "CLI value, else file
//! value, else default", field by field.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::cli::{GlobalArgs, ServeArgs};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{0}")]
    Invalid(String),
}

/// The TOML file. Unknown keys are an error, so a typo does not pass silently.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub public_url: Option<String>,
    pub cookie_secure: Option<bool>,
    pub trusted_proxy: Option<bool>,
    pub cache_capacity_mb: Option<u64>,
    pub body_limit_kb: Option<usize>,
    pub log_format: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub session_idle: Option<Duration>,
    #[serde(default, with = "humantime_serde")]
    pub session_absolute: Option<Duration>,
    pub login_attempts_per_minute: Option<u32>,
    /// How long before a deadline "due soon" reminders go out (default 24h).
    #[serde(default, with = "humantime_serde")]
    pub due_soon: Option<Duration>,
    /// How often the scheduler looks for reminders (default 1m).
    #[serde(default, with = "humantime_serde")]
    pub scheduler_interval: Option<Duration>,
    /// Largest attachment in MiB (default 10).
    pub attachment_max_mb: Option<u64>,
    /// Writes are refused (HTTP 507) while the data directory's disk has less free
    /// space than this, in MiB (default 100; 0 turns the check off).
    pub min_free_disk_mb: Option<u64>,
    pub backup: Option<FileBackup>,
    /// Company time zone for statistics periods, an IANA name (default Asia/Shanghai).
    pub timezone: Option<String>,
    /// Company language, "zh-CN" (default) or "en": names what the first start creates
    /// (the built-in project) and is the company admin's first UI language.
    pub language: Option<crate::org::Language>,
    pub news: Option<FileNews>,
    pub delivery: Option<FileDelivery>,
    pub network: Option<FileNetwork>,
    pub chat_apps: Option<FileChatApps>,
}

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

/// The resolved configuration every part of the server reads.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub public_url: Option<String>,
    pub cookie_secure: bool,
    pub trusted_proxy: bool,
    /// Database cache (recently read data kept in memory), in bytes.
    pub cache_bytes: u64,
    pub body_limit: usize,
    pub log_format: LogFormat,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    pub login_attempts_per_minute: u32,
    pub due_soon: Duration,
    pub scheduler_interval: Duration,
    pub attachment_max: u64,
    pub min_free_disk: u64,
    pub backup: BackupSchedule,
    /// Company time zone (statistics periods).
    pub timezone: chrono_tz::Tz,
    /// Company language (names made at the first start).
    pub language: crate::org::Language,
    pub news: NewsSettings,
    pub delivery: DeliveryConfig,
    /// Which addresses outbound requests may reach (`[network] allow_private`).
    pub network: crate::net::AddressPolicy,
    /// The chat apps' API addresses (`[chat_apps]`).
    pub chat_apps: ChatAppBases,
    /// First admin's password on an empty data directory (`BATON_ADMIN_PASSWORD`).
    pub admin_password: Option<String>,
    /// The file the values came from, for the start-up log.
    pub loaded_from: Option<PathBuf>,
}

pub const DEFAULT_DATA: &str = "./baton-data";

/// Database cache in MiB: the node contents sled keeps (heaptrack: about this much).
/// Most of sled's resident memory is not this cache but bookkeeping for every page
/// touched since the database was opened, which grows with the data (README, memory
/// figures): 8 instead of 16 saved only 4–12 MiB at 200,000 records
/// (benches/memory/run.sh). More speeds up reads over data that does not fit.
pub const DEFAULT_CACHE_MB: u64 = 16;
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

impl Config {
    /// Resolves the configuration for any command; `serve` adds its own flags.
    pub fn resolve(global: &GlobalArgs, serve: &ServeArgs) -> Result<Config, ConfigError> {
        let file = match &global.config {
            Some(path) => load_file(path)?,
            None => FileConfig::default(),
        };
        Self::merge(
            global,
            serve,
            file,
            std::env::var("BATON_ADMIN_PASSWORD").ok(),
        )
    }

    pub fn merge(
        global: &GlobalArgs,
        serve: &ServeArgs,
        file: FileConfig,
        admin_password: Option<String>,
    ) -> Result<Config, ConfigError> {
        let data_dir = global
            .data
            .clone()
            .or(file.data)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA));
        let listen = match serve.listen.or(file.listen) {
            Some(l) => l,
            None => DEFAULT_LISTEN
                .parse()
                .map_err(|_| ConfigError::Invalid("default listen address".into()))?,
        };
        let log_format = match serve.log_format.clone().or(file.log_format).as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::Invalid(format!(
                    "log_format '{other}' is not text or json"
                )))
            }
        };
        let public_url = serve.public_url.clone().or(file.public_url);
        let cookie_secure = file.cookie_secure.unwrap_or_else(|| {
            public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://"))
        });
        let backup_file = file.backup.unwrap_or_default();
        let backup = BackupSchedule {
            interval: backup_file.interval.filter(|d| !d.is_zero()),
            dir: backup_file.dir.unwrap_or_else(|| data_dir.join("backups")),
            keep: backup_file.keep.unwrap_or(7).max(1),
        };
        let body_limit_kb = file.body_limit_kb.unwrap_or(1024);
        if body_limit_kb == 0 {
            return Err(ConfigError::Invalid("body_limit_kb must be above 0".into()));
        }
        let tz_name = file
            .timezone
            .unwrap_or_else(|| crate::stats::record::DEFAULT_TIMEZONE.to_string());
        let timezone: chrono_tz::Tz = tz_name.parse().map_err(|_| {
            ConfigError::Invalid(format!(
                "timezone '{tz_name}' is not an IANA time zone name such as Asia/Shanghai"
            ))
        })?;
        let news_file = file.news.unwrap_or_default();
        let news = NewsSettings {
            interval: match news_file.interval {
                None => Some(Duration::from_secs(3600)),
                Some(d) if d.is_zero() => None,
                Some(d) => Some(d.max(Duration::from_secs(1))),
            },
            timeout: news_file
                .timeout
                .unwrap_or(Duration::from_secs(20))
                .max(Duration::from_millis(100)),
            max_bytes: news_file.max_kb.unwrap_or(2048).max(1) * 1024,
        };
        let d = file.delivery.unwrap_or_default();
        let delivery = DeliveryConfig {
            interval: d
                .interval
                .unwrap_or(Duration::from_secs(2))
                .max(Duration::from_millis(50)),
            timeout: d
                .timeout
                .unwrap_or(Duration::from_secs(10))
                .max(Duration::from_millis(100)),
            retry_base: d
                .retry_base
                .unwrap_or(Duration::from_secs(30))
                .max(Duration::from_millis(50)),
            max_attempts: d.max_attempts.unwrap_or(8).max(1),
            concurrency: d.concurrency.unwrap_or(4).clamp(1, 64),
        };
        let network =
            crate::net::AddressPolicy::new(&file.network.unwrap_or_default().allow_private)
                .map_err(|e| ConfigError::Invalid(format!("[network] {e}")))?;
        let chat_apps = chat_app_bases(file.chat_apps.unwrap_or_default())?;
        Ok(Config {
            delivery,
            network,
            chat_apps,
            timezone,
            language: file.language.unwrap_or_default(),
            news,
            listen,
            public_url,
            cookie_secure,
            trusted_proxy: file.trusted_proxy.unwrap_or(false),
            cache_bytes: serve
                .cache_capacity_mb
                .or(file.cache_capacity_mb)
                .unwrap_or(DEFAULT_CACHE_MB)
                .saturating_mul(1024 * 1024),
            body_limit: body_limit_kb * 1024,
            log_format,
            session_idle: file.session_idle.unwrap_or(Duration::from_secs(12 * 3600)),
            session_absolute: file
                .session_absolute
                .unwrap_or(Duration::from_secs(30 * 24 * 3600)),
            login_attempts_per_minute: file.login_attempts_per_minute.unwrap_or(10),
            due_soon: file.due_soon.unwrap_or(Duration::from_secs(24 * 3600)),
            scheduler_interval: file
                .scheduler_interval
                .unwrap_or(Duration::from_secs(60))
                .max(Duration::from_millis(100)),
            attachment_max: file.attachment_max_mb.unwrap_or(10) * 1024 * 1024,
            min_free_disk: file
                .min_free_disk_mb
                .unwrap_or(100)
                .saturating_mul(1024 * 1024),
            backup,
            admin_password,
            loaded_from: global.config.clone(),
            data_dir,
        })
    }

    pub fn db_dir(&self) -> PathBuf {
        self.data_dir.join("db")
    }
    pub fn socket_path(&self) -> PathBuf {
        self.data_dir.join("baton.sock")
    }
    pub fn tmp_dir(&self) -> PathBuf {
        self.data_dir.join("tmp")
    }
    pub fn uploads_dir(&self) -> PathBuf {
        self.data_dir.join("uploads")
    }
}

/// The chat apps' API addresses: each an http(s) URL without query, else the default.
fn chat_app_bases(f: FileChatApps) -> Result<ChatAppBases, ConfigError> {
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

pub fn load_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> FileConfig {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn defaults_apply_without_anything() {
        let c = Config::merge(
            &GlobalArgs::default(),
            &ServeArgs::default(),
            FileConfig::default(),
            None,
        )
        .unwrap();
        assert_eq!(c.data_dir, PathBuf::from("./baton-data"));
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.cache_bytes, DEFAULT_CACHE_MB << 20);
        assert_eq!(c.body_limit, 1 << 20);
        assert!(c.backup.interval.is_none());
        assert_eq!(c.backup.dir, PathBuf::from("./baton-data/backups"));
    }

    #[test]
    fn file_overrides_defaults_and_flags_override_file() {
        let f = file("data = \"/srv/a\"\nlisten = \"0.0.0.0:9000\"\ncache_capacity_mb = 16\n[backup]\ninterval = \"6h\"\nkeep = 3\n");
        let global = GlobalArgs {
            data: Some("/srv/b".into()),
            config: None,
        };
        let serve = ServeArgs {
            listen: None,
            cache_capacity_mb: Some(8),
            ..Default::default()
        };
        let c = Config::merge(&global, &serve, f, None).unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/srv/b"), "flag beats file");
        assert_eq!(c.listen.to_string(), "0.0.0.0:9000", "file beats default");
        assert_eq!(c.cache_bytes, 8 << 20);
        assert_eq!(c.backup.interval, Some(Duration::from_secs(6 * 3600)));
        assert_eq!(c.backup.keep, 3);
        assert_eq!(c.backup.dir, PathBuf::from("/srv/b/backups"));
    }

    #[test]
    fn delivery_timings_default_and_from_the_file() {
        let none = |f| Config::merge(&GlobalArgs::default(), &ServeArgs::default(), f, None);
        let d = none(FileConfig::default()).unwrap().delivery;
        assert_eq!(d.timeout, Duration::from_secs(10));
        assert_eq!((d.max_attempts, d.concurrency), (8, 4));
        let d = none(file(
            "[delivery]\ninterval = \"100ms\"\ntimeout = \"1s\"\nretry_base = \"2s\"\nmax_attempts = 0\nconcurrency = 2\n",
        ))
        .unwrap()
        .delivery;
        assert_eq!(d.interval, Duration::from_millis(100));
        assert_eq!(d.retry_base, Duration::from_secs(2));
        assert_eq!((d.max_attempts, d.concurrency), (1, 2), "at least one try");
        assert!(toml::from_str::<FileConfig>("[delivery]\nretries = 3").is_err());
    }

    #[test]
    fn allow_private_parsed_and_checked() {
        let merge = |f| Config::merge(&GlobalArgs::default(), &ServeArgs::default(), f, None);
        let lo: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        let c = merge(FileConfig::default()).unwrap();
        assert!(c.network.check(lo).is_err(), "internal refused by default");
        let c = merge(file(
            "[network]\nallow_private = [\"127.0.0.1/32\", \"10.0.0.0/8\"]\n",
        ))
        .unwrap();
        assert!(c.network.check(lo).is_ok());
        assert!(c.network.check("10.9.8.7".parse().unwrap()).is_ok());
        assert!(c.network.check("192.168.0.1".parse().unwrap()).is_err());
        let e = merge(file("[network]\nallow_private = [\"0.0.0.0/0\"]\n")).unwrap_err();
        assert!(e.to_string().contains("[network] allow_private"), "{e}");
        assert!(toml::from_str::<FileConfig>("[network]\nallow = []").is_err());
    }

    #[test]
    fn chat_app_addresses_overridden_and_checked() {
        let merge = |f| Config::merge(&GlobalArgs::default(), &ServeArgs::default(), f, None);
        let c = merge(FileConfig::default()).unwrap();
        assert_eq!(c.chat_apps.feishu, "https://open.feishu.cn");
        let c = merge(file(
            "[chat_apps]\nfeishu = \"https://open.larksuite.com/\"\n",
        ))
        .unwrap();
        assert_eq!(c.chat_apps.feishu, "https://open.larksuite.com");
        assert_eq!(c.chat_apps.wecom, "https://qyapi.weixin.qq.com");
        for bad in ["ftp://x", "not a url", "https://x/?a=1"] {
            let e = merge(file(&format!("[chat_apps]\nwecom = \"{bad}\"\n"))).unwrap_err();
            assert!(e.to_string().contains("[chat_apps] wecom"), "{e}");
        }
    }

    #[test]
    fn example_config_documents_allow_private() {
        let text = include_str!("../packaging/baton.example.toml");
        assert!(toml::from_str::<FileConfig>(text).is_ok());
        let uncommented = text.replace("# allow_private =", "allow_private =");
        let c = Config::merge(
            &GlobalArgs::default(),
            &ServeArgs::default(),
            file(&uncommented),
            None,
        )
        .unwrap();
        assert!(c.network.check("10.1.2.3".parse().unwrap()).is_ok());
        assert!(c.network.check("127.0.0.1".parse().unwrap()).is_ok());
        assert!(c.network.check("169.254.169.254".parse().unwrap()).is_err());
    }

    #[test]
    fn unknown_keys_are_rejected() {
        assert!(toml::from_str::<FileConfig>("lisen = \"x\"").is_err());
        assert!(toml::from_str::<FileConfig>("[backup]\nkeeep = 1").is_err());
    }

    #[test]
    fn https_public_url_turns_on_secure_cookies() {
        let f = file("public_url = \"https://b.example\"");
        let c = Config::merge(&GlobalArgs::default(), &ServeArgs::default(), f, None).unwrap();
        assert!(c.cookie_secure);
        assert!(Config::merge(
            &GlobalArgs::default(),
            &ServeArgs {
                log_format: Some("xml".into()),
                ..Default::default()
            },
            FileConfig::default(),
            None
        )
        .is_err());
    }

    /// The shipped example documents every key: uncommented, it must parse (unknown
    /// keys are errors) and name each top-level key the file format has.
    #[test]
    fn the_example_config_documents_every_key() {
        let example = include_str!("../packaging/baton.example.toml");
        let uncommented: String = example
            .lines()
            .map(|l| {
                let t = l.trim_start_matches("# ");
                let is_key = l.starts_with("# ")
                    && t.split_once(" = ").is_some_and(|(k, _)| {
                        !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    });
                if is_key {
                    t
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        if let Err(e) = toml::from_str::<FileConfig>(&uncommented) {
            panic!("the example config does not parse: {e}");
        }
        for key in [
            "data",
            "listen",
            "public_url",
            "cookie_secure",
            "trusted_proxy",
            "cache_capacity_mb",
            "body_limit_kb",
            "log_format",
            "session_idle",
            "session_absolute",
            "login_attempts_per_minute",
            "due_soon",
            "scheduler_interval",
            "attachment_max_mb",
            "min_free_disk_mb",
            "timezone",
        ] {
            assert!(
                uncommented
                    .lines()
                    .any(|l| l.starts_with(&format!("{key} = "))),
                "packaging/baton.example.toml does not document {key}"
            );
        }
    }
}
