//! One process per data directory, told apart by a lock of our own rather than by
//! the wording of the engine's error.
//!
//! sled locks its files too, but says so only in an error message; this lock answers
//! "in use by another process" from the operating system's own answer (an advisory
//! `flock`, released by the OS when the process ends, however it ends). It is taken
//! before the engine opens, and held for as long as the [`super::Store`] lives.

use std::fs::{File, OpenOptions};
use std::path::Path;

use fs4::FileExt;

use super::StoreError;

/// The lock file inside the database directory.
pub const LOCK_FILE: &str = "baton.lock";

/// Takes the directory's lock, creating the directory and its lock file if needed.
pub fn acquire(dir: &Path) -> Result<File, StoreError> {
    let unopenable = |e: std::io::Error| StoreError::Unopenable {
        path: dir.to_path_buf(),
        reason: format!("cannot create its lock file: {e}"),
    };
    std::fs::create_dir_all(dir).map_err(unopenable)?;
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(LOCK_FILE))
        .map_err(unopenable)?;
    // Called as the trait's function: newer Rust has an inherent `File::try_lock`
    // with another error type, which method syntax would pick instead.
    match FileExt::try_lock(&file) {
        Ok(()) => Ok(file),
        Err(fs4::TryLockError::WouldBlock) => Err(StoreError::Locked(dir.to_path_buf())),
        Err(fs4::TryLockError::Error(e)) => Err(unopenable(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_in_use_and_a_released_one_is_free() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let held = acquire(&path).unwrap();
        assert!(matches!(acquire(&path), Err(StoreError::Locked(_))));
        drop(held);
        // released at once (no background thread, unlike sled's own lock)
        acquire(&path).unwrap();
    }
}
