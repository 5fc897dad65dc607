//! Pure statistics bookkeeping for one task: which (member, period) pairs it counts
//! towards, and how each flow event changes the per-period counters. See
//! `docs/statistics.md` for the rules in words.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::period::Period;

/// What one task contributes to one member in one period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contribution {
    pub user: u64,
    /// Period key (`2026-11` or `2026-W47`).
    pub period: String,
    /// Times the member became handler of a node in this period (not undone).
    pub receipts: u32,
    /// Times the member completed a node in this period.
    pub completions: u32,
    /// How many of those completions were after the due time.
    pub late: u32,
}

impl Contribution {
    /// (received, completed, completed on time) as 0/1 counts for the counters: a
    /// task counts once per member and period however often it came back.
    fn flags(&self) -> [i64; 3] {
        [
            i64::from(self.receipts > 0),
            i64::from(self.completions > 0),
            i64::from(self.completions > 0 && self.late == 0),
        ]
    }
}

/// A change to one member's counters in one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delta {
    pub user: u64,
    pub period: String,
    pub received: i64,
    pub completed: i64,
    pub on_time: i64,
}

/// A flow event as statistics see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// `user` became handler of a node (creation, next node, transfer, return, withdraw).
    Receive { user: u64, at: DateTime<Utc> },
    /// `user` received the same step as the `Receive` before it (another handler of
    /// an all/any step reached at once): a withdrawal undoes both.
    ReceiveAlso { user: u64, at: DateTime<Utc> },
    /// `user` completed their node (or share); `on_time` if at or before the node's due time.
    Complete {
        user: u64,
        at: DateTime<Utc>,
        on_time: bool,
    },
    /// The previous handler pulled the flow back before the current handler started:
    /// the current handler's latest receipt is undone.
    Withdraw,
    /// The task was deleted: it leaves every statistic.
    Delete,
}

/// Everything statistics remember about one task.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskTally {
    pub contributions: Vec<Contribution>,
    /// The latest receipt (who, when), so a withdrawal can undo it.
    pub last_receive: Option<(u64, DateTime<Utc>)>,
    /// The other receipts of that step (an all/any step's other handlers).
    #[serde(default)]
    pub last_receive_also: Vec<(u64, DateTime<Utc>)>,
    pub deleted: bool,
}

impl TaskTally {
    fn entry(&mut self, user: u64, period: String) -> &mut Contribution {
        let i = match self
            .contributions
            .iter()
            .position(|c| c.user == user && c.period == period)
        {
            Some(i) => i,
            None => {
                self.contributions.push(Contribution {
                    user,
                    period,
                    ..Default::default()
                });
                self.contributions.len() - 1
            }
        };
        &mut self.contributions[i]
    }

    /// Changes `f` makes to the (user, period) contribution, as counter deltas.
    fn change(
        &mut self,
        user: u64,
        at: DateTime<Utc>,
        tz: Tz,
        f: impl Fn(&mut Contribution),
        out: &mut Vec<Delta>,
    ) {
        for p in Period::both(at, tz) {
            let c = self.entry(user, p.key());
            let before = c.flags();
            f(c);
            let after = c.flags();
            if before != after {
                out.push(Delta {
                    user,
                    period: p.key(),
                    received: after[0] - before[0],
                    completed: after[1] - before[1],
                    on_time: after[2] - before[2],
                });
            }
        }
        self.contributions
            .retain(|c| c.receipts > 0 || c.completions > 0);
    }

    /// Applies one event; returns the counter changes it causes.
    pub fn apply(&mut self, ev: Event, tz: Tz) -> Vec<Delta> {
        let mut out = Vec::new();
        if self.deleted {
            return out;
        }
        match ev {
            Event::Receive { user, at } => {
                self.change(user, at, tz, |c| c.receipts += 1, &mut out);
                self.last_receive = Some((user, at));
                self.last_receive_also.clear();
            }
            Event::ReceiveAlso { user, at } => {
                self.change(user, at, tz, |c| c.receipts += 1, &mut out);
                self.last_receive_also.push((user, at));
            }
            Event::Complete { user, at, on_time } => {
                self.change(
                    user,
                    at,
                    tz,
                    |c| {
                        c.completions += 1;
                        if !on_time {
                            c.late += 1;
                        }
                    },
                    &mut out,
                );
                self.last_receive = None;
                self.last_receive_also.clear();
            }
            Event::Withdraw => {
                let also = std::mem::take(&mut self.last_receive_also);
                for (user, at) in self.last_receive.take().into_iter().chain(also) {
                    self.change(
                        user,
                        at,
                        tz,
                        |c| c.receipts = c.receipts.saturating_sub(1),
                        &mut out,
                    );
                }
            }
            Event::Delete => {
                for c in std::mem::take(&mut self.contributions) {
                    let f = c.flags();
                    out.push(Delta {
                        user: c.user,
                        period: c.period,
                        received: -f[0],
                        completed: -f[1],
                        on_time: -f[2],
                    });
                }
                self.last_receive = None;
                self.deleted = true;
            }
        }
        out
    }
}

impl TaskTally {
    /// The on-time verdict of `user`'s completion at `at`, read back from counters
    /// built before verdicts were stored with completions (the schema-2 migration).
    /// A completion counts towards one month and one week contribution; if either
    /// holds no late completion, this one was on time; if both hold one, it is taken
    /// as late — which keeps every figure as it was, because a period counts a task as
    /// on time only when none of the member's completions in it was late. `None` when
    /// the tally does not know the completion (e.g. the task was deleted).
    pub fn inferred_verdict(&self, user: u64, at: DateTime<Utc>, tz: Tz) -> Option<bool> {
        let mut late_in_all = None;
        for p in Period::both(at, tz) {
            let key = p.key();
            let Some(c) = self
                .contributions
                .iter()
                .find(|c| c.user == user && c.period == key && c.completions > 0)
            else {
                continue;
            };
            if c.late == 0 {
                return Some(true);
            }
            late_in_all = Some(false);
        }
        late_in_all
    }
}

/// Counters of one member in one period, and the rates derived from them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub received: i64,
    pub completed: i64,
    pub on_time: i64,
}

/// `num / den`, or `None` when there is nothing to divide by (shown as "—").
pub fn rate(num: i64, den: i64) -> Option<f64> {
    if den <= 0 {
        None
    } else {
        Some(num as f64 / den as f64)
    }
}

impl Counts {
    pub fn completion_rate(&self) -> Option<f64> {
        rate(self.completed, self.received)
    }
    pub fn on_time_rate(&self) -> Option<f64> {
        rate(self.on_time, self.completed)
    }
}

/// Sums deltas into counters per (user, period): what the store keeps up to date.
pub fn fold(deltas: &[Delta]) -> std::collections::BTreeMap<(u64, String), Counts> {
    let mut m: std::collections::BTreeMap<(u64, String), Counts> = Default::default();
    for d in deltas {
        let c = m.entry((d.user, d.period.clone())).or_default();
        c.received += d.received;
        c.completed += d.completed;
        c.on_time += d.on_time;
    }
    m
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
