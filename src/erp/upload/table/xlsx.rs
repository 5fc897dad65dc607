//! The XLSX reader of [`super::parse`]: the first sheet as a table, with the size of
//! the unpacked workbook checked first. Apart from `table.rs` because reading a
//! spreadsheet (zip limits, merged headers, typed cells) is a job of its own.

use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use serde_json::Value;

use super::{check_header, Format, Row, Table, TableError, MAX_ROWS};

pub(super) enum XlsxFailure {
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
pub(super) fn xlsx(bytes: &[u8]) -> Result<Table, XlsxFailure> {
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
pub(super) fn cell_name(row: u32, col: u32) -> String {
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
