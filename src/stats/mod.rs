//! Completion and on-time statistics per member and period (see `docs/statistics.md`).
//!
//! `period` and `model` are pure; `record` keeps counters current inside the task-log
//! write; `service` answers the API; `backfill` is the schema step that gave older
//! completions their recorded verdict.

pub mod backfill;
pub mod counters;
pub mod model;
pub mod period;
pub mod record;
pub mod schema_5;
pub mod service;
