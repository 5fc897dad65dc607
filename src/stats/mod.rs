//! Completion and on-time statistics per member and period (see `docs/statistics.md`).
//!
//! `period` and `model` are pure; `record` keeps counters current inside the task-log
//! write; `service` answers the API.

pub mod model;
pub mod period;
pub mod record;
pub mod service;
