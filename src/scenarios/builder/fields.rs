//! Field suggestions for the builder: the record kinds stored so far, and the fields
//! the newest records of one kind have with the JSON types seen in them. A sample,
//! not a scan: what an admin picks from has to come back at once on a million records.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::actor::Actor;
use crate::erp::ingest;
use crate::error::ServiceResult;
use crate::org::policy::{require_company_admin, CompanyArea};
use crate::store::Store;

/// How many of the newest records of a kind are looked at.
pub const SAMPLE: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldSeen {
    pub name: String,
    /// JSON types seen: `string`, `number`, `bool`, `null`, `array`, `object`.
    pub types: Vec<String>,
    /// In how many of the sampled records the field is present.
    pub count: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Fields {
    /// Every record kind stored so far.
    pub kinds: Vec<String>,
    /// Fields of the asked kind (empty without one), by name.
    pub fields: Vec<FieldSeen>,
    /// How many records were sampled.
    pub sampled: usize,
}

fn type_name(v: &serde_json::Value) -> &'static str {
    use serde_json::Value as V;
    match v {
        V::Null => "null",
        V::Bool(_) => "bool",
        V::Number(_) => "number",
        V::String(_) => "string",
        V::Array(_) => "array",
        V::Object(_) => "object",
    }
}

/// The fields of `records`' data with their types, by name.
pub fn observe<'a>(records: impl IntoIterator<Item = &'a serde_json::Value>) -> Vec<FieldSeen> {
    let mut seen: BTreeMap<&str, (Vec<String>, usize)> = BTreeMap::new();
    for data in records {
        let Some(map) = data.as_object() else {
            continue;
        };
        for (k, v) in map {
            let e = seen.entry(k.as_str()).or_default();
            let t = type_name(v);
            if !e.0.iter().any(|x| x == t) {
                e.0.push(t.to_string());
            }
            e.1 += 1;
        }
    }
    seen.into_iter()
        .map(|(name, (types, count))| FieldSeen {
            name: name.to_string(),
            types,
            count,
        })
        .collect()
}

pub fn fields(store: &Store, actor: &Actor, kind: Option<&str>) -> ServiceResult<Fields> {
    require_company_admin(actor, CompanyArea::Scenarios)?;
    let kinds = ingest::kinds(store)?;
    let records = match kind.filter(|k| !k.is_empty()) {
        Some(k) => ingest::browse(store, k, None, SAMPLE)?,
        None => vec![],
    };
    Ok(Fields {
        kinds,
        fields: observe(records.iter().map(|r| &r.data)),
        sampled: records.len(),
    })
}
