//! Write-back: telling the ERP or the shop what people decided on a task.
//!
//! A company admin sets up named **targets** (an http(s) URL and an HMAC-SHA256
//! secret, [`model`]); a scenario (`const WRITE_BACK = "erp";`) or a project names
//! one. The task events of such a task (created, a step completed, returned,
//! finished) are staged as outbox items in the same write as the change (the effects
//! consumer `effects::write_back`), with the default JSON body of that moment
//! ([`body`]). The delivery worker sends them like every other channel ([`send`]):
//! signed, retried with backoff, listed per target, retried by hand. A scenario's
//! optional `fn write_back(event, record)` reshapes the body when it is sent, outside
//! any write (see [`Shaper`]).

pub mod body;
pub mod model;
pub mod send;
pub mod service;

pub use model::{ProjectWriteBack, WriteBackPayload, WriteBackTarget};

use crate::store::Store;

/// What a scenario's `fn write_back` made of an event's default body.
#[derive(Debug, Clone, PartialEq)]
pub enum Shaped {
    /// No such scenario, or it has no `fn write_back`: the default body goes out.
    Default,
    /// The script's map, sent as JSON instead of the default body.
    Body(serde_json::Value),
    /// The script returned `()`: nothing is sent for this event.
    Skip,
    /// The script failed (with line and column where rhai knows them): nothing is
    /// sent, the delivery fails with this and the scenario shows it.
    Error(String),
}

/// Runs a scenario's `fn write_back(event, record)`. Implemented by the scenario
/// registry; delivery sits below the scenarios, so the worker is handed one.
pub trait Shaper: Send + Sync {
    fn shape(
        &self,
        store: &Store,
        scenario: &str,
        event: &serde_json::Value,
        record: &serde_json::Value,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Shaped;
}

/// A shaper for places without scenarios (tests of the worker alone): the default body.
pub struct NoShaping;

impl Shaper for NoShaping {
    fn shape(
        &self,
        _: &Store,
        _: &str,
        _: &serde_json::Value,
        _: &serde_json::Value,
        _: chrono::DateTime<chrono::Utc>,
    ) -> Shaped {
        Shaped::Default
    }
}
