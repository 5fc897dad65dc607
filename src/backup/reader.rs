//! Reading a backup file with bounded memory, whatever the file holds.
//!
//! The file is streamed: one line at a time, each at most [`MAX_LINE`] bytes (a longer
//! line is refused as soon as the limit is passed, not after it was read), and the
//! whole stream at most what the header announces. Every line is checked as it is
//! read — keys in strictly ascending order, known kinds, records that decode — so a
//! damaged or hostile file is refused with a message saying what is wrong, and nothing
//! about it can make a reader hold more than a few lines.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use base64::Engine;
use flate2::read::GzDecoder;
use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use super::kinds::{self, Claims};
use super::{BackupError, Header, FORMAT_NAME, FORMAT_VERSION, MAX_HEADER_LINE, MAX_LINE};
use crate::store::SCHEMA_VERSION;

/// The highest id a backup may hold: ids are handed out from 1 up, and above 2^53 they
/// would no longer be exact as JSON numbers in the web UI, so a higher one is damage
/// (and a counter near `u64::MAX` would overflow at the next insert).
pub(crate) const MAX_ID: u64 = 1 << 53;

/// One entry line as stored. `v` is kept as the raw JSON text: restore writes it back
/// byte for byte and never builds a generic JSON tree from it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LineIn<'a> {
    #[serde(borrow)]
    k: Cow<'a, str>,
    #[serde(borrow, default)]
    v: Option<&'a RawValue>,
    #[serde(borrow, default)]
    b: Option<Cow<'a, str>>,
}

/// What an entry line holds, checked.
pub(crate) enum Entry {
    /// Bookkeeping such as `meta/schema` and `meta/next_id`.
    Meta { key: Vec<u8>, value: Vec<u8> },
    /// A record of a known kind, with the index entries it claims.
    Record {
        key: Vec<u8>,
        value: Vec<u8>,
        claims: Claims,
    },
    /// An index entry of a version-1 file: indexes are rebuilt, so it is dropped.
    OldIndex,
}

/// Shortens text from a file for an error message.
pub(crate) fn shown(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let cut: String = s.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

fn corrupt(msg: impl Into<String>) -> BackupError {
    BackupError::Corrupt(msg.into())
}

/// Reads one line into `buf` (without its `\n`), refusing it once it passes `max`
/// bytes. Returns false at the end of the stream; a last line without `\n` is an error
/// because a whole file always ends with one.
fn read_line_bounded(
    r: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
    what: &str,
) -> Result<bool, BackupError> {
    buf.clear();
    loop {
        let chunk = r.fill_buf().map_err(damaged)?;
        if chunk.is_empty() {
            if buf.is_empty() {
                return Ok(false);
            }
            return Err(corrupt(format!(
                "the {what} ends without a line break: the file is truncated"
            )));
        }
        let (take, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        if buf.len().saturating_add(take) > max {
            return Err(corrupt(format!(
                "a {what} is longer than {max} bytes, the most a backup line may hold"
            )));
        }
        buf.extend_from_slice(&chunk[..take]);
        r.consume(if done { take + 1 } else { take });
        if done {
            return Ok(true);
        }
    }
}

fn damaged(e: std::io::Error) -> BackupError {
    corrupt(format!(
        "the file is truncated or damaged ({e}); it is not a whole gzip Baton backup"
    ))
}

/// A checked stream of the entries of one backup file.
pub(crate) struct EntryReader {
    inner: Box<dyn BufRead>,
    pub header: Header,
    hasher: Sha256,
    buf: Vec<u8>,
    /// The key of the previous line: keys must rise strictly, in the store's key order.
    last_key: Vec<u8>,
    lines: u64,
    bytes: u64,
    max_bytes: u64,
    counts: BTreeMap<String, u64>,
}

impl EntryReader {
    /// Opens `path` and reads and checks its header.
    pub fn open(path: &Path) -> Result<Self, BackupError> {
        let file = File::open(path)?;
        if file.metadata()?.len() == 0 {
            return Err(corrupt("the file is empty"));
        }
        let mut inner: Box<dyn BufRead> = Box::new(BufReader::with_capacity(
            64 * 1024,
            GzDecoder::new(BufReader::new(file)),
        ));
        // Reserved once: growing it line by line would copy and leave freed blocks behind.
        let mut buf = Vec::with_capacity(MAX_LINE);
        if !read_line_bounded(&mut inner, &mut buf, MAX_HEADER_LINE, "header line")? {
            return Err(corrupt("the file is empty"));
        }
        let header: Header =
            serde_json::from_slice(&buf).map_err(|e| corrupt(format!("bad header: {e}")))?;
        check_header(&header)?;
        let max_bytes = match header.bytes {
            Some(b) => b,
            // Version 1 did not record its size: bound it by its line count.
            None => header.entries.saturating_mul(MAX_LINE as u64 + 1),
        };
        Ok(EntryReader {
            inner,
            header,
            hasher: Sha256::new(),
            buf,
            last_key: Vec::new(),
            lines: 0,
            bytes: 0,
            max_bytes,
            counts: BTreeMap::new(),
        })
    }

    /// The next entry, checked; `None` at the end of the file.
    pub fn next_entry(&mut self) -> Result<Option<Entry>, BackupError> {
        if !read_line_bounded(&mut self.inner, &mut self.buf, MAX_LINE, "line")? {
            return Ok(None);
        }
        self.lines += 1;
        if self.lines > self.header.entries {
            return Err(corrupt(format!(
                "the file holds more entries than the {} its header announces",
                self.header.entries
            )));
        }
        let len = self.buf.len() as u64 + 1;
        self.bytes = self.bytes.saturating_add(len);
        if self.bytes > self.max_bytes {
            return Err(corrupt(format!(
                "the entries run past the {} bytes the header announces",
                self.max_bytes
            )));
        }
        self.hasher.update(&self.buf);
        self.hasher.update(b"\n");
        let line_no = self.lines + 1;
        let line: LineIn<'_> = serde_json::from_slice(&self.buf)
            .map_err(|e| corrupt(format!("line {line_no} is not a backup entry: {e}")))?;
        let key = line.k.as_bytes().to_vec();
        if key.as_slice() <= self.last_key.as_slice() {
            return Err(corrupt(format!(
                "line {line_no}: key '{}' is out of order or repeated",
                shown(&line.k)
            )));
        }
        let value = match (line.v, line.b) {
            (Some(v), None) => v.get().as_bytes().to_vec(),
            (None, Some(b)) => base64::engine::general_purpose::STANDARD
                .decode(b.as_bytes())
                .map_err(|e| corrupt(format!("line {line_no}: bad base64 value: {e}")))?,
            _ => {
                return Err(corrupt(format!(
                    "line {line_no}: an entry has exactly one of \"v\" and \"b\""
                )))
            }
        };
        let entry = self.classify(&line.k, key.clone(), value, line_no)?;
        let counted = crate::store::kind_of(&key);
        let announced = self.header.counts.get(&counted).copied();
        let n = self.counts.entry(counted).or_default();
        *n += 1;
        if announced.is_none_or(|a| *n > a) {
            return Err(corrupt(format!(
                "line {line_no}: more '{}' entries than the header counts",
                shown(&crate::store::kind_of(&key))
            )));
        }
        self.last_key = key;
        Ok(Some(entry))
    }

    fn classify(
        &self,
        k: &str,
        key: Vec<u8>,
        value: Vec<u8>,
        line_no: u64,
    ) -> Result<Entry, BackupError> {
        let Some((prefix, rest)) = k.split_once('/') else {
            return Err(corrupt(format!(
                "line {line_no}: key '{}' has no kind",
                shown(k)
            )));
        };
        match prefix {
            "meta" => Ok(Entry::Meta { key, value }),
            "ix" | "mx" if self.header.format_version == 1 => Ok(Entry::OldIndex),
            "ix" | "mx" => Err(corrupt(format!(
                "line {line_no}: index entry '{}' in a version {} backup, which holds records only",
                shown(k),
                self.header.format_version
            ))),
            _ => {
                let kind = kinds::find(prefix).ok_or_else(|| {
                    corrupt(format!(
                        "line {line_no}: '{}' is not a kind of record this Baton knows",
                        shown(prefix)
                    ))
                })?;
                let id = (rest.len() == 16)
                    .then(|| u64::from_str_radix(rest, 16).ok())
                    .flatten()
                    .filter(|id| (1..=MAX_ID).contains(id))
                    .ok_or_else(|| {
                        corrupt(format!(
                            "line {line_no}: key '{}' does not end in a record id",
                            shown(k)
                        ))
                    })?;
                let claims = kind.claims(&value).map_err(|e| {
                    corrupt(format!(
                        "line {line_no}: record '{}' does not read: {e}",
                        shown(k)
                    ))
                })?;
                if claims.id != id {
                    return Err(corrupt(format!(
                        "line {line_no}: record '{}' says its id is {}",
                        shown(k),
                        claims.id
                    )));
                }
                Ok(Entry::Record { key, value, claims })
            }
        }
    }

    /// Checks the end of the file against the header: entry count, counts per kind,
    /// size and checksum.
    pub fn finish(mut self) -> Result<Header, BackupError> {
        // Anything after the last line means the file is not what was written.
        let mut rest = [0u8; 1];
        if self.inner.read(&mut rest).map_err(damaged)? != 0 {
            return Err(corrupt("data after the last entry"));
        }
        let h = &self.header;
        if self.lines != h.entries {
            return Err(corrupt(format!(
                "the header announces {} entries, the file holds {}: truncated?",
                h.entries, self.lines
            )));
        }
        for (kind, n) in &h.counts {
            let found = self.counts.get(kind).copied().unwrap_or(0);
            if found != *n {
                return Err(corrupt(format!(
                    "the header counts {n} '{}' entries, the file holds {found}",
                    shown(kind)
                )));
            }
        }
        if h.bytes.is_some_and(|b| b != self.bytes) {
            return Err(corrupt(format!(
                "the header announces {} bytes of entries, the file holds {}",
                h.bytes.unwrap_or(0),
                self.bytes
            )));
        }
        if hex::encode(self.hasher.finalize()) != h.sha256 {
            return Err(corrupt(
                "checksum mismatch: the file was altered or damaged",
            ));
        }
        Ok(self.header)
    }
}

fn check_header(h: &Header) -> Result<(), BackupError> {
    if h.format != FORMAT_NAME {
        return Err(corrupt(format!(
            "format is '{}', expected '{FORMAT_NAME}'",
            shown(&h.format)
        )));
    }
    if h.format_version > FORMAT_VERSION {
        return Err(corrupt(format!(
            "format version {} is newer than this Baton reads ({FORMAT_VERSION}); use Baton {} or later",
            h.format_version,
            shown(&h.baton_version)
        )));
    }
    if h.format_version == 0 {
        return Err(corrupt("format version 0 does not exist"));
    }
    if h.format_version >= 2 && h.bytes.is_none() {
        return Err(corrupt(
            "the header does not announce the size of its entries",
        ));
    }
    if h.schema_version > SCHEMA_VERSION {
        return Err(corrupt(format!(
            "written by Baton {} with schema {}, newer than this build's {SCHEMA_VERSION}",
            shown(&h.baton_version),
            h.schema_version
        )));
    }
    let total = h
        .counts
        .values()
        .try_fold(0u64, |acc, n| acc.checked_add(*n))
        .ok_or_else(|| corrupt("the header's counts do not add up"))?;
    if total != h.entries {
        return Err(corrupt(format!(
            "the header's counts add up to {total}, not to its {} entries",
            h.entries
        )));
    }
    Ok(())
}

/// Reads the whole file and checks it without writing anything.
pub fn verify(path: &Path) -> Result<Header, BackupError> {
    let mut reader = EntryReader::open(path)?;
    while reader.next_entry()?.is_some() {}
    reader.finish()
}
