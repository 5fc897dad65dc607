use std::path::PathBuf;

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the data directory {0} is already in use by another baton process")]
    Locked(PathBuf),
    #[error("the database in {path} cannot be opened ({reason}); restore the newest backup into a new directory with `baton restore FILE --data NEW_DIR` and start from there")]
    Unopenable { path: PathBuf, reason: String },
    #[error("the database was written by a newer Baton (schema {found}, this build knows {known}); upgrade Baton")]
    NewerSchema { found: u32, known: u32 },
    #[error("{kind} {id} not found")]
    NotFound { kind: &'static str, id: String },
    #[error(
        "{kind} {id} was changed by someone else (expected revision {expected}, found {found})"
    )]
    Conflict {
        kind: &'static str,
        id: u64,
        expected: u64,
        found: u64,
    },
    #[error("{index} '{value}' is already taken")]
    Duplicate { index: String, value: String },
    #[error("stored value is not readable: {0}")]
    Codec(String),
    /// The storage engine failed; its own words, for the log.
    #[error("storage engine error: {0}")]
    Backend(String),
    #[error("disk error in the data directory: {0}")]
    Io(#[from] std::io::Error),
    /// A batch's precondition failed: another writer changed `key` after this write
    /// read it. Only an engine with writers outside this process can report it.
    #[error("{key} was changed by another writer at the same time; try again")]
    Raced { key: String },
    #[error("a writer panicked while holding the write lock")]
    Poisoned,
    #[error("the disk holding the data directory has {} MiB free, below the floor of {} MiB (min_free_disk_mb): free some space; writes are refused until then", free / (1024 * 1024), floor / (1024 * 1024))]
    DiskLow { free: u64, floor: u64 },
    /// A write's own code panicked; nothing of it was applied.
    #[error("internal error while writing; nothing was changed")]
    Panicked(String),
}
