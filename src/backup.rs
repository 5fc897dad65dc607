//! Backup and restore in a documented format independent of the storage engine's files
//! (docs/backup-format.md): a gzip stream of JSON lines — one header line carrying the
//! format version, Baton and schema versions, time, counts per kind, size and a
//! SHA-256 of the entry lines — then one line per stored record or bookkeeping entry.
//! Index entries and sessions are not included: restore rebuilds the indexes.
//!
//! One function makes a backup ([`write_backup`]); the CLI, the admin API/socket and
//! the schedule are its three triggers, and [`BackupRunner`] lets only one run at once.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine;
use chrono::{DateTime, Utc};
use flate2::write::GzEncoder;
use flate2::Compression;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::store::{Store, StoreError, SCHEMA_VERSION};

pub mod check;
pub mod kinds;
mod reader;
mod restore;

pub use reader::verify;
pub use restore::restore;

pub const FORMAT_NAME: &str = "baton-backup";
/// 2: records only (indexes and the id counter are rebuilt on restore), entry size in
/// the header. 1: also index entries; still restored, its index lines dropped.
pub const FORMAT_VERSION: u32 = 2;
pub const FILE_SUFFIX: &str = ".baton-backup.gz";
/// The longest entry line a backup may hold. Restore refuses a longer one as soon as
/// it passes this, and a backup refuses to write one, so every backup written can be
/// restored. Records are bounded far below it by the request body limit.
pub const MAX_LINE: usize = 4 << 20;
/// The longest header line.
pub const MAX_HEADER_LINE: usize = 64 << 10;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("not a usable Baton backup: {0}")]
    Corrupt(String),
    #[error("entry '{key}' takes {bytes} bytes, more than a backup line may hold ({MAX_LINE}); the backup was not written")]
    EntryTooLarge { key: String, bytes: usize },
    #[error("{0}; restore could not read it back, so the backup was not written")]
    Unrestorable(String),
    #[error("{0} already exists; choose another file name")]
    Exists(PathBuf),
    #[error("{0} is not empty; restore into an empty directory or pass --force to move the existing database aside")]
    NotEmpty(PathBuf),
    #[error("a backup is already running")]
    Busy,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Header {
    pub format: String,
    pub format_version: u32,
    pub baton_version: String,
    pub schema_version: u32,
    pub created_at: DateTime<Utc>,
    /// Entries per kind: `user`, `project`, …, `meta` for bookkeeping (and in version 1
    /// `ix/<index>` for index entries).
    pub counts: BTreeMap<String, u64>,
    pub entries: u64,
    /// Bytes of all entry lines together (version 2 on): restore stops reading there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// SHA-256 (hex) of every byte after the header line.
    pub sha256: String,
}

/// Key prefixes of what is derived from records (the index entries) and rebuilt on
/// restore: backing them up would only let a backup disagree with itself.
const DERIVED: &[&str] = &["ix/", "mx/"];

/// `{"k":KEY,"v":VALUE}` with the stored JSON value as it is, or `{"k":KEY,"b":BASE64}`
/// for a value that is not JSON on one line (counters, ids).
fn encode_line(key: &[u8], value: &[u8], out: &mut Vec<u8>) -> Result<(), BackupError> {
    let k = std::str::from_utf8(key)
        .map_err(|_| BackupError::Corrupt("non-UTF-8 key in database".into()))?;
    out.clear();
    out.extend_from_slice(b"{\"k\":");
    serde_json::to_writer(&mut *out, k).map_err(|e| BackupError::Corrupt(e.to_string()))?;
    let is_json =
        !value.contains(&b'\n') && serde_json::from_slice::<serde::de::IgnoredAny>(value).is_ok();
    if is_json {
        out.extend_from_slice(b",\"v\":");
        out.extend_from_slice(value);
    } else {
        out.extend_from_slice(b",\"b\":\"");
        out.extend_from_slice(
            base64::engine::general_purpose::STANDARD
                .encode(value)
                .as_bytes(),
        );
        out.push(b'"');
    }
    out.extend_from_slice(b"}\n");
    if out.len() > MAX_LINE {
        return Err(BackupError::EntryTooLarge {
            key: reader::shown(k),
            bytes: out.len(),
        });
    }
    // What restore would refuse to decode is refused here, while it can be fixed.
    if !k.starts_with("meta/") {
        kinds::check_decode_cost(value)
            .map_err(|e| BackupError::Unrestorable(format!("entry '{}': {e}", reader::shown(k))))?;
    }
    Ok(())
}

/// Calls `each` with every entry of a spool file written by [`spool_consistent`].
fn each_spooled(
    spool: &mut File,
    mut each: impl FnMut(&[u8], &[u8]) -> Result<(), BackupError>,
) -> Result<(), BackupError> {
    spool.rewind()?;
    let mut r = BufReader::new(&mut *spool);
    let (mut k, mut v) = (Vec::new(), Vec::new());
    let mut len = [0u8; 8];
    loop {
        match r.read_exact(&mut len[..4]) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        r.read_exact(&mut len[4..])?;
        let [a, b, c, d, e, f, g, h] = len;
        let klen = u32::from_be_bytes([a, b, c, d]) as usize;
        let vlen = u32::from_be_bytes([e, f, g, h]) as usize;
        k.resize(klen, 0);
        v.resize(vlen, 0);
        r.read_exact(&mut k)?;
        r.read_exact(&mut v)?;
        each(&k, &v)?;
    }
}

/// Copies every record and bookkeeping entry, as of one moment, to a spool file: the
/// writer lock is held only for this raw copy.
fn spool_consistent(store: &Store, tmp_dir: &Path) -> Result<File, BackupError> {
    std::fs::create_dir_all(tmp_dir)?;
    let mut spool = tempfile::tempfile_in(tmp_dir)?;
    let started = std::time::Instant::now();
    {
        let mut w = BufWriter::new(&mut spool);
        store.scan_consistent(DERIVED, |k, v| {
            let too_long = |_| BackupError::EntryTooLarge {
                key: reader::shown(&String::from_utf8_lossy(k)),
                bytes: v.len(),
            };
            w.write_all(&u32::try_from(k.len()).map_err(too_long)?.to_be_bytes())?;
            w.write_all(&u32::try_from(v.len()).map_err(too_long)?.to_be_bytes())?;
            w.write_all(k)?;
            w.write_all(v)?;
            Ok::<_, BackupError>(())
        })?;
        w.flush()?;
    }
    // Writes wait this long: worth seeing when the database grows.
    tracing::info!(
        writes_paused_ms = started.elapsed().as_millis() as u64,
        "backup copied the records"
    );
    Ok(spool)
}

/// Writes a complete backup of `store` to `out`: a consistent copy of its records
/// taken under the writer lock into a spool file in `tmp_dir`, then, with writes going
/// on again, one pass for the header's counts, size and checksum and one to compress.
pub fn write_backup(
    store: &Store,
    tmp_dir: &Path,
    out: impl Write,
    now: DateTime<Utc>,
) -> Result<Header, BackupError> {
    let mut spool = spool_consistent(store, tmp_dir)?;
    let mut hasher = Sha256::new();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let (mut entries, mut bytes) = (0u64, 0u64);
    let mut line = Vec::new();
    each_spooled(&mut spool, |k, v| {
        encode_line(k, v, &mut line)?;
        hasher.update(&line);
        *counts.entry(crate::store::kind_of(k)).or_default() += 1;
        entries += 1;
        bytes += line.len() as u64;
        Ok(())
    })?;
    let header = Header {
        format: FORMAT_NAME.into(),
        format_version: FORMAT_VERSION,
        baton_version: env!("CARGO_PKG_VERSION").into(),
        schema_version: SCHEMA_VERSION,
        created_at: now,
        counts,
        entries,
        bytes: Some(bytes),
        sha256: hex::encode(hasher.finalize()),
    };
    let mut gz = GzEncoder::new(out, Compression::default());
    serde_json::to_writer(&mut gz, &header).map_err(|e| BackupError::Corrupt(e.to_string()))?;
    gz.write_all(b"\n")?;
    each_spooled(&mut spool, |k, v| {
        encode_line(k, v, &mut line)?;
        gz.write_all(&line)?;
        Ok(())
    })?;
    gz.finish()?.flush()?;
    Ok(header)
}

/// Writes a backup to `path` through a temporary file and a rename, never over an
/// existing file.
pub fn write_backup_file(
    store: &Store,
    tmp_dir: &Path,
    path: &Path,
    now: DateTime<Utc>,
) -> Result<Header, BackupError> {
    if path.exists() {
        return Err(BackupError::Exists(path.to_path_buf()));
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = tempfile::NamedTempFile::new_in(dir)?;
    let header = write_backup(store, tmp_dir, BufWriter::new(tmp.as_file()), now)?;
    tmp.as_file().sync_all()?;
    tmp.persist_noclobber(path).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            BackupError::Exists(path.to_path_buf())
        } else {
            BackupError::Io(e.error)
        }
    })?;
    Ok(header)
}

/// Summary of a backup file in the backup directory.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BackupFile {
    pub name: String,
    pub size: u64,
    pub created_at: DateTime<Utc>,
}

/// The one place backups are started from, so only one runs at a time.
pub struct BackupRunner {
    store: Store,
    tmp_dir: PathBuf,
    dir: PathBuf,
    keep: usize,
    running: Mutex<()>,
}

impl BackupRunner {
    pub fn new(store: Store, tmp_dir: PathBuf, dir: PathBuf, keep: usize) -> Self {
        BackupRunner {
            store,
            tmp_dir,
            dir,
            keep,
            running: Mutex::new(()),
        }
    }

    fn guard(&self) -> Result<std::sync::MutexGuard<'_, ()>, BackupError> {
        self.running.try_lock().map_err(|_| BackupError::Busy)
    }

    /// Streams a backup to `out` (the admin socket's `baton backup`).
    pub fn stream(&self, out: impl Write, now: DateTime<Utc>) -> Result<Header, BackupError> {
        let _g = self.guard()?;
        write_backup(&self.store, &self.tmp_dir, out, now)
    }

    /// Writes a new file in the backup directory and prunes old ones beyond `keep`.
    pub fn to_backup_dir(&self, now: DateTime<Utc>) -> Result<(PathBuf, Header), BackupError> {
        let _g = self.guard()?;
        let name = format!("baton-{}{FILE_SUFFIX}", now.format("%Y%m%d-%H%M%S%.3f"));
        let path = self.dir.join(name);
        let header = write_backup_file(&self.store, &self.tmp_dir, &path, now)?;
        self.prune()?;
        Ok((path, header))
    }

    pub fn list(&self) -> Result<Vec<BackupFile>, BackupError> {
        let mut out = Vec::new();
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e.into()),
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.ends_with(FILE_SUFFIX) {
                continue;
            }
            let meta = entry.metadata()?;
            let created_at: DateTime<Utc> = meta
                .modified()
                .map(DateTime::<Utc>::from)
                .unwrap_or_else(|_| Utc::now());
            out.push(BackupFile {
                name,
                size: meta.len(),
                created_at,
            });
        }
        out.sort_by(|a, b| b.name.cmp(&a.name));
        Ok(out)
    }

    fn prune(&self) -> Result<(), BackupError> {
        for old in self.list()?.into_iter().skip(self.keep) {
            std::fs::remove_file(self.dir.join(&old.name))?;
            tracing::info!(file = %old.name, "removed old backup");
        }
        Ok(())
    }
}

#[cfg(test)]
mod hostile_tests;
#[cfg(test)]
mod tests;
