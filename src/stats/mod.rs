//! Completion and on-time statistics per member and period (see `docs/statistics.md`).
//!
//! `period` and `model` are pure; `record` keeps counters current inside the task-log
//! write; `service` answers the API; `backfill` is the schema step that gave older
//! completions their recorded verdict. `scenario_days` holds the scenario analytics
//! counters (per scenario and day), kept by the scenario runs and the effects stage.

pub mod backfill;
pub mod counters;
pub mod model;
pub mod period;
pub mod record;
pub mod scenario_days;
pub mod schema_5;
pub mod service;
