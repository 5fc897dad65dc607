//! ERP pushes with an `erp:write` token, the ledger of what the server acknowledged,
//! and the check after a restart. Records of kind `purchase_order` meet the shipped
//! scenario `po_over_5000`, so a stored record must come with its task.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::Rng;
use reqwest::Method;
use serde_json::{json, Value};

use super::api::{self, Reply};
use crate::harness::Client;

/// (kind, id)
type Key = (String, String);

/// Browsing lists at most 1000 records of a kind; purchase orders stay below this.
const MAX_PO: usize = 900;
const PO_KIND: &str = "purchase_order";

#[derive(Clone, Debug, PartialEq)]
struct Known {
    data: Value,
    version: u64,
}

#[derive(Default)]
struct Rec {
    /// As last acknowledged (or read back after a restart); `None`: never acknowledged.
    acked: Option<Known>,
    /// What the batch whose answer was lost would have made it.
    pending: Option<Known>,
}

#[derive(Default, Debug)]
pub struct ErpStats {
    pub batches_acked: usize,
    pub records_acked: usize,
    pub lost_applied: usize,
    pub lost_absent: usize,
    pub retries: usize,
}

#[derive(Default)]
pub struct ErpLedger {
    recs: BTreeMap<Key, Rec>,
    /// The batch whose answer was lost; sent again after the restart, as an ERP does.
    in_flight: Option<Vec<Value>>,
    /// Records changed since their version history was last read back.
    dirty: BTreeSet<Key>,
    /// Tasks of the ERP project already read back whole.
    checked_tasks: BTreeSet<u64>,
    pos: usize,
    next: u64,
    pub stats: ErpStats,
}

fn key_of(r: &Value) -> Key {
    (
        r["kind"].as_str().unwrap_or_default().to_string(),
        r["id"].as_str().unwrap_or_default().to_string(),
    )
}

/// Whether `po_over_5000` fires: amounts are generated as "whole.cents" with a whole
/// part of at most 4999 or at least 5001.
fn po_matches(data: &Value) -> bool {
    let whole = data["amount"]
        .as_str()
        .and_then(|a| a.split('.').next())
        .and_then(|w| w.parse::<u64>().ok())
        .unwrap_or(0);
    whole > 5000 && data["status"] != "cancelled"
}

impl ErpLedger {
    fn tick(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    /// 1-8 records: mostly new records of this cycle's own kind, some purchase orders,
    /// some new versions of stored records, now and then a record twice in one batch.
    fn next_batch(&mut self, rng: &mut StdRng, cycle: usize) -> Vec<Value> {
        let n = rng.gen_range(1..=8);
        let mut out: Vec<Value> = Vec::new();
        for _ in 0..n {
            let roll: f64 = rng.gen();
            let t = self.tick();
            if roll < 0.05 && !out.is_empty() {
                let mut r = out[rng.gen_range(0..out.len())].clone();
                r["data"]["note"] = json!(format!("again {t}"));
                out.push(r);
            } else if roll < 0.20 && !self.recs.is_empty() {
                let i = rng.gen_range(0..self.recs.len());
                let Some(((kind, id), rec)) = self.recs.iter().nth(i) else {
                    continue;
                };
                let Some(known) = &rec.acked else { continue };
                let mut data = known.data.clone();
                data["note"] = json!(format!("changed {t}"));
                out.push(json!({"kind": kind, "id": id, "data": data}));
            } else if roll < 0.26 && self.pos < MAX_PO {
                self.pos += 1;
                let whole = if rng.gen_bool(0.5) {
                    rng.gen_range(5001..60000)
                } else {
                    rng.gen_range(100..5000)
                };
                let amount = format!("{whole}.{:02}", rng.gen_range(0..100));
                out.push(json!({"kind": PO_KIND, "id": format!("PO-c{cycle:04}-{t}"),
                    "occurred_at": "2026-06-10T08:00:00Z",
                    "data": {"status": "open", "amount": amount, "currency": "CNY", "supplier": format!("S{t}")}}));
            } else {
                out.push(json!({"kind": format!("kl_c{cycle:04}"), "id": format!("I{t}"),
                    "data": {"qty": rng.gen_range(0..1000), "note": format!("new {t}"), "sku": format!("SKU-{}", t % 37)}}));
            }
        }
        out
    }

    /// What pushing `batch` onto the acknowledged state makes, counted the way
    /// `erp::ingest::plan` counts: final state per record, stored, unchanged.
    fn model(&self, batch: &[Value]) -> (BTreeMap<Key, Known>, usize, usize) {
        let mut cur: BTreeMap<Key, Option<Known>> = BTreeMap::new();
        let mut changed = BTreeSet::new();
        let mut unchanged = 0;
        for r in batch {
            let key = key_of(r);
            let data = r["data"].clone();
            let entry = cur
                .entry(key.clone())
                .or_insert_with(|| self.recs.get(&key).and_then(|x| x.acked.clone()));
            match entry {
                Some(k) if k.data == data => unchanged += 1,
                Some(k) => {
                    k.data = data;
                    k.version += 1;
                    changed.insert(key);
                }
                None => {
                    *entry = Some(Known { data, version: 1 });
                    changed.insert(key);
                }
            }
        }
        let finals = cur
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect();
        (finals, changed.len(), unchanged)
    }

    /// Pushes one batch; `Ok(false)` when the answer was lost.
    async fn push(&mut self, erp: &Client, batch: Vec<Value>) -> Result<bool, String> {
        let (finals, stored, unchanged) = self.model(&batch);
        let body = json!({ "records": batch });
        match api::send(erp, Method::POST, "/api/erp/records", Some(body)).await {
            Reply::Acked(v) => {
                if !v.is_null() {
                    let got = (
                        v["stored"].as_u64(),
                        v["unchanged"].as_u64(),
                        v["rejected"].as_array().map(Vec::len),
                        v["scenarios"]["errors"].as_u64(),
                    );
                    let want = (
                        Some(stored as u64),
                        Some(unchanged as u64),
                        Some(0),
                        Some(0),
                    );
                    if got != want {
                        return Err(format!(
                            "ERP push answered {v} but stored/unchanged/rejected/errors should be {want:?} for {batch:?} \
                             (errors: a scenario's run-time error, such as its deadline on a starved machine)"
                        ));
                    }
                }
                self.stats.batches_acked += 1;
                self.stats.records_acked += finals.len();
                for (key, known) in finals {
                    self.dirty.insert(key.clone());
                    let rec = self.recs.entry(key).or_default();
                    rec.acked = Some(known);
                    rec.pending = None;
                }
                Ok(true)
            }
            Reply::Refused(s, v) => Err(api::refused("ERP push", s, &v)),
            Reply::Lost(_) => {
                for (key, known) in finals {
                    self.recs.entry(key).or_default().pending = Some(known);
                }
                self.in_flight = Some(batch);
                Ok(false)
            }
        }
    }

    /// Pushes batches until one is lost (the server was killed) or `stop`.
    pub async fn run(
        &mut self,
        erp: &Client,
        rng: &mut StdRng,
        cycle: usize,
        stop: &AtomicBool,
    ) -> Result<(), String> {
        while !stop.load(Ordering::Relaxed) {
            let batch = self.next_batch(rng, cycle);
            if !self.push(erp, batch).await? {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(rng.gen_range(0..15))).await;
        }
        Ok(())
    }

    /// After a restart (and [`ErpLedger::verify`]): the batch whose answer was lost is
    /// sent again, as an ERP retries; it must be accepted (no "already taken").
    pub async fn resend(&mut self, erp: &Client) -> Result<(), String> {
        let Some(batch) = self.in_flight.take() else {
            return Ok(());
        };
        self.stats.retries += 1;
        match self.push(erp, batch).await? {
            true => Ok(()),
            false => Err("the retried ERP batch was lost on a running server".into()),
        }
    }

    /// Reads every record back and compares it with the ledger: each acknowledged
    /// record present with exactly its data and version; the lost batch applied
    /// wholly or not at all; nothing the client never sent; each matching purchase
    /// order with exactly one task and no task without its record. Then the ledger
    /// takes what the server holds. `deep`: also every record's version history.
    pub async fn verify(&mut self, admin: &Client, erp_project: u64, deep: bool) -> Vec<String> {
        let mut bad = Vec::new();
        let kinds: BTreeSet<String> = self.recs.keys().map(|(k, _)| k.clone()).collect();
        let mut seen: BTreeMap<Key, Known> = BTreeMap::new();
        for kind in &kinds {
            let list =
                match api::get(admin, &format!("/api/erp/records?kind={kind}&limit=1000")).await {
                    Ok(v) => v,
                    Err(e) => return vec![e],
                };
            let items = list["items"].as_array().cloned().unwrap_or_default();
            if items.len() >= 1000 {
                bad.push(format!(
                    "kind {kind}: 1000 records or more, cannot check them all"
                ));
            }
            for r in items {
                let version = r["version"].as_u64().unwrap_or(0);
                seen.insert(
                    key_of(&r),
                    Known {
                        data: r["data"].clone(),
                        version,
                    },
                );
            }
        }
        let (mut applied, mut absent) = (0, 0);
        for (key, rec) in &self.recs {
            let got = seen.get(key);
            let is_acked = got == rec.acked.as_ref();
            let is_pending = rec.pending.is_some() && got == rec.pending.as_ref();
            if !is_acked && !is_pending {
                bad.push(format!(
                    "ERP {key:?}: read back {got:?}, acknowledged {:?}, in flight {:?}",
                    rec.acked, rec.pending
                ));
            }
            // Only records the lost batch would change tell whether it was applied.
            if rec.pending.is_some() && rec.pending != rec.acked {
                if is_pending {
                    applied += 1;
                } else {
                    absent += 1;
                }
            }
        }
        if applied > 0 && absent > 0 {
            bad.push(format!(
                "the ERP batch in flight at the kill is half applied: {applied} records applied, {absent} not"
            ));
        }
        if applied > 0 {
            self.stats.lost_applied += 1;
        } else if absent > 0 {
            self.stats.lost_absent += 1;
        }
        for key in seen.keys().filter(|k| !self.recs.contains_key(*k)) {
            bad.push(format!("ERP {key:?} is stored but was never sent"));
        }
        for (key, rec) in self.recs.iter_mut() {
            rec.acked = seen.get(key).cloned();
            rec.pending = None;
        }
        bad.extend(self.verify_po_tasks(admin, erp_project, &seen).await);
        let keys: Vec<Key> = if deep {
            self.recs.keys().cloned().collect()
        } else {
            std::mem::take(&mut self.dirty).into_iter().collect()
        };
        for key in keys {
            if let Some(known) = seen.get(&key) {
                bad.extend(verify_versions(admin, &key, known).await);
            }
        }
        if deep {
            self.dirty.clear();
        }
        bad
    }

    /// One task per matching purchase order, none for the others, none without its
    /// record; each new task read back whole (its source, its log's creation line).
    async fn verify_po_tasks(
        &mut self,
        admin: &Client,
        erp_project: u64,
        seen: &BTreeMap<Key, Known>,
    ) -> Vec<String> {
        let mut bad = Vec::new();
        let tasks = match api::all_tasks(admin, erp_project).await {
            Ok(t) => t,
            Err(e) => return vec![e],
        };
        let mut by_po: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        for t in &tasks {
            let title = t["title"].as_str().unwrap_or_default();
            let id = t["id"].as_u64().unwrap_or(0);
            match title
                .split_once("Approve PO ")
                .and_then(|(_, rest)| rest.split(':').next())
            {
                Some(po) => by_po.entry(po.to_string()).or_default().push(id),
                None => bad.push(format!(
                    "ERP project task {id} '{title}' is not a purchase order's"
                )),
            }
        }
        for ((kind, id), known) in seen.iter().filter(|((k, _), _)| k == PO_KIND) {
            let want = usize::from(po_matches(&known.data));
            let got = by_po.get(id).map_or(0, Vec::len);
            if got != want {
                bad.push(format!(
                    "{kind} {id} ({}): {got} tasks, expected {want}",
                    known.data
                ));
            }
        }
        if !bad.is_empty() {
            // A run-time error (such as the 250 ms deadline on a starved machine) also
            // leaves a record without its task: say so, to tell it from a loss.
            let scenarios = api::get(admin, "/api/scenarios").await.unwrap_or_default();
            let po = scenarios["items"]
                .as_array()
                .and_then(|items| items.iter().find(|s| s["key"] == "po_over_5000"))
                .cloned()
                .unwrap_or_default();
            bad.push(format!(
                "scenario po_over_5000: last_error {}, at {}",
                po["last_error"], po["last_error_at"]
            ));
        }
        for (po, ids) in &by_po {
            if !seen.contains_key(&(PO_KIND.to_string(), po.clone())) {
                bad.push(format!(
                    "tasks {ids:?} of purchase order {po}, which is not stored"
                ));
            }
            let unchecked: Vec<u64> = ids
                .iter()
                .copied()
                .filter(|t| !self.checked_tasks.contains(t))
                .collect();
            for tid in unchecked {
                match check_po_task(admin, tid, po).await {
                    Ok(()) => {
                        self.checked_tasks.insert(tid);
                    }
                    Err(e) => bad.push(e),
                }
            }
        }
        bad
    }

    pub fn len(&self) -> usize {
        self.recs.len()
    }
}

async fn check_po_task(admin: &Client, tid: u64, po: &str) -> Result<(), String> {
    let t = api::get(admin, &format!("/api/tasks/{tid}")).await?;
    if t["source"]["record_id"] != po || t["source"]["scenario_id"] != "po_over_5000" {
        return Err(format!("task {tid} of {po}: source {}", t["source"]));
    }
    let log = api::get(admin, &format!("/api/tasks/{tid}/log")).await?;
    if log["items"][0]["action"] != "create" {
        return Err(format!(
            "task {tid} of {po}: log does not start with its creation: {log}"
        ));
    }
    Ok(())
}

/// The version history: versions `n..=1`, newest first, the first the current data.
async fn verify_versions(admin: &Client, key: &Key, known: &Known) -> Vec<String> {
    let (kind, id) = key;
    let v = match api::get(admin, &format!("/api/erp/records/{kind}/{id}/versions")).await {
        Ok(v) => v,
        Err(e) => return vec![e],
    };
    let items = v["items"].as_array().cloned().unwrap_or_default();
    let numbers: Vec<u64> = items.iter().filter_map(|i| i["version"].as_u64()).collect();
    let want: Vec<u64> = (1..=known.version).rev().collect();
    let mut bad = Vec::new();
    if numbers != want {
        bad.push(format!(
            "ERP {kind} {id}: versions {numbers:?}, expected {want:?}"
        ));
    }
    if items.first().map(|i| &i["data"]) != Some(&known.data) {
        bad.push(format!(
            "ERP {kind} {id}: newest version is not the current data"
        ));
    }
    bad
}
