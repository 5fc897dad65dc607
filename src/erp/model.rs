use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::store::Record;

/// The current version of one ERP record, with the one before it (scenarios may react
/// to a change, such as status becoming `out_of_stock`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErpRecord {
    pub id: u64,
    pub rev: u64,
    pub kind: String,
    pub record_id: String,
    /// 1 for the first version, +1 for every change.
    pub version: u64,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    #[schema(value_type = Option<Object>)]
    pub previous: Option<serde_json::Value>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
}

pub fn record_key(kind: &str, record_id: &str) -> String {
    format!("{kind}/{record_id}")
}

impl Record for ErpRecord {
    const KIND: &'static str = "erp";
    crate::id_and_rev!();
    /// The one index an ERP record keeps: `{kind}/{record_id}` finds a record pushed
    /// again, and its `{kind}/` prefix lists a kind (`ingest::ids_of_kind`). A second,
    /// per-kind index (until schema 3) cost a third of the disk per record
    /// (`cargo bench --bench disk`: 980 → 658–686 bytes per record) and half the write
    /// time, for listings that read every entry of a kind either way.
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![("erp_record", record_key(&self.kind, &self.record_id))]
    }
}

/// One past version of a record.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErpVersion {
    pub id: u64,
    pub rev: u64,
    pub kind: String,
    pub record_id: String,
    pub version: u64,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub received_at: DateTime<Utc>,
}

impl Record for ErpVersion {
    const KIND: &'static str = "erpver";
    crate::id_and_rev!();
    fn multi_keys(&self) -> Vec<(&'static str, String)> {
        vec![("erp_versions", record_key(&self.kind, &self.record_id))]
    }
}
