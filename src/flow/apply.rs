//! Performing an allowed flow operation: new node states, who is told, what is logged.

use chrono::{DateTime, Utc};

use super::events::{Event, Finish};
use super::model::{Completion, NodeState, Task, TaskStatus};
use super::rules::{decide_by, By, Denied, Op};
pub use super::skip::Gate;
use super::skip::{cc_notices, enter};

/// What the caller supplies with an operation.
#[derive(Debug, Clone, Default)]
pub struct OpInput {
    pub to: Option<u64>,
    pub reason: Option<String>,
    /// The steps' conditions as the service evaluated them (this module runs no
    /// scripts): which steps the flow passes by, which failed.
    pub gate: Gate,
}

/// Kinds of notice a flow change produces (inbox message kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Assigned,
    Transferred,
    Returned,
    Withdrawn,
    Urged,
    Finished,
    /// CC (抄送): the flow reached a step that names the recipient.
    CcReached,
    /// CC (抄送): a step that names the recipient is done.
    CcDone,
    /// A step's condition could not be evaluated; the flow stopped there.
    ConditionFailed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub to: u64,
    pub kind: NoticeKind,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub action: String,
    pub detail: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub notices: Vec<Notice>,
    pub log: LogLine,
    /// What happened, in order, with the facts of this moment.
    pub events: Vec<Event>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Denied(#[from] Denied),
    /// A request value that cannot work; `field` names it so the answer can say which.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
}

fn invalid(field: &'static str, message: impl Into<String>) -> ApplyError {
    ApplyError::Invalid {
        field,
        message: message.into(),
    }
}

fn clean_reason(r: &Option<String>) -> Option<String> {
    r.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Marks `task.nodes[i]` as newly received by its handler; says so as an event.
pub(super) fn activate(task: &mut Task, i: usize, now: DateTime<Utc>) -> Vec<Event> {
    let task_due = task.due_at;
    let Some(n) = task.nodes.get_mut(i) else {
        return vec![];
    };
    n.state = NodeState::Active;
    n.received_at = Some(now);
    n.started_at = None;
    n.done_at = None;
    let reached = Event::StepReached {
        node: n.id,
        handler: n.handler_id,
        due: n.due_at.or(task_due),
    };
    let h = n.handler_id;
    if !task.past_handlers.contains(&h) {
        task.past_handlers.push(h);
    }
    vec![reached]
}

/// Checks `op` with [`decide_by`] and applies it. The target of a transfer must already
/// be known to be a project member (the service checks membership). `by` is a user id
/// or [`By::Server`] (auto-close).
pub fn apply(
    task: &mut Task,
    by: impl Into<By>,
    op: Op,
    input: &OpInput,
    now: DateTime<Utc>,
) -> Result<Outcome, ApplyError> {
    let by = by.into();
    decide_by(by, task, op)?;
    let reason = clean_reason(&input.reason);
    let actor = match by {
        By::User(u) => u,
        // `decide_by` lets the server do nothing but auto-close and skip.
        By::Server => {
            let outcome = match op {
                Op::Skip => super::skip::skip_current(task, &input.gate, now)?,
                _ => close_by_itself(task, reason, now),
            };
            task.updated_at = now;
            return Ok(outcome);
        }
    };
    let c = task.current;
    let outcome = match op {
        Op::AutoClose => close_by_itself(task, reason, now),
        Op::Skip => super::skip::skip_current(task, &input.gate, now)?,
        Op::Start => {
            let n = &mut task.nodes[c];
            n.state = NodeState::Started;
            n.started_at = Some(now);
            Outcome {
                notices: vec![],
                log: LogLine {
                    action: "start".into(),
                    detail: format!("started step {}", c + 1),
                    reason,
                },
                events: vec![Event::StepStarted {
                    node: n.id,
                    by: actor,
                }],
            }
        }
        Op::Complete => {
            // The deadline and verdict of this moment, from the task as it stands
            // before the step is marked done; statistics keep them for good.
            let judged = Completion::judge(task.current_due(), now);
            let completed = Event::StepCompleted {
                node: task.nodes[c].id,
                by: actor,
                due: judged.due_at,
                on_time: judged.on_time,
            };
            let n = &mut task.nodes[c];
            n.state = NodeState::Done;
            n.done_at = Some(now);
            if n.started_at.is_none() {
                n.started_at = Some(now);
            }
            let done_cc = cc_notices(&task.nodes[c], NoticeKind::CcDone, actor);
            // The next step whose condition allows it; those passed by are skipped.
            let entered = enter(task, c + 1, &input.gate, Some(actor), now);
            let mut events = vec![completed];
            events.extend(entered.events);
            let mut notices = entered.notices;
            notices.extend(done_cc);
            let detail = match entered.reached {
                Some(next) => format!("completed step {}; step {} is next", c + 1, next + 1),
                None => format!("completed step {}; the task is finished", c + 1),
            };
            Outcome {
                notices,
                log: LogLine {
                    action: "complete".into(),
                    detail,
                    reason,
                },
                events,
            }
        }
        Op::Transfer => {
            let Some(to) = input.to else {
                return Err(invalid("to", "say whom to transfer to"));
            };
            if to == actor {
                return Err(invalid("to", "the step is already yours"));
            }
            task.nodes[c].handler_id = to;
            let mut events = vec![Event::Transferred {
                node: task.nodes[c].id,
                from: actor,
                to,
                reason: reason.clone(),
            }];
            events.extend(activate(task, c, now));
            Outcome {
                notices: vec![Notice {
                    to,
                    kind: NoticeKind::Transferred,
                    reason: reason.clone(),
                }],
                log: LogLine {
                    action: "transfer".into(),
                    detail: format!("transferred step {} from user {actor} to user {to}", c + 1),
                    reason,
                },
                events,
            }
        }
        Op::Return => {
            let Some(reason) = reason else {
                return Err(invalid("reason", "a return needs a reason"));
            };
            let n = &mut task.nodes[c];
            n.state = NodeState::Waiting;
            n.received_at = None;
            n.started_at = None;
            let node = n.id;
            let p = task.previous_index().unwrap_or(0);
            task.current = p;
            let prev = task.nodes[p].handler_id;
            let mut events = vec![Event::Returned {
                node,
                by: actor,
                to: prev,
                reason: reason.clone(),
            }];
            events.extend(activate(task, p, now));
            Outcome {
                notices: vec![Notice {
                    to: prev,
                    kind: NoticeKind::Returned,
                    reason: Some(reason.clone()),
                }],
                log: LogLine {
                    action: "return".into(),
                    detail: format!("returned step {} to step {}", c + 1, p + 1),
                    reason: Some(reason),
                },
                events,
            }
        }
        Op::Urge => {
            let to = task.nodes[c].handler_id;
            Outcome {
                notices: vec![Notice {
                    to,
                    kind: NoticeKind::Urged,
                    reason: reason.clone(),
                }],
                log: LogLine {
                    action: "urge".into(),
                    detail: format!("urged user {to} on step {}", c + 1),
                    reason: reason.clone(),
                },
                events: vec![Event::Urged {
                    node: task.nodes[c].id,
                    by: actor,
                    handler: to,
                    reason,
                }],
            }
        }
        Op::Withdraw => {
            let from = task.nodes[c].handler_id;
            let n = &mut task.nodes[c];
            n.state = NodeState::Waiting;
            n.received_at = None;
            let mut events = vec![Event::Withdrawn {
                node: n.id,
                by: actor,
                from,
                reason: reason.clone(),
            }];
            let p = task.previous_index().unwrap_or(0);
            task.current = p;
            events.extend(activate(task, p, now));
            Outcome {
                notices: vec![Notice {
                    to: from,
                    kind: NoticeKind::Withdrawn,
                    reason: reason.clone(),
                }],
                log: LogLine {
                    action: "withdraw".into(),
                    detail: format!("withdrew step {} back to step {}", c + 1, p + 1),
                    reason,
                },
                events,
            }
        }
    };
    task.updated_at = now;
    Ok(outcome)
}

/// Finishes a task whose scenario condition cleared: every step not done yet is closed
/// now. Nobody is told (the task simply leaves their lists); the log line says why.
fn close_by_itself(task: &mut Task, reason: Option<String>, now: DateTime<Utc>) -> Outcome {
    for n in task.nodes.iter_mut().filter(|n| n.state != NodeState::Done) {
        n.state = NodeState::Done;
        n.done_at = Some(now);
    }
    task.status = TaskStatus::Done;
    task.finished_at = Some(now);
    Outcome {
        notices: vec![],
        log: LogLine {
            action: "auto_close".into(),
            detail: "closed automatically: the condition no longer holds".into(),
            reason,
        },
        events: vec![Event::Finished {
            how: Finish::AutoClosed,
        }],
    }
}

/// Ticks or unticks a checklist item: the current handler's progress, which starts
/// an active node.
pub fn check(
    task: &mut Task,
    actor: u64,
    item: u32,
    done: bool,
    now: DateTime<Utc>,
) -> Result<LogLine, ApplyError> {
    if task.archived {
        return Err(Denied::Archived.into());
    }
    if task.status == TaskStatus::Done {
        return Err(Denied::Finished.into());
    }
    if task.current_handler() != Some(actor) {
        return Err(Denied::NotCurrentHandler.into());
    }
    let Some(it) = task.checklist.iter_mut().find(|i| i.id == item) else {
        return Err(invalid(
            "item",
            format!("checklist item {item} does not exist"),
        ));
    };
    it.done = done;
    it.done_by = done.then_some(actor);
    it.done_at = done.then_some(now);
    let text = it.text.clone();
    let c = task.current;
    if task.nodes[c].state == NodeState::Active {
        task.nodes[c].state = NodeState::Started;
        task.nodes[c].started_at = Some(now);
    }
    task.updated_at = now;
    Ok(LogLine {
        action: if done { "check" } else { "uncheck" }.into(),
        detail: format!("checklist: {text}"),
        reason: None,
    })
}
