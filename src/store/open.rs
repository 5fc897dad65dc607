//! Opening sled with errors a person can act on instead of panics.

use std::path::Path;

use super::StoreError;

/// Opens the database, waiting up to a second for a lock that is being released: sled
/// lets go of its directory lock from a background thread after the last handle in
/// this process is dropped.
pub fn open_db(dir: &Path, cache_bytes: u64) -> Result<sled::Db, StoreError> {
    let mut attempts = 0;
    loop {
        match open_once(dir, cache_bytes) {
            Err(StoreError::Locked(_)) if attempts < 20 => {
                attempts += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

fn open_once(dir: &Path, cache_bytes: u64) -> Result<sled::Db, StoreError> {
    let config = sled::Config::new()
        .path(dir)
        .cache_capacity(cache_bytes)
        .mode(sled::Mode::LowSpace);
    // sled 0.34 has been seen to panic on damaged files; never let that take the
    // process down without a message saying what to do.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || config.open()));
    match result {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(sled::Error::Io(e)))
            if e.kind() == std::io::ErrorKind::WouldBlock || e.to_string().contains("lock") =>
        {
            Err(StoreError::Locked(dir.to_path_buf()))
        }
        Ok(Err(e)) => Err(StoreError::Unopenable {
            path: dir.to_path_buf(),
            reason: e.to_string(),
        }),
        Err(panic) => {
            let reason = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "sled panicked".into());
            Err(StoreError::Unopenable {
                path: dir.to_path_buf(),
                reason,
            })
        }
    }
}
