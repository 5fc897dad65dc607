//! Backup and restore in a documented format independent of sled's files
//! (docs/backup-format.md): a gzip stream of JSON lines — one header line carrying the
//! format version, Baton and schema versions, time, counts per kind and a SHA-256 of
//! the entry lines — then one line per stored entry. Sessions are not included.
//!
//! One function makes a backup ([`write_backup`]); the CLI, the admin API/socket and
//! the schedule are its three triggers, and [`BackupRunner`] lets only one run at once.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine;
use chrono::{DateTime, Utc};
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::store::{Store, StoreError, SCHEMA_VERSION};

pub const FORMAT_NAME: &str = "baton-backup";
pub const FORMAT_VERSION: u32 = 1;
pub const FILE_SUFFIX: &str = ".baton-backup.gz";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("not a usable Baton backup: {0}")]
    Corrupt(String),
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
    /// Entries per kind: `user`, `project`, … and `ix/<index>` for index entries.
    pub counts: BTreeMap<String, u64>,
    pub entries: u64,
    /// SHA-256 (hex) of every byte after the header line.
    pub sha256: String,
}

/// One stored entry. `v` holds a JSON value as stored; `b` holds any other bytes as base64.
#[derive(Debug, Serialize, Deserialize)]
struct Line {
    k: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    v: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    b: Option<String>,
}

fn encode_line(key: &[u8], value: &[u8]) -> Result<Vec<u8>, BackupError> {
    let k = String::from_utf8(key.to_vec())
        .map_err(|_| BackupError::Corrupt("non-UTF-8 key in database".into()))?;
    let line = match serde_json::from_slice::<serde_json::Value>(value) {
        Ok(v) => Line {
            k,
            v: Some(v),
            b: None,
        },
        Err(_) => Line {
            k,
            v: None,
            b: Some(base64::engine::general_purpose::STANDARD.encode(value)),
        },
    };
    let mut out = serde_json::to_vec(&line).map_err(|e| BackupError::Corrupt(e.to_string()))?;
    out.push(b'\n');
    Ok(out)
}

fn decode_line(line: &str) -> Result<(Vec<u8>, Vec<u8>), BackupError> {
    let l: Line = serde_json::from_str(line)
        .map_err(|e| BackupError::Corrupt(format!("bad entry line: {e}")))?;
    let value = match (l.v, l.b) {
        (Some(v), None) => {
            serde_json::to_vec(&v).map_err(|e| BackupError::Corrupt(e.to_string()))?
        }
        (None, Some(b)) => base64::engine::general_purpose::STANDARD
            .decode(b)
            .map_err(|e| BackupError::Corrupt(format!("bad base64 value: {e}")))?,
        _ => {
            return Err(BackupError::Corrupt(
                "entry without exactly one of v and b".into(),
            ))
        }
    };
    Ok((l.k.into_bytes(), value))
}

/// Writes a complete backup of `store` to `out`. Entries are spooled to a temporary
/// file in `tmp_dir` first so the header can carry counts and checksum.
pub fn write_backup(
    store: &Store,
    tmp_dir: &Path,
    out: impl Write,
    now: DateTime<Utc>,
) -> Result<Header, BackupError> {
    std::fs::create_dir_all(tmp_dir)?;
    let mut spool = tempfile::tempfile_in(tmp_dir)?;
    let mut hasher = Sha256::new();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut entries = 0u64;
    {
        let mut w = BufWriter::new(&mut spool);
        for item in store.raw_entries() {
            let (k, v) = item?;
            let line = encode_line(&k, &v)?;
            hasher.update(&line);
            w.write_all(&line)?;
            *counts.entry(crate::store::kind_of(&k)).or_default() += 1;
            entries += 1;
        }
        w.flush()?;
    }
    let header = Header {
        format: FORMAT_NAME.into(),
        format_version: FORMAT_VERSION,
        baton_version: env!("CARGO_PKG_VERSION").into(),
        schema_version: SCHEMA_VERSION,
        created_at: now,
        counts,
        entries,
        sha256: hex::encode(hasher.finalize()),
    };
    spool.rewind()?;
    let mut gz = GzEncoder::new(out, Compression::default());
    serde_json::to_writer(&mut gz, &header).map_err(|e| BackupError::Corrupt(e.to_string()))?;
    gz.write_all(b"\n")?;
    std::io::copy(&mut spool, &mut gz)?;
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

fn open_reader(path: &Path) -> Result<(Header, impl BufRead), BackupError> {
    let file = File::open(path)?;
    let mut reader = BufReader::new(GzDecoder::new(BufReader::new(file)));
    let mut first = String::new();
    reader.read_line(&mut first).map_err(|e| {
        BackupError::Corrupt(format!(
            "cannot read the header ({e}); the file is not a gzip Baton backup or is damaged"
        ))
    })?;
    let header: Header = serde_json::from_str(first.trim_end())
        .map_err(|e| BackupError::Corrupt(format!("bad header: {e}")))?;
    if header.format != FORMAT_NAME {
        return Err(BackupError::Corrupt(format!(
            "format is '{}', expected '{FORMAT_NAME}'",
            header.format
        )));
    }
    if header.format_version > FORMAT_VERSION {
        return Err(BackupError::Corrupt(format!(
            "format version {} is newer than this Baton reads ({FORMAT_VERSION}); use Baton {} or later",
            header.format_version, header.baton_version
        )));
    }
    if header.schema_version > SCHEMA_VERSION {
        return Err(BackupError::Corrupt(format!(
            "written by Baton {} with schema {}, newer than this build's {SCHEMA_VERSION}",
            header.baton_version, header.schema_version
        )));
    }
    Ok((header, reader))
}

/// Reads the whole file and checks it against its header without writing anything.
pub fn verify(path: &Path) -> Result<Header, BackupError> {
    let (header, mut reader) = open_reader(path)?;
    let mut hasher = Sha256::new();
    let mut n = 0u64;
    let mut line = String::new();
    loop {
        line.clear();
        let read = reader
            .read_line(&mut line)
            .map_err(|e| BackupError::Corrupt(format!("the file is truncated or damaged ({e})")))?;
        if read == 0 {
            break;
        }
        hasher.update(line.as_bytes());
        decode_line(line.trim_end_matches('\n'))?;
        n += 1;
    }
    // Drain anything the decoder still holds to surface a bad gzip trailer.
    let mut rest = Vec::new();
    reader
        .read_to_end(&mut rest)
        .map_err(|e| BackupError::Corrupt(format!("the file is truncated or damaged ({e})")))?;
    if n != header.entries {
        return Err(BackupError::Corrupt(format!(
            "header says {} entries, file has {n}: truncated?",
            header.entries
        )));
    }
    if hex::encode(hasher.finalize()) != header.sha256 {
        return Err(BackupError::Corrupt(
            "checksum mismatch: the file was altered or damaged".into(),
        ));
    }
    Ok(header)
}

fn dir_is_empty(dir: &Path) -> Result<bool, std::io::Error> {
    match std::fs::read_dir(dir) {
        Ok(mut it) => Ok(it.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e),
    }
}

/// Restores `file` into data directory `data_dir`: verifies it fully, loads it into a
/// new database beside the target, and only then puts it in place. With `force`, an
/// existing database is moved aside (never deleted).
pub fn restore(
    file: &Path,
    data_dir: &Path,
    force: bool,
    now: DateTime<Utc>,
) -> Result<Header, BackupError> {
    let header = verify(file)?;
    if !dir_is_empty(data_dir)? && !force {
        return Err(BackupError::NotEmpty(data_dir.to_path_buf()));
    }
    let db_dir = data_dir.join("db");
    if db_dir.exists() {
        // Refuse while a server holds it: opening takes sled's lock.
        drop(Store::open(&db_dir, 1 << 20)?);
    }
    std::fs::create_dir_all(data_dir)?;
    let staging = data_dir.join(format!("db.restoring-{}", now.format("%Y%m%d%H%M%S")));
    if staging.exists() {
        std::fs::remove_dir_all(&staging)?;
    }
    let result = load_into(file, &staging);
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    if db_dir.exists() {
        let aside = data_dir.join(format!("db.before-restore-{}", now.format("%Y%m%d%H%M%S")));
        std::fs::rename(&db_dir, &aside)?;
        tracing::info!(path = %aside.display(), "moved the existing database aside");
    }
    std::fs::rename(&staging, &db_dir)?;
    Ok(header)
}

fn load_into(file: &Path, db_dir: &Path) -> Result<(), BackupError> {
    let (_, reader) = open_reader(file)?;
    let store = Store::open(db_dir, 16 << 20)?;
    let mut batch = Vec::with_capacity(1000);
    for line in reader.lines() {
        let line = line.map_err(|e| BackupError::Corrupt(e.to_string()))?;
        batch.push(decode_line(&line)?);
        if batch.len() == 1000 {
            store.raw_insert_batch(std::mem::take(&mut batch))?;
        }
    }
    store.raw_insert_batch(batch)?;
    store.flush()?;
    Ok(())
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
mod tests;
