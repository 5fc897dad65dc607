//! Validation and upsert of pushed records.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use std::collections::HashMap;

use super::model::{record_key, ErpRecord, ErpVersion};
use crate::error::{ServiceError, ServiceResult};
use crate::store::{Store, StoreError, WriteTx};

pub const MAX_BATCH: usize = 1000;

/// A record that passed validation.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub kind: String,
    pub record_id: String,
    pub data: serde_json::Value,
    pub occurred_at: Option<DateTime<Utc>>,
}

impl Incoming {
    /// The record as first stored (or as a dry run sees it), with an optional previous
    /// version for scripts that compare.
    pub fn into_record(self, previous: Option<serde_json::Value>, now: DateTime<Utc>) -> ErpRecord {
        ErpRecord {
            id: 0,
            rev: 0,
            kind: self.kind,
            record_id: self.record_id,
            version: 1,
            data: self.data,
            previous,
            occurred_at: self.occurred_at,
            received_at: now,
        }
    }
}

/// A planned record sent again (when a batch is read anew after a conflict).
impl From<ErpRecord> for Incoming {
    fn from(r: ErpRecord) -> Self {
        Incoming {
            kind: r.kind,
            record_id: r.record_id,
            data: r.data,
            occurred_at: r.occurred_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rejected {
    /// Position in the batch (0-based), or line number for imports.
    pub index: usize,
    pub kind: Option<String>,
    pub id: Option<String>,
    pub reason: String,
}

fn valid_kind(k: &str) -> bool {
    (1..=40).contains(&k.len())
        && k.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Checks one pushed record: `{"kind","id","data":{...},"occurred_at"?}`. On success
/// `data` is moved out of `v` (records can be large; a rejected one is left whole, so
/// its kind and id can be reported).
pub fn validate(v: &mut serde_json::Value) -> Result<Incoming, String> {
    let obj = v.as_object_mut().ok_or("a record must be a JSON object")?;
    let kind = obj
        .get("kind")
        .and_then(|k| k.as_str())
        .ok_or("missing 'kind'")?;
    if !valid_kind(kind) {
        return Err(format!(
            "kind '{kind}' must be 1-40 lower-case letters, digits or '_'"
        ));
    }
    let record_id = match obj.get("id") {
        Some(serde_json::Value::String(s)) => s.trim().to_string(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => return Err("missing 'id' (a string)".into()),
    };
    if record_id.is_empty() || record_id.chars().count() > 100 || record_id.contains('/') {
        return Err("'id' must have 1-100 characters and no '/'".into());
    }
    if !obj.get("data").is_some_and(|d| d.is_object()) {
        return Err("'data' must be a JSON object".into());
    }
    let occurred_at = match obj.get("occurred_at") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(
            DateTime::parse_from_rfc3339(s)
                .map_err(|_| format!("occurred_at '{s}' is not an RFC 3339 time"))
                .and_then(|t| crate::time::in_range(t.with_timezone(&Utc)))?,
        ),
        Some(_) => return Err("occurred_at must be an RFC 3339 string".into()),
    };
    if let Some(extra) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "kind" | "id" | "data" | "occurred_at"))
    {
        return Err(format!("unknown field '{extra}'"));
    }
    let kind = kind.to_string();
    let data = obj
        .get_mut("data")
        .map(serde_json::Value::take)
        .unwrap_or_default();
    Ok(Incoming {
        kind,
        record_id,
        data,
        occurred_at,
    })
}

/// What a batch changes, read without holding the writer: the records to write, each
/// with the revision it replaces (so a concurrent change is caught when writing), and
/// the superseded versions history keeps.
#[derive(Debug, Default)]
pub struct Plan {
    /// New or changed records, one per (kind, id), as they will be stored.
    pub changed: Vec<ErpRecord>,
    /// For each of `changed`: the stored revision it replaces, or none for a new one.
    pub replaces: Vec<Option<u64>>,
    pub superseded: Vec<ErpVersion>,
    /// Records equal to what is stored.
    pub unchanged: usize,
}

/// Reads what `batch` would change. A payload equal to the stored one changes nothing;
/// a record sent twice in one batch is stored once, at its last version, with the
/// earlier one in its history.
pub fn plan(store: &Store, batch: Vec<Incoming>, now: DateTime<Utc>) -> ServiceResult<Plan> {
    /// A record this batch touches: as stored (or new), and whether the batch changes it.
    struct Entry {
        rec: ErpRecord,
        replaces: Option<u64>,
        modified: bool,
    }
    let mut entries: Vec<Entry> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mut superseded = Vec::new();
    let mut unchanged = 0;
    for inc in batch {
        let key = record_key(&inc.kind, &inc.record_id);
        let i = match by_key.get(&key) {
            Some(&i) => i,
            None => {
                let stored = match store.lookup("erp_record", &key)? {
                    Some(id) => store.get::<ErpRecord>(id)?,
                    None => None,
                };
                by_key.insert(key, entries.len());
                match stored {
                    Some(old) => entries.push(Entry {
                        replaces: Some(old.rev),
                        rec: old,
                        modified: false,
                    }),
                    None => {
                        entries.push(Entry {
                            rec: inc.into_record(None, now),
                            replaces: None,
                            modified: true,
                        });
                        continue;
                    }
                }
                entries.len() - 1
            }
        };
        let e = &mut entries[i];
        // serde_json maps are sorted, so equal values are equal payloads whatever
        // order the ERP sent the fields in.
        if e.rec.data == inc.data {
            unchanged += 1;
            continue;
        }
        let rec = &mut e.rec;
        superseded.push(ErpVersion {
            id: 0,
            rev: 0,
            kind: rec.kind.clone(),
            record_id: rec.record_id.clone(),
            version: rec.version,
            data: rec.data.clone(),
            received_at: rec.received_at,
        });
        rec.previous = Some(std::mem::replace(&mut rec.data, inc.data));
        rec.version += 1;
        rec.occurred_at = inc.occurred_at.or(rec.occurred_at);
        rec.received_at = now;
        e.modified = true;
    }
    // Stored records that turned out equal are not written.
    let (changed, replaces) = entries
        .into_iter()
        .filter(|e| e.modified)
        .map(|e| (e.rec, e.replaces))
        .unzip();
    Ok(Plan {
        changed,
        replaces,
        superseded,
        unchanged,
    })
}

/// Writes a plan's records (giving new ones their ids); a record changed since it was
/// read is a conflict.
pub fn write(
    tx: &mut WriteTx<'_>,
    changed: &mut [ErpRecord],
    replaces: &[Option<u64>],
    superseded: Vec<ErpVersion>,
) -> Result<(), StoreError> {
    for mut v in superseded {
        tx.insert(&mut v)?;
    }
    for (rec, replaces) in changed.iter_mut().zip(replaces) {
        match replaces {
            Some(rev) => tx.update(rec, *rev)?,
            None => {
                tx.insert(rec)?;
            }
        }
    }
    Ok(())
}

pub fn get(store: &Store, kind: &str, record_id: &str) -> ServiceResult<ErpRecord> {
    let id = store
        .lookup("erp_record", &record_key(kind, record_id))?
        .ok_or_else(|| ServiceError::not_found(format!("no {kind} record '{record_id}'")))?;
    Ok(store.load::<ErpRecord>(id)?)
}

/// Current record by kind and id, if any (for scripts' lookups).
pub fn find(store: &Store, kind: &str, record_id: &str) -> ServiceResult<Option<ErpRecord>> {
    match store.lookup("erp_record", &record_key(kind, record_id))? {
        Some(id) => Ok(store.get::<ErpRecord>(id)?),
        None => Ok(None),
    }
}

/// Every version of a record, newest (the current one) first.
pub fn versions(store: &Store, kind: &str, record_id: &str) -> ServiceResult<Vec<ErpVersion>> {
    let current = get(store, kind, record_id)?;
    let mut out = vec![ErpVersion {
        id: current.id,
        rev: current.rev,
        kind: current.kind,
        record_id: current.record_id,
        version: current.version,
        data: current.data,
        received_at: current.received_at,
    }];
    for id in store.ids_by("erp_versions", &record_key(kind, record_id))? {
        if let Some(v) = store.get::<ErpVersion>(id)? {
            out.push(v);
        }
    }
    Ok(out)
}

/// Ids of the current records of `kind`, newest (highest id) first.
pub fn ids_of_kind(store: &Store, kind: &str) -> Result<Vec<u64>, StoreError> {
    let mut ids = store.ids_by_unique_prefix("erp_record", &kind_prefix(kind))?;
    ids.sort_unstable_by(|a, b| b.cmp(a));
    Ok(ids)
}

/// The head of every `erp_record` index value of a kind ("kind/record id").
fn kind_prefix(kind: &str) -> String {
    format!("{kind}/")
}

/// The kinds of record stored, in name order.
pub fn kinds(store: &Store) -> Result<Vec<String>, StoreError> {
    store.unique_value_heads("erp_record")
}

/// Records of a kind, newest first, optionally only those whose id or data contain `text`.
pub fn browse(
    store: &Store,
    kind: &str,
    text: Option<&str>,
    limit: usize,
) -> ServiceResult<Vec<ErpRecord>> {
    let needle = text.map(|t| t.to_lowercase()).filter(|t| !t.is_empty());
    let ids = match needle {
        // every id is needed only when some may not match
        None => store.newest_ids_by_unique_prefix("erp_record", &kind_prefix(kind), limit)?,
        Some(_) => ids_of_kind(store, kind)?,
    };
    let mut out = Vec::new();
    for id in ids {
        let Some(r) = store.get::<ErpRecord>(id)? else {
            continue;
        };
        if needle.as_ref().is_none_or(|n| {
            r.record_id.to_lowercase().contains(n) || r.data.to_string().to_lowercase().contains(n)
        }) {
            out.push(r);
            if out.len() >= limit {
                break;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
#[path = "ingest_tests.rs"]
mod tests;
