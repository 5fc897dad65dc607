//! A consistent read of the whole data tree, for backups.

use super::{Store, StoreError};

impl Store {
    /// Calls `each` with every durable entry as it stood at one moment.
    ///
    /// sled has no snapshots, and a scan of the live tree while batches land sees some
    /// of a batch and not the rest (an index entry without its record, an id counter
    /// below ids present). Holding the writer lock for the scan keeps every write out
    /// until it ends, so keep `each` fast (copy to a spool file, encode later).
    /// `each` must not write to this store: that would wait on the lock held here.
    ///
    /// A poisoned lock is taken anyway: a writer that panicked applied nothing, so the
    /// tree is as the last successful write left it.
    pub fn scan_consistent<E: From<StoreError>>(
        &self,
        mut each: impl FnMut(&[u8], &[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let _guard = self
            .inner
            .write_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for item in self.inner.data.iter() {
            let (k, v) = item.map_err(StoreError::from)?;
            each(&k, &v)?;
        }
        Ok(())
    }
}
