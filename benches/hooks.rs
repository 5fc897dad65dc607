#![allow(clippy::expect_used, clippy::unwrap_used)]
//! Inbound webhook deliveries (issue 15, Performance): a generic hook (HMAC-SHA256 in
//! `X-Signature`, the one-record mapping of the preset) receives signed deliveries of
//! one `order` record each, every one new (so each is stored, flushed and run through
//! the shipped scenarios that watch orders). Target: p99 under 20 ms.
//!
//! Two phases on the same server: one sender (the latency a shop sees), then 8 senders
//! at once (a burst). `cargo bench --bench hooks` (deliveries per phase: `-- 2000`, the
//! default).

use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use common::server::BenchServer;

// Only the in-process server of the shared helpers is used here.
#[allow(dead_code)]
mod common;

const SECRET: &str = "bench-hook-secret-1";

fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v.get(((v.len().saturating_sub(1)) as f64 * p).round() as usize)
        .copied()
        .unwrap_or_default()
}

fn sign(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn main() {
    let n: usize = std::env::args()
        .filter_map(|a| a.parse().ok())
        .next()
        .unwrap_or(2000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(n));
}

/// Sends `n` deliveries from `senders` concurrent senders; their latencies.
async fn phase(
    http: &reqwest::Client,
    url: &str,
    tag: &str,
    n: usize,
    senders: usize,
) -> Vec<Duration> {
    let per = n / senders;
    let mut workers = Vec::new();
    for s in 0..senders {
        let (http, url, tag) = (http.clone(), url.to_string(), tag.to_string());
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(per);
            for i in 0..per {
                let body = serde_json::to_vec(&json!({
                    "kind": "order",
                    "id": format!("HOOK-{tag}-{s}-{i}"),
                    "data": {"status": "paid", "sku": "00123", "amount": "129.90"},
                }))
                .unwrap();
                let sig = sign(&body);
                let t = Instant::now();
                let r = http
                    .post(format!("{url}/api/hooks/bench"))
                    .header("content-type", "application/json")
                    .header("x-signature", sig)
                    .header("x-delivery-id", format!("{tag}-{s}-{i}"))
                    .body(body)
                    .send()
                    .await
                    .expect("send");
                assert!(r.status().is_success(), "{}", r.status());
                let _ = r.bytes().await;
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut all = Vec::with_capacity(n);
    for w in workers {
        all.extend(w.await.expect("sender"));
    }
    all
}

fn report(label: &str, lat: Vec<Duration>, took: Duration) {
    let count = lat.len();
    println!(
        "{label:<34} {count} deliveries, {:>7.0}/s   p50 {:>6.2} ms   p99 {:>6.2} ms",
        count as f64 / took.as_secs_f64(),
        percentile(lat.clone(), 0.5).as_secs_f64() * 1e3,
        percentile(lat, 0.99).as_secs_f64() * 1e3,
    );
}

async fn run(n: usize) {
    let http = reqwest::Client::new();
    let server = BenchServer::start(&http).await;
    let (url, admin) = (server.url.clone(), server.admin.clone());
    let hook = http
        .post(format!("{url}/api/admin/hooks"))
        .bearer_auth(&admin)
        .json(&json!({"name": "bench", "preset": "generic", "secret": SECRET}))
        .send()
        .await
        .expect("hook");
    assert!(hook.status().is_success(), "{}", hook.status());

    // a few to warm up (connections, the compiled mapping)
    phase(&http, &url, "warm", 50, 1).await;
    let t = Instant::now();
    let one = phase(&http, &url, "one", n, 1).await;
    report("one sender", one, t.elapsed());
    let t = Instant::now();
    let burst = phase(&http, &url, "burst", n, 8).await;
    report("8 senders at once", burst, t.elapsed());
    println!("target: p99 under 20 ms");
    server.stop().await;
}
