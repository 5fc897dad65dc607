//! Scenario analytics: per scenario and UTC day, counters updated in place in the
//! same write as what changes them (no rescans).
//!
//! One value per scenario and day ([`ScenarioDay`]) under an id made from the
//! scenario's id and the day number (`scenario_id << 20 | day`), so it is found and
//! written without an index entry, and a scenario's days are one contiguous key range.
//! The day a record is evaluated or a script fails counts `evaluated` and `errors`;
//! what happens to a task counts in the record of the day it **fired** (a cohort:
//! `finished`, `auto_closed`, `late`, the fire→finish histogram), so finishing a task
//! changes one value, and "open" is fired less ended.
//!
//! The fired count and last firing of a scenario live here too (summed over its
//! days): a new task changes this one value instead of rewriting the scenario, which
//! keeps a new scenario task at 10 keys (`tests/it/keys.rs`).
//!
//! The median time from fire to finish comes from a bounded histogram per day:
//! bucket `i` holds durations of `2^(i-1)` to `2^i` minutes (bucket 0 under a minute,
//! the last one everything from about 45 days up), so the median is known to within
//! a factor of two and is shown as the bucket's geometric middle.
//!
//! (Over 400 lines with its tests: the counters, their maths and the window's summary
//! read best together.)

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::store::{decode, record_key, KeyRange, Record, Store, StoreError, WriteTx};

/// The window shown: the last 30 days, today included.
pub const WINDOW_DAYS: i64 = 30;
/// Histogram buckets: under a minute, then doublings up to 2^16 minutes (45 days).
pub const BUCKETS: usize = 18;
/// Noisy: auto-closed this soon after firing...
pub const QUICK_CLOSE_SECS: i64 = 3_600;
/// ...or finished without any comment this soon after firing...
pub const QUIET_FINISH_SECS: i64 = 5 * 60;
/// ...for more than half of the tasks that ended in the window, once at least this
/// many ended.
pub const NOISY_MIN_ENDED: u64 = 5;

const DAY_BITS: u32 = 20;

/// One scenario's counters for one UTC day.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScenarioDay {
    pub id: u64,
    pub rev: u64,
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
    /// Records evaluated this day (push and tick).
    #[serde(default)]
    pub evaluated: u64,
    /// Tasks made this day.
    #[serde(default)]
    pub fired: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_fired_at: Option<DateTime<Utc>>,
    /// Run-time errors this day (script errors and tasks that could not be made).
    #[serde(default)]
    pub errors: u64,
    /// Of the tasks fired this day: finished by their handlers.
    #[serde(default)]
    pub finished: u64,
    /// ... finished after their deadline.
    #[serde(default)]
    pub late: u64,
    /// ... finished without any comment within [`QUIET_FINISH_SECS`] of firing.
    #[serde(default)]
    pub quiet: u64,
    /// ... closed by Baton because the condition cleared.
    #[serde(default)]
    pub auto_closed: u64,
    /// ... auto-closed within [`QUICK_CLOSE_SECS`] of firing.
    #[serde(default)]
    pub quick_closed: u64,
    /// Fire → finish durations of the finished ones, by bucket (see the module note).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub durations: BTreeMap<u8, u64>,
}

impl Record for ScenarioDay {
    const KIND: &'static str = "scenday";
    /// `day_id(scenario, day)`, not the id counter's.
    const COUNTED_IDS: bool = false;
    crate::id_and_rev!();
}

/// The day number of `t` (UTC).
pub fn day_of(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(86_400)
}

/// The id of `scenario`'s record for `day`; `None` for ids or days out of range.
pub fn day_id(scenario: u64, day: i64) -> Option<u64> {
    let day = u64::try_from(day).ok().filter(|d| *d < 1 << DAY_BITS)?;
    scenario
        .checked_mul(1 << DAY_BITS)
        .filter(|base| *base >> DAY_BITS == scenario)
        .map(|base| base | day)
}

/// The bucket of a fire → finish duration.
pub fn bucket(secs: i64) -> u8 {
    let minutes = secs.max(0) / 60;
    if minutes < 1 {
        return 0;
    }
    // 1 min → 1, 2–3 → 2, 4–7 → 3, …
    let b = 64 - minutes.leading_zeros() as usize;
    b.min(BUCKETS - 1) as u8
}

/// The middle of a bucket, in seconds (geometric: the median is known within 2×).
pub fn bucket_middle(b: u8) -> i64 {
    if b == 0 {
        return 30;
    }
    let low = 60i64 << (b - 1);
    (low as f64 * std::f64::consts::SQRT_2) as i64
}

/// Changes `scenario`'s record of the day of `at` with `f`, in the caller's write.
pub fn bump(
    tx: &mut WriteTx<'_>,
    scenario: u64,
    at: DateTime<Utc>,
    f: impl FnOnce(&mut ScenarioDay),
) -> Result<(), StoreError> {
    let day = day_of(at);
    let Some(id) = day_id(scenario, day) else {
        return Ok(());
    };
    match tx.get::<ScenarioDay>(id)? {
        Some(mut d) => {
            let rev = d.rev;
            f(&mut d);
            tx.update(&mut d, rev)
        }
        None => {
            let mut d = ScenarioDay {
                id,
                day,
                ..Default::default()
            };
            f(&mut d);
            tx.insert_owned(&mut d)
        }
    }
}

/// How a scenario task ended, for its fire day's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Finished { late: bool, commented: bool },
    AutoClosed,
}

impl ScenarioDay {
    /// A task fired this day ended `lasted` seconds after it fired.
    pub fn ended(&mut self, how: Ended, lasted: i64) {
        match how {
            Ended::Finished { late, commented } => {
                self.finished += 1;
                self.late += u64::from(late);
                self.quiet += u64::from(!commented && lasted <= QUIET_FINISH_SECS);
                *self.durations.entry(bucket(lasted)).or_default() += 1;
            }
            Ended::AutoClosed => {
                self.auto_closed += 1;
                self.quick_closed += u64::from(lasted <= QUICK_CLOSE_SECS);
            }
        }
    }
}

/// A scenario's figures over the window, and its totals.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Summary {
    pub evaluated: u64,
    pub fired: u64,
    /// Fired in the window and neither finished nor auto-closed yet.
    pub open: u64,
    pub finished: u64,
    pub auto_closed: u64,
    /// Median fire → finish of the finished ones, seconds (within 2×, see docs).
    pub median_finish_secs: Option<i64>,
    /// Share of the finished ones finished after their deadline, 0–1.
    pub late_share: Option<f64>,
    pub errors: u64,
    /// Firings per day, oldest first, [`WINDOW_DAYS`] entries ending today.
    pub per_day: Vec<u64>,
    /// Most tasks auto-closed within an hour or finished without a comment within 5
    /// minutes: the condition may be wrong.
    pub noisy: bool,
    /// All time (including `fired_count` kept on the scenario before analytics).
    #[serde(skip)]
    pub fired_total: u64,
    #[serde(skip)]
    pub last_fired_at: Option<DateTime<Utc>>,
}

impl Summary {
    /// The figures of `days` (any order) as of `today`.
    pub fn of(days: &[ScenarioDay], today: i64) -> Summary {
        let from = today - (WINDOW_DAYS - 1);
        let mut s = Summary {
            per_day: vec![0; WINDOW_DAYS as usize],
            ..Default::default()
        };
        let mut hist: BTreeMap<u8, u64> = BTreeMap::new();
        let (mut late, mut quiet, mut quick) = (0u64, 0u64, 0u64);
        for d in days {
            s.fired_total = s.fired_total.saturating_add(d.fired);
            s.last_fired_at = s.last_fired_at.max(d.last_fired_at);
            if d.day < from || d.day > today {
                continue;
            }
            s.evaluated += d.evaluated;
            s.fired += d.fired;
            s.errors += d.errors;
            s.finished += d.finished;
            s.auto_closed += d.auto_closed;
            s.open += d.fired.saturating_sub(d.finished + d.auto_closed);
            late += d.late;
            quiet += d.quiet;
            quick += d.quick_closed;
            if let Some(slot) = usize::try_from(d.day - from)
                .ok()
                .and_then(|i| s.per_day.get_mut(i))
            {
                *slot += d.fired;
            }
            for (b, n) in &d.durations {
                *hist.entry(*b).or_default() += n;
            }
        }
        s.median_finish_secs = median(&hist).map(bucket_middle);
        s.late_share = (s.finished > 0).then(|| late as f64 / s.finished as f64);
        let ended = s.finished + s.auto_closed;
        s.noisy = ended >= NOISY_MIN_ENDED && (quick * 2 > ended || quiet * 2 > ended);
        s
    }
}

/// The bucket holding the middle value of a histogram.
fn median(hist: &BTreeMap<u8, u64>) -> Option<u8> {
    let total: u64 = hist.values().sum();
    if total == 0 {
        return None;
    }
    let half = total.div_ceil(2);
    let mut seen = 0;
    for (b, n) in hist {
        seen += n;
        if seen >= half {
            return Some(*b);
        }
    }
    None
}

/// Every day record of `scenario`: one key-range scan.
pub fn days_of(store: &Store, scenario: u64) -> Result<Vec<ScenarioDay>, StoreError> {
    days_before(store, scenario, 1 << DAY_BITS)
}

/// `scenario`'s day records of days before `day`, oldest first: one key-range scan.
pub fn days_before(store: &Store, scenario: u64, day: i64) -> Result<Vec<ScenarioDay>, StoreError> {
    let start = day_id(scenario, 0);
    // `day` may be one past the last day an id can hold: the next scenario's first.
    let end = day_id(scenario, day).or_else(|| day_id(scenario.checked_add(1)?, 0));
    let (Some(start), Some(end)) = (start, end) else {
        return Ok(vec![]);
    };
    store
        .scan(
            KeyRange::between(
                record_key(ScenarioDay::KIND, start),
                record_key(ScenarioDay::KIND, end),
            ),
            false,
        )
        .map(|e| e.and_then(|(_, v)| decode::<ScenarioDay>(&v)))
        .collect()
}

/// `scenario`'s summary as of `now`.
pub fn summary(store: &Store, scenario: u64, now: DateTime<Utc>) -> Result<Summary, StoreError> {
    Ok(Summary::of(&days_of(store, scenario)?, day_of(now)))
}

#[cfg(test)]
#[path = "scenario_days_tests.rs"]
mod tests;
