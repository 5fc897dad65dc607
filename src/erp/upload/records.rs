//! A staged table turned into records by the admin's choices: the kind, the id
//! column, the columns to keep (all by default) and a type for some of them. Cells are
//! stored as they are unless a type is chosen; a cell that does not fit its type
//! rejects its row with the reason, as `baton import --types` does.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::table::{Format, Table};
use crate::erp::column_types::{convert, ColumnType};
use crate::erp::ingest::{validate, Incoming};

/// How a table becomes records.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Choices {
    /// The record kind: 1–40 lower-case letters, digits or `_`.
    pub kind: String,
    /// The column holding each record's id.
    pub id_column: String,
    /// The columns that become fields; default: all (the id column included).
    pub columns: Option<Vec<String>>,
    /// A type for some columns (`money`, `int`, `time`); the others stay as they are.
    #[serde(default)]
    pub types: Vec<TypedColumn>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TypedColumn {
    pub column: String,
    #[serde(rename = "type")]
    pub ty: ColumnType,
}

/// A column as the upload form shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ColumnInfo {
    pub name: String,
    /// The type every filled text cell of the first rows fits, offered (never applied
    /// unasked); `null` when none does, when the cells are typed by the file already,
    /// or for codes with leading zeros.
    pub detected: Option<ColumnType>,
    /// The first three filled cells.
    pub sample: Vec<Value>,
}

/// Rows looked at to offer a type.
const DETECT_ROWS: usize = 500;

pub fn columns(table: &Table) -> Vec<ColumnInfo> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let filled: Vec<&Value> = table
                .rows
                .iter()
                .take(DETECT_ROWS)
                .map(|r| &r.cells[i])
                .filter(|v| !v.is_null() && v.as_str().is_none_or(|s| !s.trim().is_empty()))
                .collect();
            let texts: Option<Vec<&str>> = filled.iter().map(|v| v.as_str()).collect();
            // A code with leading zeros (SKU 00123) is never offered as a number.
            let numeric_ok = |t: &[&str]| !t.iter().any(|s| leading_zero(s));
            let detected = match texts {
                Some(t) if !t.is_empty() && name != "id" => {
                    [ColumnType::Int, ColumnType::Money, ColumnType::Time]
                        .into_iter()
                        .filter(|ty| *ty == ColumnType::Time || numeric_ok(&t))
                        .find(|ty| t.iter().all(|s| convert(*ty, s).is_ok()))
                }
                _ => None,
            };
            ColumnInfo {
                name: name.clone(),
                detected,
                sample: filled.into_iter().take(3).cloned().collect(),
            }
        })
        .collect()
}

fn leading_zero(s: &str) -> bool {
    let digits = s.trim().trim_start_matches(['-', '+']);
    digits.len() > 1 && digits.starts_with('0') && !digits.starts_with("0.")
}

/// A choice that cannot work for this table (answered 400; nothing imported).
pub fn check(table: &Table, c: &Choices) -> Result<(), (&'static str, String)> {
    let has = |col: &str| table.columns.iter().any(|x| x == col);
    if !has(&c.id_column) {
        return Err((
            "id_column",
            format!("the file has no column '{}'", c.id_column),
        ));
    }
    if let Some(cols) = &c.columns {
        if let Some(missing) = cols.iter().find(|x| !has(x)) {
            return Err(("columns", format!("the file has no column '{missing}'")));
        }
    }
    for t in &c.types {
        if !has(&t.column) {
            return Err(("types", format!("the file has no column '{}'", t.column)));
        }
        if t.column == c.id_column {
            return Err(("types", "the id column is always text".into()));
        }
    }
    if table.format == Format::Jsonl && !c.types.is_empty() {
        return Err((
            "types",
            "JSON lines keep the types they were written with".into(),
        ));
    }
    let blanks = blank_ids(table, &c.id_column);
    if !blanks.is_empty() {
        let shown: Vec<String> = blanks.iter().take(10).map(usize::to_string).collect();
        return Err((
            "id_column",
            format!(
                "the id column '{}' is empty in {} row(s): {}{}; fill them or remove those rows",
                c.id_column,
                blanks.len(),
                shown.join(", "),
                if blanks.len() > 10 { ", …" } else { "" }
            ),
        ));
    }
    Ok(())
}

/// Rows (by their number in the file) whose id cell is empty.
pub fn blank_ids(table: &Table, id_column: &str) -> Vec<usize> {
    let Some(i) = table.columns.iter().position(|c| c == id_column) else {
        return vec![];
    };
    table
        .rows
        .iter()
        .filter(|r| match &r.cells[i] {
            Value::Null => true,
            Value::String(s) => s.trim().is_empty(),
            _ => false,
        })
        .map(|r| r.line)
        .collect()
}

/// Rows `from..from + count` as records, each with its row number.
pub fn records(
    table: &Table,
    c: &Choices,
    from: usize,
    count: usize,
) -> Vec<(usize, Result<Incoming, String>)> {
    let id_at = table.columns.iter().position(|x| *x == c.id_column);
    let keep: Vec<(usize, &String, Option<ColumnType>)> = table
        .columns
        .iter()
        .enumerate()
        .filter(|(_, name)| c.columns.as_ref().is_none_or(|cols| cols.contains(name)))
        .map(|(i, name)| {
            (
                i,
                name,
                c.types.iter().find(|t| t.column == *name).map(|t| t.ty),
            )
        })
        .collect();
    table
        .rows
        .iter()
        .skip(from)
        .take(count)
        .map(|row| {
            let one = || -> Result<Incoming, String> {
                let id = match id_at.map(|i| &row.cells[i]) {
                    Some(Value::String(s)) => Value::String(s.trim().to_string()),
                    Some(v @ Value::Number(_)) => Value::String(v.to_string()),
                    _ => return Err(format!("column '{}' holds no id", c.id_column)),
                };
                let mut data = Map::new();
                for (i, name, ty) in &keep {
                    let cell = &row.cells[*i];
                    let value = match (ty, cell) {
                        (Some(_), Value::Null) => Value::Null,
                        (Some(ty), Value::String(s)) => {
                            convert(*ty, s).map_err(|e| format!("column '{name}': {e}"))?
                        }
                        (Some(ty), other) => convert(*ty, &other.to_string())
                            .map_err(|e| format!("column '{name}': {e}"))?,
                        (None, v) => v.clone(),
                    };
                    data.insert((*name).clone(), value);
                }
                validate(&mut serde_json::json!({"kind": c.kind, "id": id, "data": data}))
            };
            (row.line, one())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::erp::upload::table::parse;
    use serde_json::json;

    fn choices(types: &[(&str, ColumnType)]) -> Choices {
        Choices {
            kind: "purchase_order".into(),
            id_column: "po".into(),
            columns: None,
            types: types
                .iter()
                .map(|(c, t)| TypedColumn {
                    column: (*c).into(),
                    ty: *t,
                })
                .collect(),
        }
    }

    #[test]
    fn offered_types_fit_every_filled_cell() {
        let t = parse(
            "p.csv",
            b"po,amount,qty,paid_at,sku,code,small\nPO-1,5200.50,3,2026-06-01,00123,007,0.5\nPO-2,,4,2026-06-02 10:00:00,A-9,012,0\n",
        )
        .unwrap();
        let cols = columns(&t);
        let detected: Vec<_> = cols.iter().map(|c| c.detected).collect();
        let (m, i, tm) = (ColumnType::Money, ColumnType::Int, ColumnType::Time);
        assert_eq!(
            detected,
            [None, Some(m), Some(i), Some(tm), None, None, Some(m)],
            "codes with leading zeros are not offered as numbers"
        );
        assert_eq!(cols[1].sample, [json!("5200.50")]);
    }

    #[test]
    fn rows_become_records_as_chosen() {
        let t = parse(
            "p.csv",
            b"po,amount,qty,note\nPO-1,5200.50,3,x\nPO-2,12.345,4,y\n",
        )
        .unwrap();
        let c = Choices {
            columns: Some(vec!["amount".into(), "qty".into()]),
            ..choices(&[("amount", ColumnType::Money), ("qty", ColumnType::Int)])
        };
        check(&t, &c).unwrap();
        let recs = records(&t, &c, 0, 10);
        let first = recs[0].1.as_ref().unwrap();
        assert_eq!((recs[0].0, first.record_id.as_str()), (2, "PO-1"));
        assert_eq!(first.data, json!({"amount": "5200.50", "qty": 3}));
        assert_eq!(recs[1].0, 3);
        assert!(
            recs[1].1.as_ref().unwrap_err().contains("amount"),
            "{:?}",
            recs[1]
        );
        assert_eq!(records(&t, &c, 1, 10).len(), 1);
    }

    #[test]
    fn choices_that_cannot_work_are_named() {
        let t = parse("p.csv", b"po,amount\nPO-1,1\n,2\n  ,3\n").unwrap();
        assert_eq!(
            check(
                &t,
                &Choices {
                    id_column: "nope".into(),
                    ..choices(&[])
                }
            )
            .unwrap_err()
            .0,
            "id_column"
        );
        let (field, why) = check(&t, &choices(&[])).unwrap_err();
        assert_eq!(field, "id_column");
        assert!(why.contains("3, 4"), "{why}");
        assert_eq!(blank_ids(&t, "po"), [3, 4]);
        let ok = parse("p.csv", b"po,amount\nPO-1,1\n").unwrap();
        assert_eq!(
            check(&ok, &choices(&[("po", ColumnType::Int)]))
                .unwrap_err()
                .0,
            "types"
        );
        assert_eq!(
            check(&ok, &choices(&[("zz", ColumnType::Int)]))
                .unwrap_err()
                .0,
            "types"
        );
    }
}
