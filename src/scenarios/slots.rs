//! Who may run scripts now: a bounded number of pushes evaluate scenarios at once, and
//! no record kind may take every place.
//!
//! A push takes a lane of each watched kind in its batch (lanes of one kind hold
//! `total - 1` places, so at least one place is always left for other kinds), then a
//! place from the shared pool; both are fair queues. A push whose kinds no scenario
//! watches takes nothing at all. The places are held only while scripts run, not
//! while the batch is written.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub struct ScriptSlots {
    pool: Arc<Semaphore>,
    lane_size: usize,
    lanes: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// Places held while scripts run; dropping it frees them.
#[must_use]
pub struct ScriptSlot {
    _permits: Vec<OwnedSemaphorePermit>,
}

impl ScriptSlots {
    /// `total` places (at least 2, so one kind's lane never fills the pool).
    pub fn new(total: usize) -> Self {
        let total = total.max(2);
        ScriptSlots {
            pool: Arc::new(Semaphore::new(total)),
            lane_size: total - 1,
            lanes: Mutex::new(HashMap::new()),
        }
    }

    /// One place per core, at least 2.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }

    fn lane(&self, kind: &str) -> Arc<Semaphore> {
        // A poisoned map only means another thread panicked while inserting a lane;
        // the map itself is intact.
        let mut lanes = self
            .lanes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        lanes
            .entry(kind.to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(self.lane_size)))
            .clone()
    }

    /// Waits for a place for a batch of these record kinds. Lanes are taken in name
    /// order, so two batches with the same kinds cannot each hold what the other waits
    /// for.
    pub async fn acquire(&self, kinds: &[&str]) -> ScriptSlot {
        let mut kinds: Vec<&str> = kinds.to_vec();
        kinds.sort_unstable();
        kinds.dedup();
        let mut permits = Vec::with_capacity(kinds.len() + 1);
        for k in kinds {
            // The semaphores are never closed, so acquiring cannot fail.
            if let Ok(p) = self.lane(k).acquire_owned().await {
                permits.push(p);
            }
        }
        if let Ok(p) = self.pool.clone().acquire_owned().await {
            permits.push(p);
        }
        ScriptSlot { _permits: permits }
    }

    /// A place for a batch of these record kinds, or none when no scenario watches any
    /// of them: a batch nobody watches waits for nothing.
    pub async fn acquire_for<'k>(
        &self,
        scenarios: &super::registry::Scenarios,
        kinds: impl IntoIterator<Item = &'k str>,
    ) -> Option<ScriptSlot> {
        let watched = scenarios.watched(kinds);
        if watched.is_empty() {
            None
        } else {
            Some(self.acquire(&watched).await)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn one_kind_cannot_take_every_place() {
        let slots = Arc::new(ScriptSlots::new(2));
        let busy = slots.acquire(&["order"]).await;
        // a second batch of the same kind waits for the lane...
        let same = tokio::time::timeout(Duration::from_millis(50), slots.acquire(&["order"])).await;
        assert!(same.is_err(), "the order lane is full");
        // ...while another kind still gets the pool's last place at once
        let other =
            tokio::time::timeout(Duration::from_millis(50), slots.acquire(&["stock"])).await;
        assert!(other.is_ok(), "stock must not wait behind order");
        // the pool is full now: a third kind waits until a place is freed
        let po = tokio::time::timeout(Duration::from_millis(50), slots.acquire(&["po"])).await;
        assert!(po.is_err(), "pool is full");
        drop(busy);
        let po = tokio::time::timeout(Duration::from_millis(50), slots.acquire(&["po"])).await;
        assert!(po.is_ok());
    }

    #[tokio::test]
    async fn batches_of_several_kinds_do_not_deadlock() {
        let slots = Arc::new(ScriptSlots::new(3));
        let mut handles = Vec::new();
        for i in 0..20 {
            let s = slots.clone();
            handles.push(tokio::spawn(async move {
                let kinds: &[&str] = if i % 2 == 0 { &["a", "b"] } else { &["b", "a"] };
                let _slot = s.acquire(kinds).await;
                tokio::time::sleep(Duration::from_millis(1)).await;
            }));
        }
        for h in handles {
            tokio::time::timeout(Duration::from_secs(5), h)
                .await
                .expect("no deadlock")
                .expect("task ran");
        }
    }
}
