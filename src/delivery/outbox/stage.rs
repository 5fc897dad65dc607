//! Staging: which outbox items an inbox message causes (the recipient's e-mail,
//! webhook and chat apps as their preferences say, the group channels once per event),
//! written in the message's own write.

use chrono::{DateTime, Utc};

use super::super::model::{ix, DeliverySettings, OutboxItem, OutboxStatus, Target};
use super::super::notice::Notice;
use super::super::prefs::{PreferenceRecord, Preferences, IX_PREFS};
use crate::flow::Task;
use crate::inbox::{Message, MessageKind};
use crate::org::User;
use crate::store::{StoreError, WriteTx};
use crate::time::time_key;

/// The preference key of a message kind; kinds without one never leave the inbox.
pub fn event_of(kind: MessageKind) -> Option<&'static str> {
    use MessageKind as K;
    Some(match kind {
        K::Assigned => "assigned",
        K::Transferred => "transferred",
        K::Returned => "returned",
        K::Withdrawn => "withdrawn",
        K::Urged => "urged",
        K::DueSoon => "due_soon",
        K::Overdue => "overdue",
        K::Escalation => "escalation",
        K::Finished => "finished",
        K::Mentioned => "mentioned",
        K::Announcement => "announcement",
        K::Cc => "cc",
        K::Commented
        | K::Feedback
        | K::FeedbackNew
        | K::ScenarioQuarantined
        | K::ConditionFailed => return None,
    })
}

/// Whether group channels (project and company webhooks) hear of this kind.
pub fn for_groups(kind: MessageKind) -> bool {
    use MessageKind as K;
    matches!(
        kind,
        K::Assigned
            | K::Transferred
            | K::Returned
            | K::Urged
            | K::Overdue
            | K::Escalation
            | K::Finished
            | K::Announcement
    )
}

pub fn settings_in(tx: &WriteTx<'_>) -> Result<DeliverySettings, StoreError> {
    match tx.lookup(ix::SETTINGS, "company")? {
        Some(id) => tx.load(id),
        None => Ok(DeliverySettings::default()),
    }
}

fn preferences_in(tx: &WriteTx<'_>, uid: u64) -> Result<Preferences, StoreError> {
    let mut p = Preferences::default();
    if let Some(id) = tx.lookup(IX_PREFS, &uid.to_string())? {
        if let Some(r) = tx.get::<PreferenceRecord>(id)? {
            p.events.extend(r.prefs.events);
        }
    }
    Ok(p)
}

/// The one field of a task the group channels need.
#[derive(serde::Deserialize)]
struct ProjectOf {
    project_id: u64,
}

/// Stages the outbox items an inbox message causes, in the message's own write:
/// the recipient's e-mail and own webhook as their preferences say, and the task's
/// project webhook (else the company webhooks) once per event.
pub fn enqueue(tx: &mut WriteTx<'_>, msg: &Message, now: DateTime<Utc>) -> Result<(), StoreError> {
    let Some(user) = tx.get::<User>(msg.user_id)? else {
        return Ok(());
    };
    let settings = settings_in(tx)?;
    let mut targets: Vec<(Target, Option<String>)> = Vec::new();
    if let (Some(event), false) = (event_of(msg.kind), user.disabled) {
        let prefs = preferences_in(tx, user.id)?;
        let ch = prefs.events.get(event).copied();
        if let (Some(to), Some(_), true) = (
            user.email.as_ref().filter(|e| !e.is_empty()),
            &settings.smtp,
            ch.is_some_and(|c| c.email),
        ) {
            targets.push((Target::Email { to: to.clone() }, None));
        }
        if ch.is_some_and(|c| c.webhook)
            && tx.lookup(ix::USER_HOOK, &user.id.to_string())?.is_some()
        {
            targets.push((Target::UserWebhook { user_id: user.id }, None));
        }
        if ch.is_some_and(|c| c.push) {
            for device_id in super::super::push::service::device_ids_in(tx, user.id)? {
                targets.push((
                    Target::WebPush {
                        user_id: user.id,
                        device_id,
                    },
                    None,
                ));
            }
        }
        targets.extend(chat_targets(tx, user.id, ch)?);
    }
    if for_groups(msg.kind) {
        let project = match msg.task_id {
            Some(t) => tx.get_part::<Task, ProjectOf>(t)?.map(|p| p.project_id),
            None => None,
        };
        let mut group = Vec::new();
        if let Some(p) = project {
            if tx.lookup(ix::PROJECT_HOOK, &p.to_string())?.is_some() {
                group.push(Target::ProjectWebhook { project_id: p });
            }
        }
        if group.is_empty() {
            group.extend(settings.webhooks.iter().map(|w| Target::CompanyWebhook {
                name: w.name.clone(),
            }));
        }
        for t in group {
            let once = format!(
                "{}/{}/{}/{}",
                t.label(),
                msg.kind.as_str(),
                msg.task_id.unwrap_or(0),
                time_key(now)
            );
            if tx.lookup(ix::ONCE, &once)?.is_none() {
                targets.push((t, Some(once)));
            }
        }
    }
    // Most messages go nowhere but the inbox: the notice is built only for those
    // that leave it.
    if targets.is_empty() {
        return Ok(());
    }
    let actor = match msg.actor_id {
        Some(a) => tx.get::<User>(a)?.map(|u| u.display_name),
        None => None,
    };
    let task = match msg.task_id {
        Some(t) => tx.get::<Task>(t)?,
        None => None,
    };
    // What to do and by when, if the step is the recipient's; else the task's deadline.
    let (due_at, todo) = match &task {
        Some(t) if t.current_handler() == Some(user.id) => {
            (t.current_due(), t.current_node().map(|n| n.action.clone()))
        }
        Some(t) => (t.due_at, None),
        None => (None, None),
    };
    let notice = Notice {
        message_id: msg.id,
        kind: msg.kind,
        user_id: msg.user_id,
        recipient: user.display_name.clone(),
        actor,
        task_id: msg.task_id,
        title: msg.task_title.clone(),
        text: msg.text.clone(),
        reason: msg.reason.clone(),
        language: user.language,
        created_at: now,
        due_at,
        todo,
    };
    for (target, once) in targets {
        tx.insert(&mut OutboxItem {
            id: 0,
            rev: 0,
            target,
            status: OutboxStatus::Pending,
            attempts: 0,
            next_at: now,
            last_error: None,
            created_at: now,
            sent_at: None,
            notice: notice.clone(),
            once,
            write_back: None,
        })?;
    }
    Ok(())
}

/// The member's chat apps this event goes to: set up by the company, linked by the
/// member, and on in their preferences.
fn chat_targets(
    tx: &WriteTx<'_>,
    uid: u64,
    ch: Option<super::super::prefs::Channels>,
) -> Result<Vec<(Target, Option<String>)>, StoreError> {
    let Some(ch) = ch else {
        return Ok(Vec::new());
    };
    let links = super::super::apps::service::links_in(tx, uid)?;
    if links.ids.is_empty() {
        return Ok(Vec::new());
    }
    let apps = super::super::apps::service::settings_in(tx)?;
    Ok(links
        .ids
        .keys()
        .filter(|app| apps.apps.contains_key(app) && ch.app(**app))
        .map(|app| {
            (
                Target::ChatApp {
                    app: *app,
                    user_id: uid,
                },
                None,
            )
        })
        .collect())
}
