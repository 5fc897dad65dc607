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
        5500.0
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
