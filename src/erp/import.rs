//! Reading CSV and JSON-lines exports into records (`baton import`).

use serde_json::{Map, Value};

use super::column_types::{convert, ColumnTypes};
use super::ingest::{validate, Incoming};
use super::wide_ints::first_wide_int;

/// A parsed line: its number (1-based, counting the CSV header) and the record or why
/// it was rejected.
pub type Parsed = (usize, Result<Incoming, String>);

/// What stops a whole file from being imported (a bad row only rejects itself).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}; nothing was imported")]
    Encoding(String),
    #[error("cannot tell the format of '.{0}': use .csv or .jsonl")]
    Format(String),
    #[error("CSV header: {0}")]
    Header(String),
    #[error("the CSV needs an 'id' column")]
    NoId,
    #[error(
        "--types names column '{column}', which the CSV does not have (its columns: {columns})"
    )]
    UnknownColumn { column: String, columns: String },
    #[error("--types is for CSV files; JSON lines keep the types they were written with")]
    TypesOnJson,
}

/// CSV with a header row; the `id` column names the record. Cells are strings as
/// written, except in the columns `types` names.
pub fn parse_csv(text: &str, kind: &str, types: &ColumnTypes) -> Result<Vec<Parsed>, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| ImportError::Header(e.to_string()))?
        .clone();
    if !headers.iter().any(|h| h == "id") {
        return Err(ImportError::NoId);
    }
    if let Some(column) = types.columns().find(|c| !headers.iter().any(|h| h == *c)) {
        return Err(ImportError::UnknownColumn {
            column: column.to_string(),
            columns: headers.iter().collect::<Vec<_>>().join(", "),
        });
    }
    // each column's type, looked up once rather than per cell
    let column_types: Vec<_> = headers.iter().map(|h| types.get(h)).collect();
    let mut out = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let line = match &row {
            Ok(r) => r.position().map(|p| p.line()),
            Err(e) => e.position().map(|p| p.line()),
        }
        .and_then(|l| usize::try_from(l).ok())
        .unwrap_or(i + 2);
        let parsed = row
            .map_err(|e| format!("bad CSV row: {e}"))
            .and_then(|row| {
                let mut data = Map::new();
                let mut id = String::new();
                for ((h, v), ty) in headers.iter().zip(row.iter()).zip(&column_types) {
                    if h == "id" {
                        id = v.to_string();
                    }
                    let value = match ty {
                        Some(ty) => convert(*ty, v).map_err(|e| format!("column '{h}': {e}"))?,
                        None => Value::String(v.to_string()),
                    };
                    data.insert(h.to_string(), value);
                }
                validate(&mut serde_json::json!({"kind": kind, "id": id, "data": data}))
            });
        out.push((line, parsed));
    }
    Ok(out)
}

/// One JSON object per line: either a record (`{"id","data",…}`) or the data itself
/// with an `id` field. Values keep their JSON types; a line with an integer beyond 64
/// bits is rejected rather than stored as a rounded float.
pub fn parse_jsonl(text: &str, kind: &str) -> Vec<Parsed> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let parsed = match first_wide_int(l.as_bytes()) {
                Some(w) => Err(format!(
                    "column {}: {}",
                    l.get(..w.offset).map_or(0, |s| s.chars().count()) + 1,
                    w.reason()
                )),
                None => serde_json::from_str::<Value>(l).map_err(|e| format!("not JSON: {e}")),
            }
            .and_then(|v| {
                let is_record = v.get("data").is_some_and(|d| d.is_object());
                let mut rec = if is_record {
                    let mut v = v;
                    if let Some(o) = v.as_object_mut() {
                        o.entry("kind").or_insert_with(|| Value::from(kind));
                    }
                    v
                } else {
                    let id = v.get("id").cloned().unwrap_or(Value::Null);
                    serde_json::json!({"kind": kind, "id": id, "data": v})
                };
                validate(&mut rec)
            });
            (i + 1, parsed)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(text: &str, types: &str) -> Result<Vec<Parsed>, ImportError> {
        let types = if types.is_empty() {
            ColumnTypes::default()
        } else {
            types.parse().unwrap()
        };
        parse_csv(text, "purchase_order", &types)
    }

    #[test]
    fn csv_rows_become_records_with_line_numbers() {
        let text = "id,status,amount\nPO-1,open,5200.50\nPO-2,open\n\"PO-3\",\"two\nlines\",1\n";
        let rows = csv(text, "").unwrap();
        assert_eq!(rows[0].0, 2);
        let r = rows[0].1.as_ref().unwrap();
        assert_eq!(r.record_id, "PO-1");
        assert_eq!(r.data["amount"], "5200.50");
        assert!(rows[1].1.is_err(), "short row rejected");
        assert_eq!(rows[2].0, 4);
        assert!(matches!(
            parse_csv("sku,qty\n", "stock", &ColumnTypes::default()),
            Err(ImportError::NoId)
        ));
    }

    /// Nothing is guessed: leading zeros, long digit strings and decimals stay as written.
    #[test]
    fn csv_cells_are_text_as_written() {
        let text = "id,sku,tracking,zip,amount,note\nSO-1,00123,1234567890123456789012345,02139,1234567.89, spaced \n";
        let rows = csv(text, "").unwrap();
        let d = &rows[0].1.as_ref().unwrap().data;
        assert_eq!(
            d,
            &serde_json::json!({"id": "SO-1", "sku": "00123", "tracking": "1234567890123456789012345",
                "zip": "02139", "amount": "1234567.89", "note": " spaced "})
        );
    }

    #[test]
    fn typed_columns_convert_and_a_bad_cell_rejects_its_row() {
        let text = "id,amount,qty,paid_at\nPO-1,10.50,007,2026-06-10\nPO-2,10.505,1,2026-06-10\nPO-3,1,,\n";
        let rows = csv(text, "amount=money,qty=int,paid_at=time").unwrap();
        let d = &rows[0].1.as_ref().unwrap().data;
        assert_eq!(
            d,
            &serde_json::json!({"id": "PO-1", "amount": "10.50", "qty": 7, "paid_at": "2026-06-10T00:00:00Z"})
        );
        let e = rows[1].1.as_ref().unwrap_err();
        assert!(e.starts_with("column 'amount': "), "{e}");
        assert_eq!(rows[1].0, 3);
        let d = &rows[2].1.as_ref().unwrap().data;
        assert_eq!(d["qty"], Value::Null);
        let e = csv(text, "amount=money,weight=int").unwrap_err();
        assert!(
            e.to_string()
                .contains("column 'weight', which the CSV does not have (its columns: id, amount, qty, paid_at)"),
            "{e}"
        );
    }

    #[test]
    fn jsonl_accepts_both_shapes() {
        let text = "{\"id\":\"S1\",\"qty\":3}\n\n{\"id\":\"S2\",\"data\":{\"qty\":1}}\nnot json\n";
        let rows = parse_jsonl(text, "stock");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].1.as_ref().unwrap().data["qty"], 3);
        assert_eq!(rows[1].1.as_ref().unwrap().record_id, "S2");
        assert_eq!(rows[2].0, 4);
        assert!(rows[2].1.is_err());
    }

    #[test]
    fn jsonl_keeps_types_and_rejects_wide_integers() {
        let text = "{\"id\":\"S1\",\"sku\":\"00123\",\"n\":1234567890123456789,\"f\":1.5}\n{\"id\":\"S2\",\"n\":1234567890123456789012345}\n";
        let rows = parse_jsonl(text, "stock");
        let d = &rows[0].1.as_ref().unwrap().data;
        assert_eq!(d["sku"], "00123");
        assert_eq!(d["n"], 1234567890123456789i64);
        assert_eq!(d["f"], 1.5);
        let e = rows[1].1.as_ref().unwrap_err();
        assert_eq!(rows[1].0, 2);
        assert!(
            e.starts_with("column 16: the integer 1234567890123456789012345 does not fit"),
            "{e}"
        );
    }
}
