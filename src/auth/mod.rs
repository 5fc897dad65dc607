//! Passwords, sessions, API tokens, login throttling, and who is asking (the login
//! itself, which reads the user, is `org::login`).

pub mod identify;
pub mod password;
pub mod ratelimit;
pub mod session;
pub mod token;
pub mod totp;

use rand::RngCore;
use sha2::{Digest, Sha256};

/// 32 random bytes, URL-safe base64: session tokens, CSRF tokens, API tokens.
pub fn random_secret() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Secrets are stored only as their SHA-256: they are high-entropy, so a slow hash
/// buys nothing, and a leaked database does not leak usable tokens.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Removes the short-lived entries under `prefix` (sessions, login challenges, …) that
/// are no longer `live`, or do not decode; returns how many went.
pub fn purge_ephemeral(
    store: &crate::store::Store,
    prefix: &str,
    live: impl Fn(&[u8]) -> bool,
) -> Result<usize, crate::store::StoreError> {
    let mut n = 0;
    for (k, v) in store.eph_scan(prefix)? {
        if !live(&v) {
            store.eph_remove(&k)?;
            n += 1;
        }
    }
    Ok(n)
}
