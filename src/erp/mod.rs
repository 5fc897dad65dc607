//! ERP records: ingest with version history, idempotent upserts, per-record
//! validation, and CSV / JSON-lines import that keeps values as written.

pub mod batch;
pub mod column_types;
pub mod import;
pub mod ingest;
pub mod model;
pub mod push;
pub mod text_encoding;
pub mod upload;
pub mod wide_ints;

pub use model::{ErpRecord, ErpVersion};
