#![allow(clippy::expect_used, clippy::unwrap_used)]
//! Reads under load (issue 13, Performance): `GET /api/my/todo` for a member with 30
//! open tasks and one task's detail against `/healthz`, on the same server in the same
//! run, 64 connections, on the data set of the memory bench. Targets: my todo at
//! >= 0.25x the throughput of `/healthz`, p99 < 20 ms. Run by `benches/reads/run.sh`.
//!
//! Starts the binary cargo built with this bench (or `READS_BIN`) on a
//! temporary data directory (loopback only), ingests `ERP_RECORDS` records (default
//! 1,000,000, one in ten makes a task) with `benches/memory/load.py`, adds a member
//! with 30 open tasks (deadlines over the next 30 days, five started), then sends
//! requests back to back on 64 connections to each path in turn for `READS_SECONDS`
//! (10): requests per second, p50 and p99, and each read's throughput as a ratio of
//! `/healthz`'s. A Rust client, so the client's own cost is small and the same for
//! every path (a Python client saturates first). With `READS_PERF=file`, the server
//! is recorded with `perf record -g` while "my todo" is measured.

use std::sync::Arc;
use std::time::{Duration, Instant};

const CONNECTIONS: usize = 64;

struct Phase {
    per_second: f64,
    p50: Duration,
    p99: Duration,
    errors: usize,
}

fn percentile(v: &[Duration], p: f64) -> Duration {
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

async fn phase(client: &reqwest::Client, url: String, token: Arc<str>, secs: u64) -> Phase {
    let stop = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let workers: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (client, url, token) = (client.clone(), url.clone(), token.clone());
            tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut errors = 0;
                while Instant::now() < stop {
                    let t = Instant::now();
                    let r = client
                        .get(&url)
                        .bearer_auth(&*token)
                        .header("accept-encoding", "identity")
                        .send()
                        .await;
                    match r {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                            lat.push(t.elapsed());
                        }
                        _ => errors += 1,
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for w in workers {
        let (lat, e) = w.await.unwrap();
        all.extend(lat);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    Phase {
        per_second: all.len() as f64 / elapsed,
        p50: percentile(&all, 0.5),
        p99: percentile(&all, 0.99),
        errors,
    }
}

/// Calls the API as `token` (none: anonymous), returns the JSON answer.
async fn call(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    body: Option<serde_json::Value>,
    token: Option<&str>,
) -> serde_json::Value {
    let mut req = match &body {
        Some(b) => client.post(format!("{base}{path}")).json(b),
        None => client.get(format!("{base}{path}")),
    };
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.unwrap()
}

/// The member `reader` with 30 open tasks in a project of their own: their session
/// token, one task's id, and the admin's session token.
async fn member_with_30_tasks(client: &reqwest::Client, base: &str) -> (String, u64, String) {
    use serde_json::json;
    let login = |u: &'static str, p: &'static str| {
        call(
            client,
            base,
            "/api/login",
            Some(json!({"username": u, "password": p})),
            None,
        )
    };
    let admin_token = login("admin", "bench-admin-password").await["token"]
        .as_str()
        .unwrap()
        .to_string();
    let admin = Some(admin_token.as_str());
    let user = json!({"username": "reader", "password": "reader-password-1", "role": "member"});
    let member = call(client, base, "/api/users", Some(user), admin).await["id"].clone();
    let project = json!({"name": "reads", "members": [member]});
    let pid = call(client, base, "/api/projects", Some(project), admin).await["id"].clone();
    let now = chrono::Utc::now();
    let mut ids = Vec::new();
    for i in 0..30 {
        let task = json!({
            "kind": "simple",
            "title": format!("Check supplier quote {i}"),
            "description": "Compare the quote with last month's price list.",
            "nodes": [{"handler_id": member, "action": "check",
                       "due_at": now + chrono::Duration::days(i + 1)}],
            "checklist": ["price", "delivery time"],
        });
        let path = format!("/api/projects/{pid}/tasks");
        ids.push(
            call(client, base, &path, Some(task), admin).await["id"]
                .as_u64()
                .unwrap(),
        );
    }
    let token = login("reader", "reader-password-1").await["token"]
        .as_str()
        .unwrap()
        .to_string();
    for id in &ids[..5] {
        let rev = call(
            client,
            base,
            &format!("/api/tasks/{id}"),
            None,
            Some(&token),
        )
        .await["rev"]
            .clone();
        let path = format!("/api/tasks/{id}/start");
        call(client, base, &path, Some(json!({"rev": rev})), Some(&token)).await;
    }
    (token, ids[0], admin_token)
}

/// Makes a task (handled by the admin, in a project of its own) every 100 ms until
/// `stop`: a team at work, so that no kept "my todo" answer lasts long.
async fn task_writer(client: reqwest::Client, base: String, admin: String, stop: Instant) -> usize {
    use serde_json::json;
    let me = call(&client, &base, "/api/me", None, Some(&admin)).await["user"]["id"].clone();
    let project = json!({"name": "churn", "members": [me]});
    let pid =
        call(&client, &base, "/api/projects", Some(project), Some(&admin)).await["id"].clone();
    let mut made = 0;
    while Instant::now() < stop {
        let task = json!({"kind": "simple", "title": format!("churn {made}"),
                          "nodes": [{"handler_id": me, "action": "look"}]});
        call(
            &client,
            &base,
            &format!("/api/projects/{pid}/tasks"),
            Some(task),
            Some(&admin),
        )
        .await;
        made += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    made
}

/// The server under test; killed when dropped.
struct Server {
    child: std::process::Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server() -> Server {
    // Cargo builds the binary with the bench, in the same profile.
    let bin = std::env::var("READS_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_baton").into());
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
    let child = std::process::Command::new(&bin)
        .args(["serve", "--data"])
        .arg(dir.path().join("data"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("BATON_ADMIN_PASSWORD", "bench-admin-password")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("{bin}: {e}"));
    let server = Server {
        child,
        url,
        _dir: dir,
    };
    let health = format!("{}/healthz", server.url);
    while std::process::Command::new("curl")
        .args(["-fs", "-o", "/dev/null", &health])
        .status()
        .map(|s| !s.success())
        .unwrap_or(true)
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

fn main() {
    let server = start_server();
    let base = server.url.clone();
    let records = std::env::var("ERP_RECORDS").unwrap_or_else(|_| "1000000".into());
    let ingest = std::process::Command::new("python3")
        .args(["benches/memory/load.py", &base, &records, "ingest"])
        .status()
        .unwrap();
    assert!(ingest.success(), "ingest failed");
    let perf = std::env::var("READS_PERF").ok();
    let secs = std::env::var("READS_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(CONNECTIONS)
            .build()
            .unwrap();
        let (token, task, admin) = member_with_30_tasks(&client, &base).await;
        let token: Arc<str> = token.into();
        let todo = call(&client, &base, "/api/my/todo", None, Some(&token)).await;
        println!(
            "member's todo: {} overdue, {} new, {} started",
            todo["counts"]["overdue"], todo["counts"]["new"], todo["counts"]["started"]
        );
        let paths = [
            "/healthz".to_string(),
            "/api/my/todo".to_string(),
            format!("/api/tasks/{task}"),
        ];
        // Warm the pool and the server's caches.
        for p in &paths {
            phase(&client, format!("{base}{p}"), token.clone(), 1).await;
        }
        let mut health = 0.0;
        println!("{CONNECTIONS} connections, {secs} s per path");
        for p in &paths {
            let recording = perf.as_ref().filter(|_| p == "/api/my/todo").map(|file| {
                std::process::Command::new("perf")
                    .args(["record", "-g", "-o", file, "-p"])
                    .arg(server.child.id().to_string())
                    .args(["--", "sleep", &secs.to_string()])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            });
            let r = phase(&client, format!("{base}{p}"), token.clone(), secs).await;
            if let Some(mut rec) = recording {
                let _ = rec.wait();
            }
            if p == "/healthz" {
                health = r.per_second;
            }
            println!(
                "{p:<20} {:>8.0} req/s  {:>5.2}x healthz   p50 {:>6.2} ms   p99 {:>6.2} ms   errors {}",
                r.per_second,
                r.per_second / health,
                r.p50.as_secs_f64() * 1e3,
                r.p99.as_secs_f64() * 1e3,
                r.errors
            );
        }
        // The same todo while tasks are being made 10 times a second: the kept answer
        // is dropped at each, so this is mostly the cost of building it.
        let stop = Instant::now() + Duration::from_secs(secs);
        let writer = tokio::spawn(task_writer(client.clone(), base.clone(), admin, stop));
        let r = phase(&client, format!("{base}/api/my/todo"), token.clone(), secs).await;
        let made = writer.await.unwrap();
        println!(
            "{:<20} {:>8.0} req/s  {:>5.2}x healthz   p50 {:>6.2} ms   p99 {:>6.2} ms   errors {}   ({made} tasks made meanwhile)",
            "  while tasks change",
            r.per_second,
            r.per_second / health,
            r.p50.as_secs_f64() * 1e3,
            r.p99.as_secs_f64() * 1e3,
            r.errors
        );
    });
}
