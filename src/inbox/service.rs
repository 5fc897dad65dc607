use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{inbox_value, ix, Message, MessageKind};
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
/// inbox record: the effects stage adds its external deliveries (`effects::notify`),
/// so services hand it an event instead.
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
    let ids: Box<dyn Iterator<Item = Result<u64, StoreError>>> = if q.unread == Some(true) {
        Box::new(store.ids_by_newest(ix::USER, &inbox_value(me, false)))
    } else if q.follow_up == Some(true) {
        Box::new(store.ids_by_newest(ix::FOLLOW_UP, &me.to_string()))
    } else {
        Box::new(newest_of_both(
            store.ids_by_newest(ix::USER, &inbox_value(me, false)),
            store.ids_by_newest(ix::USER, &inbox_value(me, true)),
        ))
    };
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let mut out = Vec::new();
    // Newest first, read lazily: a page never reads the whole inbox.
    for id in ids {
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

/// Two id streams, each highest first, as one highest-first stream (the unread and the
/// read range of the inbox index); an error ends it.
fn newest_of_both(
    a: impl Iterator<Item = Result<u64, StoreError>>,
    b: impl Iterator<Item = Result<u64, StoreError>>,
) -> impl Iterator<Item = Result<u64, StoreError>> {
    let (mut a, mut b) = (a.peekable(), b.peekable());
    std::iter::from_fn(move || {
        let take_a = match (a.peek(), b.peek()) {
            (Some(Ok(x)), Some(Ok(y))) => x >= y,
            (Some(Err(_)), _) | (Some(_), None) => true,
            (_, Some(_)) => false,
            (None, None) => return None,
        };
        if take_a {
            a.next()
        } else {
            b.next()
        }
    })
}

pub fn unread_count(store: &Store, user_id: u64) -> ServiceResult<usize> {
    Ok(store.count_by(ix::USER, &inbox_value(user_id, false))?)
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
    let ids = store.ids_by(ix::USER, &inbox_value(me, false))?;
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
    for id in store.ids_by(ix::USER, &inbox_value(user_id, false))? {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::Role;

    fn post(store: &Store, user: u64, text: &str) -> u64 {
        store
            .write(|tx| {
                let m = insert(
                    tx,
                    NewMessage {
                        user_id: user,
                        kind: MessageKind::Assigned,
                        task_id: None,
                        task_title: None,
                        actor_id: None,
                        text: text.into(),
                        reason: None,
                    },
                    Utc::now(),
                )?;
                Ok::<_, StoreError>(m.id)
            })
            .unwrap()
    }

    #[test]
    fn one_index_entry_a_message_and_the_inbox_newest_first_across_read_states() {
        let store = Store::memory();
        let me = Actor::user(4, "u4", Role::Member, None);
        let ids: Vec<u64> = (0..4).map(|i| post(&store, 4, &format!("m{i}"))).collect();
        post(&store, 5, "someone else's");
        // read the second and the newest: the list interleaves both ranges
        set_read(&store, &me, ids[1], true).unwrap();
        set_read(&store, &me, ids[3], true).unwrap();
        let entries = store
            .raw_entries()
            .map(|e| e.unwrap().0)
            .filter(|k| k.starts_with(b"mx/"))
            .count();
        assert_eq!(entries, 5, "one index entry per message");
        let (page, unread) = list(&store, &me, &InboxQuery::default()).unwrap();
        let listed: Vec<u64> = page.iter().map(|m| m.id).collect();
        assert_eq!(listed, ids.iter().rev().copied().collect::<Vec<_>>());
        assert_eq!(unread, 2);
        let only_unread = InboxQuery {
            unread: Some(true),
            ..InboxQuery::default()
        };
        let (page, _) = list(&store, &me, &only_unread).unwrap();
        assert_eq!(
            page.iter().map(|m| m.id).collect::<Vec<_>>(),
            vec![ids[2], ids[0]]
        );
        assert_eq!(read_all(&store, &me).unwrap(), 2);
        assert_eq!(unread_count(&store, 4).unwrap(), 0);
    }
}
