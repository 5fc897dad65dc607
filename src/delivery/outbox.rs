//! The outbox: staging items beside the inbox message that causes them, and the
//! state changes of a delivery (claim → sent | retry | failed). Time is a parameter.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::model::{ix, DeliverySettings, OutboxItem, OutboxStatus, Target};
use super::notice::Notice;
use super::prefs::{PreferenceRecord, Preferences, IX_PREFS};
use crate::error::{ServiceError, ServiceResult};
use crate::flow::Task;
use crate::inbox::{Message, MessageKind};
use crate::org::User;
use crate::store::{Store, StoreError, WriteTx};
use crate::time::time_key;

/// Retry timing of the worker.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Wait after the first failed try; doubled after each further one.
    pub base: Duration,
    /// Tries before an item is marked failed.
    pub max_attempts: u32,
    /// How long a `sending` mark holds; after that (a crash) the item is due again.
    pub lease: Duration,
}

impl RetryPolicy {
    /// Wait after the `attempts`-th failed try: base × 2^(attempts−1), at most 6 h.
    pub fn backoff(&self, attempts: u32) -> chrono::Duration {
        let factor = 2u32.saturating_pow(attempts.saturating_sub(1).min(20));
        let d = self
            .base
            .saturating_mul(factor)
            .min(Duration::from_secs(6 * 3600));
        chrono::Duration::from_std(d).unwrap_or(chrono::Duration::hours(6))
    }
}

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

/// Stages the outbox items an inbox message causes, in the message's own write:
/// the recipient's e-mail and own webhook as their preferences say, and the task's
/// project webhook (else the company webhooks) once per event.
pub fn enqueue(tx: &mut WriteTx<'_>, msg: &Message, now: DateTime<Utc>) -> Result<(), StoreError> {
    let Some(user) = tx.get::<User>(msg.user_id)? else {
        return Ok(());
    };
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
            for device_id in super::push::service::device_ids_in(tx, user.id)? {
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
        let project = task.as_ref().map(|t| t.project_id);
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
    ch: Option<super::prefs::Channels>,
) -> Result<Vec<(Target, Option<String>)>, StoreError> {
    let Some(ch) = ch else {
        return Ok(Vec::new());
    };
    let links = super::apps::service::links_in(tx, uid)?;
    if links.ids.is_empty() {
        return Ok(Vec::new());
    }
    let apps = super::apps::service::settings_in(tx)?;
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

/// Pending items due by `now`, and sending items whose lease ran out (a crash).
pub fn due(store: &Store, now: DateTime<Utc>) -> Result<Vec<u64>, StoreError> {
    store.ids_by_range(ix::DUE, &time_key(now))
}

/// Marks a due item `sending` (one more try, leased) and returns it; `None` when it
/// is no longer due (sent meanwhile, retried by hand, …).
pub fn claim(
    store: &Store,
    id: u64,
    now: DateTime<Utc>,
    policy: &RetryPolicy,
) -> Result<Option<OutboxItem>, StoreError> {
    store.write(|tx| {
        let Some(mut it) = tx.get::<OutboxItem>(id)? else {
            return Ok(None);
        };
        if !matches!(it.status, OutboxStatus::Pending | OutboxStatus::Sending) || it.next_at > now {
            return Ok(None);
        }
        // A write-back waits while an earlier event for its target is still to send
        // (retrying, or being sent): the ERP hears of a task's events in order.
        if let Target::WriteBack { name } = &it.target {
            if let Some(earlier) = first_open_write_back(store, name)?.filter(|e| *e < id) {
                // Behind one that waits for its next try: due again no sooner than
                // that, so a long queue for a target that is down is not re-read on
                // every poll. Behind one being sent: looked at again on the next poll.
                if let Some(e) = tx.get::<OutboxItem>(earlier)? {
                    if e.status == OutboxStatus::Pending && e.next_at > it.next_at {
                        let rev = it.rev;
                        it.next_at = e.next_at;
                        tx.update(&mut it, rev)?;
                    }
                }
                return Ok(None);
            }
        }
        let rev = it.rev;
        it.status = OutboxStatus::Sending;
        it.attempts += 1;
        it.next_at =
            now + chrono::Duration::from_std(policy.lease).unwrap_or(chrono::Duration::minutes(1));
        tx.update(&mut it, rev)?;
        Ok(Some(it))
    })
}

/// The oldest write-back item for target `name` still to send (pending or sending).
fn first_open_write_back(store: &Store, name: &str) -> Result<Option<u64>, StoreError> {
    // Entries are `{name}/{id:016x}`, in id order; names have no `/`, and `0` follows
    // `/`, so this range holds exactly this target's entries, oldest first.
    Ok(store
        .ids_in_range(
            ix::WRITE_BACK_OPEN,
            &format!("{name}/"),
            &format!("{name}0"),
            1,
        )?
        .first()
        .copied())
}

/// Records the outcome of a try.
pub fn finish(
    store: &Store,
    id: u64,
    outcome: Result<(), String>,
    now: DateTime<Utc>,
    policy: &RetryPolicy,
) -> Result<Option<OutboxItem>, StoreError> {
    store.write(|tx| {
        let Some(mut it) = tx.get::<OutboxItem>(id)? else {
            return Ok(None);
        };
        if it.status != OutboxStatus::Sending {
            return Ok(Some(it));
        }
        let rev = it.rev;
        match outcome {
            Ok(()) => {
                it.status = OutboxStatus::Sent;
                it.sent_at = Some(now);
                it.last_error = None;
            }
            Err(e) => {
                it.last_error = Some(e);
                if it.attempts >= policy.max_attempts {
                    it.status = OutboxStatus::Failed;
                } else {
                    it.status = OutboxStatus::Pending;
                    it.next_at = now + policy.backoff(it.attempts);
                }
            }
        }
        tx.update(&mut it, rev)?;
        Ok(Some(it))
    })
}

/// Marks a sending item failed now, without further tries: its channel is gone for
/// good (a browser that unsubscribed).
pub fn give_up(store: &Store, id: u64, error: String) -> Result<(), StoreError> {
    store.write(|tx| {
        let Some(mut it) = tx.get::<OutboxItem>(id)? else {
            return Ok(());
        };
        if it.status != OutboxStatus::Sending {
            return Ok(());
        }
        let rev = it.rev;
        it.status = OutboxStatus::Failed;
        it.last_error = Some(error);
        tx.update(&mut it, rev)
    })
}

/// Forgets a sending item that turned out to have nothing to send (a scenario's
/// `fn write_back` returned `()` for its event).
pub fn forget(store: &Store, id: u64) -> Result<(), StoreError> {
    store.write(|tx| match tx.get::<OutboxItem>(id)? {
        Some(it) if it.status == OutboxStatus::Sending => tx.delete::<OutboxItem>(id),
        _ => Ok(()),
    })
}

/// Items by status (all when `None`), newest first.
pub fn list(
    store: &Store,
    status: Option<OutboxStatus>,
    limit: usize,
) -> ServiceResult<Vec<OutboxItem>> {
    let statuses = match status {
        Some(s) => vec![s],
        None => vec![
            OutboxStatus::Pending,
            OutboxStatus::Sending,
            OutboxStatus::Sent,
            OutboxStatus::Failed,
        ],
    };
    let mut ids = Vec::new();
    for s in statuses {
        ids.extend(store.ids_by(ix::STATUS, s.as_str())?);
    }
    ids.sort_unstable_by(|a, b| b.cmp(a));
    let mut out = Vec::new();
    for id in ids.into_iter().take(limit) {
        if let Some(it) = store.get::<OutboxItem>(id)? {
            out.push(it);
        }
    }
    Ok(out)
}

/// An admin's retry of a failed item: due now, with a fresh set of tries.
pub fn retry(store: &Store, id: u64, now: DateTime<Utc>) -> ServiceResult<OutboxItem> {
    store.write(|tx| {
        let mut it = tx
            .get::<OutboxItem>(id)?
            .ok_or_else(|| ServiceError::not_found(format!("outbox item {id} not found")))?;
        if it.status != OutboxStatus::Failed {
            return Err(ServiceError::Conflict(format!(
                "outbox item {id} is {}, only failed items are retried by hand",
                it.status.as_str()
            )));
        }
        let rev = it.rev;
        it.status = OutboxStatus::Pending;
        it.attempts = 0;
        it.next_at = now;
        tx.update(&mut it, rev)?;
        Ok(it)
    })
}

/// Forgets sent items delivered before `before` (the delivery history is kept
/// [`KEEP_SENT_DAYS`] days). Returns how many went.
pub fn purge_sent(store: &Store, before: DateTime<Utc>) -> Result<usize, StoreError> {
    let mut old = Vec::new();
    for id in store.ids_by(ix::STATUS, OutboxStatus::Sent.as_str())? {
        if let Some(it) = store.get::<OutboxItem>(id)? {
            if it.sent_at.is_some_and(|t| t < before) {
                old.push(id);
            }
        }
    }
    for chunk in old.chunks(500) {
        store.write(|tx| {
            for id in chunk {
                tx.delete::<OutboxItem>(*id)?;
            }
            Ok::<_, StoreError>(())
        })?;
    }
    Ok(old.len())
}

pub const KEEP_SENT_DAYS: i64 = 30;

/// Notices waiting to go out (pending or being sent) and failed ones, counted from
/// the status index without loading them.
pub fn backlog(store: &Store) -> Result<(usize, usize), StoreError> {
    let waiting = store.count_by(ix::STATUS, OutboxStatus::Pending.as_str())?
        + store.count_by(ix::STATUS, OutboxStatus::Sending.as_str())?;
    let failed = store.count_by(ix::STATUS, OutboxStatus::Failed.as_str())?;
    Ok((waiting, failed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::notice::sample;
    use crate::org::Language;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_secs(30),
            max_attempts: 3,
            lease: Duration::from_secs(20),
        }
    }

    fn store() -> (tempfile::TempDir, Store) {
        let d = tempfile::tempdir().unwrap();
        let s = Store::open(&d.path().join("db"), 1 << 20).unwrap();
        (d, s)
    }

    fn item(s: &Store, now: DateTime<Utc>) -> u64 {
        s.write(|tx| {
            tx.insert(&mut OutboxItem {
                id: 0,
                rev: 0,
                target: Target::Email {
                    to: "a@b.example".into(),
                },
                status: OutboxStatus::Pending,
                attempts: 0,
                next_at: now,
                last_error: None,
                created_at: now,
                sent_at: None,
                notice: sample(Language::En),
                once: None,
                write_back: None,
            })
        })
        .unwrap()
    }

    #[test]
    fn withdrawals_have_a_preference_key_comments_do_not() {
        assert_eq!(event_of(MessageKind::Withdrawn), Some("withdrawn"));
        assert!(crate::delivery::prefs::EVENTS.contains(&"withdrawn"));
        assert_eq!(event_of(MessageKind::Commented), None);
        assert!(!for_groups(MessageKind::Withdrawn));
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = policy();
        assert_eq!(p.backoff(1), chrono::Duration::seconds(30));
        assert_eq!(p.backoff(2), chrono::Duration::seconds(60));
        assert_eq!(p.backoff(4), chrono::Duration::seconds(240));
        assert_eq!(p.backoff(60), chrono::Duration::hours(6));
    }

    #[test]
    fn retry_then_fail_then_retry_by_hand() {
        let (_d, s) = store();
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let id = item(&s, t0);
        assert_eq!(due(&s, t0).unwrap(), vec![id]);
        let p = policy();
        let it = claim(&s, id, t0, &p).unwrap().unwrap();
        assert_eq!((it.status, it.attempts), (OutboxStatus::Sending, 1));
        assert!(due(&s, t0).unwrap().is_empty(), "leased");
        assert!(claim(&s, id, t0, &p).unwrap().is_none());
        let it = finish(&s, id, Err("500".into()), t0, &p).unwrap().unwrap();
        assert_eq!(it.status, OutboxStatus::Pending);
        assert_eq!(it.next_at, t0 + chrono::Duration::seconds(30));
        assert!(due(&s, t0 + chrono::Duration::seconds(29))
            .unwrap()
            .is_empty());
        let t1 = t0 + chrono::Duration::seconds(30);
        claim(&s, id, t1, &p).unwrap().unwrap();
        finish(&s, id, Err("500".into()), t1, &p).unwrap();
        let t2 = t1 + chrono::Duration::seconds(60);
        claim(&s, id, t2, &p).unwrap().unwrap();
        let it = finish(&s, id, Err("connection refused".into()), t2, &p)
            .unwrap()
            .unwrap();
        assert_eq!(it.status, OutboxStatus::Failed);
        assert_eq!(it.last_error.as_deref(), Some("connection refused"));
        assert!(due(&s, t2 + chrono::Duration::days(1)).unwrap().is_empty());
        assert_eq!(list(&s, Some(OutboxStatus::Failed), 10).unwrap().len(), 1);
        let it = retry(&s, id, t2).unwrap();
        assert_eq!((it.status, it.attempts), (OutboxStatus::Pending, 0));
        assert!(retry(&s, id, t2).is_err(), "only failed items");
        claim(&s, id, t2, &p).unwrap().unwrap();
        let it = finish(&s, id, Ok(()), t2, &p).unwrap().unwrap();
        assert_eq!(it.status, OutboxStatus::Sent);
        assert!(due(&s, t2 + chrono::Duration::days(1)).unwrap().is_empty());
        assert_eq!(purge_sent(&s, t2).unwrap(), 0, "kept while recent");
        assert_eq!(
            purge_sent(&s, t2 + chrono::Duration::seconds(1)).unwrap(),
            1
        );
        assert!(s.get::<OutboxItem>(id).unwrap().is_none());
        assert!(list(&s, None, 10).unwrap().is_empty());
    }

    fn write_back_item(s: &Store, now: DateTime<Utc>, name: &str) -> u64 {
        s.write(|tx| {
            tx.insert(&mut OutboxItem {
                id: 0,
                rev: 0,
                target: Target::WriteBack { name: name.into() },
                status: OutboxStatus::Pending,
                attempts: 0,
                next_at: now,
                last_error: None,
                created_at: now,
                sent_at: None,
                notice: sample(Language::En),
                once: None,
                write_back: None,
            })
        })
        .unwrap()
    }

    #[test]
    fn a_write_back_target_gets_its_events_one_at_a_time_in_order() {
        let (_d, s) = store();
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let p = policy();
        let first = write_back_item(&s, t0, "erp");
        let second = write_back_item(&s, t0, "erp");
        let other = write_back_item(&s, t0, "shop");
        assert!(
            claim(&s, second, t0, &p).unwrap().is_none(),
            "waits for the first"
        );
        assert!(
            claim(&s, other, t0, &p).unwrap().is_some(),
            "another target does not wait"
        );
        claim(&s, first, t0, &p).unwrap().unwrap();
        assert!(
            claim(&s, second, t0, &p).unwrap().is_none(),
            "the first is being sent"
        );
        finish(&s, first, Err("503".into()), t0, &p).unwrap();
        let t1 = t0 + chrono::Duration::seconds(30);
        assert!(
            claim(&s, second, t0, &p).unwrap().is_none(),
            "the first is retrying"
        );
        assert_eq!(
            due(&s, t0).unwrap(),
            Vec::<u64>::new(),
            "the second is due with the first's next try, not on every poll"
        );
        assert_eq!(s.get::<OutboxItem>(second).unwrap().unwrap().next_at, t1);
        claim(&s, first, t1, &p).unwrap().unwrap();
        finish(&s, first, Ok(()), t1, &p).unwrap();
        assert!(claim(&s, second, t1, &p).unwrap().is_some(), "now its turn");
    }

    #[test]
    fn a_lease_left_by_a_crash_runs_out() {
        let (_d, s) = store();
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let id = item(&s, t0);
        let p = policy();
        claim(&s, id, t0, &p).unwrap().unwrap();
        // No finish: the process died mid-send.
        assert!(due(&s, t0 + chrono::Duration::seconds(19))
            .unwrap()
            .is_empty());
        let later = t0 + chrono::Duration::seconds(20);
        assert_eq!(due(&s, later).unwrap(), vec![id]);
        let it = claim(&s, id, later, &p).unwrap().unwrap();
        assert_eq!(it.attempts, 2);
    }
}
