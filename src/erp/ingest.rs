//! Validation and upsert of pushed records.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::model::{record_key, ErpRecord, ErpVersion};
use crate::error::{ServiceError, ServiceResult};
use crate::store::Store;

pub const MAX_BATCH: usize = 1000;

/// A record that passed validation.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub kind: String,
    pub record_id: String,
    pub data: serde_json::Value,
    pub occurred_at: Option<DateTime<Utc>>,
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
                .map_err(|_| format!("occurred_at '{s}' is not an RFC 3339 time"))?
                .with_timezone(&Utc),
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

/// Stores a batch in one durable write. Returns the records that are new or changed;
/// a payload equal to the stored one changes nothing.
pub fn upsert(
    store: &Store,
    batch: Vec<Incoming>,
    now: DateTime<Utc>,
) -> ServiceResult<(Vec<ErpRecord>, usize)> {
    store.write(|tx| {
        let mut changed: Vec<ErpRecord> = Vec::new();
        let mut unchanged = 0;
        for inc in batch {
            let existing = match tx.lookup("erp_record", &record_key(&inc.kind, &inc.record_id))? {
                Some(id) => tx.get::<ErpRecord>(id)?,
                None => None,
            };
            let mut rec = match existing {
                // serde_json maps are sorted, so equal values are equal payloads
                // whatever order the ERP sent the fields in.
                Some(old) if old.data == inc.data => {
                    unchanged += 1;
                    continue;
                }
                Some(mut old) => {
                    let rev = old.rev;
                    // History keeps the superseded versions; the record holds the current one.
                    let mut superseded = ErpVersion {
                        id: 0,
                        rev: 0,
                        kind: old.kind.clone(),
                        record_id: old.record_id.clone(),
                        version: old.version,
                        data: old.data.clone(),
                        received_at: old.received_at,
                    };
                    tx.insert(&mut superseded)?;
                    old.previous = Some(std::mem::replace(&mut old.data, inc.data));
                    old.version += 1;
                    old.occurred_at = inc.occurred_at.or(old.occurred_at);
                    old.received_at = now;
                    tx.update(&mut old, rev)?;
                    old
                }
                None => {
                    let mut r = ErpRecord {
                        id: 0,
                        rev: 0,
                        kind: inc.kind,
                        record_id: inc.record_id,
                        version: 1,
                        data: inc.data,
                        previous: None,
                        occurred_at: inc.occurred_at,
                        received_at: now,
                    };
                    tx.insert(&mut r)?;
                    r
                }
            };
            rec.rev = rec.rev.max(1);
            changed.push(rec);
        }
        Ok::<_, ServiceError>((changed, unchanged))
    })
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

/// Records of a kind, newest first, optionally only those whose id or data contain `text`.
pub fn browse(
    store: &Store,
    kind: &str,
    text: Option<&str>,
    limit: usize,
) -> ServiceResult<Vec<ErpRecord>> {
    let needle = text.map(|t| t.to_lowercase()).filter(|t| !t.is_empty());
    let mut out = Vec::new();
    for id in store.ids_by("erp_kind", kind)? {
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
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn validation_names_the_problem() {
        assert!(validate(&mut json!({"kind": "order", "id": "SO-1", "data": {}})).is_ok());
        let bad = [
            (json!([]), "object"),
            (json!({"id": "x", "data": {}}), "kind"),
            (
                json!({"kind": "Order!", "id": "x", "data": {}}),
                "lower-case",
            ),
            (json!({"kind": "order", "data": {}}), "'id'"),
            (json!({"kind": "order", "id": "a/b", "data": {}}), "'/'"),
            (json!({"kind": "order", "id": "x", "data": 5}), "'data'"),
            (
                json!({"kind": "order", "id": "x", "data": {}, "occurred_at": "yesterday"}),
                "RFC 3339",
            ),
            (
                json!({"kind": "order", "id": "x", "data": {}, "extra": 1}),
                "unknown field",
            ),
        ];
        for (v, want) in bad {
            let e = validate(&mut v.clone()).unwrap_err();
            assert!(e.contains(want), "{v}: {e}");
        }
    }

    #[test]
    fn same_payload_twice_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db"), 1 << 20).unwrap();
        let rec = || {
            validate(
                &mut json!({"kind": "order", "id": "SO-1", "data": {"status": "paid", "qty": 2}}),
            )
            .unwrap()
        };
        let (c, u) = upsert(&store, vec![rec()], Utc::now()).unwrap();
        assert_eq!((c.len(), u), (1, 0));
        let (c, u) = upsert(&store, vec![rec()], Utc::now()).unwrap();
        assert_eq!((c.len(), u), (0, 1));
        let changed = validate(
            &mut json!({"kind": "order", "id": "SO-1", "data": {"status": "out_of_stock", "qty": 2}}),
        )
        .unwrap();
        let (c, _) = upsert(&store, vec![changed], Utc::now()).unwrap();
        assert_eq!(c[0].version, 2);
        assert_eq!(c[0].previous.as_ref().unwrap()["status"], "paid");
        assert_eq!(versions(&store, "order", "SO-1").unwrap().len(), 2);
        assert_eq!(
            get(&store, "order", "SO-1").unwrap().data["status"],
            "out_of_stock"
        );
    }
}
