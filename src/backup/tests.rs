use std::io::Write;

use flate2::read::GzDecoder;

use chrono::Utc;

use super::*;
use crate::actor::Actor;
use crate::org::service::{self as org, NewDepartment};
use crate::org::Department;

fn seeded() -> (tempfile::TempDir, Store) {
    store_with_departments(&["Warehouse", "采购部"])
}

/// A fresh store holding departments of these names (the backup tests' data).
pub(super) fn store_with_departments(names: &[&str]) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db"), 1 << 20).unwrap();
    for name in names {
        org::create_department(
            &store,
            &Actor::system(),
            NewDepartment {
                name: (*name).into(),
                parent_id: None,
            },
            Utc::now(),
        )
        .unwrap();
    }
    (dir, store)
}

fn backup_to(store: &Store, dir: &Path) -> PathBuf {
    let path = dir.join("b.baton-backup.gz");
    write_backup_file(store, &dir.join("tmp"), &path, Utc::now()).unwrap();
    path
}

#[test]
fn round_trip_keeps_everything() {
    let (dir, store) = seeded();
    let path = backup_to(&store, dir.path());
    let header = verify(&path).unwrap();
    assert_eq!(header.counts.get("department"), Some(&2));
    let target = dir.path().join("restored");
    restore(&path, &target, false, Utc::now()).unwrap();
    let restored = Store::open(&target.join("db"), 1 << 20).unwrap();
    let names: Vec<String> = restored
        .list::<Department>()
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(names, vec!["Warehouse", "采购部"]);
    // ids keep counting after the restored ones
    let mut d = Department {
        id: 0,
        rev: 0,
        name: "new".into(),
        parent_id: None,
    };
    let id = restored.write(|tx| tx.insert(&mut d)).unwrap();
    assert!(
        restored
            .list::<Department>()
            .unwrap()
            .iter()
            .filter(|x| x.id == id)
            .count()
            == 1
    );
    assert_eq!(restored.list::<Department>().unwrap().len(), 3);
}

#[test]
fn never_overwrites_an_existing_file() {
    let (dir, store) = seeded();
    let path = backup_to(&store, dir.path());
    assert!(matches!(
        write_backup_file(&store, &dir.path().join("tmp"), &path, Utc::now()),
        Err(BackupError::Exists(_))
    ));
}

#[test]
fn truncated_file_is_refused_and_target_untouched() {
    let (dir, store) = seeded();
    let path = backup_to(&store, dir.path());
    let bytes = std::fs::read(&path).unwrap();
    let cut = dir.path().join("cut.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let target = dir.path().join("t");
    assert!(matches!(
        restore(&cut, &target, false, Utc::now()),
        Err(BackupError::Corrupt(_))
    ));
    assert!(!target.join("db").exists());
}

#[test]
fn altered_entry_fails_the_checksum() {
    let (dir, store) = seeded();
    let path = backup_to(&store, dir.path());
    let mut text = String::new();
    GzDecoder::new(File::open(&path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let altered = text.replace("Warehouse", "Warehousf");
    let bad = dir.path().join("bad.gz");
    let mut gz = GzEncoder::new(File::create(&bad).unwrap(), Compression::default());
    gz.write_all(altered.as_bytes()).unwrap();
    gz.finish().unwrap();
    match verify(&bad) {
        Err(BackupError::Corrupt(m)) => assert!(m.contains("checksum"), "{m}"),
        other => panic!("expected checksum error, got {other:?}"),
    }
}

#[test]
fn garbage_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.gz");
    std::fs::write(&p, b"this is not a backup").unwrap();
    assert!(matches!(verify(&p), Err(BackupError::Corrupt(_))));
}

#[test]
fn non_empty_target_needs_force_and_keeps_the_old_db() {
    let (dir, store) = seeded();
    let path = backup_to(&store, dir.path());
    let target = dir.path().join("t");
    std::fs::create_dir_all(&target).unwrap();
    std::fs::write(target.join("something"), b"x").unwrap();
    assert!(matches!(
        restore(&path, &target, false, Utc::now()),
        Err(BackupError::NotEmpty(_))
    ));
    restore(&path, &target, true, Utc::now()).unwrap();
    restore(
        &path,
        &target,
        true,
        Utc::now() + chrono::Duration::seconds(2),
    )
    .unwrap();
    let aside = std::fs::read_dir(&target)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("db.before-restore")
        })
        .count();
    assert_eq!(aside, 1);
}

#[test]
fn runner_keeps_n_newest() {
    let (dir, store) = seeded();
    let runner = BackupRunner::new(store, dir.path().join("tmp"), dir.path().join("bk"), 2);
    let t0 = Utc::now();
    for i in 0..4 {
        runner
            .to_backup_dir(t0 + chrono::Duration::seconds(i))
            .unwrap();
    }
    let files = runner.list().unwrap();
    assert_eq!(files.len(), 2);
}

/// sled keeps memory for every page touched since the database was opened, so a large
/// restore reopens the database it builds every so many entries, while loading and
/// while checking it; the database is the same as after one opening.
#[test]
fn restore_reopens_the_database_it_builds_every_so_many_entries() {
    let names: Vec<String> = (0..40).map(|i| format!("Department {i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (dir, store) = store_with_departments(&names);
    let path = backup_to(&store, dir.path());
    let original = check::check(&store).unwrap();

    let stretched = dir.path().join("stretched");
    let openings = restore::load_into(&path, &stretched, 10).unwrap();
    // 40 records and their index entries, written and then read back by the check
    assert!(openings >= 10, "opened only {openings} times");
    let restored = Store::open(&stretched, 1 << 20).unwrap();
    assert_eq!(check::check(&restored).unwrap(), original);

    let once = dir.path().join("once");
    assert_eq!(restore::load_into(&path, &once, u64::MAX).unwrap(), 1);
}

/// The check in stretches (reopening between them) reads every entry exactly once.
#[test]
fn check_in_stretches_counts_what_one_pass_counts() {
    let names: Vec<String> = (0..15).map(|i| format!("Team {i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (_dir, store) = store_with_departments(&names);
    let whole = check::check(&store).unwrap();
    let mut reopened = 0;
    let (stretched, _) = check::check_reopening(store.clone(), 2, |s| {
        reopened += 1;
        Ok(s)
    })
    .unwrap();
    assert_eq!(stretched, whole);
    assert!(reopened >= 15, "reopened only {reopened} times");
}

/// Reopening during a restore runs no migration: a backup of an older schema comes
/// back with its own schema version (the server migrates the whole database when it
/// opens it), not migrated half-way through the load.
#[test]
fn restore_reopening_does_not_migrate_part_of_an_older_backup() {
    let names: Vec<String> = (0..20).map(|i| format!("Unit {i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (dir, store) = store_with_departments(&names);
    let older = crate::store::SCHEMA_VERSION - 1;
    store
        .raw_insert_batch(vec![(
            crate::store::META_SCHEMA.to_vec(),
            older.to_be_bytes().to_vec(),
        )])
        .unwrap();
    let path = backup_to(&store, dir.path());
    let db = dir.path().join("restored");
    let openings = restore::load_into(&path, &db, 5).unwrap();
    assert!(openings >= 5, "opened only {openings} times");
    let restored = Store::open_without_migrating(&db, 1 << 20).unwrap();
    assert_eq!(
        restored.raw_get(crate::store::META_SCHEMA).unwrap(),
        Some(older.to_be_bytes().to_vec())
    );
}
