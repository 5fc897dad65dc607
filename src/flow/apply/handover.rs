//! The step changes hands or goes back: transfer to someone else, return to the
//! previous step with a reason, withdrawal by the one who passed it on.

use chrono::{DateTime, Utc};

use super::super::events::Event;
use super::super::kinds::{NodeKind, Share, ShareState, NOBODY};
use super::super::model::Task;
use super::{
    activate, invalid, line, notices, reached_notices, ApplyError, NoticeKind, OpInput, Outcome,
};

/// Transfer (转交): the step, or `actor`'s share of an all/any step, to `input.to`.
pub(super) fn transfer(
    task: &mut Task,
    actor: u64,
    input: &OpInput,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<Outcome, ApplyError> {
    let c = task.current;
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
    Ok(Outcome {
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
    })
}

/// Return (退回): the current step goes back to the previous one; a reason is required.
pub(super) fn give_back(
    task: &mut Task,
    actor: u64,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<Outcome, ApplyError> {
    let c = task.current;
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
    Ok(Outcome {
        notices: reached_notices(task, p, NoticeKind::Returned, &Some(reason.clone())),
        log: line(
            "return",
            format!("returned step {} to step {}", c + 1, p + 1),
            Some(reason),
        ),
        events,
    })
}

/// Withdraw (撤回): the flow comes back from the current step to the previous one.
pub(super) fn withdraw(
    task: &mut Task,
    actor: u64,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Outcome {
    let c = task.current;
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
