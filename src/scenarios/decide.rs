//! The per-record scenario state machine, pure: what one evaluation does to a
//! (scenario, record) pair, given what that pair was and whether its task is open.
//!
//! A pair is *active* while its condition holds. A task is made when the condition
//! turns true (inactive → hit) and no task of the pair is open, so a record that
//! stays in trouble makes one task, not one per change. When the condition clears, an
//! open task is closed (if its scenario asked for auto-close) and the pair turns
//! inactive, so the next time the condition holds makes a new task. A script error
//! leaves the pair as it was; so does a task that cannot be built (an unknown
//! handler), so it is tried again on the record's next change.

/// What the pair was before this evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prior {
    /// No stored state: never active, or inactive with nothing to remember.
    Absent,
    Inactive,
    Active,
}

/// What the evaluation said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// `condition`, `wake_at` or `task` failed.
    Error,
    /// The condition does not hold.
    Miss,
    /// The condition holds and the task it asks for can be made.
    Hit,
    /// The condition holds but the task cannot be made (unknown handler, deadline out
    /// of range, …).
    HitUnbuildable,
}

/// What to do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Record the script's error on the scenario; the pair stays as it was.
    ScriptError,
    /// Record why the task could not be made (at `fn task`); the pair stays as it
    /// was, so the next change of the record tries again.
    TaskError,
    /// Make the task; the pair becomes active with it open.
    CreateTask,
    /// The pair is (or stays) active; its task, open or finished, is left alone.
    StayActive,
    /// Close the open task (when its scenario auto-closes); the pair turns inactive.
    CloseTask,
    /// The pair is (or stays) inactive.
    StayInactive,
}

/// The change one evaluation makes to a pair.
pub fn decide(prior: Prior, open_task: bool, verdict: Verdict) -> Change {
    let active = prior == Prior::Active;
    match verdict {
        Verdict::Error => Change::ScriptError,
        Verdict::Miss if open_task => Change::CloseTask,
        Verdict::Miss => Change::StayInactive,
        // Still in trouble, or its task is still open: no second task.
        Verdict::Hit | Verdict::HitUnbuildable if active || open_task => Change::StayActive,
        Verdict::Hit => Change::CreateTask,
        Verdict::HitUnbuildable => Change::TaskError,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Change::*;
    use Prior::*;
    use Verdict::*;

    /// Every previous state × open task or not × what the evaluation said.
    #[test]
    fn every_combination() {
        let table: [(Prior, bool, Verdict, Change); 24] = [
            (Absent, false, Error, ScriptError),
            (Absent, false, Miss, StayInactive),
            (Absent, false, Hit, CreateTask),
            (Absent, false, HitUnbuildable, TaskError),
            // No stored state yet a task open (not a state Baton writes; handled
            // like `Inactive`): no second task, and a miss closes it.
            (Absent, true, Error, ScriptError),
            (Absent, true, Miss, CloseTask),
            (Absent, true, Hit, StayActive),
            (Absent, true, HitUnbuildable, StayActive),
            (Inactive, false, Error, ScriptError),
            (Inactive, false, Miss, StayInactive),
            (Inactive, false, Hit, CreateTask),
            (Inactive, false, HitUnbuildable, TaskError),
            // Inactive with its task still open (cleared, but the scenario does not
            // auto-close): the condition holding again makes no second task.
            (Inactive, true, Error, ScriptError),
            (Inactive, true, Miss, CloseTask),
            (Inactive, true, Hit, StayActive),
            (Inactive, true, HitUnbuildable, StayActive),
            // Active, its task finished by hand while the condition still holds:
            // no new task until the condition clears first.
            (Active, false, Error, ScriptError),
            (Active, false, Miss, StayInactive),
            (Active, false, Hit, StayActive),
            (Active, false, HitUnbuildable, StayActive),
            (Active, true, Error, ScriptError),
            (Active, true, Miss, CloseTask),
            (Active, true, Hit, StayActive),
            (Active, true, HitUnbuildable, StayActive),
        ];
        for (prior, open, verdict, want) in table {
            assert_eq!(
                decide(prior, open, verdict),
                want,
                "{prior:?}, open task {open}, {verdict:?}"
            );
        }
    }
}
