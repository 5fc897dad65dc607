//! Whether sled compresses what it writes (zstd), decided per database.
//!
//! Compressing roughly halves the bytes on disk per stored record (the key prefixes and
//! the field names of JSON values repeat from one entry to the next; measure with
//! `cargo bench --bench disk`). But sled fixes the choice when it creates a database and
//! refuses to open one with the other setting ("cannot change compression values across
//! restarts"), so a database keeps what it was created with: new ones compress, those
//! made by a Baton before this one stay uncompressed and open as they are. A backup
//! restored into a new directory gives an old database the compressed layout.

use std::path::Path;

/// zstd level: 3 is zstd's default; higher levels cost write throughput for a few
/// percent less disk.
pub const LEVEL: i32 = 3;

/// sled's record of the settings a database was created with.
const SLED_CONF: &str = "conf";

/// Compress unless `dir` holds a database created without compression.
pub fn wanted(dir: &Path) -> bool {
    match std::fs::read(dir.join(SLED_CONF)) {
        Ok(bytes) => created_with_compression(&bytes).unwrap_or(true),
        // no database yet: a new one compresses
        Err(_) => true,
    }
}

/// The `use_compression: true|false` line of sled's `conf` file (text, then a CRC).
/// `None` when it cannot be read: sled then reports the mismatch itself.
fn created_with_compression(conf: &[u8]) -> Option<bool> {
    String::from_utf8_lossy(conf).lines().find_map(|line| {
        match line.trim().strip_prefix("use_compression:")?.trim() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Store, StoreError};

    #[test]
    fn the_conf_line_is_read() {
        let conf = b"segment_size: 524288\nuse_compression: false\nversion: 0.34\n\x01\x02";
        assert_eq!(created_with_compression(conf), Some(false));
        assert_eq!(
            created_with_compression(b"use_compression: true\n"),
            Some(true)
        );
        assert_eq!(created_with_compression(b"garbage"), None);
    }

    /// A database from the previous release (sled without compression) still opens,
    /// keeps its data, takes writes, and opens again; a new one is compressed.
    #[test]
    fn an_uncompressed_database_from_before_still_opens() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("old");
        {
            // what Baton before this change created
            let db = sled::Config::new()
                .path(&old)
                .mode(sled::Mode::LowSpace)
                .open()
                .unwrap();
            let data = db.open_tree("data").unwrap();
            data.insert("meta/schema", &2u32.to_be_bytes()).unwrap();
            data.insert("meta/next_id", &2u64.to_be_bytes()).unwrap();
            data.insert("thing/0000000000000001", &b"kept"[..]).unwrap();
            db.flush().unwrap();
        }
        assert!(!wanted(&old));
        for round in 0..2 {
            let store = Store::open(&old, 1 << 20).unwrap();
            assert_eq!(
                store.raw_get(b"thing/0000000000000001").unwrap(),
                Some(b"kept".to_vec()),
                "round {round}"
            );
            store
                .write(|tx| {
                    tx.put_meta(b"meta/round", vec![round]);
                    Ok::<_, StoreError>(())
                })
                .unwrap();
        }
        let fresh = dir.path().join("new");
        drop(Store::open(&fresh, 1 << 20).unwrap());
        assert!(wanted(&fresh));
        let conf = std::fs::read(fresh.join(SLED_CONF)).unwrap();
        assert_eq!(created_with_compression(&conf), Some(true));
    }
}
