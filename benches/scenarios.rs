#![allow(clippy::expect_used, clippy::unwrap_used)]
//! Scenario evaluation and ingest throughput: `cargo bench --bench scenarios`.
//!
//! (a) The shipped scenarios' conditions over 100k records, side by side with the same
//!     conditions as native Rust closures and as Python `eval` of compiled expressions
//!     over dicts (ERPNext's way). Every contender starts from the record as stored
//!     JSON text, as Baton does, and runs on one core. Twice: over minimal records
//!     (only the fields the scenarios read) and over ERP-sized ones.
//! (b) Ingest of 100k records in batches of 500 over HTTP from two clients, shipped
//!     scenarios enabled: every other record making a task (heavy), 1 in 50 (typical),
//!     and the typical mix with ERP-sized records.

use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use baton::scenarios::engine::{build, with_context, Context};
use baton::scenarios::eval::{condition, ScriptRecord};
use baton::scenarios::record::{property_names, register_getters};
use baton::scenarios::script::{compile, Compiled};
use baton::scenarios::shipped::SHIPPED;
use chrono::{Duration, Utc};
use serde_json::{json, Value};

const N: usize = 100_000;

fn records(now: chrono::DateTime<Utc>) -> Vec<Value> {
    let ago = |h: i64| (now - Duration::hours(h)).to_rfc3339();
    (0..N)
        .map(|i| match i % 4 {
            0 => json!({"kind": "order", "id": format!("SO-{i}"), "data": {"status": if i % 3 == 0 { "out_of_stock" } else { "paid" }, "sku": "MUG", "qty": 2, "out_of_stock_since": ago((i % 200) as i64), "paid_at": ago((i % 100) as i64)}}),
            1 => json!({"kind": "purchase_order", "id": format!("PO-{i}"), "data": {"status": "open", "amount": format!("{}.{:02}", 3000 + i % 5000, i % 100), "supplier": "Yiwu"}}),
            2 => json!({"kind": "stock", "id": format!("SKU-{i}"), "data": {"available": (i % 50) as i64, "safety_stock": 20, "warehouse": "SZ"}}),
            _ => json!({"kind": "shipment", "id": format!("YT-{i}"), "data": {"status": "in_transit", "carrier": "Yun", "tracking_updated_at": ago((i % 300) as i64)}}),
        })
        .collect()
}

fn secs(s: &str, now: i64) -> f64 {
    (now - chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp())
        .unwrap_or(now)) as f64
}

fn cents(s: &str) -> i64 {
    let (w, f) = s.split_once('.').unwrap_or((s, "0"));
    w.parse::<i64>().unwrap_or(0) * 100 + format!("{f:0<2}")[..2].parse::<i64>().unwrap_or(0)
}

/// The records of `records` with what an ERP export carries besides: addresses,
/// fees, line items, timestamps. No scenario reads these, but every parser meets them.
fn erp_sized(recs: &[Value]) -> Vec<Value> {
    recs.iter()
        .enumerate()
        .map(|(i, r)| {
            let mut r = r.clone();
            let d = r["data"].as_object_mut().unwrap();
            let extra = json!({
                "platform": "amazon", "shop": "EU-Store-2", "site": "DE", "buyer": format!("buyer{i}"),
                "buyer_email": format!("buyer{i}@example.com"), "country": "DE", "province": "Bayern",
                "city": "München", "address1": "Leopoldstraße 12", "address2": "3. OG", "zip": "80802",
                "phone": "+49 89 1234567", "currency": "EUR", "total": "59.80", "shipping_fee": "4.99",
                "platform_fee": "8.97", "warehouse": "SZ-01", "logistics_channel": "DHL-Paket",
                "created_at": "2026-11-20T08:15:00+08:00", "updated_at": "2026-11-24T10:02:11+08:00",
                "remark": "gift wrap, no invoice in the parcel", "tags": ["vip", "repeat"],
                "external_id": format!("302-{i:07}-{:07}", i * 7 % 9_999_999), "seller_sku": format!("MUG-{}", i % 40),
                "items": [
                    {"sku": "MUG-11OZ-WHT", "name": "Ceramic mug 11oz white", "qty": 2, "price": "19.90"},
                    {"sku": "COASTER-4P", "name": "Cork coasters, 4 pack", "qty": 1, "price": "9.90"}
                ]
            });
            for (k, v) in extra.as_object().unwrap() {
                d.entry(k.clone()).or_insert_with(|| v.clone());
            }
            r
        })
        .collect()
}

/// The same five conditions, written by hand.
fn native(kind: &str, d: &Value, now: i64) -> usize {
    let s = |k: &str| d.get(k).and_then(Value::as_str);
    match kind {
        "order" => {
            let a = s("status") == Some("out_of_stock")
                && secs(s("out_of_stock_since").unwrap_or(""), now) / 86400.0 > 3.0;
            let b = s("status") == Some("paid")
                && d.get("shipped_at").is_none()
                && secs(s("paid_at").unwrap_or(""), now) / 3600.0 > 48.0;
            a as usize + b as usize
        }
        "purchase_order" => {
            (s("status") != Some("cancelled") && cents(s("amount").unwrap_or("0")) > 500_000)
                as usize
        }
        "stock" => (d["available"].as_i64() < d["safety_stock"].as_i64()) as usize,
        _ => {
            (s("status") != Some("delivered")
                && secs(s("tracking_updated_at").unwrap_or(""), now) / 86400.0 > 5.0)
                as usize
        }
    }
}

/// `cargo bench --bench scenarios -- eval` runs only (a), `-- ingest` only (b);
/// `-- ingest heavy|typical|erp-sized` (one or more) only those mixes of (b).
fn main() {
    let only = |part: &str| std::env::args().skip(1).any(|a| a == part);
    let (eval, ingest) = (only("eval"), only("ingest"));
    let now = Utc::now();
    let recs = records(now);
    if eval || !ingest {
        println!("(a) minimal records: only the fields the scenarios read");
        evaluation(now, &recs);
        println!("(a) ERP-sized records: the same plus 25 fields and two line items, as an ERP sends them");
        evaluation(now, &erp_sized(&recs));
    }
    if ingest || !eval {
        let mixes = ["heavy", "typical", "erp-sized"];
        let all = !mixes.iter().any(|m| only(m));
        if all || only("heavy") {
            println!("ingest, heavy mix (every other record needs a task):");
            ingest_over_http(&recs);
        }
        if all || only("typical") {
            println!("ingest, typical mix (1 record in 50 needs a task):");
            ingest_over_http(&typical(now));
        }
        if all || only("erp-sized") {
            println!("ingest, typical mix of ERP-sized records:");
            ingest_over_http(&erp_sized(&typical(now)));
        }
    }
}

/// The fastest of five runs of `f`, in seconds, and its result: this machine shares
/// its cores, and the fastest run is the one least disturbed. The first run also pays
/// the allocator's warm-up.
fn best_of<T>(mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::MAX;
    let mut out = None;
    for _ in 0..5 {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(r);
    }
    (best, out.unwrap())
}

/// (a) evaluations per second, one core, from stored JSON text.
fn evaluation(now: chrono::DateTime<Utc>, recs: &[Value]) {
    let lines: Vec<String> = recs.iter().map(|r| r.to_string()).collect();

    // native Rust: parse the stored JSON, run the closures
    let (native_s, (evals, hits)) = best_of(|| {
        let (mut evals, mut hits) = (0usize, 0usize);
        for l in &lines {
            let v: Value = serde_json::from_str(l).unwrap();
            let kind = v["kind"].as_str().unwrap();
            evals += if kind == "order" { 2 } else { 1 };
            hits += native(kind, &v["data"], now.timestamp());
        }
        (evals, hits)
    });
    let native_rate = evals as f64 / native_s;
    println!(
        "{:<24} {evals} evals, {hits} hits, {:>10.0} evals/s",
        "native Rust closures", native_rate
    );

    // Baton: the shipped scripts in rhai, each record a lazy view over its JSON.
    // (The fast path, a second evaluator over the JSON, was measured beside it in one
    // run and removed: 1.6-1.7x the lazy record's rate on ERP-sized records, under the
    // 2x that would pay for a second implementation of rhai's semantics.)
    // As the server's registry does: getters for the fields the scripts name.
    let mut engine = build();
    register_getters(
        &mut engine,
        SHIPPED.iter().flat_map(|(_, s, _)| property_names(s)),
    );
    let compiled: Vec<Compiled> = SHIPPED
        .iter()
        .map(|(_, s, _)| compile(&engine, s).unwrap())
        .collect();
    let ctx = Context::clock(now);
    // As the server does: one view per record, shared by the scenarios of its kind.
    let run = |scripts: &[Compiled]| {
        let (mut evals, mut hits) = (0usize, 0usize);
        with_context(&ctx, || {
            for l in &lines {
                let mut v: Value = serde_json::from_str(l).unwrap();
                let data = Arc::new(v["data"].take());
                let kind = v["kind"].as_str().unwrap();
                let id = v["id"].as_str().unwrap();
                let sr = ScriptRecord::new(kind, id, data, None);
                for c in scripts.iter().filter(|c| c.watches == kind) {
                    evals += 1;
                    if condition(&engine, c, &sr).unwrap() {
                        hits += 1;
                    }
                }
            }
        });
        (evals, hits)
    };
    let (parse_s, ()) = best_of(|| {
        for l in &lines {
            std::hint::black_box(serde_json::from_str::<Value>(l).unwrap());
        }
    });
    let (s, (evals, hits)) = best_of(|| run(&compiled));
    let rate = evals as f64 / s;
    println!(
        "{:<24} {evals} evals, {hits} hits, {rate:>10.0} evals/s ({:.2}x native's time); of its {:.0} ms the JSON parse alone takes {:.0} ms",
        "Baton (rhai, lazy record)",
        native_rate / rate,
        s * 1e3,
        parse_s * 1e3,
    );

    // Python eval over dicts
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("records.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let script = format!("{}/benches/py_eval.py", env!("CARGO_MANIFEST_DIR"));
    match Command::new("python3")
        .arg(&script)
        .arg(&file)
        .arg(now.timestamp().to_string())
        .output()
    {
        Ok(out) if out.status.success() => {
            let r: Value = serde_json::from_slice(&out.stdout).unwrap();
            let py = r["per_second"].as_f64().unwrap();
            println!(
                "{:<24} {} evals, {} hits, {py:>10.0} evals/s (Baton {:.2}x python's rate)",
                "python eval over dicts",
                r["evals"],
                r["hits"],
                rate / py
            );
        }
        Ok(out) => println!(
            "python eval failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => println!("python3 not available: {e}"),
    }
}

/// A day's stream as an ERP sends it: most records are fine, a few need attention.
fn typical(now: chrono::DateTime<Utc>) -> Vec<Value> {
    let ago = |h: i64| (now - Duration::hours(h)).to_rfc3339();
    (0..N)
        .map(|i| {
            let hot = i % 50 == 0;
            match i % 4 {
                0 => json!({"kind": "order", "id": format!("SO-{i}"), "data": {"status": if hot { "out_of_stock" } else { "shipped" }, "sku": "MUG", "qty": 2, "out_of_stock_since": ago(100), "paid_at": ago(30), "shipped_at": ago(2)}}),
                1 => json!({"kind": "purchase_order", "id": format!("PO-{i}"), "data": {"status": "open", "amount": if hot { "7800.00".to_string() } else { format!("{}.{:02}", 100 + i % 4000, i % 100) }, "supplier": "Yiwu"}}),
                2 => json!({"kind": "stock", "id": format!("SKU-{i}"), "data": {"available": if hot { 3 } else { 200 }, "safety_stock": 20, "warehouse": "SZ"}}),
                _ => json!({"kind": "shipment", "id": format!("YT-{i}"), "data": {"status": if hot { "in_transit" } else { "delivered" }, "carrier": "Yun", "tracking_updated_at": ago(if hot { 200 } else { 10 })}}),
            }
        })
        .collect()
}

/// Keys a new scenario task writes, as `tests/it/keys.rs` counts them: the keys a push
/// of one task-making record puts or removes, less those of one that makes none, in a
/// warmed store (measured on the fresh server, before the timed run).
async fn keys_per_task(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    store: &baton::store::Store,
) -> usize {
    use std::collections::BTreeMap;
    let snapshot =
        || -> BTreeMap<Vec<u8>, Vec<u8>> { store.raw_entries().map(|e| e.unwrap()).collect() };
    let written = |a: &BTreeMap<Vec<u8>, Vec<u8>>, b: &BTreeMap<Vec<u8>, Vec<u8>>| {
        b.iter().filter(|(k, v)| a.get(*k) != Some(*v)).count()
            + a.keys().filter(|k| !b.contains_key(*k)).count()
    };
    let push = |recs: Value| async move {
        let r: Value = http
            .post(format!("{url}/api/erp/records"))
            .bearer_auth(token)
            .json(&json!({ "records": recs }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        r["scenarios"]["tasks_created"].as_u64().unwrap_or(0)
    };
    let stock = |id: &str, available: i64| json!({"kind": "stock", "id": id, "data": {"available": available, "safety_stock": 20, "warehouse": "SZ"}});
    push(json!([stock("KEYS-W1", 3), stock("KEYS-W2", 200)])).await;
    let before = snapshot();
    assert_eq!(push(json!([stock("KEYS-T", 3)])).await, 1);
    let with_task = snapshot();
    assert_eq!(push(json!([stock("KEYS-P", 200)])).await, 0);
    let without = snapshot();
    written(&before, &with_task) - written(&with_task, &without)
}

/// (b) 100k records in batches of 500 over HTTP to a real server, two clients at once.
fn ingest_over_http(recs: &[Value]) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let global = baton::cli::GlobalArgs { data: Some(dir.path().join("data")), config: None };
        let config = baton::config::Config::merge(&global, &Default::default(), Default::default(), Some("bench-password-1".into())).unwrap();
        let (store, _) = baton::server::prepare(&config).unwrap();
        let handle = store.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(baton::server::serve(config, store, listener, async {
            let _ = rx.await;
        }));
        let http = reqwest::Client::new();
        let login: Value = http.post(format!("{url}/api/login")).json(&json!({"username": "admin", "password": "bench-password-1"})).send().await.unwrap().json().await.unwrap();
        let token: Value = http
            .post(format!("{url}/api/tokens"))
            .bearer_auth(login["token"].as_str().unwrap())
            .json(&json!({"name": "bench", "scopes": ["erp:write"]}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = token["token"].as_str().unwrap().to_string();
        let per_task = keys_per_task(&http, &url, &token, &handle).await;
        println!("  keys written per new scenario task: {per_task} (target: at most 10)");
        // The bodies are encoded before the clock starts: an ERP sends bytes, and
        // encoding them here would take CPU from the server the bench measures.
        let batches: Vec<Vec<u8>> = recs.chunks(500).map(|c| serde_json::to_vec(&json!({"records": c})).unwrap()).collect();
        let t = Instant::now();
        let mut tasks = 0u64;
        let halves: Vec<Vec<Vec<u8>>> = vec![batches.iter().step_by(2).cloned().collect(), batches.iter().skip(1).step_by(2).cloned().collect()];
        let mut handles = Vec::new();
        for half in halves {
            let (http, url, token) = (http.clone(), url.clone(), token.clone());
            handles.push(tokio::spawn(async move {
                let mut created = 0u64;
                for b in half {
                    let r: Value = http.post(format!("{url}/api/erp/records")).bearer_auth(&token).header("content-type", "application/json").body(b).send().await.unwrap().json().await.unwrap();
                    assert_eq!(r["stored"].as_u64(), Some(500), "{r}");
                    created += r["scenarios"]["tasks_created"].as_u64().unwrap_or(0);
                }
                created
            }));
        }
        for h in handles {
            tasks += h.await.unwrap();
        }
        let s = t.elapsed().as_secs_f64();
        println!("  ingest over HTTP     {} records in batches of 500: {:.1} s, {:>8.0} records/s, {tasks} tasks created", recs.len(), s, recs.len() as f64 / s);
        let _ = tx.send(());
        let _ = server.await;
    });
}
