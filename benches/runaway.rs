#![allow(clippy::expect_used, clippy::unwrap_used)]
//! Runaway scripts cannot starve everyone else (issue "Trust under fire", item 3).
//!
//! Eight scenarios whose condition never ends watch `stock`; two clients feed them
//! batches of 100 stock records for the whole run while an admin keeps switching
//! quarantined ones back on. Meanwhile a probe pushes one record of a kind nobody
//! watches every 100 ms and another asks `/healthz` every 20 ms.
//!
//! Targets: the unwatched push p99 < 200 ms, `/healthz` p99 < 50 ms.
//!
//! `cargo bench --bench runaway` (seconds of load: `-- 20`, the default).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use common::server::BenchServer;

// Only the in-process server of the shared helpers is used here.
#[allow(dead_code)]
mod common;

fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v.get(((v.len().saturating_sub(1)) as f64 * p).round() as usize)
        .copied()
        .unwrap_or_default()
}

const RUNAWAY: &str = r#"
const ID = "runaway_N";
const WATCHES = "stock";
fn condition(r, prev) { let n = 0; loop { n += 1; } }
fn task(r) { #{ title: "never", nodes: [] } }
"#;

fn main() {
    let secs: u64 = std::env::args()
        .filter_map(|a| a.parse().ok())
        .next()
        .unwrap_or(20);
    // the server's own bound on store threads, so the bench measures what it runs
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(baton::server::BLOCKING_THREADS)
        .build()
        .expect("runtime");
    rt.block_on(run(Duration::from_secs(secs)));
}

async fn run(load: Duration) {
    let http = reqwest::Client::new();
    let server = BenchServer::start(&http).await;
    let (url, admin) = (server.url.clone(), server.admin.clone());
    let token: Value = http
        .post(format!("{url}/api/tokens"))
        .bearer_auth(&admin)
        .json(&json!({"name": "bench", "scopes": ["erp:write"]}))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token body");
    let token = token["token"].as_str().expect("secret").to_string();
    let mut ids = Vec::new();
    for i in 0..8 {
        let s: Value = http
            .post(format!("{url}/api/scenarios"))
            .bearer_auth(&admin)
            .json(&json!({"source": RUNAWAY.replace("runaway_N", &format!("runaway_{i}"))}))
            .send()
            .await
            .expect("scenario")
            .json()
            .await
            .expect("scenario body");
        ids.push(s["id"].as_u64().expect("scenario id"));
    }
    let done = Arc::new(AtomicBool::new(false));
    let fed = Arc::new(AtomicU64::new(0));
    let quarantined = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for c in 0..2 {
        let (http, url, token, done, fed, quarantined) = (
            http.clone(),
            url.clone(),
            token.clone(),
            done.clone(),
            fed.clone(),
            quarantined.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut n = 0u64;
            while !done.load(Ordering::Relaxed) {
                let records: Vec<Value> = (0..100)
                    .map(|i| json!({"kind": "stock", "id": format!("c{c}-{n}-{i}"), "data": {"available": 1}}))
                    .collect();
                n += 1;
                let r: Value = match http
                    .post(format!("{url}/api/erp/records"))
                    .bearer_auth(&token)
                    .json(&json!({ "records": records }))
                    .send()
                    .await
                {
                    Ok(resp) => resp.json().await.unwrap_or(Value::Null),
                    Err(_) => continue,
                };
                fed.fetch_add(1, Ordering::Relaxed);
                let q = r["scenarios"]["quarantined"].as_array().map_or(0, Vec::len);
                quarantined.fetch_add(q as u64, Ordering::Relaxed);
            }
        }));
    }
    // The admin keeps switching them back on: the scripts keep running away.
    {
        let (http, url, admin, done, ids) = (
            http.clone(),
            url.clone(),
            admin.clone(),
            done.clone(),
            ids.clone(),
        );
        workers.push(tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                for id in &ids {
                    let _ = http
                        .patch(format!("{url}/api/scenarios/{id}"))
                        .bearer_auth(&admin)
                        .json(&json!({"enabled": true}))
                        .send()
                        .await;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let push_probe = {
        let (http, url, token, done) = (http.clone(), url.clone(), token.clone(), done.clone());
        tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut n = 0;
            while !done.load(Ordering::Relaxed) {
                let t = Instant::now();
                let ok = http
                    .post(format!("{url}/api/erp/records"))
                    .bearer_auth(&token)
                    .json(
                        &json!({"records": [{"kind": "note", "id": format!("N{n}"), "data": {}}]}),
                    )
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                assert!(ok, "the unwatched push failed");
                samples.push(t.elapsed());
                n += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            samples
        })
    };
    let health_probe = {
        let (http, url, done) = (http.clone(), url.clone(), done.clone());
        tokio::spawn(async move {
            let mut samples = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let t = Instant::now();
                let ok = http
                    .get(format!("{url}/healthz"))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                assert!(ok, "/healthz failed");
                samples.push(t.elapsed());
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            samples
        })
    };
    tokio::time::sleep(load).await;
    done.store(true, Ordering::Relaxed);
    let pushes = push_probe.await.expect("push probe");
    let health = health_probe.await.expect("health probe");
    for w in workers {
        let _ = w.await;
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "8 runaway scenarios fed for {} s: {} batches of 100 records, {} quarantines",
        load.as_secs(),
        fed.load(Ordering::Relaxed),
        quarantined.load(Ordering::Relaxed)
    );
    let (p50, p99) = (
        percentile(pushes.clone(), 0.5),
        percentile(pushes.clone(), 0.99),
    );
    println!(
        "push of an unwatched kind ({} samples)   p50 {:>7.2} ms   p99 {:>7.2} ms   (target p99 < 200 ms)",
        pushes.len(),
        ms(p50),
        ms(p99)
    );
    let (p50, p99) = (
        percentile(health.clone(), 0.5),
        percentile(health.clone(), 0.99),
    );
    println!(
        "/healthz ({} samples)                     p50 {:>7.2} ms   p99 {:>7.2} ms   (target p99 < 50 ms)",
        health.len(),
        ms(p50),
        ms(p99)
    );
    server.stop().await;
}
