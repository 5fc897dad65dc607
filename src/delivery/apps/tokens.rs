//! Access tokens, cached per app in memory until shortly before they expire. The apps
//! limit how often a token may be fetched (WeCom and DingTalk answer the same token
//! while it is valid, and count the calls), so one token serves every send.
//!
//! A fetch holds its app's slot, so concurrent sends wait for the one fetch instead
//! of each fetching their own. A token is cached with a fingerprint of the credentials
//! and API address it came from: changed credentials never use an old token.

use std::future::Future;

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use super::model::{AppCredentials, AppKind};

#[derive(Clone)]
struct Cached {
    fingerprint: String,
    token: String,
    until: DateTime<Utc>,
}

/// A token is a credential: `Debug` shows only until when it is used.
impl std::fmt::Debug for Cached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cached")
            .field("token", &"***")
            .field("until", &self.until)
            .finish()
    }
}

/// One slot per app. Cheap to share behind an `Arc`.
#[derive(Debug, Default)]
pub struct TokenCache {
    slots: [Mutex<Option<Cached>>; 3],
}

fn slot(app: AppKind) -> usize {
    match app {
        AppKind::Wecom => 0,
        AppKind::Dingtalk => 1,
        AppKind::Feishu => 2,
    }
}

/// Identifies credentials without keeping the secret in the clear.
pub fn fingerprint(base: &str, c: &AppCredentials) -> String {
    let mut h = Sha256::new();
    for part in [base, c.key.as_str(), c.secret.as_str()] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

/// How long a token with `life` seconds is used: until 5 minutes before it expires
/// (a tenth of its life for short ones), so none runs out in flight.
pub fn usable_until(now: DateTime<Utc>, life_secs: u64) -> DateTime<Utc> {
    let life = i64::try_from(life_secs.min(86_400 * 30)).unwrap_or(7200);
    let margin = (life / 10).min(300);
    now + Duration::seconds(life - margin)
}

impl TokenCache {
    pub fn new() -> TokenCache {
        TokenCache::default()
    }

    /// The cached token for these credentials, else the one `fetch` returns (token,
    /// lifetime in seconds), kept for next time.
    pub async fn get<E, F, Fut>(
        &self,
        app: AppKind,
        fingerprint: &str,
        now: DateTime<Utc>,
        fetch: F,
    ) -> Result<String, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(String, u64), E>>,
    {
        let mut slot = self.slots[slot(app)].lock().await;
        if let Some(c) = slot.as_ref() {
            if c.fingerprint == fingerprint && c.until > now {
                return Ok(c.token.clone());
            }
        }
        let (token, life) = fetch().await?;
        *slot = Some(Cached {
            fingerprint: fingerprint.to_string(),
            token: token.clone(),
            until: usable_until(now, life),
        });
        Ok(token)
    }

    /// Forgets `token` after the app called it expired (a newer one stays).
    pub async fn forget(&self, app: AppKind, token: &str) {
        let mut slot = self.slots[slot(app)].lock().await;
        if slot.as_ref().is_some_and(|c| c.token == token) {
            *slot = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn creds(secret: &str) -> AppCredentials {
        AppCredentials {
            key: "k".into(),
            secret: secret.into(),
            agent_id: None,
        }
    }

    #[tokio::test]
    async fn one_fetch_until_expiry_or_new_credentials_or_forgotten() {
        let cache = TokenCache::new();
        let fetches = AtomicUsize::new(0);
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let fp = fingerprint("http://x", &creds("a"));
        let get = |now, fp: String| {
            let fetches = &fetches;
            let cache = &cache;
            async move {
                cache
                    .get(AppKind::Wecom, &fp, now, || async {
                        let n = fetches.fetch_add(1, Ordering::SeqCst);
                        Ok::<_, String>((format!("T{n}"), 7200))
                    })
                    .await
                    .unwrap()
            }
        };
        assert_eq!(get(t0, fp.clone()).await, "T0");
        assert_eq!(get(t0 + Duration::seconds(6899), fp.clone()).await, "T0");
        // Five minutes before expiry it is fetched afresh.
        assert_eq!(get(t0 + Duration::seconds(6900), fp.clone()).await, "T1");
        let other = fingerprint("http://x", &creds("b"));
        assert_ne!(other, fp);
        assert_eq!(get(t0 + Duration::seconds(6900), other).await, "T2");
        cache.forget(AppKind::Wecom, "T-old").await;
        assert_eq!(
            get(
                t0 + Duration::seconds(6900),
                fingerprint("http://x", &creds("b"))
            )
            .await,
            "T2"
        );
        cache.forget(AppKind::Wecom, "T2").await;
        assert_eq!(
            get(
                t0 + Duration::seconds(6900),
                fingerprint("http://x", &creds("b"))
            )
            .await,
            "T3"
        );
        assert_eq!(fetches.load(Ordering::SeqCst), 4);
        assert!(!format!("{cache:?}").contains("T3"), "{cache:?}");
    }

    #[test]
    fn short_tokens_keep_a_tenth_as_margin() {
        let t0 = DateTime::from_timestamp(0, 0).unwrap();
        assert_eq!(usable_until(t0, 60), t0 + Duration::seconds(54));
        assert_eq!(usable_until(t0, 7200), t0 + Duration::seconds(6900));
    }
}
