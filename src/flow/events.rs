//! What a flow operation did, as typed facts of their moment.
//!
//! `apply` returns these beside the new task state; the effects stage turns them into
//! the log line's facts (who received the step, a completion's deadline and verdict),
//! and from there into statistics. A fact is fixed when it happens (the deadline that
//! applied, whether it was met), so replaying it later can never change the past.

use chrono::{DateTime, Utc};

use super::model::Task;

/// How a task came to be finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// The handler of the last step completed it.
    Completed,
    /// The server closed it because its scenario's condition cleared.
    AutoClosed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The task was created by `creator` (`None`: a scenario, the console).
    TaskCreated { creator: Option<u64> },
    /// Step `node` became current for `handler` (creation, next step, transfer,
    /// return, withdrawal), with the deadline that applies to it now.
    StepReached {
        node: u32,
        handler: u64,
        due: Option<DateTime<Utc>>,
    },
    /// The handler of `node` began it.
    StepStarted { node: u32, by: u64 },
    /// `by` completed `node`: the deadline that applied at that moment and whether it
    /// was met.
    StepCompleted {
        node: u32,
        by: u64,
        due: Option<DateTime<Utc>>,
        on_time: bool,
    },
    /// The handler of `node` changed from `from` to `to`.
    Transferred {
        node: u32,
        from: u64,
        to: u64,
        reason: Option<String>,
    },
    /// `by` sent `node` back to the previous step's handler `to`.
    Returned {
        node: u32,
        by: u64,
        to: u64,
        reason: String,
    },
    /// `by` (the previous handler) took `node` back from `from` before it was started:
    /// one event per handler of an all/any step; `from` is 0 (nobody) for a claim
    /// step nobody had claimed.
    Withdrawn {
        node: u32,
        by: u64,
        from: u64,
        reason: Option<String>,
    },
    /// `by` reminded `handler` of `node`.
    Urged {
        node: u32,
        by: u64,
        handler: u64,
        reason: Option<String>,
    },
    /// The task is finished.
    Finished { how: Finish },
    /// A candidate claimed claim step `node` and became its handler.
    Claimed { node: u32, by: u64 },
    /// The claimer gave claim step `node` back before starting it.
    Released { node: u32, by: u64 },
    /// `by` completed their share of all/any step `node` (the facts of that moment,
    /// as [`Event::StepCompleted`]); statistics count it as their completion.
    ShareCompleted {
        node: u32,
        by: u64,
        due: Option<DateTime<Utc>>,
        on_time: bool,
    },
    /// Any-sign step `node` was completed by someone else: these handlers' open
    /// shares closed.
    SharesClosed { node: u32, handlers: Vec<u64> },
    /// `by` added step `node` for `handler` before (or after) their own (加签).
    NodeAdded {
        node: u32,
        by: u64,
        handler: u64,
        before: bool,
        reason: String,
    },
    /// The flow passed `node` by: its condition was false ("skipped: condition not
    /// met"). Nobody is told; nobody received or completed it.
    /// `step` is its position (1 = first), as the log names steps.
    Skipped { node: u32, step: usize },
    /// The condition of `node` could not be evaluated: the flow stopped there.
    ConditionFailed { node: u32, error: String },
}

impl Event {
    /// The user who became a step's handler through this event, if any.
    pub fn received_by(&self) -> Option<u64> {
        match self {
            Event::StepReached { handler, .. } => Some(*handler),
            _ => None,
        }
    }
}

/// The events of creating `task` (as built, its first step current) by `creator`.
pub fn created(task: &Task, creator: Option<u64>) -> Vec<Event> {
    let mut out = vec![Event::TaskCreated { creator }];
    out.extend(
        task.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.skipped)
            .map(|(i, n)| Event::Skipped {
                node: n.id,
                step: i + 1,
            }),
    );
    if let Some(n) = task.current_node() {
        // every handler of an all/any step; nobody of an unclaimed claim step
        out.extend(n.handlers().into_iter().map(|h| Event::StepReached {
            node: n.id,
            handler: h,
            due: task.current_due(),
        }));
        if let Some(error) = &n.condition_error {
            out.push(Event::ConditionFailed {
                node: n.id,
                error: error.clone(),
            });
        }
    }
    if task.status == super::model::TaskStatus::Done {
        out.push(Event::Finished {
            how: Finish::Completed,
        });
    }
    out
}

/// Who received a step through `events` (the last step reached), for the log line.
pub fn received_by(events: &[Event]) -> Option<u64> {
    events.iter().rev().find_map(Event::received_by)
}

/// Everyone else who received a step through `events` beside [`received_by`]: the
/// other handlers of an all/any step reached at once.
pub fn received_also(events: &[Event]) -> Vec<u64> {
    let last = received_by(events);
    let mut out: Vec<u64> = events.iter().filter_map(Event::received_by).collect();
    out.dedup();
    if let Some(pos) = out.iter().rposition(|u| Some(*u) == last) {
        out.remove(pos);
    }
    out
}

/// The completion among `events`: who completed, with the deadline and verdict of
/// that moment.
pub fn completion(events: &[Event]) -> Option<(u64, Option<DateTime<Utc>>, bool)> {
    events.iter().find_map(|e| match e {
        Event::StepCompleted {
            by, due, on_time, ..
        }
        | Event::ShareCompleted {
            by, due, on_time, ..
        } => Some((*by, *due, *on_time)),
        _ => None,
    })
}
