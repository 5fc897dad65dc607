//! Unit tests of `table.rs` (CSV, XLSX and JSON lines read as one table shape),
//! kept apart so the readers stay short.

use super::xlsx::cell_name;
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
