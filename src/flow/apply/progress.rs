//! The handler's own progress on the current step: starting it, ticking its checklist,
//! completing it (or their share of it), and the server closing a task by itself.

use chrono::{DateTime, Utc};

use super::super::events::{Event, Finish};
use super::super::kinds::{NodeKind, Share, ShareState};
use super::super::model::{Completion, NodeState, Task, TaskStatus};
use super::super::rules::Denied;
use super::super::skip::{cc_notices, enter, Gate};
use super::{invalid, line, notices, ApplyError, LogLine, NoticeKind, Outcome};

/// `actor` starts the current step (and their share of an all/any step).
pub(super) fn start(
    task: &mut Task,
    actor: u64,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Outcome {
    let c = task.current;
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

/// `actor` completes the current step, or their share of it: an all step is done
/// when every share is; an any step with the first share (the others close).
pub(super) fn complete(
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

/// Finishes a task whose scenario condition cleared: every step not done yet is closed
/// now. Nobody is told (the task simply leaves their lists); the log line says why.
pub(super) fn close_by_itself(
    task: &mut Task,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Outcome {
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
