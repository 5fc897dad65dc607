//! The state between a login's password step and its code step: a random token the
//! client sends back with the code. It is not a session (it reaches nothing else),
//! lives a few minutes in the ephemeral space (backups skip it), is consumed by the
//! login it completes and dropped after a few wrong codes.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::{purge_ephemeral, random_secret, secret_hash};
use crate::error::{ServiceError, ServiceResult};
use crate::store::{Store, StoreError};

/// How long the code step may take after the password step.
pub const LIFETIME_MINUTES: i64 = 5;
/// Wrong codes one challenge takes before it is dropped (the account's rate limit
/// applies as well).
pub const MAX_FAILURES: u32 = 5;

const PREFIX: &str = "two_factor_challenge/";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// The user has two-factor sign-in: prove it with a code.
    Code,
    /// The company requires it and the user has none yet: confirm the new secret
    /// (carried in the challenge) with a code.
    Enrol,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Challenge {
    pub user_id: u64,
    /// As typed at the password step, for the rate limiter's key.
    pub username: String,
    pub purpose: Purpose,
    /// The secret being enrolled (purpose `Enrol`).
    pub secret: Option<String>,
    pub created_at: DateTime<Utc>,
    pub failures: u32,
}

impl Challenge {
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.created_at + Duration::minutes(LIFETIME_MINUTES)
    }
}

fn key(token: &str) -> String {
    format!("{PREFIX}{}", secret_hash(token))
}

fn put(store: &Store, token: &str, c: &Challenge) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(c).map_err(|e| StoreError::Codec(e.to_string()))?;
    store.eph_put(&key(token), &bytes)
}

/// Stores a new challenge; returns its token (given to the client once).
pub fn create(store: &Store, c: &Challenge) -> Result<String, StoreError> {
    let token = random_secret();
    put(store, &token, c)?;
    store.flush()?;
    Ok(token)
}

/// The refusal for a challenge that is unknown, used up or expired.
pub fn gone() -> ServiceError {
    ServiceError::invalid(
        "challenge",
        "this sign-in has expired or was already used: enter your username and password again",
    )
}

/// The live challenge behind `token`; an expired one is removed.
pub fn peek(store: &Store, token: &str, now: DateTime<Utc>) -> ServiceResult<Challenge> {
    let Some(bytes) = store.eph_get(&key(token))? else {
        return Err(gone());
    };
    match serde_json::from_slice::<Challenge>(&bytes) {
        Ok(c) if now < c.expires_at() => Ok(c),
        _ => {
            store.eph_remove(&key(token))?;
            Err(gone())
        }
    }
}

/// Ends the challenge (its login is done).
pub fn consume(store: &Store, token: &str) -> Result<(), StoreError> {
    store.eph_remove(&key(token))?;
    store.flush()
}

/// Counts a wrong code; the challenge is dropped at the last one allowed.
pub fn fail(store: &Store, token: &str, mut c: Challenge) -> Result<(), StoreError> {
    c.failures = c.failures.saturating_add(1);
    if c.failures >= MAX_FAILURES {
        store.eph_remove(&key(token))?;
    } else {
        put(store, token, &c)?;
    }
    store.flush()
}

/// Drops expired challenges; run from the scheduler beside the session purge.
pub fn purge_expired(store: &Store, now: DateTime<Utc>) -> Result<usize, StoreError> {
    purge_ephemeral(store, PREFIX, |v| {
        serde_json::from_slice::<Challenge>(v).is_ok_and(|c| now < c.expires_at())
    })
}

/// Pending enrolments from the Me page: the secret shown, waiting for its first code.
pub mod pending {
    use super::*;

    const PREFIX: &str = "two_factor_pending/";
    /// Time to scan the code and type the first one.
    pub const LIFETIME_MINUTES: i64 = 15;

    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct Pending {
        pub secret: String,
        pub created_at: DateTime<Utc>,
    }

    fn key(user_id: u64) -> String {
        format!("{PREFIX}{user_id}")
    }

    pub fn put(store: &Store, user_id: u64, p: &Pending) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(p).map_err(|e| StoreError::Codec(e.to_string()))?;
        store.eph_put(&key(user_id), &bytes)?;
        store.flush()
    }

    /// The user's pending secret, if started less than [`LIFETIME_MINUTES`] ago.
    pub fn get(store: &Store, user_id: u64, now: DateTime<Utc>) -> ServiceResult<String> {
        let found = store
            .eph_get(&key(user_id))?
            .and_then(|b| serde_json::from_slice::<Pending>(&b).ok())
            .filter(|p| now < p.created_at + Duration::minutes(LIFETIME_MINUTES));
        found.map(|p| p.secret).ok_or_else(|| {
            ServiceError::invalid(
                "code",
                "no set-up is waiting for a code (or it took longer than 15 minutes): start again",
            )
        })
    }

    pub fn remove(store: &Store, user_id: u64) -> Result<(), StoreError> {
        store.eph_remove(&key(user_id))?;
        store.flush()
    }

    /// Drops set-ups never finished.
    pub fn purge_expired(store: &Store, now: DateTime<Utc>) -> Result<usize, StoreError> {
        purge_ephemeral(store, PREFIX, |v| {
            serde_json::from_slice::<Pending>(v)
                .is_ok_and(|p| now < p.created_at + Duration::minutes(LIFETIME_MINUTES))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn challenge(now: DateTime<Utc>) -> Challenge {
        Challenge {
            user_id: 7,
            username: "li".into(),
            purpose: Purpose::Code,
            secret: None,
            created_at: now,
            failures: 0,
        }
    }

    #[test]
    fn expires_and_is_dropped_after_too_many_failures() {
        let store = Store::memory();
        let now = Utc::now();
        let token = create(&store, &challenge(now)).unwrap();
        assert_eq!(peek(&store, &token, now).unwrap().user_id, 7);
        assert!(peek(&store, "other", now).is_err());
        let later = now + Duration::minutes(LIFETIME_MINUTES);
        assert!(peek(&store, &token, later).is_err());
        // the expired one was removed, so it stays gone even "earlier"
        assert!(peek(&store, &token, now).is_err());

        let token = create(&store, &challenge(now)).unwrap();
        for i in 1..MAX_FAILURES {
            let c = peek(&store, &token, now).unwrap();
            fail(&store, &token, c).unwrap();
            assert_eq!(peek(&store, &token, now).unwrap().failures, i);
        }
        let c = peek(&store, &token, now).unwrap();
        fail(&store, &token, c).unwrap();
        assert!(peek(&store, &token, now).is_err());

        let token = create(&store, &challenge(now)).unwrap();
        assert_eq!(purge_expired(&store, now).unwrap(), 0);
        assert_eq!(purge_expired(&store, later).unwrap(), 1);
        assert!(peek(&store, &token, now).is_err());
    }
}
