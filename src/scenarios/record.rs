//! The record as scripts see it: a rhai custom type over the stored JSON, read lazily.
//!
//! ERP records carry dozens of fields and a scenario reads three or four. Building a
//! script map per record cost more than running the script, so `r` and `prev` are a
//! [`LazyRecord`] instead: a shared pointer to the record's JSON. `r.status` finds no
//! property getter and falls back to the string indexer (rhai's "indexer as property
//! access fallback"), which converts that one field to a script value. Nothing is
//! built for fields no script reads. The engine that runs the enabled scenarios also
//! has a getter for each `.name` in their sources ([`register_getters`]): the same
//! answer, without rhai first failing to find a getter (it formats an error message
//! for that, on every access, as its function cache lasts one call).
//!
//! To scripts it behaves as the map it replaced: a missing field is `()`, `id` and
//! `kind` are there when the data lacks them, `?.` works on `prev`, and the map
//! functions a condition uses on a whole record (`keys`, `values`, `len`, `in`,
//! `==`, `to_json`, printing) are registered for it. Assigning a field changes the
//! script's copy only, as it did for a map. Anything else a map can do is one
//! `r.to_map()` away.

use std::sync::Arc;

use rhai::{Dynamic, Engine, EvalAltResult, ImmutableString, Map};
use serde_json::Value;

/// One record version (or its previous one) for scripts.
#[derive(Debug, Clone)]
pub struct LazyRecord {
    data: Arc<Value>,
    kind: ImmutableString,
    id: ImmutableString,
}

impl LazyRecord {
    pub fn new(kind: ImmutableString, id: ImmutableString, data: Arc<Value>) -> Self {
        LazyRecord { data, kind, id }
    }

    pub fn kind(&self) -> &str {
        &self.kind
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn data(&self) -> &Value {
        &self.data
    }

    /// The JSON back, without a copy when no script kept a reference to it.
    pub fn into_data(self) -> Value {
        Arc::try_unwrap(self.data).unwrap_or_else(|shared| (*shared).clone())
    }

    /// One field as a script value; `()` when absent, as for a map.
    pub fn get(&self, name: &str) -> Dynamic {
        match self.data.get(name) {
            Some(v) => to_dynamic(v),
            None => match name {
                "id" => Dynamic::from(self.id.clone()),
                "kind" => Dynamic::from(self.kind.clone()),
                _ => Dynamic::UNIT,
            },
        }
    }

    fn object(&self) -> Option<&serde_json::Map<String, Value>> {
        self.data.as_object()
    }

    fn has_own(&self, name: &str) -> bool {
        self.object().is_some_and(|o| o.contains_key(name))
    }

    /// Field names as a map would list them: the data's, then `id` and `kind` when
    /// the data lacks them.
    fn keys(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        for extra in ["id", "kind"] {
            if !self.has_own(extra) {
                out.push(extra);
            }
        }
        out
    }

    /// The whole record as a script map (what `r` was before it was lazy).
    pub fn to_map(&self) -> Map {
        let mut m = Map::new();
        if let Some(o) = self.object() {
            for (k, v) in o {
                m.insert(k.as_str().into(), to_dynamic(v));
            }
        }
        for (name, value) in [("id", &self.id), ("kind", &self.kind)] {
            if !m.contains_key(name) {
                m.insert(name.into(), Dynamic::from(value.clone()));
            }
        }
        m
    }

    fn len(&self) -> i64 {
        i64::try_from(self.keys().len()).unwrap_or(i64::MAX)
    }

    /// Sets a field in this script's copy (copy on write: the stored record and
    /// other scenarios' views are untouched).
    fn set(&mut self, name: &str, value: Dynamic) -> Result<(), Box<EvalAltResult>> {
        let json: Value = rhai::serde::from_dynamic(&value)?;
        let data = Arc::make_mut(&mut self.data);
        if !data.is_object() {
            *data = Value::Object(serde_json::Map::new());
        }
        if let Value::Object(o) = data {
            o.insert(name.to_string(), json);
        }
        Ok(())
    }
}

/// Two views are equal when their maps would be.
impl PartialEq for LazyRecord {
    fn eq(&self, other: &Self) -> bool {
        let same =
            Arc::ptr_eq(&self.data, &other.data) && self.id == other.id && self.kind == other.kind;
        same || self.to_map_json() == other.to_map_json()
    }
}

impl LazyRecord {
    /// The map form as JSON, for comparisons.
    fn to_map_json(&self) -> Value {
        let mut o = self.object().cloned().unwrap_or_default();
        o.entry("id")
            .or_insert_with(|| Value::String(self.id.to_string()));
        o.entry("kind")
            .or_insert_with(|| Value::String(self.kind.to_string()));
        Value::Object(o)
    }
}

fn str_value(s: &str) -> Dynamic {
    Dynamic::from(rhai::ImmutableString::from(s))
}

/// Inserting one by one beats `collect`, which buffers and sorts what serde_json's
/// map already holds in order.
fn json_map(o: &serde_json::Map<String, serde_json::Value>) -> Map {
    let mut m = Map::new();
    for (k, v) in o {
        m.insert(k.as_str().into(), to_dynamic(v));
    }
    m
}

/// JSON to a script value, directly: several times faster than going through serde's
/// generic serializer, and this runs for every record a scenario watches.
pub fn to_dynamic(v: &serde_json::Value) -> Dynamic {
    use serde_json::Value;
    match v {
        Value::Null => Dynamic::UNIT,
        Value::Bool(b) => Dynamic::from_bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Dynamic::from_int(i),
            None => Dynamic::from_float(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => str_value(s),
        Value::Array(a) => Dynamic::from_array(a.iter().map(to_dynamic).collect()),
        Value::Object(o) => Dynamic::from_map(json_map(o)),
    }
}

/// The names written as `.name` or `?.name` (not method calls) in a script's source:
/// the fields its record may be read by. A name that is no field, or one inside a
/// string, only costs a getter nobody calls.
pub fn property_names(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = source.get(i..).and_then(|s| s.find('.')) {
        let start = i + off + 1;
        let end = source
            .get(start..)
            .and_then(|s| s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')))
            .map_or(source.len(), |n| start + n);
        let name = source.get(start..end).unwrap_or("");
        let is_ident = name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
        let is_call = source
            .get(end..)
            .is_some_and(|rest| rest.trim_start().starts_with('('));
        if is_ident && !is_call {
            out.push(name.to_string());
        }
        i = end.max(start);
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// A getter per name, each reading that field: `r.status` then finds its function
/// at once instead of after a failed lookup (see the module note).
pub fn register_getters(e: &mut Engine, names: impl IntoIterator<Item = String>) {
    let mut seen = std::collections::BTreeSet::new();
    for name in names {
        if seen.insert(name.clone()) {
            let field = name.clone();
            e.register_get(&name, move |r: &mut LazyRecord| r.get(&field));
        }
    }
}

/// The name scripts see (`type_of(r)`, error messages).
pub const TYPE_NAME: &str = "record";

/// Registers the record type, its indexer (which serves `r.field` too) and the map
/// functions scripts use on a whole record.
pub fn register(e: &mut Engine) {
    e.register_type_with_name::<LazyRecord>(TYPE_NAME);
    e.register_indexer_get(|r: &mut LazyRecord, name: ImmutableString| r.get(&name));
    e.register_indexer_set(
        |r: &mut LazyRecord, name: ImmutableString, v: Dynamic| -> Result<(), Box<EvalAltResult>> {
            r.set(&name, v)
        },
    );
    e.register_fn("keys", |r: &mut LazyRecord| -> rhai::Array {
        r.keys()
            .into_iter()
            .map(|k| Dynamic::from(k.to_string()))
            .collect()
    });
    e.register_fn("values", |r: &mut LazyRecord| -> rhai::Array {
        r.to_map().into_values().collect()
    });
    e.register_fn("len", |r: &mut LazyRecord| r.len());
    e.register_fn("is_empty", |r: &mut LazyRecord| r.len() == 0);
    // `"field" in r` calls `contains(r, "field")`.
    e.register_fn("contains", |r: &mut LazyRecord, name: ImmutableString| {
        r.has_own(&name) || name == "id" || name == "kind"
    });
    e.register_fn("get", |r: &mut LazyRecord, name: ImmutableString| {
        r.get(&name)
    });
    e.register_fn("to_map", |r: &mut LazyRecord| r.to_map());
    e.register_fn("to_json", |r: &mut LazyRecord| r.to_map_json().to_string());
    e.register_fn("==", |a: &mut LazyRecord, b: LazyRecord| *a == b);
    e.register_fn("!=", |a: &mut LazyRecord, b: LazyRecord| *a != b);
    e.register_fn("==", |a: &mut LazyRecord, b: Map| {
        map_json(b).is_some_and(|b| a.to_map_json() == b)
    });
    e.register_fn("!=", |a: &mut LazyRecord, b: Map| {
        !map_json(b).is_some_and(|b| a.to_map_json() == b)
    });
    e.register_fn("+", |a: &mut LazyRecord, b: Map| {
        let mut m = a.to_map();
        m.extend(b);
        m
    });
    e.register_fn("to_string", |r: &mut LazyRecord| {
        Dynamic::from_map(r.to_map()).to_string()
    });
    e.register_fn("to_debug", |r: &mut LazyRecord| {
        format!("{:?}", Dynamic::from_map(r.to_map()))
    });
}

/// A script map as JSON; values JSON cannot hold (functions, custom types) make it
/// unequal to any record rather than an error.
fn map_json(m: Map) -> Option<Value> {
    rhai::serde::from_dynamic(&Dynamic::from_map(m)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_names_are_the_dotted_fields() {
        let src = r#"fn condition(r, prev) { r.status == "a.b" && prev?.paid_at != () && r.sku.starts_with("X") && r.n > 1.5 && r .qty_2 > 0 }"#;
        assert_eq!(
            property_names(src),
            vec!["b", "n", "paid_at", "qty_2", "sku", "status"],
            "`.b` inside a string is harmless; methods and decimals are not names"
        );
    }
}
