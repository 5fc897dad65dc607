//! Consumer: the inbox messages (and, through `notify`, their outbox items) and read
//! marks that events cause. Who hears of what is decided here, from the event alone
//! (a flow change's notices: in `notices`).

use chrono::{DateTime, Utc};

use crate::actor::Actor;
use crate::flow::kinds::NOBODY;
use crate::inbox::service::{mark_read, NewMessage};
use crate::inbox::MessageKind;
use crate::store::{StoreError, WriteTx};

use super::events::{Event, Reminder};
use super::log::{escalation_text, reminder_text};

/// A message about `task_id` (or about no task), with the title it shows.
fn message(
    user_id: u64,
    kind: MessageKind,
    about: (Option<u64>, &str),
    actor_id: Option<u64>,
    text: String,
    reason: Option<String>,
) -> NewMessage {
    NewMessage {
        user_id,
        kind,
        task_id: about.0,
        task_title: Some(about.1.to_string()),
        actor_id,
        text,
        reason,
    }
}

/// The messages `e`, done by `actor`, sends.
fn messages_of(e: &Event, actor: &Actor) -> Vec<NewMessage> {
    let by = actor.user_id;
    match e {
        Event::Created {
            task,
            first_handler,
            also_handlers,
            candidates,
            ..
        } => {
            let about = (Some(task.id), task.title.as_str());
            let assigned = first_handler
                .iter()
                .chain(also_handlers)
                .map(|u| (*u, format!("'{}' is assigned to you", task.title)));
            let to_claim = candidates
                .iter()
                .map(|u| (*u, format!("'{}' has a step you may claim", task.title)));
            assigned
                .chain(to_claim)
                .filter(|(u, _)| *u != NOBODY && !actor.is(*u))
                .map(|(u, text)| message(u, MessageKind::Assigned, about, by, text, None))
                .collect()
        }
        Event::Commented {
            task,
            by: author,
            body,
            mentions,
            participants,
        } => {
            let about = (Some(task.id), task.title.as_str());
            // A mention is the stronger message: those named are not told twice.
            let mentioned = mentions.iter().filter(|m| *m != author).map(|m| {
                message(
                    *m,
                    MessageKind::Mentioned,
                    about,
                    Some(*author),
                    format!("{} mentioned you on '{}'", actor.name, task.title),
                    Some(body.clone()),
                )
            });
            let others = participants
                .iter()
                .filter(|p| *p != author && !mentions.contains(p))
                .map(|p| {
                    message(
                        *p,
                        MessageKind::Commented,
                        about,
                        Some(*author),
                        format!("{} commented on '{}'", actor.name, task.title),
                        Some(body.clone()),
                    )
                });
            mentioned.chain(others).collect()
        }
        Event::Reminded {
            task,
            kind,
            handler,
            creator,
        } => {
            let mut to: Vec<u64> = handler.clone();
            if *kind == Reminder::Overdue && !to.contains(creator) {
                to.push(*creator);
            }
            let kind_msg = match kind {
                Reminder::DueSoon => MessageKind::DueSoon,
                Reminder::Overdue => MessageKind::Overdue,
            };
            to.into_iter()
                .map(|u| {
                    message(
                        u,
                        kind_msg,
                        (Some(task.id), &task.title),
                        None,
                        reminder_text(task, *kind),
                        None,
                    )
                })
                .collect()
        }
        Event::Escalated {
            task,
            level,
            notify,
        } => notify
            .iter()
            .map(|u| {
                message(
                    *u,
                    MessageKind::Escalation,
                    (Some(task.id), &task.title),
                    None,
                    escalation_text(task, *level),
                    None,
                )
            })
            .collect(),
        Event::Announced { id, title, to } => to
            .iter()
            .map(|u| {
                message(
                    *u,
                    MessageKind::Announcement,
                    (None, title),
                    by,
                    format!("Announcement: {title} (#{id})"),
                    None,
                )
            })
            .collect(),
        Event::FeedbackSent {
            id,
            title,
            by: author,
            admins,
        } => admins
            .iter()
            .map(|a| {
                message(
                    *a,
                    MessageKind::FeedbackNew,
                    (None, title),
                    Some(*author),
                    format!("{} sent feedback '{title}' (#{id})", actor.name),
                    None,
                )
            })
            .collect(),
        Event::FeedbackAnswered { id, title, author } => vec![message(
            *author,
            MessageKind::Feedback,
            (None, title),
            by,
            format!("{} replied to your feedback '{title}' (#{id})", actor.name),
            None,
        )],
        Event::ScenarioQuarantined {
            name,
            reason,
            admins,
        } => admins
            .iter()
            .map(|a| {
                message(
                    *a,
                    MessageKind::ScenarioQuarantined,
                    (None, name),
                    None,
                    format!(
                        "Scenario '{name}' was switched off: {reason}. Fix it and enable it again on the Scenarios page."
                    ),
                    Some(reason.clone()),
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Stages the messages (with their outbox items) and read marks of `events`.
pub fn on_events(
    tx: &mut WriteTx<'_>,
    actor: &Actor,
    events: &[Event],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for e in events {
        match e {
            Event::Seen { messages } => mark_read(tx, messages)?,
            Event::Flowed(c) => {
                // What it takes back first: the new messages say it all.
                mark_read(tx, &c.taken_back)?;
                super::notices::post(tx, &c.task, actor, &c.notices, &c.facts, now)?;
            }
            _ => {}
        }
        for m in messages_of(e, actor) {
            super::notify(tx, m, now)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::Role;
    use crate::effects::events::TaskRef;

    fn kinds(ms: &[NewMessage]) -> Vec<(u64, &'static str)> {
        ms.iter().map(|m| (m.user_id, m.kind.as_str())).collect()
    }

    #[test]
    fn a_comment_tells_the_mentioned_once_and_the_other_participants() {
        let ann = Actor::user(1, "ann", Role::Member, None);
        let e = Event::Commented {
            task: TaskRef {
                id: 9,
                title: "t".into(),
            },
            by: 1,
            body: "@bob look".into(),
            mentions: vec![2],
            participants: vec![1, 2, 3],
        };
        assert_eq!(
            kinds(&messages_of(&e, &ann)),
            vec![(2, "mentioned"), (3, "commented")]
        );
    }

    #[test]
    fn overdue_tells_the_creator_too_and_due_soon_only_the_handler() {
        let task = TaskRef {
            id: 9,
            title: "t".into(),
        };
        let reminded = |kind| Event::Reminded {
            task: task.clone(),
            kind,
            handler: vec![2],
            creator: 1,
        };
        let server = Actor::server();
        assert_eq!(
            kinds(&messages_of(&reminded(Reminder::DueSoon), &server)),
            vec![(2, "due_soon")]
        );
        assert_eq!(
            kinds(&messages_of(&reminded(Reminder::Overdue), &server)),
            vec![(2, "overdue"), (1, "overdue")]
        );
    }

    #[test]
    fn creating_for_oneself_sends_nothing() {
        let ann = Actor::user(1, "ann", Role::Member, None);
        let created = |first_handler| Event::Created {
            task: TaskRef {
                id: 9,
                title: "t".into(),
            },
            first_handler,
            facts: Vec::new(),
            also_handlers: vec![],
            candidates: vec![],
        };
        assert!(messages_of(&created(Some(1)), &ann).is_empty());
        // every step skipped by its condition: nobody received one
        assert!(messages_of(&created(None), &ann).is_empty());
        assert_eq!(
            kinds(&messages_of(&created(Some(2)), &ann)),
            vec![(2, "assigned")]
        );
    }
}
