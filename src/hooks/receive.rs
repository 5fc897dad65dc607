//! One delivery to `POST /api/hooks/{name}`: find the hook, answer WooCommerce's set-up
//! ping, check the sender, drop a replay, map the payload to records, store them
//! through the ERP push path, and log what happened for the hook's page.
//!
//! Split in two around the push so the HTTP layer can wait for a script slot (as the
//! ERP endpoint does) between them: [`prepare`] does everything up to the records,
//! [`store_records`] stores them.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::mapping::MapCache;
use super::model::{
    HookDelivery, InboundHook, Outcome, Preset, IX_DELIVERY_HOOK, IX_DELIVERY_SEEN, IX_HOOK_NAME,
    KEEP_DAYS, KEEP_PER_HOOK,
};
use super::presets;
use super::verify::verify;
use crate::erp::ingest::{self, Incoming};
use crate::erp::push as erp_push;
use crate::error::{ServiceError, ServiceResult};
use crate::scenarios::registry::Scenarios;
use crate::scenarios::slots::ScriptSlot;
use crate::store::{Store, StoreError};

/// What the sender is told.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryAnswer {
    pub outcome: Outcome,
    /// Records new or changed.
    pub stored: usize,
    pub unchanged: usize,
    pub tasks_created: usize,
}

impl DeliveryAnswer {
    fn nothing(outcome: Outcome) -> Self {
        DeliveryAnswer {
            outcome,
            stored: 0,
            unchanged: 0,
            tasks_created: 0,
        }
    }
}

/// One request as the HTTP layer read it. Header names are lower case.
pub struct Delivery<'a> {
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
    pub now: DateTime<Utc>,
}

impl Delivery<'_> {
    fn header(&self, name: &str) -> Option<String> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    }
}

/// Records mapped from a delivery, ready to store.
pub struct Mapped {
    pub hook: InboundHook,
    pub records: Vec<Incoming>,
    delivery_id: Option<String>,
    seen_key: Option<String>,
}

/// Either the delivery is answered already (a ping, a replay) or it has records.
pub enum Prepared {
    Answered(DeliveryAnswer),
    Mapped(Box<Mapped>),
}

/// The hook called `name`, if it exists and is on. A stranger learns nothing more
/// from a switched-off hook than from a missing one.
fn find(store: &Store, name: &str) -> ServiceResult<InboundHook> {
    let missing = || ServiceError::not_found("no such hook");
    let id = store.lookup(IX_HOOK_NAME, name)?.ok_or_else(missing)?;
    let hook: InboundHook = store.get(id)?.ok_or_else(missing)?;
    if !hook.enabled {
        return Err(missing());
    }
    Ok(hook)
}

/// WooCommerce's set-up ping: an unsigned form body `webhook_id=N`, which must get a
/// 200 or the shop calls the set-up failed.
fn is_woocommerce_ping(hook: &InboundHook, d: &Delivery<'_>) -> bool {
    hook.preset == Preset::Woocommerce
        && d.header("content-type")
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
        && d.body.starts_with(b"webhook_id=")
        && d.body.len() < 64
}

/// The key a replay of this delivery would have again, from the preset's delivery-id
/// header (with the body beside it where the id alone is not unique).
fn seen_key(preset: Preset, d: &Delivery<'_>) -> (Option<String>, Option<String>) {
    let Some((header, with_body)) = presets::delivery_header(preset) else {
        return (None, None);
    };
    let Some(id) = d.header(header).filter(|v| !v.is_empty() && v.len() <= 200) else {
        return (None, None);
    };
    let mut h = Sha256::new();
    h.update(id.as_bytes());
    if with_body {
        h.update([0u8]);
        h.update(d.body);
    }
    let key = hex::encode(&h.finalize()[..16]);
    (Some(id), Some(key))
}

pub fn prepare(
    store: &Store,
    maps: &MapCache,
    name: &str,
    d: &Delivery<'_>,
) -> ServiceResult<Prepared> {
    let hook = find(store, name)?;
    let mut entry = DeliveryLog::new(&hook, d.now);
    if is_woocommerce_ping(&hook, d) {
        entry.outcome(Outcome::Ping, 200, None).write(store)?;
        return Ok(Prepared::Answered(DeliveryAnswer::nothing(Outcome::Ping)));
    }
    let header = |n: &str| d.header(n);
    if let Err(e) = verify(
        &hook.verification,
        &header,
        d.body,
        hook.preset == Preset::Woocommerce,
    ) {
        entry
            .outcome(Outcome::Unauthorized, 401, Some(e.to_string()))
            .write(store)?;
        return Err(ServiceError::Unauthorized(e.to_string()));
    }
    let (delivery_id, seen) = seen_key(hook.preset, d);
    entry.delivery_id = delivery_id.clone();
    if let Some(k) = &seen {
        if store
            .lookup(IX_DELIVERY_SEEN, &format!("{}/{k}", hook.id))?
            .is_some()
        {
            entry.outcome(Outcome::Duplicate, 200, None).write(store)?;
            return Ok(Prepared::Answered(DeliveryAnswer::nothing(
                Outcome::Duplicate,
            )));
        }
    }
    let payload: serde_json::Value = match serde_json::from_slice(d.body) {
        Ok(v) => v,
        Err(e) => {
            let why = format!("the body is not JSON: {e}");
            entry
                .outcome(Outcome::Rejected, 400, Some(why.clone()))
                .write(store)?;
            return Err(ServiceError::Invalid {
                field: None,
                message: why,
            });
        }
    };
    // A bearer token is for the check above, not for scripts.
    let visible: Vec<(String, String)> = d
        .headers
        .iter()
        .filter(|(k, _)| k != "authorization")
        .cloned()
        .collect();
    let mapped = maps
        .get(hook.id, hook.rev, &hook.mapping)
        .and_then(|m| maps.run(&m, &payload, &visible, d.now));
    let values = match mapped {
        Ok(v) => v,
        Err(e) => {
            let why = format!("the mapping refused the payload: {e}");
            entry
                .outcome(Outcome::Rejected, 422, Some(why.clone()))
                .write(store)?;
            keep_error(store, hook.id, e, d.now)?;
            return Err(ServiceError::Unprocessable(why));
        }
    };
    let mut records = Vec::with_capacity(values.len());
    for (i, mut v) in values.into_iter().enumerate() {
        match ingest::validate(&mut v) {
            Ok(r) => records.push(r),
            Err(reason) => {
                let why = format!("the mapping's record {i} is not valid: {reason}");
                entry
                    .outcome(Outcome::Rejected, 422, Some(why.clone()))
                    .write(store)?;
                return Err(ServiceError::Unprocessable(why));
            }
        }
    }
    Ok(Prepared::Mapped(Box::new(Mapped {
        hook,
        records,
        delivery_id,
        seen_key: seen,
    })))
}

/// Stores the mapped records (scenarios fire as for pushed records) and logs the
/// delivery, marking it seen against replays.
pub fn store_records(
    store: &Store,
    scenarios: &Scenarios,
    mapped: Mapped,
    slot: Option<ScriptSlot>,
    now: DateTime<Utc>,
) -> ServiceResult<DeliveryAnswer> {
    let Mapped {
        hook,
        records,
        delivery_id,
        seen_key,
    } = mapped;
    let names: Vec<String> = records
        .iter()
        .take(20)
        .map(|r| format!("{}/{}", r.kind, r.record_id))
        .collect();
    let pushed = if records.is_empty() {
        erp_push::Pushed::default()
    } else {
        erp_push::push(store, scenarios, records, slot, now)?
    };
    let answer = DeliveryAnswer {
        outcome: Outcome::Stored,
        stored: pushed.stored,
        unchanged: pushed.unchanged,
        tasks_created: pushed.report.tasks_created,
    };
    let mut entry = DeliveryLog::new(&hook, now);
    entry.delivery_id = delivery_id;
    entry.record.stored = answer.stored;
    entry.record.unchanged = answer.unchanged;
    entry.record.tasks_created = answer.tasks_created;
    entry.record.records = names;
    entry.record.seen_key = seen_key;
    entry.outcome(Outcome::Stored, 200, None);
    match entry.clone().write(store) {
        // The same delivery stored by a concurrent request first: it is a replay.
        Err(StoreError::Duplicate { .. }) => {
            entry.record.seen_key = None;
            entry.outcome(Outcome::Duplicate, 200, None).write(store)?;
            Ok(DeliveryAnswer::nothing(Outcome::Duplicate))
        }
        Err(e) => Err(e.into()),
        Ok(()) => {
            if hook.last_error.is_some() {
                clear_error(store, hook.id)?;
            }
            Ok(answer)
        }
    }
}

/// A delivery being logged.
#[derive(Clone)]
struct DeliveryLog {
    record: HookDelivery,
    delivery_id: Option<String>,
}

impl DeliveryLog {
    fn new(hook: &InboundHook, now: DateTime<Utc>) -> Self {
        DeliveryLog {
            record: HookDelivery {
                id: 0,
                rev: 0,
                hook_id: hook.id,
                received_at: now,
                delivery_id: None,
                status: 200,
                outcome: Outcome::Stored,
                message: None,
                stored: 0,
                unchanged: 0,
                tasks_created: 0,
                records: vec![],
                seen_key: None,
            },
            delivery_id: None,
        }
    }

    fn outcome(&mut self, outcome: Outcome, status: u16, message: Option<String>) -> &mut Self {
        self.record.outcome = outcome;
        self.record.status = status;
        self.record.message = message.map(|m| m.chars().take(500).collect());
        self
    }

    /// Writes the entry and drops this hook's entries past the seven days or the count.
    fn write(&mut self, store: &Store) -> Result<(), StoreError> {
        let mut record = self.record.clone();
        record.delivery_id = self
            .delivery_id
            .clone()
            .map(|s| s.chars().take(200).collect());
        let hook = record.hook_id;
        let cutoff = record
            .received_at
            .checked_sub_signed(Duration::days(KEEP_DAYS))
            .unwrap_or(record.received_at);
        let mut stale = Vec::new();
        for (n, id) in store
            .ids_by_newest(IX_DELIVERY_HOOK, &hook.to_string())
            .enumerate()
        {
            let id = id?;
            if n + 1 >= KEEP_PER_HOOK {
                stale.push(id);
            } else if let Some(d) = store.get::<HookDelivery>(id)? {
                if d.received_at < cutoff {
                    stale.push(id);
                }
            }
        }
        store.write(|tx| {
            tx.insert(&mut record)?;
            for id in &stale {
                if tx.get::<HookDelivery>(*id)?.is_some() {
                    tx.delete::<HookDelivery>(*id)?;
                }
            }
            Ok::<_, StoreError>(())
        })
    }
}

fn keep_error(
    store: &Store,
    id: u64,
    err: crate::scenarios::script::ScriptError,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    store.write(|tx| {
        if let Some(mut hook) = tx.get::<InboundHook>(id)? {
            hook.last_error = Some(err);
            hook.last_error_at = Some(now);
            // Not an admin's change: an admin editing the hook meanwhile is not refused.
            tx.update_bookkeeping(&mut hook)?;
        }
        Ok::<_, ServiceError>(())
    })
}

fn clear_error(store: &Store, id: u64) -> ServiceResult<()> {
    store.write(|tx| {
        if let Some(mut hook) = tx.get::<InboundHook>(id)? {
            hook.last_error = None;
            hook.last_error_at = None;
            tx.update_bookkeeping(&mut hook)?;
        }
        Ok::<_, ServiceError>(())
    })
}
