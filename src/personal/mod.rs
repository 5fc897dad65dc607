//! The personal centre: dashboard, notification preferences, avatar, "my ERP".

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use utoipa::ToSchema;

use crate::actor::Actor;
use crate::auth::token::{self, TokenView};
use crate::board::announce::{self, AnnouncementView};
use crate::error::{ServiceError, ServiceResult};
use crate::stats::period::{Period, PeriodKind};
use crate::stats::service::{counts_of, trend, TrendPoint};
use crate::store::Store;
use crate::tasks::record::{ix, visible_value};
use crate::tasks::view::TaskSummary;

// ---------------------------------------------------------------- dashboard

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Dashboard {
    pub todo: usize,
    /// Tasks in which I completed a node.
    pub done: usize,
    pub created: usize,
    pub overdue: usize,
    /// This month (company time zone).
    pub month: TrendPoint,
    /// The last six months, oldest first.
    pub trend: Vec<TrendPoint>,
    /// My open tasks past their deadline, latest deadline first (at most 20).
    pub overdue_tasks: Vec<TaskSummary>,
    pub unread_announcements: Vec<AnnouncementView>,
    pub timezone: String,
}

pub fn dashboard(store: &Store, uid: u64, now: DateTime<Utc>, tz: Tz) -> ServiceResult<Dashboard> {
    let key = uid.to_string();
    let month_p = Period::of(PeriodKind::Month, now, tz);
    let c = counts_of(store, uid, &month_p)?;
    let (overdue_tasks, overdue) = crate::tasks::lists::overdue(store, uid, now, 20)?;
    Ok(Dashboard {
        todo: store.count_by(ix::TODO, &key)?,
        done: store.count_by(ix::HANDLED, &key)?,
        created: store.count_by(ix::VISIBLE_TO, &visible_value(uid, true))?,
        overdue,
        month: TrendPoint {
            period: month_p.key(),
            received: c.received,
            completed: c.completed,
            on_time: c.on_time,
            completion_rate: c.completion_rate(),
            on_time_rate: c.on_time_rate(),
        },
        trend: trend(store, uid, now, tz)?,
        overdue_tasks,
        unread_announcements: announce::unread(store, uid)?,
        timezone: tz.name().to_string(),
    })
}

// ---------------------------------------------------------------- preferences

// The preference records live with the delivery work that reads them.
pub use crate::delivery::prefs::{Channels, PreferenceRecord, Preferences, EVENTS, IX_PREFS};

/// A user's preferences, defaults filled in for events they never set.
pub fn preferences(store: &Store, uid: u64) -> ServiceResult<Preferences> {
    let mut p = Preferences::default();
    if let Some(id) = store.lookup(IX_PREFS, &uid.to_string())? {
        if let Some(r) = store.get::<PreferenceRecord>(id)? {
            p.events.extend(r.prefs.events);
        }
    }
    Ok(p)
}

pub fn set_preferences(store: &Store, uid: u64, p: Preferences) -> ServiceResult<Preferences> {
    for k in p.events.keys() {
        if !EVENTS.contains(&k.as_str()) {
            return Err(ServiceError::invalid(
                "events",
                format!("unknown event '{k}'; known: {}", EVENTS.join(", ")),
            ));
        }
    }
    let mut full = Preferences::default();
    full.events.extend(p.events);
    store.write(|tx| {
        match tx.lookup(IX_PREFS, &uid.to_string())? {
            Some(id) => {
                let mut r: PreferenceRecord = tx.load(id)?;
                let rev = r.rev;
                r.prefs = full.clone();
                tx.update(&mut r, rev)?;
            }
            None => {
                tx.insert(&mut PreferenceRecord {
                    id: 0,
                    rev: 0,
                    user_id: uid,
                    prefs: full.clone(),
                })?;
            }
        }
        Ok::<_, ServiceError>(())
    })?;
    Ok(full)
}

// ---------------------------------------------------------------- avatar

pub const AVATAR_MAX: usize = 1024 * 1024;

/// The image type by its first bytes: PNG, JPEG or WebP, else `None`.
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

pub fn avatar_path(uploads: &Path, uid: u64) -> PathBuf {
    uploads.join("avatars").join(uid.to_string())
}

/// Checks and stores an avatar: at most 1 MiB, PNG/JPEG/WebP by content. Nothing is
/// written unless it passes; the file is replaced atomically.
pub fn save_avatar(uploads: &Path, tmp: &Path, uid: u64, bytes: &[u8]) -> ServiceResult<()> {
    if bytes.len() > AVATAR_MAX {
        return Err(ServiceError::invalid(
            "file",
            "an avatar may have at most 1 MiB",
        ));
    }
    if image_type(bytes).is_none() {
        return Err(ServiceError::invalid(
            "file",
            "an avatar must be a PNG, JPEG or WebP image",
        ));
    }
    let dir = uploads.join("avatars");
    let io = |e: std::io::Error| ServiceError::Internal(format!("avatar file: {e}"));
    std::fs::create_dir_all(&dir).map_err(io)?;
    let mut f = tempfile::NamedTempFile::new_in(tmp).map_err(io)?;
    std::io::Write::write_all(&mut f, bytes).map_err(io)?;
    f.persist(avatar_path(uploads, uid))
        .map_err(|e| io(e.error))?;
    Ok(())
}

/// The stored avatar and its type.
pub fn load_avatar(uploads: &Path, uid: u64) -> ServiceResult<(Vec<u8>, &'static str)> {
    let bytes = std::fs::read(avatar_path(uploads, uid))
        .map_err(|_| ServiceError::not_found(format!("user {uid} has no avatar")))?;
    let t = image_type(&bytes)
        .ok_or_else(|| ServiceError::not_found(format!("user {uid} has no avatar")))?;
    Ok((bytes, t))
}

// ---------------------------------------------------------------- my ERP

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErpStatus {
    /// API tokens (with their last use) the ERP can push with.
    pub tokens: Vec<TokenView>,
    /// Per record kind: how many records there are and the newest one received.
    #[schema(value_type = Vec<Object>)]
    pub last_records: Vec<serde_json::Value>,
    /// Scenarios whose last run failed: `{key, name, error, at}`.
    #[schema(value_type = Vec<Object>)]
    pub scenario_errors: Vec<serde_json::Value>,
}

pub fn erp_status(store: &Store, actor: &Actor) -> ServiceResult<ErpStatus> {
    let tokens = token::list(store, actor)?;
    let mut last_records = Vec::new();
    // Ids only (no record decoded) from the record index; the newest created is the
    // highest id, and the only record read.
    for kind in crate::erp::ingest::kinds(store)? {
        let ids = crate::erp::ingest::ids_of_kind(store, &kind)?;
        let newest = match ids.first() {
            Some(id) => store.get::<crate::erp::ErpRecord>(*id)?,
            None => None,
        };
        if let Some(r) = newest {
            last_records.push(serde_json::json!({"kind": kind, "count": ids.len(), "id": r.record_id, "version": r.version, "received_at": r.received_at}));
        }
    }
    let scenario_errors = store
        .list::<crate::scenarios::Scenario>()?
        .into_iter()
        .filter_map(|s| {
            let e = s.last_error?;
            Some(serde_json::json!({"key": s.key, "name": s.name, "error": e.to_string(), "at": s.last_error_at}))
        })
        .collect();
    Ok(ErpStatus {
        tokens,
        last_records,
        scenario_errors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_types_by_content() {
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(image_type(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(image_type(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(image_type(b"GIF89a"), None);
        assert_eq!(image_type(b"<svg xmlns="), None);
        assert_eq!(image_type(b""), None);
    }
}
