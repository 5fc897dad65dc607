//! Column types for CSV imports (`--types amount=money,qty=int,paid_at=time`).
//!
//! A CSV cell is text as written unless the admin names a type for its column: guessing
//! turned SKU `00123` into `123`, a 20-digit tracking number into a float and money into
//! floats that `cents` then had to round. A named type is checked strictly; a cell that
//! does not fit rejects its row with the reason.

use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use crate::scenarios::engine::{cents_of_str, parse_time};

/// What a typed column's cells become.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    /// A decimal string with at most two decimals, kept as written (what `cents` reads
    /// exactly).
    Money,
    /// A JSON integer within 64 bits; never a float.
    Int,
    /// A time in a format scenarios accept, stored as RFC 3339 in UTC.
    Time,
}

impl FromStr for ColumnType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "money" => Ok(ColumnType::Money),
            "int" => Ok(ColumnType::Int),
            "time" => Ok(ColumnType::Time),
            other => Err(format!("unknown type '{other}': use money, int or time")),
        }
    }
}

/// The `--types` option: a type for some columns, the others stay text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnTypes(Vec<(String, ColumnType)>);

impl FromStr for ColumnTypes {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out: Vec<(String, ColumnType)> = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((column, ty)) = part.split_once('=') else {
                return Err(format!(
                    "'{part}' is not COLUMN=TYPE (e.g. amount=money,qty=int,paid_at=time)"
                ));
            };
            let column = column.trim();
            if column.is_empty() {
                return Err(format!("'{part}' names no column"));
            }
            if column == "id" {
                return Err("the 'id' column is the record's id and always text".into());
            }
            if out.iter().any(|(c, _)| c == column) {
                return Err(format!("column '{column}' is given a type twice"));
            }
            out.push((column.to_string(), ty.parse()?));
        }
        if out.is_empty() {
            return Err("no COLUMN=TYPE given (e.g. amount=money,qty=int,paid_at=time)".into());
        }
        Ok(ColumnTypes(out))
    }
}

impl ColumnTypes {
    /// Types for the named columns (the upload form's choices); the same checks as
    /// `--types`: `id` stays text, no column twice.
    pub fn from_pairs(pairs: Vec<(String, ColumnType)>) -> Result<Self, String> {
        let mut out: Vec<(String, ColumnType)> = Vec::new();
        for (column, ty) in pairs {
            if column == "id" {
                return Err("the 'id' column is the record's id and always text".into());
            }
            if out.iter().any(|(c, _)| *c == column) {
                return Err(format!("column '{column}' is given a type twice"));
            }
            out.push((column, ty));
        }
        Ok(ColumnTypes(out))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, column: &str) -> Option<ColumnType> {
        self.0.iter().find(|(c, _)| c == column).map(|(_, t)| *t)
    }

    pub fn columns(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(c, _)| c.as_str())
    }
}

/// A cell of a typed column as JSON. An empty cell is `null` (no value, which scripts
/// see as `()`), not an error: exports leave optional fields such as `shipped_at` empty.
pub fn convert(ty: ColumnType, cell: &str) -> Result<Value, String> {
    let t = cell.trim();
    if t.is_empty() {
        return Ok(Value::Null);
    }
    match ty {
        ColumnType::Money => match cents_of_str(t) {
            Ok(_) => Ok(Value::String(t.to_string())),
            Err(_)
                if t.bytes()
                    .any(|b| !b.is_ascii_digit() && !b",.-".contains(&b)) =>
            {
                Err(format!(
                    "'{t}' is not an amount: digits with at most two decimals, like 1234.50"
                ))
            }
            Err(e) => Err(match *e {
                rhai::EvalAltResult::ErrorRuntime(message, _) => message.to_string(),
                other => other.to_string(),
            }),
        },
        ColumnType::Int => t
            .parse::<i64>()
            .map(Value::from)
            .map_err(|e| match e.kind() {
                std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                    format!("'{t}' does not fit in a 64-bit integer; leave the column as text")
                }
                _ => format!("'{t}' is not a whole number"),
            }),
        ColumnType::Time => time(t).map(Value::String).ok_or_else(|| {
            format!("'{t}' is not a time: use RFC 3339, YYYY-MM-DD HH:MM:SS or YYYY-MM-DD")
        }),
    }
}

/// RFC 3339 in UTC; fractions of a second are kept when the cell has them. A time
/// without an offset is UTC, as for scenarios' `parse_time`.
fn time(t: &str) -> Option<String> {
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(
            d.with_timezone(&Utc)
                .to_rfc3339_opts(SecondsFormat::AutoSi, true),
        );
    }
    let secs = parse_time(t)?;
    DateTime::<Utc>::from_timestamp(secs, 0).map(|d| d.to_rfc3339_opts(SecondsFormat::Secs, true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_option_names_columns_and_known_types() {
        let t: ColumnTypes = "amount=money, qty=int,paid_at=time".parse().unwrap();
        assert_eq!(t.get("amount"), Some(ColumnType::Money));
        assert_eq!(t.get("qty"), Some(ColumnType::Int));
        assert_eq!(t.get("paid_at"), Some(ColumnType::Time));
        assert_eq!(t.get("sku"), None);
        assert_eq!(
            t.columns().collect::<Vec<_>>(),
            ["amount", "qty", "paid_at"]
        );
        for (bad, says) in [
            ("amount=float", "unknown type 'float'"),
            ("amount", "COLUMN=TYPE"),
            ("=int", "names no column"),
            ("qty=int,qty=money", "twice"),
            ("id=int", "always text"),
            ("", "no COLUMN=TYPE"),
        ] {
            let e = bad.parse::<ColumnTypes>().unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn money_is_checked_and_kept_as_written() {
        for ok in ["1234567.89", "5000", "-3.5", "0.07", "1,234.50", " 12.30 "] {
            assert_eq!(
                convert(ColumnType::Money, ok).unwrap(),
                json!(ok.trim()),
                "{ok}"
            );
        }
        for (bad, says) in [
            ("12.345", "at most two decimals"),
            ("¥12", "not an amount"),
            ("1.2.3", "at most two decimals"),
            ("abc", "not an amount"),
            ("99999999999999999999", "too large"),
        ] {
            let e = convert(ColumnType::Money, bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn int_is_i64_only() {
        assert_eq!(convert(ColumnType::Int, "007").unwrap(), json!(7));
        assert_eq!(convert(ColumnType::Int, "-42").unwrap(), json!(-42));
        assert_eq!(
            convert(ColumnType::Int, "9223372036854775807").unwrap(),
            json!(i64::MAX)
        );
        assert!(convert(ColumnType::Int, "9223372036854775808")
            .unwrap_err()
            .contains("64-bit"));
        assert!(convert(ColumnType::Int, "-9223372036854775809")
            .unwrap_err()
            .contains("64-bit"));
        for bad in ["1.0", "1e3", "1,000", "three"] {
            assert!(
                convert(ColumnType::Int, bad)
                    .unwrap_err()
                    .contains("whole number"),
                "{bad}"
            );
        }
    }

    #[test]
    fn time_is_stored_as_rfc3339_utc() {
        for (cell, want) in [
            ("2026-06-10", "2026-06-10T00:00:00Z"),
            ("2026-06-10 08:30:00", "2026-06-10T08:30:00Z"),
            ("2026-06-10T16:30:00+08:00", "2026-06-10T08:30:00Z"),
            ("2026-06-10T08:30:00.250Z", "2026-06-10T08:30:00.250Z"),
        ] {
            assert_eq!(
                convert(ColumnType::Time, cell).unwrap(),
                json!(want),
                "{cell}"
            );
        }
        for bad in ["2026/06/10", "yesterday", "2026-13-01"] {
            assert!(
                convert(ColumnType::Time, bad)
                    .unwrap_err()
                    .contains("not a time"),
                "{bad}"
            );
        }
    }

    #[test]
    fn an_empty_typed_cell_is_null() {
        for ty in [ColumnType::Money, ColumnType::Int, ColumnType::Time] {
            assert_eq!(convert(ty, " ").unwrap(), Value::Null);
        }
    }
}
