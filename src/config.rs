//! Configuration: defaults < TOML file < `BATON_*` environment < flags. Clap already
//! ranks a flag above its environment variable, so merging is "CLI value, else file
//! value, else default", field by field. The sections' types are in `config/sections.rs`,
//! re-exported here.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::cli::{GlobalArgs, ServeArgs};

mod sections;

use self::sections::chat_app_bases;
pub use self::sections::{
    BackupSchedule, ChatAppBases, DeliveryConfig, FileBackup, FileChatApps, FileDelivery,
    FileNetwork, FileNews, LogFormat, NewsSettings,
};

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
mod tests;
