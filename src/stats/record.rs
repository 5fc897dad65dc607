//! Statistics kept current in the same write as the task log: per-task tallies and
//! per-(member, period) counters. Overdue counts are not kept here: the caller passes
//! them in from the task service's todo index (`stats::service::OpenWork`). A request
//! then reads at most one counter per member instead of scanning tasks.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use super::model::{Delta, Event, TaskTally};
use crate::flow::{NodeState, Task, TaskStatus};
use crate::store::{decode, KeyRange, Record, Store, StoreError, WriteTx};
use crate::tasklog::{LogEntry, TaskLog, Undoes};
use crate::time::time_key;

pub const DEFAULT_TIMEZONE: &str = "Asia/Shanghai";

/// The company time zone periods are counted in, as stored with the counters: the
/// zone they were built in, which `ensure_built` sets from the config at start (and
/// rebuilds for when it changed). A setting in the store rather than a process-wide
/// static, so every write counts in the zone the stored counters use, and two servers
/// (tests, benches) in one process never share one. Without a build yet, the default.
fn zone_in(tx: &WriteTx<'_>) -> Result<Tz, StoreError> {
    let meta = match tx.lookup(IX_META, "1")? {
        Some(id) => tx.get::<StatsMeta>(id)?,
        None => None,
    };
    Ok(meta
        .and_then(|m| m.timezone.parse().ok())
        .unwrap_or(chrono_tz::Asia::Shanghai))
}

/// Index of counters by period: `ids_by(IX_PERIOD, "2026-11")` lists every member's.
pub const IX_PERIOD: &str = "stat_period";
const IX_COUNTER: &str = "stat_counter";
const IX_TALLY: &str = "stat_tally";
const IX_DUEMARK: &str = "stat_duemark";
/// Open tasks by current handler and deadline, value `{handler}/{time_key(due)}`: the
/// layout before schema 5, which reads overdue counts from the todo index instead
/// (`tasks::record::open_work`). Named only so old entries can be removed.
pub(crate) const IX_DUE: &str = "stat_due";
const IX_META: &str = "stat_meta";

/// One member's counters for one period (month or ISO week): what `counters` answers.
/// Stored as such (kind `statcounter`, one record per period) before schema 5, which
/// keeps them per member and month (`stats::counters`); the old records are only read
/// to be removed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatCounter {
    pub id: u64,
    pub rev: u64,
    pub user_id: u64,
    pub period: String,
    pub received: i64,
    pub completed: i64,
    pub on_time: i64,
}

impl Record for StatCounter {
    const KIND: &'static str = "statcounter";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![(IX_COUNTER, format!("{}/{}", self.period, self.user_id))]
    }
    fn multi_keys(&self) -> Vec<(&'static str, String)> {
        vec![(IX_PERIOD, self.period.clone())]
    }
}

/// What one task contributed to statistics: the layout before schema 5, which
/// replays the task's log instead. Kept so the schema steps can read and remove it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TallyRecord {
    pub id: u64,
    pub rev: u64,
    pub task_id: u64,
    pub tally: TaskTally,
}

impl Record for TallyRecord {
    const KIND: &'static str = "stattally";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![(IX_TALLY, self.task_id.to_string())]
    }
}

/// An open task's current handler and deadline, indexed for overdue counts: the
/// layout before schema 4, kept only so the schema step and a rebuild can remove old
/// marks (the task carries its own `IX_DUE` entry now).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DueMark {
    pub id: u64,
    pub rev: u64,
    pub task_id: u64,
    pub handler_id: u64,
    pub due_at: DateTime<Utc>,
}

impl Record for DueMark {
    const KIND: &'static str = "statdue";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![(IX_DUEMARK, self.task_id.to_string())]
    }
    fn multi_keys(&self) -> Vec<(&'static str, String)> {
        vec![(
            IX_DUE,
            format!("{}/{}", self.handler_id, time_key(self.due_at)),
        )]
    }
}

/// Which time zone the stored counters were built in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatsMeta {
    pub id: u64,
    pub rev: u64,
    pub timezone: String,
}

impl Record for StatsMeta {
    const KIND: &'static str = "statmeta";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![(IX_META, "1".into())]
    }
}

/// The deadline of `user`'s node of `task` completed at `at` as the task stands *now*:
/// the node's own, else the task's. Only for completions logged before their deadline
/// was recorded with them (see `stats::backfill`); never for new ones.
pub(crate) fn deadline_known_now(
    task: Option<&Task>,
    user: u64,
    at: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let t = task?;
    let node = t
        .nodes
        .iter()
        .find(|n| n.handler_id == user && n.state == NodeState::Done && n.done_at == Some(at));
    node.and_then(|n| n.due_at).or(t.due_at)
}

/// The statistics events of a stored log line, from its typed facts only (never its
/// `action` text): what it undid, the completion with the verdict of its moment, the
/// receipt of the step it handed on. Lines written before schema 5 were given these
/// facts by its step (`fold_task_logs`).
fn events_of(e: &LogEntry) -> Vec<Event> {
    let mut out = Vec::new();
    match e.undoes {
        Some(Undoes::LastReceipt) => out.push(Event::Withdraw),
        Some(Undoes::Task) => out.push(Event::Delete),
        None => {}
    }
    if let (Some(user), Some(c)) = (e.subject_id, e.completion) {
        out.push(Event::Complete {
            user,
            at: e.at,
            on_time: c.on_time,
        });
    }
    if let Some(user) = e.received_by {
        out.push(Event::Receive { user, at: e.at });
    }
    for user in &e.received_also {
        out.push(Event::ReceiveAlso {
            user: *user,
            at: e.at,
        });
    }
    out
}

/// What a task's lines contributed so far: their facts replayed in order.
pub(crate) fn replay(lines: &[LogEntry], tz: Tz) -> TaskTally {
    let mut tally = TaskTally::default();
    for ev in lines.iter().flat_map(events_of) {
        tally.apply(ev, tz);
    }
    tally
}

/// Called for every new log line, in the same write: the counters change by what the
/// line's facts add to what the task's `earlier` lines (replayed) contributed. A task
/// counts once per member and period however often it comes back, so the earlier lines
/// decide whether this one changes a figure; nothing else is stored per task.
pub fn on_line(tx: &mut WriteTx<'_>, earlier: &[LogEntry], e: &LogEntry) -> Result<(), StoreError> {
    let events = events_of(e);
    if events.is_empty() {
        return Ok(());
    }
    let tz = zone_in(tx)?;
    let mut tally = replay(earlier, tz);
    let deltas: Vec<Delta> = events
        .into_iter()
        .flat_map(|ev| tally.apply(ev, tz))
        .collect();
    super::counters::apply(tx, deltas)
}

/// The time zone the stored counters and tallies were built in, if they were.
pub fn built_zone(store: &Store) -> Result<Option<Tz>, StoreError> {
    let meta = match store.lookup(IX_META, "1")? {
        Some(id) => store.get::<StatsMeta>(id)?,
        None => None,
    };
    Ok(meta.and_then(|m| m.timezone.parse().ok()))
}

/// Makes sure the counters were built in time zone `tz`: on the first start with this
/// code, or after the zone changed, rebuilds everything from the task log.
pub fn ensure_built(store: &Store, tz: Tz) -> Result<bool, StoreError> {
    let meta = match store.lookup(IX_META, "1")? {
        Some(id) => store.get::<StatsMeta>(id)?,
        None => None,
    };
    if meta.as_ref().is_some_and(|m| m.timezone == tz.name()) {
        return Ok(false);
    }
    rebuild(store, tz)?;
    Ok(true)
}

/// Drops all statistics records and replays every task's log, in order. Past
/// completions count with the verdict stored on their line, so a rebuild (new time
/// zone, upgrade) moves them between periods at most, never from late to on time.
pub fn rebuild(store: &Store, tz: Tz) -> Result<(), StoreError> {
    let mut sums: BTreeMap<(String, u64), [i64; 3]> = BTreeMap::new();
    for item in store.scan_uncached(KeyRange::prefix(format!("{}/", TaskLog::KIND)), false) {
        let (_, v) = item?;
        let log: TaskLog = decode(&v)?;
        let mut tally = TaskTally::default();
        for d in log
            .lines
            .iter()
            .flat_map(events_of)
            .flat_map(|ev| tally.apply(ev, tz))
        {
            let sum = sums.entry((d.period, d.user)).or_default();
            for (s, v) in sum.iter_mut().zip([d.received, d.completed, d.on_time]) {
                *s = s.saturating_add(v);
            }
        }
    }
    store.write(|tx| {
        for c in store.list::<StatCounter>()? {
            tx.delete::<StatCounter>(c.id)?;
        }
        for t in store.list::<TallyRecord>()? {
            tx.delete::<TallyRecord>(t.id)?;
        }
        for d in store.list::<DueMark>()? {
            tx.delete::<DueMark>(d.id)?;
        }
        for m in super::counters::all_records(store)? {
            tx.delete::<super::counters::MemberMonth>(m.id)?;
        }
        super::counters::insert_sums(tx, sums)?;
        match store.lookup(IX_META, "1")? {
            Some(id) => {
                let mut m: StatsMeta = tx.load(id)?;
                let rev = m.rev;
                m.timezone = tz.name().to_string();
                tx.update(&mut m, rev)?;
            }
            None => {
                tx.insert(&mut StatsMeta {
                    id: 0,
                    rev: 0,
                    timezone: tz.name().to_string(),
                })?;
            }
        }
        Ok::<_, StoreError>(())
    })
}

pub use super::counters::{counter, counters};

/// Schema step 3 -> 4: the deadline index becomes an index entry of the task itself
/// (one key per open task with a deadline instead of a mark record with two index
/// entries, and kept right by every task write, not only by log lines). Drops the old
/// marks with their entries and restages every open task so it gets its own.
pub fn fold_due_marks(store: &Store) -> Result<(), StoreError> {
    for chunk in store.list::<DueMark>()?.chunks(CHUNK) {
        store.write(|tx| {
            for m in chunk {
                tx.delete::<DueMark>(m.id)?;
            }
            Ok::<_, StoreError>(())
        })?;
    }
    let open: Vec<u64> = store
        .list::<Task>()?
        .into_iter()
        .filter(|t| t.status == TaskStatus::Open && !t.archived)
        .map(|t| t.id)
        .collect();
    for chunk in open.chunks(CHUNK) {
        store.write(|tx| {
            for id in chunk {
                if let Some(mut t) = tx.get::<Task>(*id)? {
                    tx.update_bookkeeping(&mut t)?;
                }
            }
            Ok::<_, StoreError>(())
        })?;
    }
    Ok(())
}

/// Records per write in `fold_due_marks`: a crash in between is harmless, the step
/// runs again from the start.
const CHUNK: usize = 1000;

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
