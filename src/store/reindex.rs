//! Rebuilding one non-unique index from its records, for schema steps that change
//! what an index holds. Idempotent: a step interrupted half-way runs again whole at
//! the next open (its schema version was not recorded).

use super::keys::{kind_prefix, multi_key};
use super::{decode, Record, Store, StoreError};

/// Entries per batch: bounded memory on any database size.
const CHUNK: usize = 1000;

impl Store {
    /// Drops every entry of `index` and writes it again from the records of kind `R`;
    /// returns how many entries it wrote.
    pub fn rebuild_multi_index<R: Record>(&self, index: &str) -> Result<usize, StoreError> {
        let tree = self.data_tree();
        let prefix = format!("mx/{index}/");
        loop {
            let stale = tree
                .scan_prefix(&prefix)
                .keys()
                .take(CHUNK)
                .collect::<Result<Vec<_>, _>>()?;
            if stale.is_empty() {
                break;
            }
            let mut batch = sled::Batch::default();
            for key in stale {
                batch.remove(key);
            }
            tree.apply_batch(batch)?;
        }
        let mut written = 0;
        let mut batch = sled::Batch::default();
        let mut in_batch = 0;
        for item in tree.scan_prefix(kind_prefix(R::KIND)) {
            let (_, value) = item?;
            let record: R = decode(&value)?;
            for (name, value) in record.multi_keys() {
                if name == index {
                    batch.insert(multi_key(index, &value, record.id()), Vec::new());
                    written += 1;
                    in_batch += 1;
                }
            }
            if in_batch >= CHUNK {
                tree.apply_batch(std::mem::take(&mut batch))?;
                in_batch = 0;
            }
        }
        tree.apply_batch(batch)?;
        self.flush()?;
        Ok(written)
    }
}
