//! A file as a table: a header row and cells, whatever the format. CSV cells are the
//! text as written; XLSX cells keep the type the sheet gives them (a number, a date,
//! text); JSON lines keep their JSON types. Nothing is guessed here.

use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::erp::text_encoding;
use crate::erp::wide_ints::first_wide_int;

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

enum XlsxFailure {
    Read(String),
    Table(TableError),
}

/// The most an XLSX may unpack to, by the sizes its zip directory declares: a
/// 10 MiB file of repetitive XML can unpack to gigabytes, and the sheet is read whole.
pub const MAX_UNPACKED: u64 = 200 * 1024 * 1024;

/// Refuses an archive whose entries declare more than [`MAX_UNPACKED`] together,
/// before any of it is unpacked.
fn check_unpacked_size(bytes: &[u8]) -> Result<(), XlsxFailure> {
    let mut zip =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| XlsxFailure::Read(e.to_string()))?;
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip
            .by_index_raw(i)
            .map_err(|e| XlsxFailure::Read(e.to_string()))?;
        total = total.saturating_add(entry.size());
    }
    if total > MAX_UNPACKED {
        return Err(XlsxFailure::Table(TableError::Unpacked(total >> 20)));
    }
    Ok(())
}

/// The first sheet. The header is its first non-empty row; a header with merged
/// cells is refused (their columns would have no names of their own).
fn xlsx(bytes: &[u8]) -> Result<Table, XlsxFailure> {
    check_unpacked_size(bytes)?;
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| XlsxFailure::Read(e.to_string()))?;
    let Some(sheet) = book.sheet_names().first().cloned() else {
        return Err(XlsxFailure::Table(TableError::Empty));
    };
    let range = book
        .worksheet_range(&sheet)
        .map_err(|e| XlsxFailure::Read(e.to_string()))?;
    let Some((top, left)) = range.start() else {
        return Err(XlsxFailure::Table(TableError::Empty));
    };
    if let Some(Ok(merged)) = book.worksheet_merge_cells(&sheet) {
        if let Some(m) = merged.iter().find(|m| m.start.0 <= top && m.end.0 >= top) {
            return Err(XlsxFailure::Table(TableError::MergedHeader(format!(
                "{}–{}",
                cell_name(m.start.0, m.start.1),
                cell_name(m.end.0, m.end.1)
            ))));
        }
    }
    let mut rows_iter = range.rows();
    let header = rows_iter
        .next()
        .ok_or(XlsxFailure::Table(TableError::Empty))?;
    let columns: Vec<String> = header
        .iter()
        .map(|c| cell_text(c).trim().to_string())
        .collect();
    // trailing unnamed, empty columns are not columns
    let width = columns
        .iter()
        .rposition(|c| !c.is_empty())
        .map_or(0, |i| i + 1);
    let columns = columns[..width].to_vec();
    check_header(&columns).map_err(XlsxFailure::Table)?;
    let mut rows = Vec::new();
    for (i, r) in rows_iter.enumerate() {
        let line = top as usize + i + 2;
        if r.iter().all(|c| matches!(c, Data::Empty)) {
            continue;
        }
        let mut cells = Vec::with_capacity(width);
        for (j, c) in r.iter().take(width).enumerate() {
            cells.push(cell_value(c).map_err(|why| {
                XlsxFailure::Table(TableError::Row {
                    line,
                    why: format!(
                        "cell {}: {why}",
                        cell_name(line as u32 - 1, left + j as u32)
                    ),
                })
            })?);
        }
        cells.resize(width, Value::Null);
        rows.push(Row { line, cells });
        if rows.len() > MAX_ROWS {
            break;
        }
    }
    Ok(Table {
        format: Format::Xlsx,
        columns,
        rows,
    })
}

/// `A1`-style name of a cell (0-based row and column).
fn cell_name(row: u32, col: u32) -> String {
    let mut c = col + 1;
    let mut letters = Vec::new();
    while c > 0 {
        let rem = (c - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        c = (c - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", letters.into_iter().collect::<String>(), row + 1)
}

fn cell_text(c: &Data) -> String {
    match cell_value(c) {
        Ok(Value::String(s)) => s,
        Ok(Value::Null) | Err(_) => String::new(),
        Ok(v) => v.to_string(),
    }
}

/// A sheet cell as JSON: text stays text (a SKU typed as text keeps its zeros), a
/// whole number within 64 bits an integer, other numbers a float, a date-time RFC
/// 3339 (the sheet's time taken as UTC), an empty cell `null`.
fn cell_value(c: &Data) -> Result<Value, String> {
    Ok(match c {
        Data::Empty => Value::Null,
        Data::String(s) => Value::String(s.clone()),
        Data::Bool(b) => Value::Bool(*b),
        Data::Int(i) => Value::from(*i),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                Value::from(*f as i64)
            } else {
                serde_json::Number::from_f64(*f)
                    .map(Value::Number)
                    .ok_or_else(|| "not a finite number".to_string())?
            }
        }
        Data::DateTime(d) => match d.as_datetime() {
            Some(t) if d.is_datetime() => Value::String(
                t.and_utc()
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ),
            _ => Value::from(d.as_f64()),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => Value::String(s.clone()),
        Data::Error(e) => return Err(format!("the sheet has an error value ({e})")),
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
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_cells_are_text_as_written() {
        let t = parse("po.csv", b"id,sku,amount\nPO-1,00123,5200.50\n\n").unwrap();
        assert_eq!(t.format, Format::Csv);
        assert_eq!(t.columns, ["id", "sku", "amount"]);
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0].line, 2);
        assert_eq!(
            t.rows[0].cells,
            [json!("PO-1"), json!("00123"), json!("5200.50")]
        );
    }

    #[test]
    fn files_that_are_not_what_they_say_are_refused() {
        assert_eq!(parse("a.csv", b"  \n").unwrap_err(), TableError::Empty);
        assert_eq!(parse("a.csv", b"id,x\n").unwrap_err(), TableError::Empty);
        assert!(matches!(parse("a.pdf", b"x"), Err(TableError::Format(_))));
        assert!(matches!(
            parse("a.xlsx", b"id,x\n1,2\n"),
            Err(TableError::NotWhatItSays { .. })
        ));
        assert!(matches!(
            parse("a.csv", b"PK\x03\x04rest"),
            Err(TableError::NotWhatItSays { .. })
        ));
        assert!(matches!(
            parse("a.xlsx", b"PK\x03\x04not a zip"),
            Err(TableError::NotWhatItSays { .. })
        ));
        assert!(matches!(
            parse("a.csv", b"id,x\n1,2,3\n"),
            Err(TableError::Row { line: 2, .. })
        ));
        assert!(matches!(
            parse("a.csv", b"id,,x\n1,2,3\n"),
            Err(TableError::Header(_))
        ));
        assert!(matches!(
            parse("a.csv", b"id,x,x\n1,2,3\n"),
            Err(TableError::Header(_))
        ));
        assert!(matches!(
            parse("a.jsonl", b"{\"id\":1}\n[1]\n"),
            Err(TableError::Row { line: 2, .. })
        ));
    }

    #[test]
    fn json_lines_keep_their_types() {
        let t = parse("o.jsonl", b"{\"id\":\"SO-1\",\"data\":{\"qty\":2,\"sku\":\"007\"}}\n{\"id\":\"SO-2\",\"paid\":true}\n").unwrap();
        assert_eq!(t.columns, ["id", "qty", "sku", "paid"]);
        assert_eq!(
            t.rows[0].cells,
            [json!("SO-1"), json!(2), json!("007"), Value::Null]
        );
        assert_eq!(
            t.rows[1].cells,
            [json!("SO-2"), Value::Null, Value::Null, json!(true)]
        );
    }

    fn sheet(f: impl FnOnce(&mut rust_xlsxwriter::Worksheet)) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let ws = book.add_worksheet();
        f(ws);
        book.save_to_buffer().unwrap()
    }

    #[test]
    fn xlsx_cells_keep_the_sheets_types() {
        let bytes = sheet(|ws| {
            ws.write_string(0, 0, "id").unwrap();
            ws.write_string(0, 1, "sku").unwrap();
            ws.write_string(0, 2, "qty").unwrap();
            ws.write_string(0, 3, "price").unwrap();
            ws.write_string(1, 0, "PO-1").unwrap();
            ws.write_string(1, 1, "00123").unwrap();
            ws.write_number(1, 2, 12.0).unwrap();
            ws.write_number(1, 3, 3.5).unwrap();
            ws.write_number(3, 0, 1001.0).unwrap();
        });
        let t = parse("po.xlsx", &bytes).unwrap();
        assert_eq!(t.columns, ["id", "sku", "qty", "price"]);
        assert_eq!(t.rows.len(), 2, "the empty row 3 is skipped");
        assert_eq!(
            t.rows[0].cells,
            [json!("PO-1"), json!("00123"), json!(12), json!(3.5)]
        );
        assert_eq!(t.rows[1].line, 4);
        assert_eq!(t.rows[1].cells[0], json!(1001));
    }

    #[test]
    fn xlsx_headers_with_merged_cells_are_refused() {
        let bytes = sheet(|ws| {
            let fmt = rust_xlsxwriter::Format::new();
            ws.merge_range(0, 0, 0, 1, "order", &fmt).unwrap();
            ws.write_string(1, 0, "SO-1").unwrap();
        });
        assert!(
            matches!(parse("o.xlsx", &bytes), Err(TableError::MergedHeader(_))),
            "{:?}",
            parse("o.xlsx", &bytes)
        );
    }

    #[test]
    fn xlsx_that_unpacks_to_too_much_is_refused_before_it_is_read() {
        // 210 MiB of one repeated byte packs into a few hundred KiB
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            w.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
            let chunk = vec![b' '; 1 << 20];
            for _ in 0..210 {
                std::io::Write::write_all(&mut w, &chunk).unwrap();
            }
            w.finish().unwrap();
        }
        let bytes = buf.into_inner();
        assert!(bytes.len() < 2 << 20, "{} bytes", bytes.len());
        let e = parse("bomb.xlsx", &bytes).unwrap_err();
        assert!(e.to_string().contains("unpacks to 210 MiB"), "{e}");
    }

    #[test]
    fn cell_names() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(9, 25), "Z10");
        assert_eq!(cell_name(0, 26), "AA1");
    }
}
