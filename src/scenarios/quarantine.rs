//! Runaway scenarios are switched off before they starve everyone else.
//!
//! Each scenario gets a time budget per batch; pairs past it are skipped. A scenario
//! that spends its whole budget in one batch, or is stopped by the sandbox's time or
//! operation limit [`STRIKES`] times in a row (across batches), is *quarantined*:
//! disabled with the reason, company admins told in the inbox, until an admin enables
//! it again. The decision is a pure function of what the batch measured.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Script time one scenario may spend on one batch.
pub const BATCH_BUDGET: Duration = Duration::from_secs(1);
/// Runaway evaluations in a row that quarantine a scenario.
pub const STRIKES: u32 = 3;

/// What one batch measured for one scenario.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Usage {
    pub spent: Duration,
    /// Evaluations stopped by the time or operation limit.
    pub runaways: u32,
    /// Evaluations that finished (with or without an ordinary error).
    pub finished: u32,
    /// Pairs not evaluated because the budget was spent.
    pub skipped: u32,
}

impl Usage {
    pub fn over_budget(&self) -> bool {
        self.spent >= BATCH_BUDGET
    }
}

/// Strikes after this batch, and the reason to quarantine, if it comes to that.
pub fn decide(strikes_before: u32, u: &Usage) -> (u32, Option<String>) {
    if u.skipped > 0 || u.over_budget() {
        let reason = format!(
            "quarantined: it used its whole time budget of {} ms for one batch{}",
            BATCH_BUDGET.as_millis(),
            if u.skipped > 0 {
                format!(" ({} records were not evaluated)", u.skipped)
            } else {
                String::new()
            }
        );
        return (0, Some(reason));
    }
    let strikes = if u.runaways > 0 {
        strikes_before.saturating_add(u.runaways)
    } else if u.finished > 0 {
        0
    } else {
        strikes_before
    };
    if strikes >= STRIKES {
        let reason = format!(
            "quarantined: it was stopped by its time or operation limit {strikes} times in a row"
        );
        return (0, Some(reason));
    }
    (strikes, None)
}

/// Strikes per scenario id, kept in memory: a restart forgives, a quarantine does not
/// (that is stored on the scenario).
#[derive(Default)]
pub struct Strikes(Mutex<HashMap<u64, u32>>);

impl Strikes {
    /// Records a batch's usage; returns the scenarios to quarantine, with the reason.
    pub fn judge(&self, usage: &HashMap<u64, Usage>) -> Vec<(u64, String)> {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out = Vec::new();
        for (id, u) in usage {
            let before = map.get(id).copied().unwrap_or(0);
            let (after, reason) = decide(before, u);
            if after == 0 {
                map.remove(id);
            } else {
                map.insert(*id, after);
            }
            if let Some(r) = reason {
                out.push((*id, r));
            }
        }
        out.sort();
        out
    }

    /// Forgets a scenario's strikes (an admin enabled or saved it).
    pub fn forgive(&self, id: u64) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(runaways: u32, finished: u32, skipped: u32, ms: u64) -> Usage {
        Usage {
            spent: Duration::from_millis(ms),
            runaways,
            finished,
            skipped,
        }
    }

    #[test]
    fn decisions() {
        // (strikes before, usage) → (strikes after, quarantined?)
        let table = [
            (0, u(0, 500, 0, 20), 0, false),
            (2, u(0, 1, 0, 1), 0, false),
            (0, u(1, 0, 0, 250), 1, false),
            (1, u(1, 0, 0, 250), 2, false),
            (2, u(1, 0, 0, 250), 0, true),
            (0, u(3, 10, 0, 750), 0, true),
            (0, u(4, 0, 996, 1000), 0, true),
            (0, u(0, 100, 0, 1000), 0, true),
            (2, u(0, 0, 0, 0), 2, false),
        ];
        for (before, usage, after, quarantined) in table {
            let (a, q) = decide(before, &usage);
            assert_eq!((a, q.is_some()), (after, quarantined), "{before} {usage:?}");
        }
    }

    #[test]
    fn strikes_add_up_across_batches_and_a_clean_batch_forgives() {
        let s = Strikes::default();
        let one = HashMap::from([(7, u(1, 0, 0, 250))]);
        assert!(s.judge(&one).is_empty());
        assert!(s.judge(&one).is_empty());
        let clean = HashMap::from([(7, u(0, 1, 0, 1))]);
        assert!(s.judge(&clean).is_empty());
        assert!(s.judge(&one).is_empty());
        assert!(s.judge(&one).is_empty());
        let q = s.judge(&one);
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].0, 7);
        assert!(q[0].1.contains("3 times"));
    }
}
