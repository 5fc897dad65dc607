//! Web Push records: the server's VAPID key pair (one, made at first start) and each
//! member's subscribed devices (one record per member, so the write that stages a
//! notice finds them all with one lookup).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::Record;

pub mod ix {
    /// The one VAPID key record, under the value `current`.
    pub const VAPID: &str = "push_vapid";
    /// A member's devices, by user id.
    pub const USER: &str = "push_user";
    /// Each subscribed endpoint (its SHA-256), so one browser belongs to one member.
    pub const ENDPOINT: &str = "push_endpoint";
}

/// The server's P-256 key pair that signs every push request (RFC 8292). Browsers bind
/// a subscription to the public key, so losing it silently ends every subscription:
/// it is kept in the store and in backups, never regenerated while one exists.
#[derive(Clone, Serialize, Deserialize)]
pub struct VapidKey {
    pub id: u64,
    pub rev: u64,
    /// The 32-byte private scalar, base64url.
    pub private_key: String,
    /// The uncompressed public point, base64url (what browsers are given).
    pub public_key: String,
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for VapidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKey")
            .field("id", &self.id)
            .field("public_key", &self.public_key)
            .field("private_key", &"***")
            .finish()
    }
}

impl Record for VapidKey {
    const KIND: &'static str = "push_vapid";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![(ix::VAPID, "current".into())]
    }
}

/// One browser's push subscription (`PushSubscription.toJSON()` plus a label).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// Unique among all devices (taken from the store's id counter).
    pub id: u64,
    pub label: String,
    /// The push service URL this browser is reached at.
    pub endpoint: String,
    /// The browser's P-256 key, base64url.
    pub p256dh: String,
    /// The browser's 16-byte auth secret, base64url.
    pub auth: String,
    pub created_at: DateTime<Utc>,
}

/// A member's subscribed devices.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushDevices {
    pub id: u64,
    pub rev: u64,
    pub user_id: u64,
    pub devices: Vec<Device>,
}

/// The index value of an endpoint: its hash, since endpoints are long URLs.
pub fn endpoint_key(endpoint: &str) -> String {
    hex::encode(Sha256::digest(endpoint.as_bytes()))
}

impl Record for PushDevices {
    const KIND: &'static str = "push_devices";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        let mut keys = vec![(ix::USER, self.user_id.to_string())];
        keys.extend(
            self.devices
                .iter()
                .map(|d| (ix::ENDPOINT, endpoint_key(&d.endpoint))),
        );
        keys
    }
}
