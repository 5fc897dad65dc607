//! The kill loop's checks are not vacuous: a rolled-back data directory (what a lost
//! flush would leave) and broken index entries are caught.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use baton::erp::ErpRecord;
use baton::store::{encode, index_key, record_key, Store};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::json;

use super::erp_ledger::ErpLedger;
use super::indexes::check_indexes;
use super::process::{Server, Workdir};
use super::statistics::copy_dir;
use super::{api, setup, task_ledger};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_missing_after_a_restart_are_caught() {
    let dir = Workdir::new();
    let server = Server::start(&dir).await.unwrap();
    let (s, tasks) = setup(&server.url).await;
    server.kill().await.unwrap();
    let before = dir.data.with_extension("before");
    copy_dir(&dir.data, &before).unwrap();

    let server = Server::start(&dir).await.unwrap();
    let admin = api::admin(&server.url).await;
    let token = api::client(&server.url, Some(s.token.clone()));
    let stop = Arc::new(AtomicBool::new(false));
    let stopper = {
        let stop = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(400)).await;
            stop.store(true, Ordering::Relaxed);
        })
    };
    let (mut erp, mut rng) = (ErpLedger::default(), StdRng::seed_from_u64(1));
    let (e, f) = tokio::join!(
        erp.run(&token, &mut rng, 0, &stop),
        task_ledger::run_flow(tasks.clone(), &admin, StdRng::seed_from_u64(2), 0, &stop),
    );
    e.unwrap();
    f.unwrap();
    stopper.await.unwrap();
    assert!(erp.len() > 0 && tasks.lock().unwrap().len() > 0);
    server.kill().await.unwrap();

    // Roll the data directory back to before those acknowledged writes.
    std::fs::remove_dir_all(&dir.data).unwrap();
    std::fs::rename(&before, &dir.data).unwrap();
    let server = Server::start(&dir).await.unwrap();
    let admin = api::admin(&server.url).await;
    let erp_problems = erp.verify(&admin, s.erp_project, true).await;
    let task_problems = super::task_check::verify(&tasks, &admin, true).await;
    server.kill().await.unwrap();
    assert!(
        erp_problems.iter().any(|p| p.contains("read back None")),
        "{erp_problems:?}"
    );
    assert!(
        task_problems.iter().any(|p| p.contains("is missing")),
        "{task_problems:?}"
    );
}

fn erp(id: u64, record_id: &str) -> ErpRecord {
    ErpRecord {
        id,
        rev: 1,
        kind: "kl_check".into(),
        record_id: record_id.into(),
        version: 1,
        data: json!({"n": 1}),
        previous: None,
        occurred_at: None,
        received_at: chrono::Utc::now(),
    }
}

#[test]
fn the_index_walk_finds_dangling_and_missing_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    {
        let store = Store::open(&db, 4 << 20).unwrap();
        store
            .write(|tx| tx.insert(&mut erp(0, "A-1")).map(|_| ()))
            .unwrap();
    }
    let clean = check_indexes(&db).unwrap();
    assert!(clean.problems.is_empty(), "{:?}", clean.problems);
    assert_eq!((clean.unique_entries, clean.multi_entries), (1, 0));
    {
        let store = Store::open(&db, 4 << 20).unwrap();
        store
            .raw_insert_batch(vec![
                // an index entry whose record is gone
                (
                    index_key("erp_record", "kl_check/GONE"),
                    777u64.to_be_bytes().to_vec(),
                ),
                // a record written without its index entries, above the id counter
                (record_key("erp", 999), encode(&erp(999, "B-2")).unwrap()),
            ])
            .unwrap();
    }
    let broken = check_indexes(&db).unwrap();
    let all = broken.problems.join("\n");
    for want in [
        "ix/erp_record/kl_check/GONE points to Some(777), but no record claims it",
        "erp 999 claims ix/erp_record/kl_check/B-2 but the entry is missing",
        "ids would be reused",
    ] {
        assert!(all.contains(want), "{want} not in:\n{all}");
    }
}

#[test]
fn counters_the_log_does_not_account_for_are_found() {
    use baton::stats::model::Delta;
    use baton::stats::record::StatsMeta;
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    {
        let store = Store::open(&db, 4 << 20).unwrap();
        store
            .write(|tx| {
                tx.insert(&mut StatsMeta {
                    id: 0,
                    rev: 0,
                    timezone: "Asia/Shanghai".into(),
                })?;
                // received twice, but no task log line says so
                baton::stats::counters::apply(
                    tx,
                    vec![Delta {
                        user: 1,
                        period: "2026-11".into(),
                        received: 2,
                        completed: 0,
                        on_time: 0,
                    }],
                )
            })
            .unwrap();
    }
    let problems = super::statistics::check_statistics(&db).unwrap();
    assert_eq!(
        problems,
        vec![
            "statistics (1, \"2026-11\") (received, completed, on time): stored Some((2, 0, 0)), rebuilt from the log None"
        ]
    );
}
