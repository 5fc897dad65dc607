//! Bytes on disk per stored ERP record: `cargo bench --bench disk`.
#![allow(clippy::expect_used, clippy::unwrap_used)]
//!
//! Pushes `DISK_RECORDS` (default 200,000) new records through the ingest path
//! (`erp::ingest::plan` + `write` in batches of 500, as `POST /api/erp/records` stores
//! them, without scenarios or tasks): the mix of `benches/memory/load.py` (orders,
//! purchase orders, stock, shipments; about 120 bytes of JSON as pushed). Then flushes,
//! lets the store settle for 10 s, reopens it, and prints the size of the database
//! directory divided by the number of records at each step.
//!
//! Measured during the change that set this up (one key per record plus its unique
//! index, no per-kind index): 658–686 bytes per record at 200k, against 980 with the
//! per-kind index. sled's zstd compression (`features = ["compression"]`) took it to
//! 280 but wrote 3–4× slower: sled 0.34 builds a new zstd context for every page it
//! writes (42 % of the time in `ZSTD_createCCtx_advanced` under `perf`).

use std::path::Path;
use std::time::{Duration, Instant};

use baton::erp::ingest::{self, Incoming};
use baton::store::{Store, StoreError};
use chrono::Utc;
use serde_json::{json, Value};

fn record(i: usize) -> (String, String, Value) {
    let hot = i % 10 == 0;
    let ago = "2026-01-01T00:00:00Z";
    let (kind, id, data) = match i % 4 {
        0 => (
            "order",
            format!("SO-{i}"),
            json!({"status": if hot {"out_of_stock"} else {"shipped"}, "sku": "MUG", "qty": 2, "out_of_stock_since": ago, "paid_at": ago, "shipped_at": ago}),
        ),
        1 => (
            "purchase_order",
            format!("PO-{i}"),
            json!({"status": "open", "amount": if hot {"7800.00".to_string()} else {format!("{}.{:02}", 100 + i % 4000, i % 100)}, "supplier": "Yiwu"}),
        ),
        2 => (
            "stock",
            format!("SKU-{i}"),
            json!({"available": if hot {3} else {200}, "safety_stock": 20, "warehouse": "SZ"}),
        ),
        _ => (
            "shipment",
            format!("YT-{i}"),
            json!({"status": if hot {"in_transit"} else {"delivered"}, "carrier": "Yun", "tracking_updated_at": ago}),
        ),
    };
    (kind.to_string(), id, data)
}

fn incoming(i: usize) -> Incoming {
    let (kind, record_id, data) = record(i);
    Incoming {
        kind,
        record_id,
        data,
        occurred_at: None,
    }
}

/// Bytes of every file under `dir`.
fn du(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => du(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

fn main() {
    let n: usize = std::env::var("DISK_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    let store = Store::open(&dir, 64 << 20).unwrap();
    let sample = n.clamp(1, 1000);
    let pushed: usize = (0..sample)
        .map(|i| {
            let (kind, id, data) = record(i);
            json!({"kind": kind, "id": id, "data": data})
                .to_string()
                .len()
        })
        .sum::<usize>()
        / sample;
    let t = Instant::now();
    let mut i = 0;
    while i < n {
        let batch: Vec<Incoming> = (i..(i + 500).min(n)).map(incoming).collect();
        i += batch.len();
        let plan = ingest::plan(&store, batch, Utc::now()).unwrap();
        let (mut changed, replaces, superseded) = (plan.changed, plan.replaces, plan.superseded);
        store
            .write(|tx| ingest::write(tx, &mut changed, &replaces, superseded))
            .map_err(|e: StoreError| e.to_string())
            .unwrap();
    }
    let secs = t.elapsed().as_secs_f64();
    store.flush().unwrap();
    let logical: usize = store
        .raw_entries()
        .map(|item| item.map(|(k, v)| k.len() + v.len()).unwrap())
        .sum();
    let per = |bytes: u64| bytes as f64 / n as f64;
    println!("{n} ERP records of ~{pushed} bytes of JSON as pushed, stored in {secs:.1} s ({:.0}/s); keys and values {:.0} bytes/record", n as f64 / secs, per(logical as u64));
    println!(
        "  on disk after flush          {:>6.0} bytes/record ({:.1} MiB)",
        per(du(&dir)),
        du(&dir) as f64 / 1048576.0
    );
    std::thread::sleep(Duration::from_secs(10));
    store.flush().unwrap();
    println!(
        "  on disk after a 10 s settle  {:>6.0} bytes/record",
        per(du(&dir))
    );
    drop(store);
    let store = Store::open(&dir, 64 << 20).unwrap();
    store.flush().unwrap();
    println!(
        "  on disk after a reopen       {:>6.0} bytes/record",
        per(du(&dir))
    );
}
