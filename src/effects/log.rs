//! Consumer: the task log, and through each line the statistics counters: one line
//! per event about a task ([`on_events`]); a flow change's line carries its facts
//! ([`write_events`]).

use chrono::{DateTime, Utc};

use crate::actor::Actor;
use crate::flow::apply::LogLine;
use crate::flow::events::{self, Event};
use crate::flow::Completion;
use crate::store::{StoreError, WriteTx};
use crate::tasklog::{LogEntry, TaskLog, Undoes};

use super::events::{Edit, Event as Event2, Reminder, TaskRef};

/// Stages the log line of a flow change with the facts its events carry: who
/// completed a step (with that moment's deadline and verdict) and who received one.
pub fn write_events(
    tx: &mut WriteTx<'_>,
    task_id: u64,
    actor: &Actor,
    line: LogLine,
    events: &[Event],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let completion = events::completion(events);
    let skipped: Vec<usize> = events
        .iter()
        .filter_map(|e| match e {
            Event::Skipped { step, .. } => Some(*step),
            _ => None,
        })
        .collect();
    insert(
        tx,
        LogEntry {
            subject_id: completion.map(|(by, _, _)| by),
            received_by: events::received_by(events),
            received_also: events::received_also(events),
            // A withdrawal, or a claimer releasing the step before starting it, takes
            // back the receipt of the step.
            undoes: events
                .iter()
                .any(|e| matches!(e, Event::Withdrawn { .. } | Event::Released { .. }))
                .then_some(Undoes::LastReceipt),
            completion: completion.map(|(_, due_at, on_time)| Completion {
                due_at,
                on_time,
                inferred: false,
            }),
            ..LogEntry::new(task_id, actor, line, now)
        },
    )?;
    // Each step the flow passed by has its own line, by the system (no one did it),
    // with no facts: statistics count no receipt or completion for it.
    for step in skipped {
        let line = LogLine {
            action: "skip".into(),
            detail: format!("step {step} {}", crate::flow::skip::SKIPPED),
            reason: None,
        };
        insert(tx, LogEntry::new(task_id, &Actor::system(), line, now))?;
    }
    Ok(())
}

/// Appends one line to its task's log (one key: the task's [`TaskLog`]); the
/// statistics counters change in the same write, counted from the line's facts with
/// the task's earlier lines replayed (see `stats::record::on_line`).
pub fn insert(tx: &mut WriteTx<'_>, mut e: LogEntry) -> Result<(), StoreError> {
    e.id = tx.next_id()?;
    e.rev = 1;
    let stored = tx.get::<TaskLog>(e.task_id)?;
    let earlier = stored.as_ref().map_or(&[][..], |l| l.lines.as_slice());
    crate::stats::record::on_line(tx, earlier, &e)?;
    match stored {
        Some(mut log) => {
            let rev = log.rev;
            log.lines.push(e);
            tx.update(&mut log, rev)
        }
        None => tx.insert_owned(&mut TaskLog {
            id: e.task_id,
            rev: 0,
            lines: vec![e],
        }),
    }
}

/// The task-log line a service event writes, if it writes one: the task it belongs
/// to, the line, and (creation) the flow facts it carries.
fn line_of(e: &Event2) -> Option<(u64, LogLine)> {
    let line = |action: &str, detail: String| LogLine {
        action: action.to_string(),
        detail,
        reason: None,
    };
    Some(match e {
        Event2::Flowed(c) => return c.line.clone().map(|l| (c.task.id, l)),
        Event2::Created { task, .. } => {
            (task.id, line("create", format!("created '{}'", task.title)))
        }
        Event2::Commented { task, body, .. } => {
            (task.id, line("comment", body.chars().take(200).collect()))
        }
        Event2::Edited { task, changes } => {
            let labels: Vec<&str> = changes.iter().map(Edit::label).collect();
            (
                *task,
                line("edit", format!("changed {}", labels.join(", "))),
            )
        }
        Event2::ItemChecked { task, line } => (*task, line.clone()),
        Event2::Attached { task, name } => (*task, line("attach", format!("attached {name}"))),
        Event2::Detached { task, name } => (*task, line("detach", format!("removed {name}"))),
        Event2::Deleted { task } => (task.id, line("delete", format!("deleted '{}'", task.title))),
        Event2::Copied { task, to } => (*task, line("copy", format!("copied to task {to}"))),
        Event2::Moved {
            task,
            from_project,
            to_project,
        } => (
            *task,
            line(
                "move",
                format!("moved from project {from_project} to project {to_project}"),
            ),
        ),
        Event2::Archived { task, with_project } => (
            *task,
            line(
                "archive",
                if *with_project {
                    "archived with all finished tasks of the project".to_string()
                } else {
                    "archived".to_string()
                },
            ),
        ),
        Event2::Reminded { task, kind, .. } => match kind {
            Reminder::DueSoon => (task.id, line("due_soon", reminder_text(task, *kind))),
            Reminder::Overdue => (task.id, line("overdue", reminder_text(task, *kind))),
        },
        Event2::Escalated { task, level, .. } => {
            (task.id, line("escalation", escalation_text(task, *level)))
        }
        Event2::Announced { .. }
        | Event2::FeedbackSent { .. }
        | Event2::FeedbackAnswered { .. }
        | Event2::ScenarioQuarantined { .. }
        | Event2::Seen { .. } => return None,
    })
}

/// What a reminder says, in the log and in the inbox alike.
pub(super) fn reminder_text(task: &TaskRef, kind: Reminder) -> String {
    match kind {
        Reminder::DueSoon => format!("'{}' is due soon", task.title),
        Reminder::Overdue => format!("'{}' is overdue", task.title),
    }
}

/// What an escalation says, in the log and in the inbox alike.
pub(super) fn escalation_text(task: &TaskRef, level: usize) -> String {
    format!(
        "'{}' is not finished in time (escalation level {level})",
        task.title
    )
}

/// The consumer: one task-log line per event that concerns a task (a flow change and
/// a creation with their flow facts, so statistics count who received and who
/// completed a step).
pub fn on_events(
    tx: &mut WriteTx<'_>,
    actor: &Actor,
    events: &[Event2],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for e in events {
        let Some((task_id, line)) = line_of(e) else {
            continue;
        };
        match e {
            Event2::Created { facts, .. } => write_events(tx, task_id, actor, line, facts, now)?,
            Event2::Flowed(c) => write_events(tx, task_id, actor, line, &c.facts, now)?,
            // a deleted task leaves every statistic (see `stats::record::on_line`)
            Event2::Deleted { .. } => insert(
                tx,
                LogEntry {
                    undoes: Some(Undoes::Task),
                    ..LogEntry::new(task_id, actor, line, now)
                },
            )?,
            _ => insert(tx, LogEntry::new(task_id, actor, line, now))?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_line_names_what_changed_and_board_events_write_none() {
        let e = Event2::Edited {
            task: 4,
            changes: vec![
                Edit::Title,
                Edit::Deadline {
                    from: None,
                    to: None,
                },
                Edit::Watchers {
                    added: vec![3],
                    removed: vec![],
                },
            ],
        };
        let (task, line) = line_of(&e).unwrap();
        assert_eq!(task, 4);
        assert_eq!(
            (line.action.as_str(), line.detail.as_str()),
            ("edit", "changed title, due time, watchers")
        );
        let a = Event2::Announced {
            id: 1,
            title: "x".into(),
            to: vec![2],
        };
        assert!(line_of(&a).is_none());
    }

    #[test]
    fn a_comment_line_keeps_the_first_200_characters() {
        let e = Event2::Commented {
            task: TaskRef {
                id: 1,
                title: "t".into(),
            },
            by: 1,
            body: "é".repeat(300),
            mentions: vec![],
            participants: vec![],
        };
        assert_eq!(line_of(&e).unwrap().1.detail.chars().count(), 200);
    }
}
