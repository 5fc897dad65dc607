//! Login sessions: random tokens stored only as hashes in the ephemeral tree.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{random_secret, secret_hash};
use crate::store::{Store, StoreError};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub user_id: u64,
    /// Sent back by the UI in `X-CSRF-Token` on every cookie-authenticated write.
    pub csrf: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub idle: Duration,
    pub absolute: Duration,
}

fn key(token: &str) -> String {
    format!("session/{}", secret_hash(token))
}

/// Creates a session and returns its token (shown once, to the client).
pub fn create(
    store: &Store,
    user_id: u64,
    now: DateTime<Utc>,
) -> Result<(String, Session), StoreError> {
    let token = random_secret();
    let session = Session {
        user_id,
        csrf: random_secret(),
        created_at: now,
        last_seen_at: now,
    };
    put(store, &token, &session)?;
    store.flush()?;
    Ok((token, session))
}

fn put(store: &Store, token: &str, s: &Session) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(s).map_err(|e| StoreError::Codec(e.to_string()))?;
    store.eph_put(&key(token), &bytes)
}

/// Whether a session is still alive at `now`.
pub fn is_live(s: &Session, now: DateTime<Utc>, life: Lifetimes) -> bool {
    now - s.last_seen_at <= life.idle && now - s.created_at <= life.absolute
}

/// The live session for `token`, its idle timer refreshed (at most once a minute, to
/// keep reads from turning into writes).
pub fn resolve(
    store: &Store,
    token: &str,
    now: DateTime<Utc>,
    life: Lifetimes,
) -> Result<Option<Session>, StoreError> {
    let Some(bytes) = store.eph_get(&key(token))? else {
        return Ok(None);
    };
    let Ok(mut s) = serde_json::from_slice::<Session>(&bytes) else {
        store.eph_remove(&key(token))?;
        return Ok(None);
    };
    if !is_live(&s, now, life) {
        store.eph_remove(&key(token))?;
        return Ok(None);
    }
    if now - s.last_seen_at > Duration::seconds(60) {
        s.last_seen_at = now;
        put(store, token, &s)?;
    }
    Ok(Some(s))
}

pub fn delete(store: &Store, token: &str) -> Result<(), StoreError> {
    store.eph_remove(&key(token))?;
    store.flush()
}

/// Removes every session of `user_id` (password change, disable).
pub fn delete_all_for(store: &Store, user_id: u64) -> Result<(), StoreError> {
    for (k, v) in store.eph_scan("session/")? {
        if let Ok(s) = serde_json::from_slice::<Session>(&v) {
            if s.user_id == user_id {
                store.eph_remove(&k)?;
            }
        }
    }
    store.flush()
}

/// Drops expired sessions; run from the scheduler.
pub fn purge_expired(
    store: &Store,
    now: DateTime<Utc>,
    life: Lifetimes,
) -> Result<usize, StoreError> {
    super::purge_ephemeral(store, "session/", |v| {
        serde_json::from_slice::<Session>(v).is_ok_and(|s| is_live(&s, now, life))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_and_absolute_expiry() {
        let t0 = Utc::now();
        let s = Session {
            user_id: 1,
            csrf: "c".into(),
            created_at: t0,
            last_seen_at: t0,
        };
        let life = Lifetimes {
            idle: Duration::hours(1),
            absolute: Duration::hours(10),
        };
        assert!(is_live(&s, t0 + Duration::minutes(59), life));
        assert!(!is_live(&s, t0 + Duration::minutes(61), life));
        let busy = Session {
            last_seen_at: t0 + Duration::hours(10),
            ..s
        };
        assert!(!is_live(
            &busy,
            t0 + Duration::hours(10) + Duration::minutes(1),
            life
        ));
    }
}
