//! A file as a table: a header row and cells, whatever the format. CSV cells are the
//! text as written; XLSX cells keep the type the sheet gives them (a number, a date,
//! text); JSON lines keep their JSON types. Nothing is guessed here.

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::erp::text_encoding;
use crate::erp::wide_ints::first_wide_int;

mod xlsx;

pub use xlsx::MAX_UNPACKED;
use xlsx::{xlsx, XlsxFailure};

/// The largest file accepted, and the most rows.
pub const MAX_BYTES: u64 = 10 * 1024 * 1024;
pub const MAX_ROWS: usize = 100_000;
pub const MAX_COLUMNS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Csv,
    Xlsx,
    Jsonl,
}

/// One data row: its number in the file (the header is row 1) and a cell per column.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: usize,
    pub cells: Vec<Value>,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub format: Format,
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
}

/// Why a file cannot be read at all: nothing of it is imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("the file is empty")]
    Empty,
    #[error("cannot tell the format of '{0}': upload a .csv, .xlsx or .jsonl file")]
    Format(String),
    #[error("'{name}' is not a {format} file: {why}")]
    NotWhatItSays {
        name: String,
        format: &'static str,
        why: String,
    },
    #[error(
        "the header row has merged cells ({0}); unmerge them so every column has its own name"
    )]
    MergedHeader(String),
    #[error("the header row {0}")]
    Header(String),
    #[error("the workbook unpacks to {0} MiB, more than {max} MiB — split it", max = MAX_UNPACKED >> 20)]
    Unpacked(u64),
    #[error("the file has {0} rows; at most {MAX_ROWS} per upload — split it")]
    TooManyRows(usize),
    #[error("row {line}: {why}")]
    Row { line: usize, why: String },
}

fn format_of(name: &str) -> Result<Format, TableError> {
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match ext {
        "csv" | "txt" => Ok(Format::Csv),
        "xlsx" | "xlsm" => Ok(Format::Xlsx),
        "jsonl" | "ndjson" | "json" => Ok(Format::Jsonl),
        _ => Err(TableError::Format(name.to_string())),
    }
}

/// Reads `bytes` as the format its file name says, refusing a file that is not.
pub fn parse(name: &str, bytes: &[u8]) -> Result<Table, TableError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(TableError::Empty);
    }
    let format = format_of(name)?;
    let zip = bytes.starts_with(b"PK\x03\x04");
    let not = |format: &'static str, why: String| TableError::NotWhatItSays {
        name: name.to_string(),
        format,
        why,
    };
    let table = match format {
        Format::Xlsx if !zip => return Err(not("XLSX", "it is not a zip archive".into())),
        Format::Xlsx => xlsx(bytes).map_err(|e| match e {
            XlsxFailure::Read(why) => not("XLSX", why),
            XlsxFailure::Table(e) => e,
        })?,
        Format::Csv | Format::Jsonl if zip || bytes.contains(&0) && !looks_utf16(bytes) => {
            return Err(not(
                if format == Format::Csv {
                    "CSV"
                } else {
                    "JSON-lines"
                },
                "it holds binary data (a spreadsheet? save it as CSV or upload the .xlsx)".into(),
            ))
        }
        Format::Csv => csv(bytes).map_err(|e| match e {
            TableError::Header(why) if why.starts_with("cannot") => not("CSV", why),
            other => other,
        })?,
        Format::Jsonl => jsonl(bytes)?,
    };
    if table.rows.len() > MAX_ROWS {
        return Err(TableError::TooManyRows(table.rows.len()));
    }
    if table.rows.is_empty() {
        return Err(TableError::Empty);
    }
    Ok(table)
}

fn looks_utf16(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF])
}

fn check_header(columns: &[String]) -> Result<(), TableError> {
    if columns.len() > MAX_COLUMNS {
        return Err(TableError::Header(format!(
            "has {} columns; at most {MAX_COLUMNS}",
            columns.len()
        )));
    }
    for (i, c) in columns.iter().enumerate() {
        if c.trim().is_empty() {
            return Err(TableError::Header(format!(
                "has no name for column {}",
                i + 1
            )));
        }
        if columns[..i].contains(c) {
            return Err(TableError::Header(format!("names column '{c}' twice")));
        }
    }
    Ok(())
}

fn csv(bytes: &[u8]) -> Result<Table, TableError> {
    let text = text_encoding::decode(bytes, None)
        .map_err(|e| TableError::Header(format!("cannot be read: {e}")))?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let columns: Vec<String> = reader
        .headers()
        .map_err(|e| TableError::Header(format!("cannot be read: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    check_header(&columns)?;
    let mut rows = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let line = i + 2;
        let row = row.map_err(|e| TableError::Row {
            line: e
                .position()
                .and_then(|p| usize::try_from(p.line()).ok())
                .unwrap_or(line),
            why: format!("not valid CSV: {e}"),
        })?;
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let line = row
            .position()
            .and_then(|p| usize::try_from(p.line()).ok())
            .unwrap_or(line);
        rows.push(Row {
            line,
            cells: row.iter().map(|c| Value::String(c.to_string())).collect(),
        });
        if rows.len() > MAX_ROWS {
            break;
        }
    }
    Ok(Table {
        format: Format::Csv,
        columns,
        rows,
    })
}

/// JSON lines: one object per line, either a record (`{"id", "data", …}`) or the data
/// itself; the table's columns are the keys seen (with `id` first).
fn jsonl(bytes: &[u8]) -> Result<Table, TableError> {
    let text = std::str::from_utf8(bytes).map_err(|e| TableError::NotWhatItSays {
        name: String::new(),
        format: "JSON-lines",
        why: format!("not UTF-8 text: {e}"),
    })?;
    let mut objects = Vec::new();
    for (i, l) in text.lines().enumerate() {
        if l.trim().is_empty() {
            continue;
        }
        let line = i + 1;
        if let Some(w) = first_wide_int(l.as_bytes()) {
            return Err(TableError::Row {
                line,
                why: w.reason(),
            });
        }
        let v: Value = serde_json::from_str(l).map_err(|e| TableError::Row {
            line,
            why: format!("not JSON: {e}"),
        })?;
        let Value::Object(mut o) = v else {
            return Err(TableError::Row {
                line,
                why: "not a JSON object".into(),
            });
        };
        // a record: its data's keys are the columns, its id the id
        if let Some(Value::Object(data)) = o.get("data").cloned() {
            let id = o.remove("id").unwrap_or(Value::Null);
            let mut flat = Map::new();
            flat.insert("id".into(), id);
            flat.extend(data);
            o = flat;
        }
        objects.push((line, o));
        if objects.len() > MAX_ROWS {
            break;
        }
    }
    let mut columns: Vec<String> = vec!["id".into()];
    for (_, o) in &objects {
        for k in o.keys() {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
    }
    check_header(&columns)?;
    let rows = objects
        .into_iter()
        .map(|(line, mut o)| Row {
            line,
            cells: columns
                .iter()
                .map(|c| o.remove(c).unwrap_or(Value::Null))
                .collect(),
        })
        .collect();
    Ok(Table {
        format: Format::Jsonl,
        columns,
        rows,
    })
}

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
