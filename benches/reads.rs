#![allow(clippy::expect_used, clippy::unwrap_used)]
//! Read throughput under load against a running server: the measuring half of
//! `benches/reads/run.sh` (which builds the release binary, fills it with the data
//! set of the memory bench and runs this with `READS_URL` set). This adds a member
//! with 30 open tasks (deadlines over the next 30 days, five started), then measures.
//!
//! For each path in turn (`/healthz`, the member's `/api/my/todo`, one of their
//! tasks), 64 connections send requests back to back for `READS_SECONDS` (10 s);
//! prints requests per second and latency percentiles, and each read's throughput
//! as a ratio of `/healthz`'s in the same run. A Rust client, so the client's own
//! cost is small and the same for every path (a Python client saturates first).

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
/// token and one task's id.
async fn member_with_30_tasks(client: &reqwest::Client, base: &str) -> (String, u64) {
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
    let admin = login("admin", "bench-admin-password").await["token"]
        .as_str()
        .unwrap()
        .to_string();
    let admin = Some(admin.as_str());
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
    (token, ids[0])
}

fn main() {
    let base = std::env::var("READS_URL").expect("READS_URL (see benches/reads/run.sh)");
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
        let (token, task) = member_with_30_tasks(&client, &base).await;
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
            let r = phase(&client, format!("{base}{p}"), token.clone(), secs).await;
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
    });
}
