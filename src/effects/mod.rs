//! The consequences of a change, staged in the same atomic write as the change itself.
//!
//! Services decide and store their change, then hand what it causes to this module:
//! it is the layer above the consumers (inbox, delivery outbox), so none of them
//! reaches into another. Today it stages messages; the task log and statistics are
//! still staged by `tasks::log` (see `docs/architecture.md`).

use chrono::{DateTime, Utc};

use crate::inbox::service::{insert, NewMessage};
use crate::store::{StoreError, WriteTx};

/// Stages an inbox message and its external deliveries (e-mail, webhooks, as the
/// recipient's preferences say) in the caller's write: none lost, none doubled.
pub fn notify(tx: &mut WriteTx<'_>, m: NewMessage, now: DateTime<Utc>) -> Result<u64, StoreError> {
    let msg = insert(tx, m, now)?;
    crate::delivery::outbox::enqueue(tx, &msg, now)?;
    Ok(msg.id)
}
