//! Where the per-member counters live: one record per member and month, updated in
//! place, holding the month's figures and those of the ISO weeks whose Thursday falls
//! in it. A line that counts towards a month and a week therefore changes one record
//! (two only in the few days a week shares with the month before or after), where a
//! record per period changed two.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::model::Delta;
use super::period::Period;
use super::record::StatCounter;
use crate::store::{Record, Store, StoreError, WriteTx};

/// Member-months by month: `ids_by(IX_MONTH, "2026-11")` lists every member's.
const IX_MONTH: &str = "stat_month";
/// The one record of a member and month: value `{month}/{user}`.
const IX_MEMBER_MONTH: &str = "stat_member_month";

/// Received, completed and completed-on-time counts of one period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    pub received: i64,
    pub completed: i64,
    pub on_time: i64,
}

impl Figures {
    fn add(&mut self, d: &Delta) {
        self.received = self.received.saturating_add(d.received);
        self.completed = self.completed.saturating_add(d.completed);
        self.on_time = self.on_time.saturating_add(d.on_time);
    }

    fn is_zero(&self) -> bool {
        *self == Figures::default()
    }
}

/// One member's counters for one month and the weeks kept with it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MemberMonth {
    pub id: u64,
    pub rev: u64,
    pub user_id: u64,
    /// `2026-11`.
    pub month: String,
    #[serde(default)]
    pub figures: Figures,
    /// ISO weeks (`2026-W45`) whose Thursday is in this month.
    #[serde(default)]
    pub weeks: BTreeMap<String, Figures>,
}

impl Record for MemberMonth {
    const KIND: &'static str = "statmonth";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![(IX_MEMBER_MONTH, format!("{}/{}", self.month, self.user_id))]
    }
    fn multi_keys(&self) -> Vec<(&'static str, String)> {
        vec![(IX_MONTH, self.month.clone())]
    }
}

impl MemberMonth {
    fn new(user_id: u64, month: String) -> MemberMonth {
        MemberMonth {
            id: 0,
            rev: 0,
            user_id,
            month,
            figures: Figures::default(),
            weeks: BTreeMap::new(),
        }
    }

    fn add(&mut self, period: &str, d: &Delta) {
        if period == self.month {
            self.figures.add(d);
        } else {
            self.weeks.entry(period.to_string()).or_default().add(d);
        }
    }

    /// The figures of `period` (this month or one of its weeks) as a counter view.
    fn view(&self, period: &str) -> Option<StatCounter> {
        let f = if period == self.month {
            self.figures
        } else {
            *self.weeks.get(period)?
        };
        Some(StatCounter {
            id: self.id,
            rev: self.rev,
            user_id: self.user_id,
            period: period.to_string(),
            received: f.received,
            completed: f.completed,
            on_time: f.on_time,
        })
    }

    fn views(&self) -> Vec<StatCounter> {
        std::iter::once(self.month.as_str())
            .chain(self.weeks.keys().map(String::as_str))
            .filter_map(|p| self.view(p))
            .collect()
    }
}

/// The month record that keeps `period`'s figures.
fn home_of(period: &str) -> Result<String, StoreError> {
    Period::parse_any(period)
        .ok()
        .and_then(|p| p.home_month())
        .ok_or_else(|| StoreError::Codec(format!("'{period}' is no statistics period")))
}

/// Applies counter changes in the caller's write, each member-month loaded and stored
/// once however many of the changes it takes.
pub fn apply(tx: &mut WriteTx<'_>, deltas: Vec<Delta>) -> Result<(), StoreError> {
    let mut by_record: BTreeMap<(String, u64), Vec<Delta>> = BTreeMap::new();
    for d in deltas {
        by_record
            .entry((home_of(&d.period)?, d.user))
            .or_default()
            .push(d);
    }
    for ((month, user), ds) in by_record {
        let key = format!("{month}/{user}");
        let (mut rec, rev) = match tx.lookup(IX_MEMBER_MONTH, &key)? {
            Some(id) => {
                let r: MemberMonth = tx.load(id)?;
                let rev = r.rev;
                (r, Some(rev))
            }
            None => (MemberMonth::new(user, month), None),
        };
        for d in &ds {
            rec.add(&d.period, d);
        }
        match rev {
            Some(rev) => tx.update(&mut rec, rev)?,
            None => {
                tx.insert(&mut rec)?;
            }
        }
    }
    Ok(())
}

/// Stores counters summed by a rebuild, `(period, user) -> figures`, in the caller's
/// write (which removed the old ones).
pub fn insert_sums(
    tx: &mut WriteTx<'_>,
    sums: BTreeMap<(String, u64), [i64; 3]>,
) -> Result<(), StoreError> {
    let mut records: BTreeMap<(String, u64), MemberMonth> = BTreeMap::new();
    for ((period, user), [received, completed, on_time]) in sums {
        let month = home_of(&period)?;
        let d = Delta {
            user,
            period: period.clone(),
            received,
            completed,
            on_time,
        };
        records
            .entry((month.clone(), user))
            .or_insert_with(|| MemberMonth::new(user, month))
            .add(&period, &d);
    }
    for (_, mut rec) in records {
        rec.weeks.retain(|_, f| !f.is_zero());
        if rec.figures.is_zero() && rec.weeks.is_empty() {
            continue;
        }
        tx.insert(&mut rec)?;
    }
    Ok(())
}

/// Every member-month, for a rebuild to remove.
pub fn all_records(store: &Store) -> Result<Vec<MemberMonth>, StoreError> {
    store.list()
}

/// Counters of every member for one period.
pub fn counters(store: &Store, period: &str) -> Result<Vec<StatCounter>, StoreError> {
    let month = home_of(period)?;
    let mut out = Vec::new();
    for id in store.ids_by(IX_MONTH, &month)? {
        if let Some(c) = store.get::<MemberMonth>(id)?.and_then(|r| r.view(period)) {
            out.push(c);
        }
    }
    Ok(out)
}

/// One member's counter for one period.
pub fn counter(store: &Store, user: u64, period: &str) -> Result<Option<StatCounter>, StoreError> {
    let month = home_of(period)?;
    match store.lookup(IX_MEMBER_MONTH, &format!("{month}/{user}"))? {
        Some(id) => Ok(store.get::<MemberMonth>(id)?.and_then(|r| r.view(period))),
        None => Ok(None),
    }
}

/// Every stored counter of every member and period, for checks.
pub fn all_counters(store: &Store) -> Result<Vec<StatCounter>, StoreError> {
    Ok(all_records(store)?
        .iter()
        .flat_map(MemberMonth::views)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delta(period: &str, received: i64) -> Delta {
        Delta {
            user: 7,
            period: period.into(),
            received,
            completed: 0,
            on_time: 0,
        }
    }

    #[test]
    fn a_month_and_its_week_are_one_record_a_week_lives_with_its_thursday() {
        let store = Store::memory();
        store
            .write(|tx| {
                // 2026-W45 is 2–8 November; 2026-W44 (26 Oct–1 Nov) has its
                // Thursday in October.
                apply(
                    tx,
                    vec![
                        delta("2026-11", 1),
                        delta("2026-W45", 1),
                        delta("2026-W44", 1),
                    ],
                )
            })
            .unwrap();
        assert_eq!(all_records(&store).unwrap().len(), 2);
        let nov = counter(&store, 7, "2026-11").unwrap().unwrap();
        assert_eq!(nov.received, 1);
        assert_eq!(counter(&store, 7, "2026-W45").unwrap().unwrap().received, 1);
        assert_eq!(counter(&store, 7, "2026-W44").unwrap().unwrap().received, 1);
        assert!(counter(&store, 7, "2026-10").unwrap().unwrap().received == 0);
        assert!(counter(&store, 7, "2026-W46").unwrap().is_none());
        assert_eq!(counters(&store, "2026-W45").unwrap().len(), 1);
        assert!(counter(&store, 7, "nonsense").is_err());
    }
}
