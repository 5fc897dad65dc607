//! Feedback (咨询反馈): members ask the admins; admins (company and department) see
//! every item, reply in a thread and set its status; the author is told at each reply.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::actor::Actor;
use crate::effects::events::Event;
use crate::effects::stage;
use crate::error::{trimmed, ServiceError, ServiceResult};
use crate::markdown::to_safe_html;
use crate::org::policy::{
    answers_feedback, hears_feedback_from, may_see_feedback, may_set_feedback_status,
};
use crate::org::User;
use crate::store::{Record, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackKind {
    Question,
    Request,
    Problem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackStatus {
    Open,
    Answered,
    Closed,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Reply {
    pub author_id: Option<u64>,
    pub author_name: String,
    /// Whether an admin wrote it.
    pub from_admin: bool,
    pub body: String,
    pub body_html: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Feedback {
    pub id: u64,
    pub rev: u64,
    pub author_id: u64,
    pub author_name: String,
    pub kind: FeedbackKind,
    pub title: String,
    pub body: String,
    pub body_html: String,
    pub status: FeedbackStatus,
    pub replies: Vec<Reply>,
    #[serde(default)]
    pub attachments: Vec<crate::flow::model::Attachment>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const IX_AUTHOR: &str = "feedback_author";

impl Record for Feedback {
    const KIND: &'static str = "feedback";
    crate::id_and_rev!();
    fn multi_keys(&self) -> Vec<(&'static str, String)> {
        vec![(IX_AUTHOR, self.author_id.to_string())]
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFeedback {
    pub kind: FeedbackKind,
    pub title: String,
    pub body: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReply {
    pub body: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    pub status: FeedbackStatus,
}

fn body_ok(body: &str) -> ServiceResult<String> {
    let b = body.trim();
    if b.is_empty() {
        return Err(ServiceError::invalid("body", "write something"));
    }
    if b.len() > 32 * 1024 {
        return Err(ServiceError::invalid("body", "at most 32 KiB of text"));
    }
    Ok(b.to_string())
}

pub fn create(
    store: &Store,
    actor: &Actor,
    input: NewFeedback,
    now: DateTime<Utc>,
) -> ServiceResult<Feedback> {
    let uid = actor
        .user_id
        .ok_or_else(|| ServiceError::forbidden("feedback comes from users"))?;
    let title = trimmed(&input.title, 200, "title", "a title of 1 to 200 characters")?;
    let body = body_ok(&input.body)?;
    let mut f = Feedback {
        id: 0,
        rev: 0,
        author_id: uid,
        author_name: actor.name.clone(),
        kind: input.kind,
        title,
        body_html: to_safe_html(&body),
        body,
        status: FeedbackStatus::Open,
        replies: Vec::new(),
        attachments: Vec::new(),
        created_at: now,
        updated_at: now,
    };
    // Admins answer feedback, so they hear of it: every company admin, and the
    // department admins of the author's department.
    let admins: Vec<u64> = store
        .list::<User>()?
        .into_iter()
        .filter(|u| u.id != uid && hears_feedback_from(u, actor.department_id))
        .map(|u| u.id)
        .collect();
    store.write(|tx| {
        let id = tx.insert(&mut f)?;
        stage(
            tx,
            actor,
            &[Event::FeedbackSent {
                id,
                title: f.title.clone(),
                by: uid,
                admins: admins.clone(),
            }],
            now,
        )?;
        Ok::<_, ServiceError>(())
    })?;
    Ok(f)
}

/// Admins: every item; others: their own. Newest first.
pub fn list(store: &Store, actor: &Actor) -> ServiceResult<Vec<Feedback>> {
    if answers_feedback(actor) {
        return Ok(store.list_newest(1000)?);
    }
    let Some(uid) = actor.user_id else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for id in store.ids_by(IX_AUTHOR, &uid.to_string())? {
        if let Some(f) = store.get::<Feedback>(id)? {
            out.push(f);
        }
    }
    Ok(out)
}

pub fn get(store: &Store, actor: &Actor, id: u64) -> ServiceResult<Feedback> {
    let f: Feedback = store
        .get(id)?
        .ok_or_else(|| ServiceError::not_found(format!("feedback {id} not found")))?;
    if may_see_feedback(actor, f.author_id) {
        Ok(f)
    } else {
        // Someone else's item does not exist as far as the caller can tell.
        Err(ServiceError::not_found(format!("feedback {id} not found")))
    }
}

/// Adds a reply. An admin's reply marks an open item answered and tells the author;
/// the author's reply reopens it.
pub fn reply(
    store: &Store,
    actor: &Actor,
    id: u64,
    input: NewReply,
    now: DateTime<Utc>,
) -> ServiceResult<Feedback> {
    let body = body_ok(&input.body)?;
    get(store, actor, id)?;
    store.write(|tx| {
        let mut f: Feedback = tx.load(id)?;
        let rev = f.rev;
        let admin = answers_feedback(actor) && !actor.is(f.author_id);
        f.replies.push(Reply {
            author_id: actor.user_id,
            author_name: actor.name.clone(),
            from_admin: answers_feedback(actor),
            body_html: to_safe_html(&body),
            body,
            at: now,
        });
        f.status = if admin {
            FeedbackStatus::Answered
        } else {
            FeedbackStatus::Open
        };
        f.updated_at = now;
        tx.update(&mut f, rev)?;
        if admin {
            stage(
                tx,
                actor,
                &[Event::FeedbackAnswered {
                    id,
                    title: f.title.clone(),
                    author: f.author_id,
                }],
                now,
            )?;
        }
        Ok::<_, ServiceError>(f)
    })
}

/// Sets the status: admins any; the author may close their own item.
pub fn set_status(
    store: &Store,
    actor: &Actor,
    id: u64,
    status: FeedbackStatus,
    now: DateTime<Utc>,
) -> ServiceResult<Feedback> {
    get(store, actor, id)?;
    may_set_feedback_status(actor, status == FeedbackStatus::Closed)?;
    store.write(|tx| {
        let mut f: Feedback = tx.load(id)?;
        let rev = f.rev;
        f.status = status;
        f.updated_at = now;
        tx.update(&mut f, rev)?;
        Ok::<_, ServiceError>(f)
    })
}

/// Attaches an uploaded file to a feedback item (its author or an admin), stored
/// under `uploads` like task attachments; the file is in place before the item
/// points at it.
pub fn attach(
    store: &Store,
    actor: &Actor,
    id: u64,
    upload: crate::tasks::attachments::Upload,
    uploads: &std::path::Path,
    now: DateTime<Utc>,
) -> ServiceResult<crate::flow::model::Attachment> {
    get(store, actor, id)?;
    let uid = actor
        .user_id
        .ok_or_else(|| ServiceError::forbidden("attachments are added by users"))?;
    let ready = crate::tasks::attachments::Ready::new(upload, uploads)?;
    store.write(|tx| {
        let mut f: Feedback = tx.load(id)?;
        let rev = f.rev;
        let att = ready.place(tx, uid, uploads, now)?;
        f.attachments.push(att.clone());
        f.updated_at = now;
        tx.update(&mut f, rev)?;
        Ok(att)
    })
}

/// An attachment of a feedback item the actor may see, and where its file is.
pub fn open_attachment(
    store: &Store,
    actor: &Actor,
    id: u64,
    aid: u64,
    uploads: &std::path::Path,
) -> ServiceResult<(crate::flow::model::Attachment, std::path::PathBuf)> {
    let f = get(store, actor, id)?;
    let att = f
        .attachments
        .iter()
        .find(|a| a.id == aid)
        .cloned()
        .ok_or_else(|| ServiceError::not_found(format!("attachment {aid} not found")))?;
    Ok((att, uploads.join(aid.to_string())))
}
