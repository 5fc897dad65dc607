//! An inbound hook and its delivery log, as stored.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::scenarios::script::ScriptError;
use crate::store::Record;

/// Which platform a hook was set up for: it decides the default signature scheme, the
/// delivery-id header used against replays, and (for WooCommerce) the set-up ping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    Shopify,
    Woocommerce,
    Generic,
    /// Everything set by hand.
    Custom,
}

/// How the signature header's value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SigEncoding {
    Hex,
    Base64,
}

/// How a delivery proves it comes from the sender the admin set up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scheme", rename_all = "snake_case")]
pub enum Verification {
    /// HMAC-SHA256 of the raw body with `secret`, in header `header`, written in
    /// `encoding` after an optional `prefix` (the generic scheme's `sha256=`).
    Hmac {
        header: String,
        encoding: SigEncoding,
        #[serde(default)]
        prefix: String,
        secret: String,
    },
    /// `Authorization: Bearer <token>`.
    Bearer { token: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InboundHook {
    pub id: u64,
    pub rev: u64,
    /// The last part of the URL `POST /api/hooks/{name}`.
    pub name: String,
    pub preset: Preset,
    pub verification: Verification,
    /// A rhai script with `fn map(payload, headers)`.
    pub mapping: String,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<u64>,
    pub updated_at: DateTime<Utc>,
    /// The mapping's last run-time error, with its line and column; cleared by a
    /// delivery it maps, or by saving the hook.
    pub last_error: Option<ScriptError>,
    pub last_error_at: Option<DateTime<Utc>>,
}

pub const IX_HOOK_NAME: &str = "hook_name";
pub const IX_DELIVERY_HOOK: &str = "hook_delivery";
pub const IX_DELIVERY_SEEN: &str = "hook_seen";

impl Record for InboundHook {
    const KIND: &'static str = "inhook";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![(IX_HOOK_NAME, self.name.clone())]
    }
}

/// What became of one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Mapped and stored (possibly no record, when the mapping returned none).
    Stored,
    /// The same delivery again: answered as before, nothing stored.
    Duplicate,
    /// WooCommerce's unsigned set-up ping: answered 200, nothing stored.
    Ping,
    /// Signature or token wrong or missing (401).
    Unauthorized,
    /// Not JSON, or the mapping failed or returned a record that is not valid (4xx).
    Rejected,
}

/// One delivery, kept seven days (at most [`KEEP_PER_HOOK`] per hook) for the hook's
/// page.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HookDelivery {
    pub id: u64,
    pub rev: u64,
    pub hook_id: u64,
    pub received_at: DateTime<Utc>,
    /// The platform's delivery id, when it sends one.
    pub delivery_id: Option<String>,
    /// The HTTP status answered.
    pub status: u16,
    pub outcome: Outcome,
    /// Why it was refused, or what the mapping said.
    pub message: Option<String>,
    pub stored: usize,
    pub unchanged: usize,
    pub tasks_created: usize,
    /// `kind/id` of the records it carried (at most 20).
    pub records: Vec<String>,
    /// Against replays: set only on stored deliveries that had a delivery id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub seen_key: Option<String>,
}

/// Deliveries kept per hook: the oldest beyond it go, as do those past [`KEEP_DAYS`].
pub const KEEP_PER_HOOK: usize = 200;
pub const KEEP_DAYS: i64 = 7;

impl Record for HookDelivery {
    const KIND: &'static str = "inhookdel";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        match &self.seen_key {
            Some(k) => vec![(IX_DELIVERY_SEEN, format!("{}/{k}", self.hook_id))],
            None => vec![],
        }
    }
    fn multi_keys(&self) -> Vec<(&'static str, String)> {
        vec![(IX_DELIVERY_HOOK, self.hook_id.to_string())]
    }
}
