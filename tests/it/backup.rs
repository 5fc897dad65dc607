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

/// Opens a stopped server's database and checks its index invariants.
fn check_offline(data: &std::path::Path) -> baton::backup::check::Summary {
    let store = baton::store::Store::open(&data.join("db"), 1 << 20).unwrap();
    let summary = baton::backup::check::check(&store).unwrap();
    drop(store);
    summary
}

/// Issue 11 item 4: backups taken while ERP batches and task writes go on are
/// consistent copies; after restore the same batches push again without a conflict,
/// new ids are above every id restored, and every index invariant holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_under_two_writers_restores_whole_and_takes_the_same_batches_again() {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;

    let s = TestServer::start().await;
    let admin = s.admin().await;
    let erp = s.erp_client(&admin).await;
    let token = erp.bearer.clone().unwrap();
    let d = admin.post("/api/departments", json!({"name": "Ops"})).await["id"]
        .as_u64()
        .unwrap();
    let (bob, bob_id) = s.user(&admin, "bob", "member", Some(d)).await;
    let p = admin.post("/api/projects", json!({"name": "Ops", "department_id": d, "members": [bob_id], "business_types": ["PO"]})).await["id"]
        .as_u64()
        .unwrap();

    fn batch(n: u64) -> Value {
        let records: Vec<Value> = (0..20)
            .map(|i| json!({"kind": "order", "id": format!("B{n}-{i}"), "data": {"status": "open", "n": n, "i": i}}))
            .collect();
        json!({ "records": records })
    }
    let stop = Arc::new(AtomicBool::new(false));
    let batches = Arc::new(AtomicU64::new(0));
    let tasks = Arc::new(AtomicU64::new(0));
    let erp_writer = {
        let (stop, batches) = (stop.clone(), batches.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let (st, r) = erp
                    .call(Method::POST, "/api/erp/records", Some(batch(n)))
                    .await;
                assert!(st.is_success(), "{st} {r}");
                assert_eq!(r["stored"], 20, "{r}");
                n += 1;
                batches.store(n, Ordering::Relaxed);
            }
        })
    };
    let task_writer = {
        let (stop, tasks) = (stop.clone(), tasks.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let t = bob
                    .post(&format!("/api/projects/{p}/tasks"), json!({"kind": "simple", "title": format!("T{n}"), "nodes": [{"handler_id": bob_id, "action": "check"}]}))
                    .await;
                bob.post(
                    &format!("/api/tasks/{}/comments", t["id"]),
                    json!({"body": "on it"}),
                )
                .await;
                n += 1;
                tasks.store(n, Ordering::Relaxed);
            }
        })
    };
    // let both writers get going, then take backups while they write
    while batches.load(Ordering::Relaxed) < 3 || tasks.load(Ordering::Relaxed) < 3 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let work = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let written = || batches.load(Ordering::Relaxed) + tasks.load(Ordering::Relaxed);
    let before = written();
    for i in 0..3 {
        let file = work.path().join(format!("b{i}.baton-backup.gz"));
        let data = s.data.clone();
        let arg = file.to_str().unwrap().to_string();
        let (ok, _, err) =
            tokio::task::spawn_blocking(move || baton(&data, &["backup", "--out", &arg], None))
                .await
                .unwrap();
        assert!(ok, "{err}");
        files.push(file);
    }
    assert!(
        written() > before,
        "the writers went on while backups were taken"
    );
    stop.store(true, Ordering::Relaxed);
    erp_writer.await.unwrap();
    task_writer.await.unwrap();
    let pushed = batches.load(Ordering::Relaxed);
    s.stop().await;

    // the middle backup, taken with both writers busy before and after it
    let target = work.path().join("restored");
    let (ok, _, err) = baton(&target, &["restore", files[1].to_str().unwrap()], None);
    assert!(ok, "{err}");
    let restored = check_offline(&target);
    assert!(restored.next_id > restored.max_id);

    let s2 = TestServer::start_in(&target, FileConfig::default()).await;
    let erp2 = Client {
        bearer: Some(token),
        ..Client::new(&s2.url)
    };
    // every batch again, those in the backup and those after it: no conflict
    for n in 0..pushed {
        let (st, r) = erp2
            .call(Method::POST, "/api/erp/records", Some(batch(n)))
            .await;
        assert!(st.is_success(), "batch {n} after restore: {st} {r}");
        assert_eq!(r["rejected"].as_array().map(Vec::len), Some(0), "{r}");
        let taken = r["stored"].as_u64().unwrap() + r["unchanged"].as_u64().unwrap();
        assert_eq!(taken, 20, "batch {n}: {r}");
    }
    // new records get ids above every restored one
    let mut bob2 = s2.client();
    bob2.login("bob", "password-123").await;
    let t = bob2
        .post(&format!("/api/projects/{p}/tasks"), json!({"kind": "simple", "title": "after", "nodes": [{"handler_id": bob_id, "action": "check"}]}))
        .await;
    assert!(
        t["id"].as_u64().unwrap() > restored.max_id,
        "id reused: {t}"
    );
    let log = bob2.get(&format!("/api/tasks/{}/log", t["id"])).await;
    assert!(
        log["items"].as_array().unwrap().len() <= 2,
        "a new task's log holds only its own lines: {log}"
    );
    s2.stop().await;
    let after = check_offline(&target);
    assert!(after.records["erp"] >= pushed * 20);
}

/// Issue 11 item 5 through the real binary: a gzip bomb and an overlong line after a
/// valid header are refused at the line limit with a clear error; nothing is created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_refuses_bombs_and_overlong_lines_and_creates_nothing() {
    use std::io::{Read, Write};

    let s = TestServer::start().await;
    let work = tempfile::tempdir().unwrap();
    let good = work.path().join("good.gz");
    let (ok, _, err) = baton(&s.data, &["backup", "--out", good.to_str().unwrap()], None);
    assert!(ok, "{err}");
    s.stop().await;
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&good).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let header = text.lines().next().unwrap().to_string();
    for (name, fill) in [("bomb.gz", b'0'), ("line.gz", b'a')] {
        let path = work.path().join(name);
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&path).unwrap(),
            flate2::Compression::fast(),
        );
        gz.write_all(header.as_bytes()).unwrap();
        gz.write_all(b"\n").unwrap();
        let chunk = vec![fill; 1 << 20];
        for _ in 0..(baton::backup::MAX_LINE >> 20) + 2 {
            gz.write_all(&chunk).unwrap();
        }
        gz.finish().unwrap();
        let target = work.path().join(format!("t-{name}"));
        let (ok, _, err) = baton(&target, &["restore", path.to_str().unwrap()], None);
        assert!(!ok);
        assert!(err.contains("longer than"), "{err}");
        assert!(!target.exists(), "restore created {target:?}");
    }
}
