//! "My todo", answered again without reading the store while nothing it shows changed.
//!
//! The todo is the page a member's dashboard and phone reload all day, and it is built
//! from up to three hundred tasks of theirs; between two task changes it is the same
//! answer. An answer is kept, encoded, per user and used while:
//!
//! - no task was written since (the store's write count of the `task` kind, see
//!   [`crate::store::Store::changes_of`]) — any task, so no rule about which task a
//!   user's todo depends on can be wrong;
//! - the clock has not reached the earliest deadline it lists as not yet due (that
//!   task would move to "overdue"), and at most [`MAX_AGE`].
//!
//! Memory is bounded by [`MAX_BYTES`] of kept answers in all.

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};

use super::lists::Todo;
use crate::actor::Actor;
use crate::error::{ServiceError, ServiceResult};
use crate::flow::Task;
use crate::store::{Record, Store};

/// The longest an answer is kept even if nothing changed: a bound on the cost of any
/// change this module does not see (there should be none).
pub const MAX_AGE: Duration = Duration::seconds(60);

/// Kept answers in all, in bytes: a few hundred members' todos.
pub const MAX_BYTES: usize = 8 << 20;

struct Kept {
    /// The store's task write count the answer was built at.
    changes: u64,
    /// The answer is true before this moment.
    until: DateTime<Utc>,
    body: Bytes,
}

#[derive(Default)]
pub struct TodoCache {
    kept: Mutex<(HashMap<u64, Kept>, usize)>,
}

impl TodoCache {
    /// The todo of `actor` at `now` as JSON ([`super::lists::todo`]), kept or built.
    pub fn todo(&self, store: &Store, actor: &Actor, now: DateTime<Utc>) -> ServiceResult<Bytes> {
        let user = super::lists::my_id(actor)?;
        self.answer(store, user, now, || super::lists::todo(store, actor, now))
    }

    /// `user`'s todo at `now` as JSON: the kept answer if it is still true, else
    /// `build`'s (kept for the next call).
    pub fn answer(
        &self,
        store: &Store,
        user: u64,
        now: DateTime<Utc>,
        build: impl FnOnce() -> ServiceResult<Todo>,
    ) -> ServiceResult<Bytes> {
        // Read before the store is: a task written meanwhile makes this answer stale.
        let changes = store.changes_of(Task::KIND);
        if let Some(body) = self.kept_answer(user, changes, now) {
            return Ok(body);
        }
        let todo = build()?;
        let until = valid_until(&todo, now);
        let body = Bytes::from(
            serde_json::to_vec(&todo).map_err(|e| ServiceError::Internal(e.to_string()))?,
        );
        self.keep(
            user,
            Kept {
                changes,
                until,
                body: body.clone(),
            },
        );
        Ok(body)
    }

    fn kept_answer(&self, user: u64, changes: u64, now: DateTime<Utc>) -> Option<Bytes> {
        let kept = self
            .kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.0
            .get(&user)
            .filter(|k| k.changes == changes && now < k.until)
            .map(|k| k.body.clone())
    }

    fn keep(&self, user: u64, new: Kept) {
        let mut guard = self
            .kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (map, bytes) = &mut *guard;
        if let Some(old) = map.remove(&user) {
            *bytes = bytes.saturating_sub(old.body.len());
        }
        if new.body.len() > MAX_BYTES {
            return;
        }
        if *bytes + new.body.len() > MAX_BYTES {
            // Answers built before the latest task write are of no use any more.
            map.retain(|_, k| k.changes == new.changes);
            *bytes = map.values().map(|k| k.body.len()).sum();
            if *bytes + new.body.len() > MAX_BYTES {
                map.clear();
                *bytes = 0;
            }
        }
        *bytes += new.body.len();
        map.insert(user, new);
    }
}

/// Until when `todo`, built at `now`, stays true if no task changes: the first listed
/// deadline still ahead (each group lists its earliest deadlines first, so none that is
/// left out comes sooner), at most [`MAX_AGE`] from now.
fn valid_until(todo: &Todo, now: DateTime<Utc>) -> DateTime<Utc> {
    let latest = now.checked_add_signed(MAX_AGE).unwrap_or(now);
    todo.overdue
        .iter()
        .chain(&todo.new)
        .chain(&todo.started)
        .filter_map(|s| s.due_at)
        .filter(|d| *d > now)
        .fold(latest, |a, d| a.min(d))
}

#[cfg(test)]
#[path = "todo_cache_tests.rs"]
mod tests;
