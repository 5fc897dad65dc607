//! Custom fields (自定义字段): the definitions projects and templates carry, and the
//! validation of a task's values against them — one function for the API, the
//! scenarios and the conditions alike.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::{ServiceError, ServiceResult};

/// At most this many fields per project or template.
pub const MAX_FIELDS: usize = 30;
const MAX_TEXT: usize = 2_000;
const MAX_OPTIONS: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Number,
    /// An exact amount: kept as a decimal string with two places ("20000.00"), never
    /// a float; conditions compare it with `cents(...)`.
    Money,
    /// A calendar day, `YYYY-MM-DD`.
    Date,
    /// One of `options`.
    Choice,
    /// A user id.
    User,
    /// An http or https URL.
    Link,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    /// Letters, digits and `_`, starting with a letter: how conditions, filters and
    /// scenarios name it (`fields.amount`, `field.amount=...`).
    pub key: String,
    pub label: String,
    #[serde(rename = "type")]
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    /// The choices of a `choice` field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

fn bad(message: String) -> ServiceError {
    ServiceError::invalid("fields", message)
}

fn valid_key(k: &str) -> bool {
    let mut chars = k.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && k.len() <= 32
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Checks a list of definitions (a project's or a template's) and trims them.
pub fn check_defs(defs: Vec<FieldDef>) -> ServiceResult<Vec<FieldDef>> {
    if defs.len() > MAX_FIELDS {
        return Err(bad(format!("at most {MAX_FIELDS} custom fields")));
    }
    let mut out: Vec<FieldDef> = Vec::with_capacity(defs.len());
    for mut d in defs {
        d.key = d.key.trim().to_string();
        d.label = d.label.trim().to_string();
        if !valid_key(&d.key) {
            return Err(bad(format!(
                "field key '{}' must be 1-32 letters, digits or '_', starting with a letter",
                d.key
            )));
        }
        if out.iter().any(|o| o.key == d.key) {
            return Err(bad(format!("field key '{}' appears twice", d.key)));
        }
        if d.label.is_empty() || d.label.chars().count() > 80 {
            return Err(bad(format!(
                "field '{}': a label has 1 to 80 characters",
                d.key
            )));
        }
        d.options = d
            .options
            .iter()
            .map(|o| o.trim().to_string())
            .filter(|o| !o.is_empty())
            .collect();
        d.options.dedup();
        match d.kind {
            FieldKind::Choice if d.options.is_empty() => {
                return Err(bad(format!("field '{}': a choice needs options", d.key)))
            }
            FieldKind::Choice if d.options.len() > MAX_OPTIONS => {
                return Err(bad(format!(
                    "field '{}': at most {MAX_OPTIONS} options",
                    d.key
                )))
            }
            FieldKind::Choice => {}
            _ => d.options.clear(),
        }
        out.push(d);
    }
    Ok(out)
}

/// The definitions that apply to a task: its project's, then its template's (a
/// template field with a project field's key replaces it).
pub fn merged(project: &[FieldDef], template: &[FieldDef]) -> Vec<FieldDef> {
    let mut out: Vec<FieldDef> = project
        .iter()
        .filter(|p| !template.iter().any(|t| t.key == p.key))
        .cloned()
        .collect();
    out.extend(template.iter().cloned());
    out
}

/// An amount as an exact two-place decimal string: "1,234.5" → "1234.50".
pub fn money(v: &Value) -> Option<String> {
    let cents = match v {
        Value::String(s) => crate::money::parse_cents(s).ok()?,
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.checked_mul(100)?,
            None => {
                let f = n.as_f64()?;
                // Only a float that is already exact in cents: 12.5 yes, 12.345 no.
                let c = (f * 100.0).round();
                if (c / 100.0 - f).abs() > 1e-9 || c.abs() > 9e15 {
                    return None;
                }
                c as i64
            }
        },
        _ => return None,
    };
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    Some(format!("{sign}{}.{:02}", abs / 100, abs % 100))
}

/// One value checked and put in its stored form; `Err` says what is wrong with it.
fn value(d: &FieldDef, v: &Value, is_user: &dyn Fn(u64) -> bool) -> Result<Value, String> {
    match d.kind {
        FieldKind::Text => match v {
            Value::String(s) if s.chars().count() <= MAX_TEXT => Ok(Value::String(s.clone())),
            Value::String(_) => Err(format!("at most {MAX_TEXT} characters")),
            _ => Err("expected text".into()),
        },
        FieldKind::Number => match v {
            Value::Number(n) if n.as_f64().is_some_and(f64::is_finite) => Ok(v.clone()),
            Value::String(s) => s
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .or_else(|_| {
                    s.trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|f| f.is_finite())
                        .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
                        .ok_or(())
                })
                .map_err(|_| format!("'{s}' is not a number")),
            _ => Err("expected a number".into()),
        },
        FieldKind::Money => money(v)
            .map(Value::String)
            .ok_or_else(|| format!("{v} is not an amount with at most two decimals")),
        FieldKind::Date => match v {
            Value::String(s) => chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map(|d| Value::String(d.format("%Y-%m-%d").to_string()))
                .map_err(|_| format!("'{s}' is not a date (YYYY-MM-DD)")),
            _ => Err("expected a date (YYYY-MM-DD)".into()),
        },
        FieldKind::Choice => match v {
            Value::String(s) if d.options.iter().any(|o| o == s.trim()) => {
                Ok(Value::String(s.trim().to_string()))
            }
            _ => Err(format!("{v} is not one of {}", d.options.join(", "))),
        },
        FieldKind::User => match v.as_u64() {
            Some(u) if is_user(u) => Ok(Value::from(u)),
            _ => Err(format!("{v} is not an active user")),
        },
        FieldKind::Link => match v {
            Value::String(s) => match reqwest::Url::parse(s.trim()) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
                    Ok(Value::String(s.trim().to_string()))
                }
                _ => Err(format!("'{s}' is not an http or https link")),
            },
            _ => Err("expected a link".into()),
        },
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// Checks `values` against `defs`: every key defined, every value of its type (then
/// kept in its stored form), every required field present. An empty value (null, "")
/// removes the field. The error names the field.
pub fn check_values(
    defs: &[FieldDef],
    values: &BTreeMap<String, Value>,
    is_user: &dyn Fn(u64) -> bool,
) -> ServiceResult<BTreeMap<String, Value>> {
    let mut out = BTreeMap::new();
    for (k, v) in values {
        let Some(d) = defs.iter().find(|d| &d.key == k) else {
            return Err(bad(format!("field '{k}' is not defined for this task")));
        };
        if is_empty(v) {
            continue;
        }
        let stored = value(d, v, is_user).map_err(|e| bad(format!("field '{k}': {e}")))?;
        out.insert(k.clone(), stored);
    }
    if let Some(d) = defs
        .iter()
        .find(|d| d.required && !out.contains_key(&d.key))
    {
        return Err(bad(format!("field '{}' ({}) is required", d.key, d.label)));
    }
    Ok(out)
}

/// How a list filter compares a stored value with the text asked for: the stored
/// form's text (a money filter "20000" matches "20000.00").
pub fn matches(stored: Option<&Value>, wanted: &str) -> bool {
    let Some(v) = stored else {
        return wanted.is_empty();
    };
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    text == wanted || money(&Value::String(wanted.to_string())).is_some_and(|m| m == text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(key: &str, kind: FieldKind) -> FieldDef {
        FieldDef {
            key: key.into(),
            label: key.to_uppercase(),
            kind,
            required: false,
            options: if kind == FieldKind::Choice {
                vec!["north".into(), "south".into()]
            } else {
                vec![]
            },
        }
    }

    fn all() -> Vec<FieldDef> {
        vec![
            def("note", FieldKind::Text),
            def("qty", FieldKind::Number),
            def("amount", FieldKind::Money),
            def("day", FieldKind::Date),
            def("region", FieldKind::Choice),
            def("owner", FieldKind::User),
            def("doc", FieldKind::Link),
        ]
    }

    fn check(values: Value) -> Result<BTreeMap<String, Value>, String> {
        let values: BTreeMap<String, Value> = serde_json::from_value(values).unwrap();
        check_values(&all(), &values, &|u| u == 7).map_err(|e| e.to_string())
    }

    #[test]
    fn good_values_are_kept_in_their_stored_form() {
        let out = check(json!({
            "note": "hi", "qty": "3", "amount": "20,000.5", "day": "2026-11-28",
            "region": "north", "owner": 7, "doc": "https://example.com/x", "the_empty": null
        }));
        assert!(out.is_err(), "an unknown key is refused even when empty");
        let out = check(json!({
            "note": "hi", "qty": "3", "amount": "20,000.5", "day": "2026-11-28",
            "region": "north", "owner": 7, "doc": "https://example.com/x"
        }))
        .unwrap();
        assert_eq!(out["amount"], json!("20000.50"));
        assert_eq!(out["qty"], json!(3));
        assert_eq!(
            check(json!({"amount": 12})).unwrap()["amount"],
            json!("12.00")
        );
        assert_eq!(
            check(json!({"amount": -0.5})).unwrap()["amount"],
            json!("-0.50")
        );
    }

    #[test]
    fn each_wrong_value_is_refused_naming_its_field() {
        for (values, field) in [
            (json!({"qty": "many"}), "qty"),
            (json!({"amount": "12.345"}), "amount"),
            (json!({"amount": 1.005}), "amount"),
            (json!({"amount": true}), "amount"),
            (json!({"day": "28/11/2026"}), "day"),
            (json!({"region": "east"}), "region"),
            (json!({"owner": 8}), "owner"),
            (json!({"doc": "javascript:alert(1)"}), "doc"),
            (json!({"doc": "ftp://x.org/f"}), "doc"),
            (json!({"note": 5}), "note"),
            (json!({"colour": "red"}), "colour"),
        ] {
            let e = check(values.clone()).unwrap_err();
            assert!(e.contains(&format!("'{field}'")), "{values}: {e}");
        }
    }

    #[test]
    fn a_required_field_must_be_given_and_empty_removes() {
        let mut defs = all();
        defs[2].required = true;
        let values: BTreeMap<String, Value> =
            serde_json::from_value(json!({"amount": "", "note": "x"})).unwrap();
        let e = check_values(&defs, &values, &|_| true).unwrap_err();
        assert!(e.to_string().contains("'amount'"), "{e}");
        let values: BTreeMap<String, Value> =
            serde_json::from_value(json!({"amount": "1", "note": ""})).unwrap();
        let out = check_values(&defs, &values, &|_| true).unwrap();
        assert!(!out.contains_key("note"));
    }

    #[test]
    fn definitions_need_good_unique_keys_and_choices_options() {
        assert!(check_defs(all()).is_ok());
        let mut twice = all();
        twice.push(def("qty", FieldKind::Text));
        assert!(check_defs(twice).is_err());
        assert!(check_defs(vec![def("9lives", FieldKind::Text)]).is_err());
        let mut choice = def("c", FieldKind::Choice);
        choice.options = vec![" ".into()];
        assert!(check_defs(vec![choice]).is_err());
    }

    #[test]
    fn a_template_field_replaces_the_projects_of_the_same_key() {
        let m = merged(
            &[def("a", FieldKind::Text), def("b", FieldKind::Text)],
            &[def("a", FieldKind::Money)],
        );
        assert_eq!(m.len(), 2);
        assert_eq!(m[1].kind, FieldKind::Money);
    }

    #[test]
    fn filters_compare_the_stored_text() {
        assert!(matches(Some(&json!("20000.00")), "20000"));
        assert!(matches(Some(&json!("north")), "north"));
        assert!(matches(Some(&json!(3)), "3"));
        assert!(!matches(Some(&json!("north")), "south"));
        assert!(!matches(None, "north"));
    }
}
