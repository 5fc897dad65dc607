//! How many applied writes have touched each record kind, so a reader can tell that
//! nothing of a kind changed since it last looked without reading it again ("my todo"
//! keeps its answer while no task was written: `tasks::todo_cache`).
//!
//! A counter moves only after its write is applied: a reader that saw the old count
//! and then read the data either read the old data (and the new count makes it stale)
//! or the new data (and keeping it under the old count is merely conservative).

use std::collections::HashMap;
use std::sync::RwLock;

use super::Batch;

#[derive(Default)]
pub(super) struct Changes {
    counts: RwLock<HashMap<Box<[u8]>, u64>>,
}

impl Changes {
    /// Applied writes so far that put or removed a record of `kind` (since the
    /// process opened the store).
    pub(super) fn of(&self, kind: &str) -> u64 {
        self.counts
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(kind.as_bytes())
            .copied()
            .unwrap_or(0)
    }

    /// The record kinds `batch` writes (index and meta entries are not records: they
    /// change with their records).
    pub(super) fn kinds_in(batch: &Batch) -> Vec<Box<[u8]>> {
        let mut kinds: Vec<Box<[u8]>> = Vec::new();
        for (key, _) in &batch.ops {
            let kind = key.split(|b| *b == b'/').next().unwrap_or(key);
            if matches!(kind, b"ix" | b"mx" | b"meta") || kinds.iter().any(|k| &**k == kind) {
                continue;
            }
            kinds.push(kind.into());
        }
        kinds
    }

    /// Counts one applied write of each of `kinds`.
    pub(super) fn applied(&self, kinds: Vec<Box<[u8]>>) {
        if kinds.is_empty() {
            return;
        }
        let mut counts = self
            .counts
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for kind in kinds {
            let n = counts.entry(kind).or_insert(0);
            *n = n.wrapping_add(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_record_kinds_once_per_write_and_ignores_index_entries() {
        let mut batch = Batch::default();
        batch.put(b"task/0000000000000001".to_vec(), b"{}".to_vec());
        batch.put(b"task/0000000000000002".to_vec(), b"{}".to_vec());
        batch.put(b"mx/task_todo/5/a/x/0000000000000001".to_vec(), Vec::new());
        batch.put(b"meta/next_id".to_vec(), Vec::new());
        batch.ops.push((b"erp/0000000000000003".to_vec(), None));
        let changes = Changes::default();
        changes.applied(Changes::kinds_in(&batch));
        assert_eq!(changes.of("task"), 1);
        assert_eq!(changes.of("erp"), 1);
        assert_eq!(changes.of("mx"), 0);
        assert_eq!(changes.of("meta"), 0);
        assert_eq!(changes.of("user"), 0);
    }
}
