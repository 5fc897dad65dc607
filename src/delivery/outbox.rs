//! The outbox: staging items beside the inbox message that causes them (`stage`), and the
//! state changes of a delivery (claim → sent | retry | failed). Time is a parameter.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::model::{ix, OutboxItem, OutboxStatus, Target};
use crate::error::{ServiceError, ServiceResult};
use crate::store::{Store, StoreError};
use crate::time::time_key;

mod stage;

pub use self::stage::{enqueue, event_of, for_groups, settings_in};

/// Retry timing of the worker.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Wait after the first failed try; doubled after each further one.
    pub base: Duration,
    /// Tries before an item is marked failed.
    pub max_attempts: u32,
    /// How long a `sending` mark holds; after that (a crash) the item is due again.
    pub lease: Duration,
}

impl RetryPolicy {
    /// Wait after the `attempts`-th failed try: base × 2^(attempts−1), at most 6 h.
    pub fn backoff(&self, attempts: u32) -> chrono::Duration {
        let factor = 2u32.saturating_pow(attempts.saturating_sub(1).min(20));
        let d = self
            .base
            .saturating_mul(factor)
            .min(Duration::from_secs(6 * 3600));
        chrono::Duration::from_std(d).unwrap_or(chrono::Duration::hours(6))
    }
}

/// Pending items due by `now`, and sending items whose lease ran out (a crash).
pub fn due(store: &Store, now: DateTime<Utc>) -> Result<Vec<u64>, StoreError> {
    store.ids_by_range(ix::DUE, &time_key(now))
}

/// Marks a due item `sending` (one more try, leased) and returns it; `None` when it
/// is no longer due (sent meanwhile, retried by hand, …).
pub fn claim(
    store: &Store,
    id: u64,
    now: DateTime<Utc>,
    policy: &RetryPolicy,
) -> Result<Option<OutboxItem>, StoreError> {
    store.write(|tx| {
        let Some(mut it) = tx.get::<OutboxItem>(id)? else {
            return Ok(None);
        };
        if !matches!(it.status, OutboxStatus::Pending | OutboxStatus::Sending) || it.next_at > now {
            return Ok(None);
        }
        // A write-back waits while an earlier event for its target is still to send
        // (retrying, or being sent): the ERP hears of a task's events in order.
        if let Target::WriteBack { name } = &it.target {
            if let Some(earlier) = first_open_write_back(store, name)?.filter(|e| *e < id) {
                // Behind one that waits for its next try: due again no sooner than
                // that, so a long queue for a target that is down is not re-read on
                // every poll. Behind one being sent: looked at again on the next poll.
                if let Some(e) = tx.get::<OutboxItem>(earlier)? {
                    if e.status == OutboxStatus::Pending && e.next_at > it.next_at {
                        let rev = it.rev;
                        it.next_at = e.next_at;
                        tx.update(&mut it, rev)?;
                    }
                }
                return Ok(None);
            }
        }
        let rev = it.rev;
        it.status = OutboxStatus::Sending;
        it.attempts += 1;
        it.next_at =
            now + chrono::Duration::from_std(policy.lease).unwrap_or(chrono::Duration::minutes(1));
        tx.update(&mut it, rev)?;
        Ok(Some(it))
    })
}

/// The oldest write-back item for target `name` still to send (pending or sending).
fn first_open_write_back(store: &Store, name: &str) -> Result<Option<u64>, StoreError> {
    // Entries are `{name}/{id:016x}`, in id order; names have no `/`, and `0` follows
    // `/`, so this range holds exactly this target's entries, oldest first.
    Ok(store
        .ids_in_range(
            ix::WRITE_BACK_OPEN,
            &format!("{name}/"),
            &format!("{name}0"),
            1,
        )?
        .first()
        .copied())
}

/// Records the outcome of a try.
pub fn finish(
    store: &Store,
    id: u64,
    outcome: Result<(), String>,
    now: DateTime<Utc>,
    policy: &RetryPolicy,
) -> Result<Option<OutboxItem>, StoreError> {
    store.write(|tx| {
        let Some(mut it) = tx.get::<OutboxItem>(id)? else {
            return Ok(None);
        };
        if it.status != OutboxStatus::Sending {
            return Ok(Some(it));
        }
        let rev = it.rev;
        match outcome {
            Ok(()) => {
                it.status = OutboxStatus::Sent;
                it.sent_at = Some(now);
                it.last_error = None;
            }
            Err(e) => {
                it.last_error = Some(e);
                if it.attempts >= policy.max_attempts {
                    it.status = OutboxStatus::Failed;
                } else {
                    it.status = OutboxStatus::Pending;
                    it.next_at = now + policy.backoff(it.attempts);
                }
            }
        }
        tx.update(&mut it, rev)?;
        Ok(Some(it))
    })
}

/// Marks a sending item failed now, without further tries: its channel is gone for
/// good (a browser that unsubscribed).
pub fn give_up(store: &Store, id: u64, error: String) -> Result<(), StoreError> {
    store.write(|tx| {
        let Some(mut it) = tx.get::<OutboxItem>(id)? else {
            return Ok(());
        };
        if it.status != OutboxStatus::Sending {
            return Ok(());
        }
        let rev = it.rev;
        it.status = OutboxStatus::Failed;
        it.last_error = Some(error);
        tx.update(&mut it, rev)
    })
}

/// Forgets a sending item that turned out to have nothing to send (a scenario's
/// `fn write_back` returned `()` for its event).
pub fn forget(store: &Store, id: u64) -> Result<(), StoreError> {
    store.write(|tx| match tx.get::<OutboxItem>(id)? {
        Some(it) if it.status == OutboxStatus::Sending => tx.delete::<OutboxItem>(id),
        _ => Ok(()),
    })
}

/// Items by status (all when `None`), newest first.
pub fn list(
    store: &Store,
    status: Option<OutboxStatus>,
    limit: usize,
) -> ServiceResult<Vec<OutboxItem>> {
    let statuses = match status {
        Some(s) => vec![s],
        None => vec![
            OutboxStatus::Pending,
            OutboxStatus::Sending,
            OutboxStatus::Sent,
            OutboxStatus::Failed,
        ],
    };
    let mut ids = Vec::new();
    for s in statuses {
        ids.extend(store.ids_by(ix::STATUS, s.as_str())?);
    }
    ids.sort_unstable_by(|a, b| b.cmp(a));
    let mut out = Vec::new();
    for id in ids.into_iter().take(limit) {
        if let Some(it) = store.get::<OutboxItem>(id)? {
            out.push(it);
        }
    }
    Ok(out)
}

/// An admin's retry of a failed item: due now, with a fresh set of tries.
pub fn retry(store: &Store, id: u64, now: DateTime<Utc>) -> ServiceResult<OutboxItem> {
    store.write(|tx| {
        let mut it = tx
            .get::<OutboxItem>(id)?
            .ok_or_else(|| ServiceError::not_found(format!("outbox item {id} not found")))?;
        if it.status != OutboxStatus::Failed {
            return Err(ServiceError::Conflict(format!(
                "outbox item {id} is {}, only failed items are retried by hand",
                it.status.as_str()
            )));
        }
        let rev = it.rev;
        it.status = OutboxStatus::Pending;
        it.attempts = 0;
        it.next_at = now;
        tx.update(&mut it, rev)?;
        Ok(it)
    })
}

/// Forgets sent items delivered before `before` (the delivery history is kept
/// [`KEEP_SENT_DAYS`] days). Returns how many went.
pub fn purge_sent(store: &Store, before: DateTime<Utc>) -> Result<usize, StoreError> {
    let mut old = Vec::new();
    for id in store.ids_by(ix::STATUS, OutboxStatus::Sent.as_str())? {
        if let Some(it) = store.get::<OutboxItem>(id)? {
            if it.sent_at.is_some_and(|t| t < before) {
                old.push(id);
            }
        }
    }
    for chunk in old.chunks(500) {
        store.write(|tx| {
            for id in chunk {
                tx.delete::<OutboxItem>(*id)?;
            }
            Ok::<_, StoreError>(())
        })?;
    }
    Ok(old.len())
}

pub const KEEP_SENT_DAYS: i64 = 30;

/// Notices waiting to go out (pending or being sent) and failed ones, counted from
/// the status index without loading them.
pub fn backlog(store: &Store) -> Result<(usize, usize), StoreError> {
    let waiting = store.count_by(ix::STATUS, OutboxStatus::Pending.as_str())?
        + store.count_by(ix::STATUS, OutboxStatus::Sending.as_str())?;
    let failed = store.count_by(ix::STATUS, OutboxStatus::Failed.as_str())?;
    Ok((waiting, failed))
}

#[cfg(test)]
mod tests;
