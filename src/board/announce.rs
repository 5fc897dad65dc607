//! Announcements (系统公告): company admins publish, everyone reads; read state per user.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::actor::Actor;
use crate::effects::events::Event;
use crate::effects::stage;
use crate::error::{trimmed, ServiceError, ServiceResult};
use crate::markdown::to_safe_html;
use crate::org::policy::{require_company_admin, CompanyArea};
use crate::org::User;
use crate::store::{Record, Store};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Announcement {
    pub id: u64,
    pub rev: u64,
    pub title: String,
    /// Markdown as written.
    pub body: String,
    /// The body rendered to safe HTML (scripts and event handlers removed).
    pub body_html: String,
    pub pinned: bool,
    pub author_id: Option<u64>,
    pub author_name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Record for Announcement {
    const KIND: &'static str = "announcement";
    crate::id_and_rev!();
}

/// "User u has read announcement a."
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnnouncementRead {
    pub id: u64,
    pub rev: u64,
    pub user_id: u64,
    pub announcement_id: u64,
    pub at: DateTime<Utc>,
}

const IX_READ: &str = "annread";
const IX_READ_BY_ANN: &str = "annread_ann";

impl Record for AnnouncementRead {
    const KIND: &'static str = "annread";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![(
            IX_READ,
            format!("{}/{}", self.user_id, self.announcement_id),
        )]
    }
    fn multi_keys(&self) -> Vec<(&'static str, String)> {
        vec![(IX_READ_BY_ANN, self.announcement_id.to_string())]
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnouncementInput {
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub pinned: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AnnouncementView {
    #[serde(flatten)]
    pub announcement: Announcement,
    /// Whether the caller has read it.
    pub read: bool,
}

fn validate(input: &AnnouncementInput) -> ServiceResult<(String, String)> {
    let title = trimmed(&input.title, 200, "title", "a title of 1 to 200 characters")?;
    if input.body.len() > 64 * 1024 {
        return Err(ServiceError::invalid("body", "at most 64 KiB of text"));
    }
    Ok((title, input.body.clone()))
}

/// Publishes an announcement; every active user gets an inbox message.
pub fn create(
    store: &Store,
    actor: &Actor,
    input: AnnouncementInput,
    now: DateTime<Utc>,
) -> ServiceResult<Announcement> {
    require_company_admin(actor, CompanyArea::Announcements)?;
    let (title, body) = validate(&input)?;
    let mut a = Announcement {
        id: 0,
        rev: 0,
        body_html: to_safe_html(&body),
        title,
        body,
        pinned: input.pinned,
        author_id: actor.user_id,
        author_name: actor.name.clone(),
        created_at: now,
        updated_at: now,
    };
    let users: Vec<User> = store.list()?;
    store.write(|tx| {
        let id = tx.insert(&mut a)?;
        let to = users
            .iter()
            .filter(|u| !u.disabled && !actor.is(u.id))
            .map(|u| u.id)
            .collect();
        stage(
            tx,
            actor,
            &[Event::Announced {
                id,
                title: a.title.clone(),
                to,
            }],
            now,
        )?;
        Ok::<_, ServiceError>(())
    })?;
    Ok(a)
}

pub fn update(
    store: &Store,
    actor: &Actor,
    id: u64,
    input: AnnouncementInput,
    now: DateTime<Utc>,
) -> ServiceResult<Announcement> {
    require_company_admin(actor, CompanyArea::Announcements)?;
    let (title, body) = validate(&input)?;
    store.write(|tx| {
        let mut a: Announcement = tx.load(id)?;
        let rev = a.rev;
        a.body_html = to_safe_html(&body);
        a.title = title;
        a.body = body;
        a.pinned = input.pinned;
        a.updated_at = now;
        tx.update(&mut a, rev)?;
        Ok(a)
    })
}

pub fn delete(store: &Store, actor: &Actor, id: u64) -> ServiceResult<()> {
    require_company_admin(actor, CompanyArea::Announcements)?;
    let reads = store.ids_by(IX_READ_BY_ANN, &id.to_string())?;
    store.write(|tx| {
        tx.delete::<Announcement>(id)?;
        for r in &reads {
            tx.delete::<AnnouncementRead>(*r)?;
        }
        Ok(())
    })
}

/// Whether `user` has read `a`; its author has, having written it.
fn is_read(store: &Store, user: u64, a: &Announcement) -> ServiceResult<bool> {
    if a.author_id == Some(user) {
        return Ok(true);
    }
    Ok(store
        .lookup(IX_READ, &format!("{user}/{}", a.id))?
        .is_some())
}

/// All announcements, pinned first, then newest first, with the caller's read state.
pub fn list(store: &Store, user: u64) -> ServiceResult<Vec<AnnouncementView>> {
    let mut all: Vec<Announcement> = store.list_newest(500)?;
    all.sort_by(|a, b| b.pinned.cmp(&a.pinned).then(b.id.cmp(&a.id)));
    all.into_iter()
        .map(|a| {
            Ok(AnnouncementView {
                read: is_read(store, user, &a)?,
                announcement: a,
            })
        })
        .collect()
}

/// The caller's unread announcements (for the dashboard).
pub fn unread(store: &Store, user: u64) -> ServiceResult<Vec<AnnouncementView>> {
    Ok(list(store, user)?.into_iter().filter(|a| !a.read).collect())
}

pub fn get(store: &Store, user: u64, id: u64) -> ServiceResult<AnnouncementView> {
    let a: Announcement = store.load(id)?;
    Ok(AnnouncementView {
        read: is_read(store, user, &a)?,
        announcement: a,
    })
}

/// Marks an announcement read for the caller (idempotent).
pub fn mark_read(store: &Store, user: u64, id: u64, now: DateTime<Utc>) -> ServiceResult<()> {
    store.load::<Announcement>(id)?;
    store.write(|tx| {
        if tx.lookup(IX_READ, &format!("{user}/{id}"))?.is_none() {
            tx.insert(&mut AnnouncementRead {
                id: 0,
                rev: 0,
                user_id: user,
                announcement_id: id,
                at: now,
            })?;
        }
        Ok(())
    })
}
