//! Performing an allowed flow operation: new node states, who is told, what is logged.

use chrono::{DateTime, Utc};

use super::events::{Event, Finish};
use super::kinds::{Added, NodeKind, Share, ShareState, NOBODY};
use super::model::{Completion, Node, NodeState, Task, TaskKind, TaskStatus};
use super::rules::{decide_by, By, Denied, Op};
pub use super::skip::Gate;
use super::skip::{cc_notices, enter};

/// What the caller supplies with an operation.
#[derive(Debug, Clone, Default)]
pub struct OpInput {
    /// Transfer: the new handler. Add-sign: the added step's handler.
    pub to: Option<u64>,
    pub reason: Option<String>,
    /// Add-sign: what the added step's handler is to do.
    pub action: Option<String>,
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
    /// A claim step the recipient is a candidate for may be claimed.
    Claimable,
    /// Another handler completed the any-sign step: the recipient's share closed.
    ShareClosed,
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

fn line(action: &str, detail: String, reason: Option<String>) -> LogLine {
    LogLine {
        action: action.into(),
        detail,
        reason,
    }
}

fn notices(
    to: impl IntoIterator<Item = u64>,
    kind: NoticeKind,
    reason: &Option<String>,
) -> Vec<Notice> {
    to.into_iter()
        .map(|to| Notice {
            to,
            kind,
            reason: reason.clone(),
        })
        .collect()
}

/// Marks `task.nodes[i]` as newly received by its handlers (every share of an
/// all/any step active again); says so as one event per handler. An unclaimed claim
/// step is received by nobody: its candidates are told (see [`reached_notices`]).
pub(super) fn activate(task: &mut Task, i: usize, now: DateTime<Utc>) -> Vec<Event> {
    let task_due = task.due_at;
    let Some(n) = task.nodes.get_mut(i) else {
        return vec![];
    };
    n.state = NodeState::Active;
    n.received_at = Some(now);
    n.started_at = None;
    n.done_at = None;
    for s in &mut n.shares {
        *s = Share {
            state: ShareState::Active,
            received_at: Some(now),
            ..Share::new(s.handler_id)
        };
    }
    let (id, due, handlers) = (n.id, n.due_at.or(task_due), n.handlers());
    for h in &handlers {
        if !task.past_handlers.contains(h) {
            task.past_handlers.push(*h);
        }
    }
    handlers
        .into_iter()
        .map(|handler| Event::StepReached {
            node: id,
            handler,
            due,
        })
        .collect()
}

/// Who is told that step `i` reached them: its handlers with `kind`, or the
/// candidates of an unclaimed claim step that they may claim it.
pub(super) fn reached_notices(
    task: &Task,
    i: usize,
    kind: NoticeKind,
    reason: &Option<String>,
) -> Vec<Notice> {
    let Some(n) = task.nodes.get(i) else {
        return vec![];
    };
    if n.is_unclaimed() {
        notices(n.candidates.clone(), NoticeKind::Claimable, &None)
    } else {
        notices(n.handlers(), kind, reason)
    }
}

/// Checks `op` with [`decide_by`] and applies it. The target of a transfer or an
/// add-sign must already be known to be a project member (the service checks
/// membership). `by` is a user id or [`By::Server`] (auto-close).
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
            n.started_at.get_or_insert(now);
            if let Some(s) = n.share_mut(actor) {
                s.state = ShareState::Started;
                s.started_at = Some(now);
            }
            Outcome {
                notices: vec![],
                log: line("start", format!("started step {}", c + 1), reason),
                events: vec![Event::StepStarted {
                    node: n.id,
                    by: actor,
                }],
            }
        }
        Op::Complete => complete(task, actor, reason, &input.gate, now),
        Op::Transfer => {
            let Some(to) = input.to.filter(|u| *u != NOBODY) else {
                return Err(invalid("to", "say whom to transfer to"));
            };
            if to == actor {
                return Err(invalid("to", "the step is already yours"));
            }
            let n = &mut task.nodes[c];
            let node = n.id;
            let mut events = vec![Event::Transferred {
                node,
                from: actor,
                to,
                reason: reason.clone(),
            }];
            let whose = match n.kind {
                NodeKind::All | NodeKind::Any => {
                    // Their own share only; the others keep theirs.
                    if n.handlers().contains(&to) {
                        return Err(invalid(
                            "to",
                            format!("user {to} already has a share of this step"),
                        ));
                    }
                    if let Some(s) = n.share_mut(actor) {
                        *s = Share {
                            state: ShareState::Active,
                            received_at: Some(now),
                            ..Share::new(to)
                        };
                    }
                    events.push(Event::StepReached {
                        node,
                        handler: to,
                        due: task.current_due(),
                    });
                    if !task.past_handlers.contains(&to) {
                        task.past_handlers.push(to);
                    }
                    "their share of step"
                }
                NodeKind::Single | NodeKind::Claim => {
                    n.handler_id = to;
                    events.extend(activate(task, c, now));
                    "step"
                }
            };
            Outcome {
                notices: notices([to], NoticeKind::Transferred, &reason),
                log: line(
                    "transfer",
                    format!(
                        "transferred {whose} {} from user {actor} to user {to}",
                        c + 1
                    ),
                    reason,
                ),
                events,
            }
        }
        Op::Return => {
            let Some(reason) = reason else {
                return Err(invalid("reason", "a return needs a reason"));
            };
            let n = &mut task.nodes[c];
            n.reset();
            if n.kind == NodeKind::Claim {
                // Reached again later, it is up for claiming again.
                n.handler_id = NOBODY;
            }
            let node = n.id;
            let p = task.previous_index().unwrap_or(0);
            task.current = p;
            let reached = activate(task, p, now);
            let mut events: Vec<Event> = task.nodes[p]
                .handlers()
                .into_iter()
                .map(|to| Event::Returned {
                    node,
                    by: actor,
                    to,
                    reason: reason.clone(),
                })
                .collect();
            events.extend(reached);
            Outcome {
                notices: reached_notices(task, p, NoticeKind::Returned, &Some(reason.clone())),
                log: line(
                    "return",
                    format!("returned step {} to step {}", c + 1, p + 1),
                    Some(reason),
                ),
                events,
            }
        }
        Op::Urge => {
            let n = &task.nodes[c];
            // The candidates of an unclaimed step; the handlers not done otherwise.
            let to: Vec<u64> = if n.is_unclaimed() {
                n.candidates.clone()
            } else {
                n.open_handlers().into_iter().map(|(h, _)| h).collect()
            };
            let names: Vec<String> = to.iter().map(|u| format!("user {u}")).collect();
            Outcome {
                events: to
                    .iter()
                    .map(|h| Event::Urged {
                        node: n.id,
                        by: actor,
                        handler: *h,
                        reason: reason.clone(),
                    })
                    .collect(),
                notices: notices(to, NoticeKind::Urged, &reason),
                log: line(
                    "urge",
                    format!("urged {} on step {}", names.join(", "), c + 1),
                    reason,
                ),
            }
        }
        Op::Withdraw => {
            let n = &mut task.nodes[c];
            let from = n.handlers();
            let node = n.id;
            n.reset();
            // `from` is empty for an unclaimed claim step: one event, from nobody.
            let mut events: Vec<Event> = if from.is_empty() {
                vec![NOBODY]
            } else {
                from.clone()
            }
            .into_iter()
            .map(|from| Event::Withdrawn {
                node,
                by: actor,
                from,
                reason: reason.clone(),
            })
            .collect();
            let p = task.previous_index().unwrap_or(0);
            task.current = p;
            events.extend(activate(task, p, now));
            Outcome {
                notices: notices(from, NoticeKind::Withdrawn, &reason),
                log: line(
                    "withdraw",
                    format!("withdrew step {} back to step {}", c + 1, p + 1),
                    reason,
                ),
                events,
            }
        }
        Op::Claim => {
            let n = &mut task.nodes[c];
            n.handler_id = actor;
            n.received_at = Some(now);
            let due = n.due_at.or(task.due_at);
            let node = n.id;
            if !task.past_handlers.contains(&actor) {
                task.past_handlers.push(actor);
            }
            Outcome {
                notices: vec![],
                log: line("claim", format!("claimed step {}", c + 1), reason),
                events: vec![
                    Event::Claimed { node, by: actor },
                    Event::StepReached {
                        node,
                        handler: actor,
                        due,
                    },
                ],
            }
        }
        Op::Release => {
            let n = &mut task.nodes[c];
            n.handler_id = NOBODY;
            n.received_at = Some(now);
            let others: Vec<u64> = n
                .candidates
                .iter()
                .copied()
                .filter(|u| *u != actor)
                .collect();
            Outcome {
                notices: notices(others, NoticeKind::Claimable, &None),
                log: line("release", format!("released step {}", c + 1), reason),
                events: vec![Event::Released {
                    node: n.id,
                    by: actor,
                }],
            }
        }
        Op::AddBefore | Op::AddAfter => {
            add_node(task, actor, op == Op::AddBefore, input, reason, now)?
        }
    };
    task.updated_at = now;
    Ok(outcome)
}

/// `actor` completes the current step, or their share of it: an all step is done
/// when every share is; an any step with the first share (the others close).
fn complete(
    task: &mut Task,
    actor: u64,
    reason: Option<String>,
    gate: &Gate,
    now: DateTime<Utc>,
) -> Outcome {
    let c = task.current;
    // The deadline and verdict of this moment, from the task as it stands before the
    // step is marked done; statistics keep them for good.
    let judged = Completion::judge(task.current_due(), now);
    let n = &mut task.nodes[c];
    let node = n.id;
    let mut events = Vec::new();
    let mut told = Vec::new();
    match n.kind {
        NodeKind::All | NodeKind::Any => {
            if let Some(s) = n.share_mut(actor) {
                s.state = ShareState::Done;
                s.done_at = Some(now);
                s.started_at.get_or_insert(now);
            }
            events.push(Event::ShareCompleted {
                node,
                by: actor,
                due: judged.due_at,
                on_time: judged.on_time,
            });
            if n.kind == NodeKind::Any {
                let mut closed = Vec::new();
                for s in n.shares.iter_mut().filter(|s| s.is_open()) {
                    s.state = ShareState::Closed;
                    s.done_at = Some(now);
                    closed.push(s.handler_id);
                }
                if !closed.is_empty() {
                    told = notices(closed.clone(), NoticeKind::ShareClosed, &None);
                    events.push(Event::SharesClosed {
                        node,
                        handlers: closed,
                    });
                }
            }
            if n.shares.iter().any(Share::is_open) {
                n.state = NodeState::Started;
                n.started_at.get_or_insert(now);
                return Outcome {
                    notices: told,
                    log: line(
                        "complete",
                        format!("completed their share of step {}", c + 1),
                        reason,
                    ),
                    events,
                };
            }
        }
        NodeKind::Single | NodeKind::Claim => events.push(Event::StepCompleted {
            node,
            by: actor,
            due: judged.due_at,
            on_time: judged.on_time,
        }),
    }
    n.state = NodeState::Done;
    n.done_at = Some(now);
    n.started_at.get_or_insert(now);
    let done_cc = cc_notices(&task.nodes[c], NoticeKind::CcDone, actor);
    // The next step whose condition allows it; those passed by are skipped.
    let entered = enter(task, c + 1, gate, Some(actor), now);
    events.extend(entered.events);
    told.extend(entered.notices);
    told.extend(done_cc);
    let detail = match entered.reached {
        Some(next) => format!("completed step {}; step {} is next", c + 1, next + 1),
        None => format!("completed step {}; the task is finished", c + 1),
    };
    Outcome {
        notices: told,
        log: line("complete", detail, reason),
        events,
    }
}

/// Add-sign (加签): a single step for `input.to`, marked with who added it and why,
/// before the current step (it becomes current; the current one waits, then comes
/// back to its handlers) or right after it. The template is not touched.
fn add_node(
    task: &mut Task,
    actor: u64,
    before: bool,
    input: &OpInput,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<Outcome, ApplyError> {
    let Some(to) = input.to.filter(|u| *u != NOBODY) else {
        return Err(invalid("to", "say who handles the added step"));
    };
    if to == actor {
        return Err(invalid("to", "add a step for someone else"));
    }
    let action = input.action.as_deref().map(str::trim).unwrap_or_default();
    if action.is_empty() || action.chars().count() > 200 {
        return Err(invalid("action", "say what to do, in 1 to 200 characters"));
    }
    let Some(reason) = reason else {
        return Err(invalid("reason", "an added step needs a reason"));
    };
    let c = task.current;
    let id = task.alloc_id();
    // A simple task has one step by definition: with a second it is a workflow.
    task.kind = TaskKind::Workflow;
    let added = Node {
        id,
        handler_id: to,
        action: action.to_string(),
        added: Some(Added {
            by: actor,
            reason: reason.clone(),
            at: now,
            before,
        }),
        ..Node::default_single()
    };
    let mut events = vec![Event::NodeAdded {
        node: id,
        by: actor,
        handler: to,
        before,
        reason: reason.clone(),
    }];
    if before {
        // The current step waits (a claimed step keeps its claimer) and comes back.
        let n = &mut task.nodes[c];
        n.reset();
        task.nodes.insert(c, added);
        events.extend(activate(task, c, now));
        Ok(Outcome {
            notices: notices([to], NoticeKind::Assigned, &Some(reason.clone())),
            log: line(
                "add_before",
                format!(
                    "added step {} for user {to} before step {}: {action}",
                    c + 1,
                    c + 2
                ),
                Some(reason),
            ),
            events,
        })
    } else {
        task.nodes.insert(c + 1, added);
        Ok(Outcome {
            notices: vec![],
            log: line(
                "add_after",
                format!(
                    "added step {} for user {to} after step {}: {action}",
                    c + 2,
                    c + 1
                ),
                Some(reason),
            ),
            events,
        })
    }
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
    if task.current_node().is_some_and(|n| n.is_unclaimed()) {
        return Err(Denied::Unclaimed.into());
    }
    if !task.is_open_for(actor) {
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
    let n = &mut task.nodes[c];
    if n.state == NodeState::Active {
        n.state = NodeState::Started;
        n.started_at = Some(now);
    }
    // Progress starts the ticker's own share of an all/any step.
    if let Some(s) = n.share_mut(actor).filter(|s| s.state == ShareState::Active) {
        s.state = ShareState::Started;
        s.started_at = Some(now);
    }
    task.updated_at = now;
    Ok(LogLine {
        action: if done { "check" } else { "uncheck" }.into(),
        detail: format!("checklist: {text}"),
        reason: None,
    })
}
