//! Statistics are written in the same write as the task log line they count: on a
//! copy of the stopped database, rebuilding them from the log must give the stored
//! counters back. A crash that applied a log line without its counters (or the other
//! way round) would show here. (Open tasks' deadlines are index entries of the task
//! itself since schema 4; `indexes.rs` checks those against the records.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use baton::stats::counters::all_counters;
use baton::stats::record::{rebuild, StatsMeta};
use baton::store::Store;

type Counters = BTreeMap<(u64, String), (i64, i64, i64)>;

fn read(store: &Store) -> Result<Counters, String> {
    Ok(all_counters(store)
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|c| (c.received, c.completed, c.on_time) != (0, 0, 0))
        .map(|c| ((c.user_id, c.period), (c.received, c.completed, c.on_time)))
        .collect())
}

/// Copies a directory tree's files (not the admin socket a killed server leaves).
pub fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// Problems found comparing the stored statistics of the stopped database in
/// `db_dir` with a rebuild from the task log (done on a copy; `db_dir` is untouched).
pub fn check_statistics(db_dir: &Path) -> Result<Vec<String>, String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let copy = tmp.path().join("db");
    copy_dir(db_dir, &copy).map_err(|e| format!("copying the database: {e}"))?;
    let store = Store::open(&copy, 4 << 20).map_err(|e| format!("the copy does not open: {e}"))?;
    let counters = read(&store)?;
    let tz = store
        .list::<StatsMeta>()
        .map_err(|e| e.to_string())?
        .first()
        .and_then(|m| m.timezone.parse::<chrono_tz::Tz>().ok())
        .ok_or("no statistics time zone stored")?;
    rebuild(&store, tz).map_err(|e| format!("rebuilding statistics: {e}"))?;
    let rebuilt = read(&store)?;
    let mut bad = Vec::new();
    for key in counters
        .keys()
        .chain(rebuilt.keys())
        .collect::<BTreeSet<_>>()
    {
        let (a, b) = (counters.get(key), rebuilt.get(key));
        if a != b {
            bad.push(format!(
                "statistics {key:?} (received, completed, on time): stored {a:?}, rebuilt from the log {b:?}"
            ));
        }
    }
    Ok(bad)
}
