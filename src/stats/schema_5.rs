//! Schema step 4 → 5 for the task log and statistics: each task's log lines become one
//! value ([`TaskLog`]) under the task's id, every line gets the typed facts statistics
//! count from (`received_by`, `completion`, `undoes`) in place of its action text, the
//! per-task tallies go (statistics replay the task's log instead), and the counters
//! are rebuilt from the facts. See `tasks::schema_5` for the index half of the step.

use std::collections::BTreeMap;

use chrono_tz::Tz;

use super::record::{built_zone, deadline_known_now, rebuild, TallyRecord, DEFAULT_TIMEZONE};
use crate::flow::{Completion, Task};
use crate::store::{Store, StoreError};
use crate::tasklog::{LogEntry, TaskLog, Undoes};

/// Tasks (with all their lines) per write; a crash in between is harmless: the step
/// runs again and merges what is left into the logs already written.
const CHUNK: usize = 500;

/// A line of the layout before schema 5 with the typed facts its action text stood
/// for: a `receive` line's receiver, a withdrawal or deletion as what it undid, and a
/// verdict for a completion that bypassed the schema-2 step (judged as that step would
/// without counters, marked inferred).
fn with_facts(mut e: LogEntry, task: Option<&Task>) -> LogEntry {
    match e.action.as_str() {
        "receive" if e.received_by.is_none() => e.received_by = e.subject_id,
        "withdraw" => e.undoes = Some(Undoes::LastReceipt),
        "delete" => e.undoes = Some(Undoes::Task),
        "complete" if e.completion.is_none() => {
            if let Some(user) = e.subject_id {
                let due_at = deadline_known_now(task, user, e.at);
                e.completion = Some(Completion {
                    inferred: true,
                    ..Completion::judge(due_at, e.at)
                });
            }
        }
        _ => {}
    }
    e
}

/// The step: fold the lines, drop the tallies, rebuild the counters in the zone they
/// were built in.
pub fn fold_task_logs(store: &Store) -> Result<(), StoreError> {
    let mut by_task: BTreeMap<u64, Vec<LogEntry>> = BTreeMap::new();
    for e in store.list::<LogEntry>()? {
        by_task.entry(e.task_id).or_default().push(e);
    }
    let tasks: Vec<(u64, Vec<LogEntry>)> = by_task.into_iter().collect();
    for chunk in tasks.chunks(CHUNK) {
        store.write(|tx| {
            for (task_id, lines) in chunk {
                let task: Option<Task> = tx.get(*task_id)?;
                let mut folded = Vec::with_capacity(lines.len());
                for old in lines {
                    tx.delete::<LogEntry>(old.id)?;
                    folded.push(with_facts(old.clone(), task.as_ref()));
                }
                match tx.get::<TaskLog>(*task_id)? {
                    Some(mut log) => {
                        let rev = log.rev;
                        log.lines.extend(folded);
                        log.lines.sort_by_key(|l| l.id);
                        tx.update(&mut log, rev)?;
                    }
                    None => tx.insert_owned(&mut TaskLog {
                        id: *task_id,
                        rev: 0,
                        lines: folded,
                    })?,
                }
            }
            Ok::<_, StoreError>(())
        })?;
    }
    for chunk in store.list::<TallyRecord>()?.chunks(CHUNK) {
        store.write(|tx| {
            for t in chunk {
                tx.delete::<TallyRecord>(t.id)?;
            }
            Ok::<_, StoreError>(())
        })?;
    }
    let tz = match built_zone(store)? {
        Some(tz) => tz,
        None => DEFAULT_TIMEZONE
            .parse::<Tz>()
            .unwrap_or(chrono_tz::Asia::Shanghai),
    };
    rebuild(store, tz)
}

/// Writes the task logs and counters back in the layout before schema 5 (one record
/// per line, indexed by task, a tally per task, a counter record per member and
/// period), for tests that build an old database from a new one. Not for production.
#[doc(hidden)]
pub fn to_legacy_layout(store: &Store, tz: Tz) -> Result<(), StoreError> {
    let logs: Vec<TaskLog> = store.list()?;
    let months = super::counters::all_records(store)?;
    let counters = super::counters::all_counters(store)?;
    store.write(|tx| {
        for m in &months {
            tx.delete::<super::counters::MemberMonth>(m.id)?;
        }
        for mut c in counters {
            tx.insert(&mut c)?;
        }
        for log in &logs {
            tx.delete::<TaskLog>(log.id)?;
            for line in &log.lines {
                tx.insert_owned(&mut line.clone())?;
            }
            tx.insert(&mut TallyRecord {
                id: 0,
                rev: 0,
                task_id: log.id,
                tally: super::record::replay(&log.lines, tz),
            })?;
        }
        Ok::<_, StoreError>(())
    })
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};

    use super::*;
    use crate::actor::{Actor, Role};
    use crate::flow::apply::LogLine;
    use crate::stats::record::{counter, StatCounter};
    use crate::store::{KeyRange, META_SCHEMA};

    fn line(task: u64, action: &str, at: DateTime<Utc>) -> LogEntry {
        let a = Actor::user(7, "u7", Role::Member, None);
        let l = LogLine {
            action: action.into(),
            detail: String::new(),
            reason: None,
        };
        LogEntry::new(task, &a, l, at)
    }

    fn figures(store: &Store) -> std::collections::BTreeSet<(u64, String, i64, i64, i64)> {
        crate::stats::counters::all_counters(store)
            .unwrap()
            .into_iter()
            .map(|c| (c.user_id, c.period, c.received, c.completed, c.on_time))
            .collect()
    }

    fn keys_of(store: &Store, prefix: &str) -> usize {
        store.scan(KeyRange::prefix(prefix), false).count()
    }

    /// Logs written line by line with tallies (schema 4), including lines of the
    /// oldest kind that said what they meant only by their action text: after the
    /// step every task has one log value with typed facts, no line records, no
    /// tallies, and the same figures.
    #[test]
    fn a_schema_4_task_log_opens_as_one_value_per_task_with_the_same_figures() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db");
        let at = Utc.with_ymd_and_hms(2026, 11, 3, 2, 0, 0).unwrap();
        let before = {
            let store = Store::open(&db, 1 << 20).unwrap();
            crate::stats::record::ensure_built(&store, Tz::UTC).unwrap();
            store
                .write(|tx| {
                    for task in [100, 200] {
                        crate::effects::log::insert(
                            tx,
                            LogEntry {
                                received_by: Some(7),
                                ..line(task, "create", at)
                            },
                        )?;
                    }
                    crate::effects::log::insert(
                        tx,
                        LogEntry {
                            subject_id: Some(7),
                            completion: Some(Completion::judge(None, at)),
                            ..line(100, "complete", at)
                        },
                    )?;
                    Ok::<_, StoreError>(())
                })
                .unwrap();
            to_legacy_layout(&store, Tz::UTC).unwrap();
            // the oldest kind of lines: a receipt and a withdrawal told by action only
            store
                .write(|tx| {
                    let mut receive = LogEntry {
                        subject_id: Some(9),
                        ..line(200, "receive", at)
                    };
                    tx.insert(&mut receive)?;
                    tx.insert(&mut line(200, "withdraw", at))?;
                    tx.put_meta(META_SCHEMA, 4u32.to_be_bytes().to_vec());
                    Ok::<_, StoreError>(())
                })
                .unwrap();
            assert_eq!(keys_of(&store, "tasklog/"), 5);
            assert_eq!(keys_of(&store, "stattally/"), 2);
            assert_eq!(keys_of(&store, "statmonth/"), 0);
            let counters: Vec<StatCounter> = store.list().unwrap();
            assert!(!counters.is_empty());
            counters
                .into_iter()
                .map(|c| (c.user_id, c.period, c.received, c.completed, c.on_time))
                .collect::<std::collections::BTreeSet<_>>()
        };
        let store = Store::open(&db, 1 << 20).unwrap();
        assert_eq!(keys_of(&store, "tasklog/"), 0);
        assert_eq!(keys_of(&store, "mx/tasklog/"), 0);
        assert_eq!(keys_of(&store, "stattally/"), 0);
        assert_eq!(keys_of(&store, "log/"), 2, "one log per task");
        let log = crate::tasklog::list(&store, 200).unwrap();
        let actions: Vec<&str> = log.iter().map(|l| l.action.as_str()).collect();
        assert_eq!(actions, ["create", "receive", "withdraw"]);
        assert_eq!(log[1].received_by, Some(9));
        assert_eq!(log[2].undoes, Some(Undoes::LastReceipt));
        // 7's figures are as before; 9's receipt was withdrawn again
        assert_eq!(keys_of(&store, "statcounter/"), 0);
        assert_eq!(keys_of(&store, "statmonth/"), 1, "7's November");
        assert_eq!(figures(&store), before);
        let c = counter(&store, 7, "2026-11").unwrap().unwrap();
        assert_eq!((c.received, c.completed, c.on_time), (2, 1, 1));
        assert!(counter(&store, 9, "2026-11")
            .unwrap()
            .is_none_or(|c| c.received == 0));
    }
}
