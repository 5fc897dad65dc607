use std::process::Command;

use serde_json::json;

use crate::harness::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_and_token_commands_work_on_a_running_server() {
    let s = TestServer::start().await;
    let data = s.data.clone();
    let (ok, out, err) = tokio::task::spawn_blocking(move || {
        baton(
            &data,
            &[
                "user",
                "add",
                "carol",
                "--role",
                "department_admin",
                "--password-stdin",
            ],
            Some("carol-pass-1\n"),
        )
    })
    .await
    .unwrap();
    assert!(ok, "{err}");
    assert!(out.contains("created user 'carol'"));
    let mut carol = s.client();
    carol.login("carol", "carol-pass-1").await;

    let data = s.data.clone();
    let (ok, out, _) = tokio::task::spawn_blocking(move || {
        baton(
            &data,
            &["token", "create", "--name", "erp", "--scope", "read"],
            None,
        )
    })
    .await
    .unwrap();
    assert!(ok);
    let secret = out.lines().last().unwrap().trim().to_string();
    assert!(secret.starts_with("baton_"), "{out}");
    let script = Client {
        bearer: Some(secret),
        ..Client::new(&s.url)
    };
    script.get("/api/projects").await;

    let data = s.data.clone();
    let (ok, out, _) = tokio::task::spawn_blocking(move || {
        assert!(baton(&data, &["user", "set-role", "carol", "member"], None).0);
        assert!(baton(&data, &["user", "disable", "carol"], None).0);
        baton(&data, &["user", "list"], None)
    })
    .await
    .unwrap();
    assert!(ok);
    let carol_line = out
        .lines()
        .find(|l| l.contains("carol"))
        .unwrap()
        .to_string();
    assert!(
        carol_line.contains("member") && carol_line.contains("disabled"),
        "{carol_line}"
    );
    assert_eq!(
        carol.call(reqwest::Method::GET, "/api/me", None).await.0,
        401
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_work_on_a_stopped_data_directory() {
    let s = TestServer::start().await;
    let data = s.data.clone();
    let _keep = s.stop().await;
    let (ok, _, err) = baton(
        &data,
        &["user", "passwd", "admin", "--password-stdin"],
        Some("brand-new-pass\n"),
    );
    assert!(ok, "{err}");
    let (ok, out, _) = baton(&data, &["token", "list"], None);
    assert!(ok && out.contains("NAME"));
    let (ok, _, err) = baton(&data, &["user", "add", "x", "--password-stdin"], Some("\n"));
    assert!(!ok && err.contains("no password"), "{err}");
    let s = TestServer::start_in(&data, baton::config::FileConfig::default()).await;
    let mut c = s.client();
    c.login("admin", "brand-new-pass").await;
    assert_eq!(c.get("/api/me").await["user"]["username"], json!("admin"));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_serve_on_the_same_directory_says_in_use() {
    let s = TestServer::start().await;
    let out = Command::new(baton_bin())
        .arg("--data")
        .arg(&s.data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already in use"), "{err}");
    // and the first server is unharmed
    s.admin().await.get("/api/me").await;
    s.stop().await;
}

#[test]
fn help_and_version() {
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["user", "--help"],
        &["user", "add", "--help"],
        &["token", "create", "--help"],
        &["backup", "--help"],
        &["restore", "--help"],
    ] {
        let out = Command::new(baton_bin()).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{args:?}"
        );
    }
    let out = Command::new(baton_bin()).arg("version").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("baton "));
}

#[test]
fn unreadable_data_directory_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let out = Command::new(baton_bin())
        .arg("--data")
        .arg(&file)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error:") && !err.contains("panicked"),
        "{err}"
    );
}

#[test]
fn sigterm_stops_cleanly_and_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let child = Command::new(baton_bin())
        .arg("--data")
        .arg(&data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("BATON_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the admin socket: the server is up.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !data.join("baton.sock").exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let (ok, _, err) = baton(
        &data,
        &["user", "add", "dora", "--password-stdin"],
        Some("dora-pass-1\n"),
    );
    assert!(ok, "{err}");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "exit {:?}", out.status);
    assert!(String::from_utf8_lossy(&out.stderr).contains("database flushed"));
    assert!(!data.join("baton.sock").exists(), "socket removed on exit");
    let (ok, list, _) = baton(&data, &["user", "list"], None);
    assert!(ok && list.contains("dora"), "{list}");
}
