//! Conditional steps (条件节点) and CC (抄送) in the flow: which step the flow enters,
//! which it passes by, and who is copied.
//!
//! Conditions are rhai expressions, but this module stays pure: the service evaluates
//! them (`tasks::conditions`) and hands the verdicts in as a [`Gate`].

use chrono::{DateTime, Utc};

use super::apply::{activate, reached_notices, ApplyError, LogLine, Notice, NoticeKind, Outcome};
use super::events::{Event, Finish};
use super::model::{Node, NodeState, Task, TaskStatus};

/// The verdicts of the steps' conditions, as the service evaluated them for this
/// operation: steps whose condition is false (passed by), and steps whose condition
/// could not be evaluated (the flow stops there, with the error).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gate {
    pub skip: Vec<u32>,
    pub failed: Vec<(u32, String)>,
}

impl Gate {
    pub fn skips(&self, node: u32) -> bool {
        self.skip.contains(&node)
    }

    pub fn failure(&self, node: u32) -> Option<&str> {
        self.failed
            .iter()
            .find(|(n, _)| *n == node)
            .map(|(_, e)| e.as_str())
    }
}

/// Where the flow went when it entered the steps from some index on.
#[derive(Debug, Default)]
pub(super) struct Entered {
    /// The step now current; `None`: none was left, the task is finished.
    pub reached: Option<usize>,
    pub events: Vec<Event>,
    pub notices: Vec<Notice>,
}

fn mark_skipped(n: &mut Node, i: usize, now: DateTime<Utc>) -> Event {
    n.state = NodeState::Done;
    n.skipped = true;
    n.received_at = None;
    n.started_at = None;
    n.done_at = Some(now);
    n.condition_error = None;
    Event::Skipped {
        node: n.id,
        step: i + 1,
    }
}

/// The CC recipients of `node` told `kind` (not the one who caused it).
pub(super) fn cc_notices(node: &Node, kind: NoticeKind, actor: u64) -> Vec<Notice> {
    let wanted = match kind {
        NoticeKind::CcReached => node.cc_on.on_reached(),
        NoticeKind::CcDone => node.cc_on.on_done(),
        _ => false,
    };
    if !wanted {
        return Vec::new();
    }
    node.cc
        .iter()
        .filter(|u| **u != actor)
        .map(|u| Notice {
            to: *u,
            kind,
            reason: Some(node.action.clone()).filter(|a| !a.is_empty()),
        })
        .collect()
}

/// Makes the first step at or after `from` that the gate does not pass by current
/// (told as usual, its CC recipients too), marking the ones before it skipped (no
/// notice). A step whose condition failed becomes current with the error kept on it
/// and its creator and editors told. No step left: the task finishes, told to its
/// creator and watchers (but `actor`).
pub(super) fn enter(
    task: &mut Task,
    from: usize,
    gate: &Gate,
    actor: Option<u64>,
    now: DateTime<Utc>,
) -> Entered {
    let mut out = Entered::default();
    let mut i = from;
    while let Some(n) = task.nodes.get_mut(i) {
        if !gate.skips(n.id) {
            break;
        }
        out.events.push(mark_skipped(n, i, now));
        i += 1;
    }
    if i >= task.nodes.len() {
        task.status = TaskStatus::Done;
        task.finished_at = Some(now);
        task.current = task.nodes.len().saturating_sub(1);
        let mut to = vec![task.creator_id];
        to.extend(&task.watchers);
        to.sort_unstable();
        to.dedup();
        to.retain(|u| Some(*u) != actor);
        out.notices = to
            .into_iter()
            .map(|u| Notice {
                to: u,
                kind: NoticeKind::Finished,
                reason: None,
            })
            .collect();
        out.events.push(Event::Finished {
            how: Finish::Completed,
        });
        return out;
    }
    task.current = i;
    out.reached = Some(i);
    out.events.extend(activate(task, i, now));
    let failure = gate.failure(task.nodes[i].id).map(str::to_string);
    let n = &mut task.nodes[i];
    n.skipped = false;
    n.condition_error = failure.clone();
    let node = n.id;
    // every handler of an all/any step, the candidates of an unclaimed claim step
    out.notices
        .extend(reached_notices(task, i, NoticeKind::Assigned, &None));
    if let Some(error) = failure {
        out.events.push(Event::ConditionFailed { node, error });
    }
    out.notices.extend(arrival_notices(task, actor));
    out
}

/// Who else hears that the flow reached the current step (besides its handler): its
/// CC recipients, and — when its condition failed — the task's creator and editors,
/// who may correct the fields.
pub fn arrival_notices(task: &Task, actor: Option<u64>) -> Vec<Notice> {
    let Some(n) = task.current_node() else {
        return Vec::new();
    };
    let mut out = cc_notices(n, NoticeKind::CcReached, actor.unwrap_or(0));
    if let Some(error) = &n.condition_error {
        let mut admins = vec![task.creator_id];
        admins.extend(&task.editors);
        admins.sort_unstable();
        admins.dedup();
        out.extend(admins.into_iter().map(|u| Notice {
            to: u,
            kind: NoticeKind::ConditionFailed,
            reason: Some(error.clone()),
        }));
    }
    out
}

/// The server passes the current step by: its condition turned false (the fields
/// changed) before its handler started it. Logged "skipped: condition not met"; the
/// step's handler is not told; the next step is entered as after a completion.
pub(super) fn skip_current(
    task: &mut Task,
    gate: &Gate,
    now: DateTime<Utc>,
) -> Result<Outcome, ApplyError> {
    let c = task.current;
    let Some(n) = task.nodes.get_mut(c) else {
        return Err(super::rules::Denied::Finished.into());
    };
    if !gate.skips(n.id) {
        return Err(ApplyError::Invalid {
            field: "condition",
            message: format!("the condition of step {} holds", c + 1),
        });
    }
    let mut events = vec![mark_skipped(n, c, now)];
    let entered = enter(task, c + 1, gate, None, now);
    events.extend(entered.events);
    Ok(Outcome {
        notices: entered.notices,
        // The step's own "skipped" line is written for its event (as for the steps a
        // completion passes by); this line says why the server acted.
        log: LogLine {
            action: "condition".into(),
            detail: format!(
                "the condition of step {} no longer holds after the fields changed",
                c + 1
            ),
            reason: None,
        },
        events,
    })
}

/// What the task log says of a step the flow passed by.
pub const SKIPPED: &str = "skipped: condition not met";

/// Passes by the leading steps of a task being created whose condition is false, so
/// it starts at the first step that applies (or is finished at once); keeps a failed
/// condition's error on the first step. What this tells whom is said by
/// [`arrival_notices`] and `events::created` when the task is stored.
pub fn start(task: &mut Task, gate: &Gate, now: DateTime<Utc>) {
    let Some(first) = task.nodes.first() else {
        return;
    };
    if !gate.skips(first.id) && gate.failure(first.id).is_none() {
        return;
    }
    task.past_handlers.clear();
    let creator = task.creator_id;
    enter(task, 0, gate, Some(creator), now);
}
