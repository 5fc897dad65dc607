use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{ix, Message, MessageKind};
use crate::actor::Actor;
use crate::error::{ServiceError, ServiceResult};
use crate::store::{Store, StoreError, WriteTx};

/// What a new message says.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub user_id: u64,
    pub kind: MessageKind,
    pub task_id: Option<u64>,
    pub task_title: Option<String>,
    pub actor_id: Option<u64>,
    pub text: String,
    pub reason: Option<String>,
}

/// Stages a message in the caller's write, beside the change that caused it. Only the
/// inbox record: `effects::notify` adds its external deliveries, so call that.
pub fn insert(
    tx: &mut WriteTx<'_>,
    m: NewMessage,
    now: DateTime<Utc>,
) -> Result<Message, StoreError> {
    let mut msg = Message {
        id: 0,
        rev: 0,
        user_id: m.user_id,
        kind: m.kind,
        task_id: m.task_id,
        task_title: m.task_title,
        actor_id: m.actor_id,
        text: m.text,
        reason: m.reason,
        read: false,
        follow_up: false,
        created_at: now,
    };
    tx.insert(&mut msg)?;
    Ok(msg)
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Only unread messages.
    pub unread: Option<bool>,
    /// Only messages flagged for follow-up.
    pub follow_up: Option<bool>,
    /// Only this kind (assigned, transferred, …).
    pub kind: Option<String>,
    /// Only messages with an id below this (paging).
    pub before: Option<u64>,
    /// At most this many (default 50, max 200).
    pub limit: Option<usize>,
}

fn uid(actor: &Actor) -> ServiceResult<u64> {
    actor
        .user_id
        .ok_or_else(|| ServiceError::forbidden("no inbox for this caller"))
}

pub fn list(store: &Store, actor: &Actor, q: &InboxQuery) -> ServiceResult<(Vec<Message>, usize)> {
    let me = uid(actor)?;
    let kind = match &q.kind {
        Some(k) if !k.is_empty() => Some(MessageKind::parse(k).ok_or_else(|| {
            ServiceError::invalid("kind", format!("'{k}' is not a message kind"))
        })?),
        _ => None,
    };
    let index = if q.unread == Some(true) {
        ix::UNREAD
    } else if q.follow_up == Some(true) {
        ix::FOLLOW_UP
    } else {
        ix::USER
    };
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let mut out = Vec::new();
    // Newest first, read lazily: a page never reads the whole inbox.
    for id in store.ids_by_newest(index, &me.to_string()) {
        let id = id?;
        if q.before.is_some_and(|b| id >= b) {
            continue;
        }
        let Some(m) = store.get::<Message>(id)? else {
            continue;
        };
        if kind.is_some_and(|k| k != m.kind) || (q.follow_up == Some(true) && !m.follow_up) {
            continue;
        }
        out.push(m);
        if out.len() >= limit {
            break;
        }
    }
    Ok((out, unread_count(store, me)?))
}

pub fn unread_count(store: &Store, user_id: u64) -> ServiceResult<usize> {
    Ok(store.count_by(ix::UNREAD, &user_id.to_string())?)
}

fn update_own(
    store: &Store,
    actor: &Actor,
    id: u64,
    f: impl FnOnce(&mut Message),
) -> ServiceResult<Message> {
    let me = uid(actor)?;
    store.write(|tx| {
        let mut m: Message = tx
            .get(id)?
            .filter(|m: &Message| m.user_id == me)
            .ok_or_else(|| ServiceError::not_found(format!("message {id} not found")))?;
        let rev = m.rev;
        f(&mut m);
        tx.update(&mut m, rev)?;
        Ok(m)
    })
}

pub fn set_read(store: &Store, actor: &Actor, id: u64, read: bool) -> ServiceResult<Message> {
    update_own(store, actor, id, |m| m.read = read)
}

pub fn set_follow_up(
    store: &Store,
    actor: &Actor,
    id: u64,
    follow_up: bool,
) -> ServiceResult<Message> {
    update_own(store, actor, id, |m| m.follow_up = follow_up)
}

pub fn read_all(store: &Store, actor: &Actor) -> ServiceResult<usize> {
    let me = uid(actor)?;
    let ids = store.ids_by(ix::UNREAD, &me.to_string())?;
    store.write(|tx| {
        for id in &ids {
            if let Some(mut m) = tx.get::<Message>(*id)? {
                let rev = m.rev;
                m.read = true;
                tx.update(&mut m, rev)?;
            }
        }
        Ok::<_, ServiceError>(ids.len())
    })
}

/// The ids of `user_id`'s unread messages about task `task_id`, read before a write
/// that acts on the task (see [`mark_read`]).
pub fn unread_about_task(store: &Store, user_id: u64, task_id: u64) -> ServiceResult<Vec<u64>> {
    let mut out = Vec::new();
    for id in store.ids_by(ix::UNREAD, &user_id.to_string())? {
        if let Some(m) = store.get::<Message>(id)? {
            if m.task_id == Some(task_id) && !m.read {
                out.push(id);
            }
        }
    }
    Ok(out)
}

/// Marks messages read in the caller's write: someone who acts on a task has seen
/// what their inbox said about it, so it should not stay unread.
pub fn mark_read(tx: &mut WriteTx<'_>, ids: &[u64]) -> Result<(), StoreError> {
    for id in ids {
        if let Some(mut m) = tx.get::<Message>(*id)? {
            if !m.read {
                let rev = m.rev;
                m.read = true;
                tx.update(&mut m, rev)?;
            }
        }
    }
    Ok(())
}
