//! Comments with @mentions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::context::visible_task;
use crate::actor::Actor;
use crate::effects::events::{Event, TaskRef};
use crate::effects::stage;
use crate::error::{trimmed, ServiceError, ServiceResult};
use crate::flow::access;
use crate::markdown::to_safe_html;
use crate::org::policy::administers;
use crate::org::{Department, User};
use crate::store::{Record, Store};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Comment {
    pub id: u64,
    pub rev: u64,
    pub task_id: u64,
    pub author_id: u64,
    pub body: String,
    pub mentions: Vec<u64>,
    pub created_at: DateTime<Utc>,
}

const IX_TASK: &str = "comment_task";

impl Record for Comment {
    const KIND: &'static str = "comment";
    crate::id_and_rev!();
    fn multi_keys(&self) -> Vec<(&'static str, String)> {
        vec![(IX_TASK, self.task_id.to_string())]
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommentView {
    pub id: u64,
    pub author_id: u64,
    pub body: String,
    pub body_html: String,
    pub mentions: Vec<u64>,
    pub created_at: DateTime<Utc>,
}

impl From<&Comment> for CommentView {
    fn from(c: &Comment) -> Self {
        CommentView {
            id: c.id,
            author_id: c.author_id,
            body: c.body.clone(),
            body_html: to_safe_html(&c.body),
            mentions: c.mentions.clone(),
            created_at: c.created_at,
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    pub body: String,
}

/// `@name` tokens in a comment body, lower-cased.
pub fn mentioned_names(body: &str) -> Vec<String> {
    let mut out: Vec<String> = body
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | ';' | '(' | ')'))
        .filter_map(|w| w.strip_prefix('@'))
        .map(|n| {
            n.trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
                .to_lowercase()
        })
        .filter(|n| !n.is_empty())
        .collect();
    out.sort();
    out.dedup();
    out
}

pub fn list(store: &Store, actor: &Actor, task_id: u64) -> ServiceResult<Vec<CommentView>> {
    visible_task(store, actor, task_id)?;
    let mut ids = store.ids_by(IX_TASK, &task_id.to_string())?;
    ids.reverse();
    let mut out = Vec::new();
    for id in ids {
        if let Some(c) = store.get::<Comment>(id)? {
            out.push(CommentView::from(&c));
        }
    }
    Ok(out)
}

pub fn add(
    store: &Store,
    actor: &Actor,
    task_id: u64,
    new: NewComment,
    now: DateTime<Utc>,
) -> ServiceResult<CommentView> {
    let (task, ctx, allowed) = visible_task(store, actor, task_id)?;
    if !allowed.comment {
        return Err(ServiceError::forbidden(
            "comments are closed on an archived task",
        ));
    }
    let author = actor
        .user_id
        .ok_or_else(|| ServiceError::forbidden("comments are written by users"))?;
    let body = trimmed(
        &new.body,
        5000,
        "body",
        "a comment has 1 to 5000 characters",
    )?;
    let users = store.list::<User>()?;
    let departments = store.list::<Department>()?;
    let names = mentioned_names(&body);
    // Only people who may open the task are told: the message carries its title and
    // the comment, and a project member with no part in the task must not see them
    // (product.md, "Visibility"). A mention does not give anyone a part in the task.
    let mentions: Vec<u64> = users
        .iter()
        .filter(|u| {
            let who = Actor::from_user(u);
            let admin = administers(&who, ctx.project.department_id, &departments);
            names.contains(&u.username)
                && !u.disabled
                && access::allowed(who.user_id, &task, admin).view
        })
        .map(|u| u.id)
        .collect();
    let mut c = Comment {
        id: 0,
        rev: 0,
        task_id,
        author_id: author,
        body,
        mentions: mentions.clone(),
        created_at: now,
    };
    let seen = crate::inbox::service::unread_about_task(store, author, task_id)?;
    store.write(|tx| {
        tx.insert(&mut c)?;
        // Commenting is acting on the task: what the inbox said about it has been seen.
        stage(
            tx,
            actor,
            &[
                Event::Seen {
                    messages: seen.clone(),
                },
                Event::Commented {
                    task: TaskRef {
                        id: task_id,
                        title: task.title.clone(),
                    },
                    by: author,
                    body: c.body.clone(),
                    mentions: mentions.clone(),
                    participants: task.participants(),
                },
            ],
            now,
        )?;
        Ok::<_, ServiceError>(())
    })?;
    Ok(CommentView::from(&c))
}

#[cfg(test)]
mod tests {
    use super::mentioned_names;

    #[test]
    fn finds_mentions() {
        assert_eq!(
            mentioned_names("@Bob please check, @fin.lead. thanks @bob"),
            vec!["bob", "fin.lead"]
        );
        assert!(mentioned_names("mail me at a@b.co").is_empty());
    }
}
