//! What is kept of two-factor sign-in: one record per user who turned it on, and the
//! company's one policy record. Both are durable records, so backups carry them like
//! the password hash (see docs/backup-format.md).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::store::Record;

/// Index names.
pub mod ix {
    /// user id → that user's two-factor record.
    pub const USER: &str = "two_factor_user";
    /// "company" → the policy record.
    pub const POLICY: &str = "two_factor_policy";
}

/// A user's confirmed TOTP enrolment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TwoFactor {
    pub id: u64,
    pub rev: u64,
    pub user_id: u64,
    /// The shared secret, base32. Kept as it is (a server must have it to check a
    /// code), so the database and its backups are as secret as the phone.
    pub secret: String,
    pub enabled_at: DateTime<Utc>,
    /// The last time step whose code was accepted: that code, and every older one,
    /// is refused from then on.
    pub last_step: Option<u64>,
    /// Mixed into each recovery code's hash, so equal codes of two users differ.
    pub recovery_salt: String,
    /// Hashes of the recovery codes not used yet.
    pub recovery_hashes: Vec<String>,
}

impl Record for TwoFactor {
    const KIND: &'static str = "two_factor";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![(ix::USER, self.user_id.to_string())]
    }
}

/// Who must sign in with a second factor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// Nobody: each person decides.
    #[default]
    Off,
    /// Company and department admins.
    Admins,
    /// Everyone who signs in.
    Everyone,
}

impl Requirement {
    pub fn as_str(self) -> &'static str {
        match self {
            Requirement::Off => "off",
            Requirement::Admins => "admins",
            Requirement::Everyone => "everyone",
        }
    }
}

/// The company's two-factor policy (one record; none stored means `Off`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TwoFactorPolicy {
    pub id: u64,
    pub rev: u64,
    pub require: Requirement,
}

impl Record for TwoFactorPolicy {
    const KIND: &'static str = "two_factor_policy";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![(ix::POLICY, "company".into())]
    }
}
