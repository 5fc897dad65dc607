//! Pull connectors: for an ERP or shop that can answer an HTTP query but can neither
//! push records nor send webhooks. A company admin sets a URL answering JSON or CSV, an
//! optional auth header, an interval, a mapping (the same rhai `fn map(payload,
//! headers)` as inbound hooks) and an optional cursor; Baton fetches on the schedule
//! through the one guarded outbound client and stores the records through the ERP push
//! path, so scenarios fire as for pushed records.
//!
//! - `model`: the connector and its last run, as stored;
//! - `plan`: the pure rules — backoff, the cursor, the URL of the next fetch, a CSV
//!   answer as a payload;
//! - `admin`: what company admins do with connectors;
//! - `fetch`: one bounded HTTP request;
//! - `runner`: one run, from fetch to stored records, and the schedule.

pub mod admin;
pub mod fetch;
pub mod model;
pub mod plan;
pub mod runner;

pub use model::Connector;
