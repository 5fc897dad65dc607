//! Reading CSV and JSON-lines exports into records (`baton import`).

use serde_json::{Map, Value};

use super::ingest::{validate, Incoming};

/// A parsed line: its number (1-based, counting the CSV header) and the record or why
/// it was rejected.
pub type Parsed = (usize, Result<Incoming, String>);

/// A CSV cell as JSON: integers and decimals become numbers, the rest strings.
fn cell(s: &str) -> Value {
    let t = s.trim();
    if let Ok(i) = t.parse::<i64>() {
        return Value::from(i);
    }
    if t.contains('.') {
        if let Some(n) = t.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
            return Value::Number(n);
        }
    }
    Value::String(s.to_string())
}

/// CSV with a header row; the `id` column names the record.
pub fn parse_csv(text: &str, kind: &str) -> Result<Vec<Parsed>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("CSV header: {e}"))?
        .clone();
    if !headers.iter().any(|h| h == "id") {
        return Err("the CSV needs an 'id' column".into());
    }
    let mut out = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let line = i + 2;
        let parsed = row
            .map_err(|e| format!("bad CSV row: {e}"))
            .and_then(|row| {
                let mut data = Map::new();
                let mut id = String::new();
                for (h, v) in headers.iter().zip(row.iter()) {
                    if h == "id" {
                        id = v.to_string();
                    }
                    data.insert(h.to_string(), cell(v));
                }
                validate(&mut serde_json::json!({"kind": kind, "id": id, "data": data}))
            });
        out.push((line, parsed));
    }
    Ok(out)
}

/// One JSON object per line: either a record (`{"id","data",…}`) or the data itself
/// with an `id` field.
pub fn parse_jsonl(text: &str, kind: &str) -> Vec<Parsed> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let parsed = serde_json::from_str::<Value>(l)
                .map_err(|e| format!("not JSON: {e}"))
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

    #[test]
    fn csv_rows_become_records_with_line_numbers() {
        let text = "id,status,amount\nPO-1,open,5200.50\nPO-2,open\n";
        let rows = parse_csv(text, "purchase_order").unwrap();
        assert_eq!(rows[0].0, 2);
        let r = rows[0].1.as_ref().unwrap();
        assert_eq!(r.record_id, "PO-1");
        assert_eq!(r.data["amount"], 5200.5);
        assert!(rows[1].1.is_err(), "short row rejected");
        assert!(parse_csv("sku,qty\n", "stock").is_err());
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
}
