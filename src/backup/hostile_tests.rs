//! Damaged and hostile backup files: each refused with a clear error, without a panic,
//! without memory growing with the file, and with nothing left in the target.
//!
//! Damage to the file itself and the property test are here; hostile content inside a
//! sound file is in `hostile_content_tests.rs`, a child module over these fixtures.

use std::io::{Read, Write};

use chrono::Utc;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use proptest::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::*;
use crate::actor::Actor;
use crate::org::service::{self as org, NewUser};
use crate::org::Department;

fn seeded() -> (tempfile::TempDir, Store) {
    let (dir, store) = super::tests::store_with_departments(&["Warehouse", "采购部", "Sales"]);
    org::create_user(
        &store,
        &Actor::system(),
        NewUser {
            username: "alice".into(),
            display_name: None,
            email: None,
            department_id: None,
            role: crate::org::Role::Member,
            erp: false,
            language: None,
            password: "password-123".into(),
        },
        Utc::now(),
    )
    .unwrap();
    (dir, store)
}

/// A valid backup's bytes, made once for all the cases of the property test.
fn valid_bytes() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(|| {
        let (dir, store) = seeded();
        std::fs::read(valid_file(dir.path(), &store)).unwrap()
    })
}

fn valid_file(dir: &Path, store: &Store) -> PathBuf {
    let path = dir.join("good.baton-backup.gz");
    write_backup_file(store, &dir.join("tmp"), &path, Utc::now()).unwrap();
    path
}

/// The header (as JSON) and entry lines of a backup file.
fn open_text(path: &Path) -> (Value, Vec<String>) {
    let mut text = String::new();
    GzDecoder::new(File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let mut lines = text.lines().map(str::to_string);
    let header = serde_json::from_str(&lines.next().unwrap()).unwrap();
    (header, lines.collect())
}

fn gz(path: &Path, bytes: &[u8]) {
    let mut enc = GzEncoder::new(File::create(path).unwrap(), Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap();
}

fn write_text(path: &Path, header: &Value, lines: &[String]) {
    let mut text = serde_json::to_string(header).unwrap();
    text.push('\n');
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    gz(path, text.as_bytes());
}

/// Makes the header agree with `lines` again (entries, counts, size, checksum), so a
/// change inside a line reaches the checks behind the checksum.
fn reseal(header: &mut Value, lines: &[String]) {
    let mut hasher = Sha256::new();
    let mut counts = BTreeMap::new();
    let mut bytes = 0u64;
    for l in lines {
        hasher.update(l.as_bytes());
        hasher.update(b"\n");
        bytes += l.len() as u64 + 1;
        let key = serde_json::from_str::<Value>(l)
            .ok()
            .and_then(|v| v["k"].as_str().map(str::to_string))
            .unwrap_or_default();
        *counts
            .entry(crate::store::kind_of(key.as_bytes()))
            .or_insert(0u64) += 1;
    }
    header["entries"] = lines.len().into();
    header["bytes"] = bytes.into();
    header["counts"] = serde_json::to_value(counts).unwrap();
    header["sha256"] = hex::encode(hasher.finalize()).into();
}

/// Restores `file` into a fresh directory, expecting a refusal that names `expect`;
/// nothing may be left behind.
fn refused(file: &Path, expect: &str) {
    let work = tempfile::tempdir().unwrap();
    let target = work.path().join("data");
    match restore(file, &target, false, Utc::now()) {
        Err(BackupError::Corrupt(m)) => assert!(m.contains(expect), "'{expect}' not in: {m}"),
        other => panic!("expected a refusal naming '{expect}', got {other:?}"),
    }
    assert!(!target.exists(), "restore left {target:?} behind");
}

#[test]
fn empty_and_random_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    refused(&empty, "empty");
    let empty_gz = dir.path().join("empty.gz");
    gz(&empty_gz, b"");
    refused(&empty_gz, "empty");
    let random = dir.path().join("random");
    let bytes: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(&random, bytes).unwrap();
    refused(&random, "damaged");
    let text = dir.path().join("text.gz");
    gz(&text, b"hello\nworld\n");
    refused(&text, "bad header");
}

#[test]
fn truncated_and_bit_flipped_files_are_refused() {
    let (dir, store) = seeded();
    let path = valid_file(dir.path(), &store);
    let bytes = std::fs::read(&path).unwrap();
    for cut in [10, bytes.len() / 2, bytes.len() - 4] {
        let p = dir.path().join(format!("cut{cut}"));
        std::fs::write(&p, &bytes[..cut]).unwrap();
        refused(&p, "");
    }
    // every single-bit flip past the gzip header is caught somewhere, unless it hit
    // padding bits of the last compressed byte and so changed nothing
    let original = open_text(&path);
    for at in (12..bytes.len()).step_by(7) {
        let mut b = bytes.clone();
        b[at] ^= 0x10;
        let p = dir.path().join("flip");
        std::fs::write(&p, &b).unwrap();
        if verify(&p).is_ok() {
            assert_eq!(open_text(&p), original, "flip at {at} went unnoticed");
        }
    }
}

#[test]
fn wrong_versions_are_refused() {
    let (dir, store) = seeded();
    let path = valid_file(dir.path(), &store);
    let (header, lines) = open_text(&path);
    let p = dir.path().join("v");
    for (field, value, expect) in [
        ("format_version", 99, "newer than this Baton reads"),
        ("format_version", 0, "version 0"),
        ("schema_version", 99, "newer than this build"),
    ] {
        let mut h = header.clone();
        h[field] = value.into();
        write_text(&p, &h, &lines);
        refused(&p, expect);
    }
    let mut h = header.clone();
    h["format"] = "zip".into();
    write_text(&p, &h, &lines);
    refused(&p, "expected 'baton-backup'");
    let mut h = header;
    h.as_object_mut().unwrap().remove("bytes");
    write_text(&p, &h, &lines);
    refused(&p, "size of its entries");
}

#[test]
fn checksum_and_count_mismatches_are_refused() {
    let (dir, store) = seeded();
    let path = valid_file(dir.path(), &store);
    let (header, lines) = open_text(&path);
    let p = dir.path().join("c");
    let altered: Vec<String> = lines.iter().map(|l| l.replace("Sales", "Salez")).collect();
    write_text(&p, &header, &altered);
    refused(&p, "checksum");

    let mut h = header.clone();
    h["counts"]["department"] = 9.into();
    write_text(&p, &h, &lines);
    refused(&p, "add up");

    let mut h = header.clone();
    h["counts"]["department"] = 2.into();
    h["counts"]["meta"] = (header["counts"]["meta"].as_u64().unwrap() + 1).into();
    write_text(&p, &h, &lines);
    refused(&p, "more 'department' entries");

    let mut h = header.clone();
    h["entries"] = (lines.len() + 1).into();
    h["counts"]["department"] = 4.into();
    write_text(&p, &h, &lines);
    refused(&p, "truncated?");

    let mut h = header.clone();
    h["bytes"] = 10.into();
    write_text(&p, &h, &lines);
    refused(&p, "bytes the header announces");

    write_text(&p, &header, &lines[..lines.len() - 1]);
    refused(&p, "");
}

#[test]
fn overlong_lines_and_bombs_stop_at_the_limit() {
    let (dir, store) = seeded();
    let path = valid_file(dir.path(), &store);
    let (header, lines) = open_text(&path);
    let head = format!("{}\n", serde_json::to_string(&header).unwrap());
    let p = dir.path().join("bomb");
    // 64 MiB of zeros without a line break after a valid header: a gzip bomb of
    // ~64 KiB. Refused once MAX_LINE is passed, not after reading it all.
    {
        let mut enc = GzEncoder::new(File::create(&p).unwrap(), Compression::fast());
        enc.write_all(head.as_bytes()).unwrap();
        let zeros = vec![b'0'; 1 << 20];
        for _ in 0..64 {
            enc.write_all(&zeros).unwrap();
        }
        enc.finish().unwrap();
    }
    assert!(std::fs::metadata(&p).unwrap().len() < 1 << 20);
    refused(&p, "longer than");
    // an overlong header
    gz(&p, &vec![b'{'; MAX_HEADER_LINE + 10]);
    refused(&p, "longer than");
    // valid lines repeated past the header's count
    let mut many = lines.clone();
    for _ in 0..1000 {
        many.push(lines[0].clone());
    }
    write_text(&p, &header, &many);
    refused(&p, "");
}

/// One mutation of a valid file.
#[derive(Debug, Clone)]
enum Mutation {
    /// Flip bits in the compressed bytes.
    Compressed { at: usize, bits: u8 },
    /// Cut the compressed file.
    Cut { at: usize },
    /// Change one decompressed byte, then make the header agree again (or not).
    Text { at: usize, byte: u8, reseal: bool },
    /// Remove a span of decompressed text, then reseal.
    Remove { at: usize, len: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(at, bits)| Mutation::Compressed { at, bits }),
        any::<usize>().prop_map(|at| Mutation::Cut { at }),
        (any::<usize>(), any::<u8>(), any::<bool>())
            .prop_map(|(at, byte, reseal)| Mutation::Text { at, byte, reseal }),
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Remove { at, len }),
    ]
}

fn apply(m: &Mutation, compressed: &[u8], dir: &Path) -> PathBuf {
    let p = dir.join("mutated.gz");
    match *m {
        Mutation::Compressed { at, bits } => {
            let mut b = compressed.to_vec();
            let at = at % b.len();
            b[at] ^= bits;
            std::fs::write(&p, b).unwrap();
        }
        Mutation::Cut { at } => std::fs::write(&p, &compressed[..at % compressed.len()]).unwrap(),
        Mutation::Text { .. } | Mutation::Remove { .. } => {
            let mut text = Vec::new();
            GzDecoder::new(compressed).read_to_end(&mut text).unwrap();
            let split = text.iter().position(|b| *b == b'\n').unwrap() + 1;
            let mut body = text.split_off(split);
            let (at, reseal_it) = match *m {
                Mutation::Text { at, byte, reseal } => {
                    let at = at % body.len();
                    body[at] = byte;
                    (at, reseal)
                }
                Mutation::Remove { at, len } => {
                    let at = at % body.len();
                    let end = (at + len).min(body.len());
                    body.drain(at..end);
                    (at, true)
                }
                _ => unreachable!(),
            };
            let _ = at;
            let mut header: Value = serde_json::from_slice(&text).unwrap();
            if reseal_it {
                let s = String::from_utf8_lossy(&body).into_owned();
                let lines: Vec<String> = s.lines().map(str::to_string).collect();
                reseal(&mut header, &lines);
                write_text(&p, &header, &lines);
            } else {
                let mut all = serde_json::to_vec(&header).unwrap();
                all.push(b'\n');
                all.extend_from_slice(&body);
                gz(&p, &all);
            }
        }
    }
    p
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Whatever a file holds: no panic; a refusal leaves nothing behind; what restore
    /// accepts is a whole database.
    #[test]
    fn mutated_files_are_refused_or_restore_whole(m in mutation()) {
        let dir = tempfile::tempdir().unwrap();
        let p = apply(&m, valid_bytes(), dir.path());
        let target = dir.path().join("target");
        match restore(&p, &target, false, Utc::now()) {
            Ok(_) => {
                let restored = Store::open(&target.join("db"), 1 << 20).unwrap();
                prop_assert!(check::check(&restored).is_ok());
            }
            Err(BackupError::Corrupt(_)) => prop_assert!(!target.exists()),
            Err(e) => prop_assert!(false, "unexpected error {e:?}"),
        }
    }
}

#[path = "hostile_content_tests.rs"]
mod content;
