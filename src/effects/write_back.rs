//! Consumer: the write-back items a task's events cause. A task writes back when its
//! scenario named a target (`const WRITE_BACK`) or, failing that, its project chose
//! one, and that target exists and is switched on. Each event is one outbox item with
//! the default body of that moment, staged in the change's own write.

use chrono::{DateTime, Utc};

use crate::actor::Actor;
use crate::delivery::model::{OutboxItem, OutboxStatus, Target};
use crate::delivery::notice::Notice;
use crate::delivery::write_back::body::{default_body, Facts, Who, WriteBackEvent};
use crate::delivery::write_back::model::ix;
use crate::delivery::write_back::{ProjectWriteBack, WriteBackPayload, WriteBackTarget};
use crate::flow::events::{Event as FlowEvent, Finish};
use crate::flow::Task;
use crate::inbox::MessageKind;
use crate::org::User;
use crate::store::{StoreError, WriteTx};

use super::events::Event;

/// What [`target_of`] reads of a stored task: a new task is not decoded whole unless
/// it writes back (most do not).
#[derive(serde::Deserialize)]
struct WriteBackOf {
    project_id: u64,
    source: Option<SourceOf>,
}

#[derive(serde::Deserialize)]
struct SourceOf {
    #[serde(default)]
    write_back: Option<String>,
}

/// The enabled target `task` writes back to, if any.
fn target_of(tx: &WriteTx<'_>, task: &Task) -> Result<Option<String>, StoreError> {
    let named = task.source.as_ref().and_then(|s| s.write_back.clone());
    target_named(tx, task.project_id, named)
}

/// The enabled target of a task of `project` whose scenario named `named`, if any.
fn target_named(
    tx: &WriteTx<'_>,
    project: u64,
    named: Option<String>,
) -> Result<Option<String>, StoreError> {
    let name = match named {
        Some(n) => n,
        None => match tx.lookup(ix::PROJECT, &project.to_string())? {
            Some(id) => tx.load::<ProjectWriteBack>(id)?.target,
            None => return Ok(None),
        },
    };
    let Some(id) = tx.lookup(ix::NAME, &name)? else {
        return Ok(None);
    };
    Ok(tx
        .get::<WriteBackTarget>(id)?
        .filter(|t| t.enabled)
        .map(|t| t.name))
}

fn who(tx: &WriteTx<'_>, actor: &Actor) -> Result<Who, StoreError> {
    let user = match actor.user_id {
        Some(id) => tx.get::<User>(id)?,
        None => None,
    };
    Ok(match user {
        Some(u) => Who {
            id: Some(u.id),
            username: Some(u.username),
            name: u.display_name,
        },
        None => Who {
            id: None,
            username: None,
            name: actor.name.clone(),
        },
    })
}

/// One event's facts about `task`, before the step and how are filled in.
fn facts(task: &Task, event: WriteBackEvent, who: Who, now: DateTime<Utc>) -> Facts {
    Facts {
        event,
        task_id: task.id,
        title: task.title.clone(),
        project_id: task.project_id,
        record: task
            .source
            .as_ref()
            .map(|s| (s.record_kind.clone(), s.record_id.clone())),
        node: None,
        how: None,
        who,
        at: now,
        comment: None,
    }
}

fn node(task: &Task, id: u32) -> Option<(u32, String)> {
    task.nodes
        .iter()
        .find(|n| n.id == id)
        .map(|n| (id, n.action.clone()))
}

/// The write-back events among a flow operation's `events` on `task` (as it is now);
/// `comment` is the operation's note or reason.
pub fn write_back_facts(
    task: &Task,
    events: &[FlowEvent],
    who: &Who,
    comment: Option<&str>,
    now: DateTime<Utc>,
) -> Vec<Facts> {
    let mut out = Vec::new();
    for e in events {
        let f = |ev| facts(task, ev, who.clone(), now);
        out.push(match e {
            FlowEvent::StepCompleted { node: n, .. } => Facts {
                node: node(task, *n),
                comment: comment.map(str::to_string),
                ..f(WriteBackEvent::StepCompleted)
            },
            FlowEvent::Returned {
                node: n, reason, ..
            } => Facts {
                node: node(task, *n),
                comment: Some(reason.clone()),
                ..f(WriteBackEvent::Returned)
            },
            FlowEvent::Finished { how } => Facts {
                how: Some(match how {
                    Finish::Completed => "completed",
                    Finish::AutoClosed => "auto_closed",
                }),
                ..f(WriteBackEvent::Finished)
            },
            _ => continue,
        });
    }
    out
}

fn stage(
    tx: &mut WriteTx<'_>,
    task: &Task,
    target: &str,
    facts: Vec<Facts>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for f in facts {
        let event = f.event.as_str();
        let notice = Notice {
            message_id: 0,
            kind: match f.event {
                WriteBackEvent::Finished => MessageKind::Finished,
                WriteBackEvent::Returned => MessageKind::Returned,
                _ => MessageKind::Assigned,
            },
            user_id: f.who.id.unwrap_or(0),
            recipient: target.to_string(),
            actor: Some(f.who.name.clone()),
            task_id: Some(task.id),
            title: Some(task.title.clone()),
            text: format!("write-back: {event}"),
            reason: f.comment.clone(),
            language: Default::default(),
            created_at: now,
            due_at: None,
            todo: None,
        };
        tx.insert(&mut OutboxItem {
            id: 0,
            rev: 0,
            target: Target::WriteBack {
                name: target.to_string(),
            },
            status: OutboxStatus::Pending,
            attempts: 0,
            next_at: now,
            last_error: None,
            created_at: now,
            sent_at: None,
            notice,
            once: None,
            write_back: Some(WriteBackPayload {
                event: event.to_string(),
                scenario: task.source.as_ref().map(|s| s.scenario_id.clone()),
                body: default_body(&f),
            }),
        })?;
    }
    Ok(())
}

/// Stages the write-backs of a flow operation on `task` (already staged as it is now).
fn on_flow(
    tx: &mut WriteTx<'_>,
    task: &Task,
    actor: &Actor,
    events: &[FlowEvent],
    comment: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    // Transfers, withdrawals, urges, starts: nothing to tell, nothing to read.
    let relevant = events.iter().any(|e| {
        matches!(
            e,
            FlowEvent::StepCompleted { .. }
                | FlowEvent::Returned { .. }
                | FlowEvent::Finished { .. }
        )
    });
    if !relevant {
        return Ok(());
    }
    let Some(target) = target_of(tx, task)? else {
        return Ok(());
    };
    let who = who(tx, actor)?;
    let facts = write_back_facts(task, events, &who, comment, now);
    stage(tx, task, &target, facts, now)
}

/// The consumer: stages the write-backs of `events`: a task created, a flow change's
/// completions, returns and finish (its note or reason as the comment).
pub fn on_events(
    tx: &mut WriteTx<'_>,
    actor: &Actor,
    events: &[Event],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for e in events {
        let task = match e {
            Event::Created { task, .. } => task,
            Event::Flowed(c) => {
                let comment = c.line.as_ref().and_then(|l| l.reason.as_deref());
                on_flow(tx, &c.task, actor, &c.facts, comment, now)?;
                continue;
            }
            _ => continue,
        };
        let Some(of) = tx.get_part::<Task, WriteBackOf>(task.id)? else {
            continue;
        };
        let named = of.source.and_then(|s| s.write_back);
        let Some(target) = target_named(tx, of.project_id, named)? else {
            continue;
        };
        let Some(task) = tx.get::<Task>(task.id)? else {
            continue;
        };
        let f = facts(&task, WriteBackEvent::Created, who(tx, actor)?, now);
        stage(tx, &task, &target, vec![f], now)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_returns_and_finishes_are_told_the_rest_is_not() {
        let now = DateTime::from_timestamp(1_764_000_000, 0).unwrap();
        let mut task = Task::one_step(7, now);
        task.id = 12;
        task.nodes[0].action = "pack".into();
        let who = Who {
            id: Some(7),
            username: Some("bob".into()),
            name: "Bob".into(),
        };
        let events = [
            FlowEvent::StepStarted { node: 1, by: 7 },
            FlowEvent::Transferred {
                node: 1,
                from: 7,
                to: 8,
                reason: None,
            },
            FlowEvent::StepCompleted {
                node: 1,
                by: 7,
                due: None,
                on_time: true,
            },
            FlowEvent::Finished {
                how: Finish::Completed,
            },
        ];
        let facts = write_back_facts(&task, &events, &who, Some("packed"), now);
        let got: Vec<_> = facts
            .iter()
            .map(|f| (f.event, f.node.clone(), f.how, f.comment.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    WriteBackEvent::StepCompleted,
                    Some((1, "pack".to_string())),
                    None,
                    Some("packed".to_string())
                ),
                (WriteBackEvent::Finished, None, Some("completed"), None),
            ]
        );
        let returned = write_back_facts(
            &task,
            &[FlowEvent::Returned {
                node: 1,
                by: 7,
                to: 3,
                reason: "photo missing".into(),
            }],
            &who,
            None,
            now,
        );
        assert_eq!(returned[0].event, WriteBackEvent::Returned);
        assert_eq!(returned[0].comment.as_deref(), Some("photo missing"));
        assert_eq!(returned[0].record, None, "a task made by people");
    }
}
