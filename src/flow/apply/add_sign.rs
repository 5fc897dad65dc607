//! Add-sign (加签): a step added to this task only, before or after the current one.

use chrono::{DateTime, Utc};

use super::super::events::Event;
use super::super::kinds::{Added, NOBODY};
use super::super::model::{Node, Task, TaskKind};
use super::{activate, invalid, line, notices, ApplyError, NoticeKind, OpInput, Outcome};

/// Add-sign (加签): a single step for `input.to`, marked with who added it and why,
/// before the current step (it becomes current; the current one waits, then comes
/// back to its handlers) or right after it. The template is not touched.
pub(super) fn add_node(
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
