//! Rebuilding one non-unique index from its records, for schema steps that change
//! what an index holds. Idempotent: a step interrupted half-way runs again whole at
//! the next open (its schema version was not recorded).

use super::backend::KeyRange;
use super::keys::{kind_prefix, multi_key};
use super::{decode, Record, Store, StoreError};

/// Entries per write: bounded memory on any database size.
const CHUNK: usize = 1000;

impl Store {
    /// Removes every entry of non-unique index `index`, [`CHUNK`] per write so no
    /// batch grows with the database: for schema steps that retire an index.
    pub fn drop_multi_index(&self, index: &str) -> Result<(), StoreError> {
        let prefix = format!("mx/{index}/");
        loop {
            let stale = self
                .scan(KeyRange::prefix(prefix.as_bytes()), false)
                .take(CHUNK)
                .map(|item| item.map(|(k, _)| k))
                .collect::<Result<Vec<_>, _>>()?;
            if stale.is_empty() {
                return Ok(());
            }
            self.write(|tx| {
                for key in stale {
                    tx.remove_raw(key);
                }
                Ok::<_, StoreError>(())
            })?;
        }
    }

    /// Drops every entry of `index` and writes it again from the records of kind `R`;
    /// returns how many entries it wrote.
    pub fn rebuild_multi_index<R: Record>(&self, index: &str) -> Result<usize, StoreError> {
        self.drop_multi_index(index)?;
        let mut written = 0;
        let mut pending: Vec<Vec<u8>> = Vec::new();
        let flush = |pending: &mut Vec<Vec<u8>>| {
            let keys = std::mem::take(pending);
            self.write(|tx| {
                for key in keys {
                    tx.put_raw(key, Vec::new());
                }
                Ok::<_, StoreError>(())
            })
        };
        for item in self.scan_uncached(KeyRange::prefix(kind_prefix(R::KIND)), false) {
            let (_, value) = item?;
            let record: R = decode(&value)?;
            for (name, value) in record.multi_keys() {
                if name == index {
                    pending.push(multi_key(index, &value, record.id()));
                    written += 1;
                }
            }
            if pending.len() >= CHUNK {
                flush(&mut pending)?;
            }
        }
        flush(&mut pending)?;
        Ok(written)
    }
}
