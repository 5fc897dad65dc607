//! A consistent read of the whole data tree, for backups.

use super::backend::KeyRange;
use super::{Store, StoreError};

impl Store {
    /// Calls `each` with every durable entry as it stood at one moment, except those
    /// under the key prefixes in `skip` (which are not read at all).
    ///
    /// sled has no snapshots (and the [`super::Backend`] trait asks for none), and a
    /// scan of the live tree while batches land sees some of a batch and not the rest (an index entry without its record, an id counter
    /// below ids present). Holding the writer lock for the scan keeps every write out
    /// until it ends, so keep `each` fast (copy to a spool file, encode later).
    /// `each` must not write to this store: that would wait on the lock held here.
    ///
    /// A poisoned lock is taken anyway: a writer that panicked applied nothing, so the
    /// tree is as the last successful write left it.
    pub fn scan_consistent<E: From<StoreError>>(
        &self,
        skip: &[&str],
        mut each: impl FnMut(&[u8], &[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let _guard = self
            .inner
            .write_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut from: Vec<u8> = Vec::new();
        for (start, end) in skip_ranges(skip) {
            for item in self.scan_uncached(KeyRange::between(from.clone(), start), false) {
                let (k, v) = item?;
                each(&k, &v)?;
            }
            from = from.max(end);
        }
        for item in self.scan_uncached(KeyRange::from(from), false) {
            let (k, v) = item?;
            each(&k, &v)?;
        }
        Ok(())
    }
}

/// The key ranges `[prefix, end of prefix)` of `prefixes`, in order.
fn skip_ranges(prefixes: &[&str]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out: Vec<(Vec<u8>, Vec<u8>)> = prefixes
        .iter()
        .filter_map(|p| {
            let start = p.as_bytes().to_vec();
            // the first key after every key that starts with `p`
            super::backend::prefix_end(&start).map(|end| (start, end))
        })
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    fn put(store: &Store, key: &str) {
        store
            .write(|tx| {
                tx.put_meta(key.as_bytes(), vec![1]);
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }

    /// A write that starts during the scan lands after it, whole, and the scan does
    /// not see it: without the lock it would land halfway through.
    #[test]
    fn writes_wait_for_a_consistent_scan() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db"), 1 << 20).unwrap();
        put(&store, "meta/a");
        let (started_tx, started) = mpsc::channel();
        let (wrote_tx, wrote) = mpsc::channel();
        let writer = {
            let store = store.clone();
            std::thread::spawn(move || {
                started.recv().unwrap();
                put(&store, "meta/z");
                wrote_tx.send(()).unwrap();
            })
        };
        let mut seen = Vec::new();
        store
            .scan_consistent(&[], |k, _| {
                if seen.is_empty() {
                    started_tx.send(()).unwrap();
                    // the writer is blocked on the lock for as long as the scan runs
                    assert!(wrote.recv_timeout(Duration::from_millis(300)).is_err());
                }
                seen.push(String::from_utf8_lossy(k).into_owned());
                Ok::<_, StoreError>(())
            })
            .unwrap();
        writer.join().unwrap();
        assert!(!seen.contains(&"meta/z".to_string()), "{seen:?}");
        assert!(store.raw_get(b"meta/z").unwrap().is_some());
    }

    #[test]
    fn skipped_prefixes_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db"), 1 << 20).unwrap();
        for k in ["a/1", "ix/a", "ix/b", "ix0", "m/1", "mx/q/1", "z"] {
            put(&store, k);
        }
        let mut seen = Vec::new();
        store
            .scan_consistent(&["mx/", "ix/"], |k, _| {
                seen.push(String::from_utf8_lossy(k).into_owned());
                Ok::<_, StoreError>(())
            })
            .unwrap();
        assert_eq!(seen, ["a/1", "ix0", "m/1", "meta/schema", "z"]);
    }
}
