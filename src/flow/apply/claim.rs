//! Who takes up the step: claiming and releasing a claim step, and urging those who
//! still have to act (the candidates of an unclaimed step, the open handlers otherwise).

use chrono::{DateTime, Utc};

use super::super::events::Event;
use super::super::kinds::NOBODY;
use super::super::model::Task;
use super::{line, notices, NoticeKind, Outcome};

/// Urge (催办): tells whoever still has to act on the current step; changes nothing.
pub(super) fn urge(task: &Task, actor: u64, reason: Option<String>) -> Outcome {
    let c = task.current;
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

/// A candidate claims the unclaimed claim step: it is theirs from now.
pub(super) fn claim(
    task: &mut Task,
    actor: u64,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Outcome {
    let c = task.current;
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

/// The claimer releases the claim step: the other candidates may claim it.
pub(super) fn release(
    task: &mut Task,
    actor: u64,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Outcome {
    let c = task.current;
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
