//! ERP records: ingest with version history, idempotent upserts, per-record
//! validation, and CSV / JSON-lines import.

pub mod import;
pub mod ingest;
pub mod model;

pub use model::{ErpRecord, ErpVersion};
