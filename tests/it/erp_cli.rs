//! `baton rules …`, `baton import` and `baton demo` through the real binary.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::json;

use crate::harness::*;

fn repo(path: &str) -> String {
    format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn rules_check_reports_file_line_col() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.rhai");
    std::fs::write(
        &bad,
        "const ID = \"x\";\nconst WATCHES = \"order\";\nfn condition(r, prev) { r.a > }\n",
    )
    .unwrap();
    let out = Command::new(baton_bin())
        .args(["rules", "check"])
        .arg(repo("rules/po_over_5000.rhai"))
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:3:", bad.display())), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("po_over_5000.rhai: ok"));
    let all: Vec<String> = std::fs::read_dir(repo("rules"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "rhai"))
        .map(|p| p.display().to_string())
        .collect();
    let out = Command::new(baton_bin())
        .args(["rules", "check"])
        .args(&all)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn rules_test_prints_the_task_or_why_not() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("po.json");
    std::fs::write(&rec, json!({"kind": "purchase_order", "id": "PO-1", "data": {"status": "open", "amount": "5200", "supplier": "S"}}).to_string()).unwrap();
    let out = Command::new(baton_bin())
        .arg("--data")
        .arg(dir.path().join("none"))
        .args(["rules", "test"])
        .arg(repo("rules/po_over_5000.rhai"))
        .arg("--record")
        .arg(&rec)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Approve PO PO-1"), "{text}");
    std::fs::write(&rec, json!({"kind": "purchase_order", "id": "PO-2", "data": {"status": "open", "amount": "100", "supplier": "S"}}).to_string()).unwrap();
    let out = Command::new(baton_bin())
        .arg("--data")
        .arg(dir.path().join("none"))
        .args(["rules", "test"])
        .arg(repo("rules/po_over_5000.rhai"))
        .arg("--record")
        .arg(&rec)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("no task"));
    // a record file may carry the version before, for scripts that compare
    let script = dir.path().join("changed.rhai");
    std::fs::write(&script, r#"const ID = "status_changed"; const WATCHES = "order";
fn condition(r, prev) { prev != () && prev.status != r.status }
fn task(r) { #{ title: `Order ${r.id} is now ${r.status}`, nodes: [#{ handler: "admin", action: "look" }] } }
"#).unwrap();
    std::fs::write(&rec, json!({"kind": "order", "id": "SO-7", "data": {"status": "out_of_stock"}, "previous": {"status": "paid"}}).to_string()).unwrap();
    let out = Command::new(baton_bin())
        .arg("--data")
        .arg(dir.path().join("none"))
        .args(["rules", "test"])
        .arg(&script)
        .arg("--record")
        .arg(&rec)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Order SO-7 is now out_of_stock"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_load_and_import_work_on_a_running_server() {
    let s = TestServer::start().await;
    let data = s.data.clone();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.rhai"),
        include_str!("../../rules/po_over_5000.rhai")
            .replace("> cents(\"5000\")", "> cents(\"6000\")"),
    )
    .unwrap();
    // its cases replace the shipped ones (PO-7 at 5000.01 would no longer fire)
    std::fs::write(
        dir.path().join("a.cases.json"),
        r#"{"cases": [{"name": "7000 fires", "record": {"kind": "purchase_order", "id": "PO-1", "data": {"status": "open", "amount": "7000.00", "supplier": "Yiwu"}}, "expect": {"fires": true}}]}"#,
    )
    .unwrap();
    let csv = dir.path().join("po.csv");
    std::fs::write(
        &csv,
        "id,status,amount,supplier\nPO-1,open,7000.00,Yiwu\nPO-2,open,5500.00,Yiwu\nPO-3,open\n",
    )
    .unwrap();
    let (d2, dp, csvp) = (data.clone(), dir.path().to_path_buf(), csv.clone());
    let (load, import) = tokio::task::spawn_blocking(move || {
        (
            baton(&d2, &["rules", "load", dp.to_str().unwrap()], None),
            baton(
                &d2,
                &["import", csvp.to_str().unwrap(), "--kind", "purchase_order"],
                None,
            ),
        )
    })
    .await
    .unwrap();
    assert!(load.0, "{}", load.2);
    assert!(load.1.contains("version 2"), "{}", load.1);
    assert!(import.0, "{}", import.2);
    assert!(
        import.1.contains("2 new")
            && import.1.contains("1 rejected")
            && import.1.contains("line 4"),
        "{}",
        import.1
    );
    assert!(
        import.1.contains("1 tasks created"),
        "only PO-1 is above the new threshold: {}",
        import.1
    );
    let admin = s.admin().await;
    assert_eq!(
        admin.get("/api/erp/records/purchase_order/PO-2").await["data"]["amount"],
        "5500.00",
        "a CSV cell is text as written"
    );
    // importing the same file again changes nothing
    let (d3, csvp) = (data.clone(), csv.clone());
    let again = tokio::task::spawn_blocking(move || {
        baton(
            &d3,
            &["import", csvp.to_str().unwrap(), "--kind", "purchase_order"],
            None,
        )
    })
    .await
    .unwrap();
    assert!(
        again.1.contains("0 new, 0 updated, 2 unchanged"),
        "{}",
        again.1
    );
    s.stop().await;
}

/// `baton import FILE --kind KIND ARGS…` against the server's data directory, off the
/// async runtime: (success, stdout, stderr).
async fn import(
    data: &std::path::Path,
    file: &std::path::Path,
    kind: &str,
    args: &[&str],
) -> (bool, String, String) {
    let (data, file) = (data.to_path_buf(), file.to_path_buf());
    let kind = kind.to_string();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let mut all = vec!["import", file.to_str().unwrap(), "--kind", &kind];
        all.extend(args.iter().map(String::as_str));
        baton(&data, &all, None)
    })
    .await
    .unwrap()
}

/// The data of a stored record as `GET /api/erp/records/{kind}/{id}` returns it, or
/// the status when there is none.
async fn stored(
    admin: &Client,
    kind: &str,
    id: &str,
) -> Result<serde_json::Value, reqwest::StatusCode> {
    let (st, body) = admin
        .call(
            reqwest::Method::GET,
            &format!("/api/erp/records/{kind}/{id}"),
            None,
        )
        .await;
    if st.is_success() {
        Ok(body["data"].clone())
    } else {
        Err(st)
    }
}

fn utf16(text: &str, little_endian: bool) -> Vec<u8> {
    let mut out: Vec<u8> = if little_endian {
        vec![0xFF, 0xFE]
    } else {
        vec![0xFE, 0xFF]
    };
    for u in text.encode_utf16() {
        out.extend_from_slice(&if little_endian {
            u.to_le_bytes()
        } else {
            u.to_be_bytes()
        });
    }
    out
}

/// Issue 19: leading zeros, 19- and 25-digit numbers and amounts come back exactly as
/// the file has them; typed columns convert or reject their row alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_keeps_what_the_file_says() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("orders.csv");
    std::fs::write(
        &csv,
        "id,sku,tracking,zip,amount,order_no\nSO-1,00123,1234567890123456789,02139,1234567.89,1234567890123456789012345\n",
    )
    .unwrap();
    let out = import(&s.data, &csv, "order", &[]).await;
    assert!(out.0 && out.1.contains("1 new"), "{out:?}");
    assert_eq!(
        stored(&admin, "order", "SO-1").await.unwrap(),
        json!({"id": "SO-1", "sku": "00123", "tracking": "1234567890123456789", "zip": "02139",
            "amount": "1234567.89", "order_no": "1234567890123456789012345"})
    );

    // typed columns; the row with a bad amount is rejected with its line, the rest stored
    let typed = dir.path().join("po.csv");
    std::fs::write(
        &typed,
        "id,amount,qty,paid_at,sku\nPO-1,5200.50,0012,2026-06-10 08:30:00,007\nPO-2,12.345,1,2026-06-10,008\nPO-3,-3.5,,,009\n",
    )
    .unwrap();
    let types = ["--types", "amount=money,qty=int,paid_at=time"];
    let out = import(&s.data, &typed, "purchase_order", &types).await;
    assert!(out.0, "{out:?}");
    assert!(
        out.1.contains("2 new") && out.1.contains("1 rejected"),
        "{}",
        out.1
    );
    assert!(
        out.1.contains(
            "line 3: column 'amount': '12.345' is not an amount with at most two decimals"
        ),
        "{}",
        out.1
    );
    assert_eq!(
        stored(&admin, "purchase_order", "PO-1").await.unwrap(),
        json!({"id": "PO-1", "amount": "5200.50", "qty": 12, "paid_at": "2026-06-10T08:30:00Z", "sku": "007"})
    );
    assert_eq!(
        stored(&admin, "purchase_order", "PO-3").await.unwrap(),
        json!({"id": "PO-3", "amount": "-3.5", "qty": null, "paid_at": null, "sku": "009"})
    );
    assert_eq!(
        stored(&admin, "purchase_order", "PO-2").await,
        Err(reqwest::StatusCode::NOT_FOUND)
    );
    // an int column refuses what does not fit 64 bits
    let wide = dir.path().join("wide.csv");
    std::fs::write(&wide, "id,qty\nW-1,12345678901234567890123\nW-2,5\n").unwrap();
    let out = import(&s.data, &wide, "stock", &["--types", "qty=int"]).await;
    assert!(
        out.1.contains(
            "line 2: column 'qty': '12345678901234567890123' does not fit in a 64-bit integer"
        ),
        "{out:?}"
    );
    assert_eq!(stored(&admin, "stock", "W-2").await.unwrap()["qty"], 5);

    // usage errors: nothing imported
    let out = import(
        &s.data,
        &typed,
        "purchase_order",
        &["--types", "amount=float"],
    )
    .await;
    assert!(!out.0 && out.2.contains("unknown type 'float'"), "{out:?}");
    let out = import(
        &s.data,
        &typed,
        "purchase_order",
        &["--types", "amount=money,weight=int"],
    )
    .await;
    assert!(
        !out.0
            && out
                .2
                .contains("column 'weight', which the CSV does not have"),
        "{out:?}"
    );

    // JSON lines keep their types; a 25-digit integer rejects its line
    let jsonl = dir.path().join("orders.jsonl");
    std::fs::write(
        &jsonl,
        "{\"id\":\"J-1\",\"n\":1234567890123456789,\"sku\":\"00123\",\"f\":1.5}\n{\"id\":\"J-2\",\"n\":1234567890123456789012345}\n",
    )
    .unwrap();
    let out = import(&s.data, &jsonl, "order", &[]).await;
    assert!(
        out.1.contains("1 new")
            && out.1.contains(
                "line 2: column 17: the integer 1234567890123456789012345 does not fit in 64 bits"
            ),
        "{out:?}"
    );
    assert_eq!(
        stored(&admin, "order", "J-1").await.unwrap(),
        json!({"id": "J-1", "n": 1234567890123456789i64, "sku": "00123", "f": 1.5})
    );
    assert_eq!(
        stored(&admin, "order", "J-2").await,
        Err(reqwest::StatusCode::NOT_FOUND)
    );
    let out = import(&s.data, &jsonl, "order", &types).await;
    assert!(!out.0 && out.2.contains("--types is for CSV"), "{out:?}");
    s.stop().await;
}

/// Chinese exports: UTF-8 with or without a BOM, GB18030 (told, or refused with a
/// hint), UTF-16 with a BOM; each read back exactly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_reads_the_encodings_of_spreadsheet_exports() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let dir = tempfile::tempdir().unwrap();
    let rows = |id: &str| format!("id,sku,name,warehouse\n{id},00123,蓝色马克杯 350ml,深圳仓\n");
    let want = |id: &str| json!({"id": id, "sku": "00123", "name": "蓝色马克杯 350ml", "warehouse": "深圳仓"});
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(rows("U8-BOM").as_bytes());
    let gb_text = rows("GB");
    let (gb, _, unmappable) = encoding_rs::GB18030.encode(&gb_text);
    assert!(!unmappable);
    let files: [(&str, Vec<u8>, &[&str]); 5] = [
        ("U8", rows("U8").into_bytes(), &[]),
        ("U8-BOM", bom, &[]),
        ("GB", gb.into_owned(), &["--encoding", "gb18030"]),
        ("U16LE", utf16(&rows("U16LE"), true), &[]),
        ("U16BE", utf16(&rows("U16BE"), false), &[]),
    ];
    for (id, bytes, args) in &files {
        let file = dir.path().join(format!("{id}.csv"));
        std::fs::write(&file, bytes).unwrap();
        if *id == "GB" {
            let out = import(&s.data, &file, "stock", &[]).await;
            assert!(!out.0, "{out:?}");
            assert!(
                out.2
                    .contains("not UTF-8; it looks like GB18030 — pass --encoding gb18030")
                    && out.2.contains("nothing was imported"),
                "{}",
                out.2
            );
            assert_eq!(
                stored(&admin, "stock", id).await,
                Err(reqwest::StatusCode::NOT_FOUND)
            );
        }
        let out = import(&s.data, &file, "stock", args).await;
        assert!(out.0 && out.1.contains("1 new"), "{id}: {out:?}");
        assert_eq!(stored(&admin, "stock", id).await.unwrap(), want(id), "{id}");
    }
    s.stop().await;
}

#[test]
fn demo_starts_a_seeded_server() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(baton_bin())
        .arg("--data")
        .arg(dir.path().join("demo"))
        .args(["demo", "--listen", "127.0.0.1:0"])
        .env("BATON_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut url = None;
    let mut users = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.split("running at ").nth(1) {
            url = Some(
                rest.split_whitespace()
                    .next()
                    .unwrap()
                    .trim_end_matches('/')
                    .to_string(),
            );
            break;
        }
        if line.starts_with("  ") && line.contains(" / ") {
            users.push(line.trim().to_string());
        }
    }
    let url = url.expect("demo printed its URL");
    assert!(users.iter().any(|u| u.starts_with("lily / ")), "{users:?}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut admin = Client::new(&url);
        admin.login("admin", ADMIN_PASSWORD).await;
        let erp = admin.erp_project().await["id"].as_u64().unwrap();
        let tasks = admin.get(&format!("/api/projects/{erp}/tasks")).await;
        assert!(tasks["total"].as_u64().unwrap() >= 5, "{tasks}");
        assert!(tasks
            .to_string()
            .contains("Order SO-1042 out of stock for 4 days"));
        let lily = users
            .iter()
            .find(|u| u.starts_with("lily / "))
            .unwrap()
            .split(" / ")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_string();
        let mut c = Client::new(&url);
        c.login("lily", &lily).await;
        assert!(
            c.get("/api/my/done").await["items"]
                .as_array()
                .unwrap()
                .len()
                == 1,
            "a refund mid-flow"
        );
    });
    let _ = child.kill();
    let _ = child.wait();
}
