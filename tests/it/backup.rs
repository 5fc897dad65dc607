use std::process::Command;

use baton::config::FileConfig;
use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::*;

async fn snapshot(c: &Client) -> Value {
    let mut users = c.get("/api/users").await;
    // the admin's own row changes nothing; compare whole lists
    users["items"]
        .as_array_mut()
        .unwrap()
        .sort_by_key(|u| u["id"].as_u64());
    json!({
        "users": users,
        "departments": c.get("/api/departments").await,
        "projects": c.get("/api/projects").await,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_while_running_then_restore_elsewhere_and_compare() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let d = admin
        .post("/api/departments", json!({"name": "采购部"}))
        .await["id"]
        .as_u64()
        .unwrap();
    let (_, bob) = s.user(&admin, "bob", "member", Some(d)).await;
    admin.post("/api/projects", json!({"name": "Purchasing", "department_id": d, "members": [bob], "business_types": ["PO"]})).await;
    let before = snapshot(&admin).await;

    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("b.baton-backup.gz");
    // The server holds the data directory; the CLI goes through its admin socket.
    let (ok, out, err) = baton(&s.data, &["backup", "--out", file.to_str().unwrap()], None);
    assert!(ok, "{err}");
    assert!(out.contains("1 department"), "{out}");
    s.stop().await;

    let target = work.path().join("restored");
    let (ok, stdout, err) = baton(&target, &["restore", file.to_str().unwrap()], None);
    assert!(ok, "{err}");
    assert!(
        stdout.contains("2 user") && stdout.contains("2 project"),
        "{stdout}"
    );

    let s2 = TestServer::start_in(&target, FileConfig::default()).await;
    let admin2 = s2.admin().await;
    assert_eq!(snapshot(&admin2).await, before);
    let mut bob_again = s2.client();
    bob_again.login("bob", "password-123").await;
    s2.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupted_backup_is_refused_and_data_dir_untouched() {
    let work = tempfile::tempdir().unwrap();
    let bad = work.path().join("bad.gz");
    std::fs::write(&bad, b"\x1f\x8b\x08\x00garbage").unwrap();
    let target = work.path().join("t");
    let out = Command::new(baton_bin())
        .arg("--data")
        .arg(&target)
        .arg("restore")
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a usable Baton backup"), "{err}");
    assert!(!target.exists(), "nothing may be created");

    // a real server's directory stays as it was when a truncated file is restored over it
    let s = TestServer::start().await;
    let admin = s.admin().await;
    admin
        .post("/api/departments", json!({"name": "Keep me"}))
        .await;
    let file = work.path().join("good.gz");
    let out = Command::new(baton_bin())
        .arg("--data")
        .arg(&s.data)
        .args(["backup", "--out"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success());
    let data = s.data.clone();
    let _keep = s.stop().await;
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&bad, &bytes[..bytes.len() - 20]).unwrap();
    let out = Command::new(baton_bin())
        .arg("--data")
        .arg(&data)
        .args(["restore", "--force"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let s = TestServer::start_in(&data, FileConfig::default()).await;
    let admin = s.admin().await;
    assert_eq!(
        admin.get("/api/departments").await["items"][0]["name"],
        "Keep me"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_api_backup_writes_to_the_backup_directory() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let made = admin.post("/api/admin/backups", json!(null)).await;
    assert!(made["name"].as_str().unwrap().ends_with(".baton-backup.gz"));
    assert!(made["header"]["counts"]["user"].as_u64().unwrap() >= 1);
    let list = admin.get("/api/admin/backups").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(s
        .data
        .join("backups")
        .join(made["name"].as_str().unwrap())
        .exists());
    let (st, _) = admin.call(Method::GET, "/api/admin/backups", None).await;
    assert!(st.is_success());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_backups_are_written_and_pruned() {
    let file: FileConfig = toml::from_str("[backup]\ninterval = \"1s\"\nkeep = 2\n").unwrap();
    let s = TestServer::start_with(file).await;
    let dir = s.data.join("backups");
    let count = || std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while count() < 2 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(count(), 2, "two kept, older ones pruned");
    for entry in std::fs::read_dir(&dir).unwrap() {
        baton::backup::verify(&entry.unwrap().path()).unwrap();
    }
    s.stop().await;
}
