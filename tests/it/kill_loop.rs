//! Kill loop: clients write through the public API (ERP batches with an `erp:write`
//! token, workflow tasks and their flow operations, uploads, comments) while the real
//! `baton serve` process is SIGKILLed at random moments. A ledger keeps every write
//! the server acknowledged (a 2xx arrived). After each kill the stopped database is
//! opened and every index entry checked against its record (every fifth kill and at
//! the end, statistics against a rebuild from the task log); after each restart on
//! the same data directory every acknowledged write is read back exactly through the
//! API, lists agree with records, and a write in flight at the kill is there wholly
//! or not at all (a batch's records with their scenario tasks, a flow step with its
//! log line, an upload with its file, a comment with its log line).
//!
//! A SIGKILL keeps what the process handed to the kernel: this proves that nothing is
//! acknowledged before sled has written it and that recovery is consistent, not that
//! the disk has it after a power cut (that is `fsync`, which SIGKILL cannot test).
//!
//! `BATON_KILL_CYCLES` (default 20) sets the number of kills, `BATON_KILL_SEED` replays
//! a run's random choices (the seed is printed; timings still differ from run to run).
//! `tests/kill-loop.sh` runs 200.

mod api;
mod erp_ledger;
pub mod indexes;
mod process;
mod self_check;
pub mod statistics;
mod task_check;
mod task_ledger;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::harness;
use erp_ledger::ErpLedger;
use process::{Server, Workdir};
use task_ledger::TaskLedger;

struct Setup {
    token: String,
    erp_project: u64,
}

/// What the loop needs before the first kill, all acknowledged: an `erp:write` token,
/// a second user to watch and be mentioned, a project.
async fn setup(url: &str) -> (Setup, task_ledger::Shared) {
    let admin = api::admin(url).await;
    let me = admin.get("/api/me").await;
    let admin_id = me["user"]["id"].as_u64().unwrap();
    let token = admin
        .post(
            "/api/tokens",
            json!({"name": "kill loop", "scopes": ["erp:write"]}),
        )
        .await["token"]
        .as_str()
        .unwrap()
        .to_string();
    let watcher = admin
        .post(
            "/api/users",
            json!({"username": "kl_watcher", "password": "password-123", "role": "member"}),
        )
        .await["id"]
        .as_u64()
        .unwrap();
    let project = admin
        .post(
            "/api/projects",
            json!({"name": "Kill loop", "members": [admin_id, watcher]}),
        )
        .await["id"]
        .as_u64()
        .unwrap();
    let erp_project = admin.erp_project().await["id"].as_u64().unwrap();
    (
        Setup { token, erp_project },
        TaskLedger::new(project, admin_id, watcher),
    )
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// Fails the test with everything needed to look into it.
fn fail(seed: u64, when: &str, problems: &[String], dir: &Workdir) -> ! {
    let shown: Vec<&str> = problems.iter().take(40).map(String::as_str).collect();
    panic!(
        "kill loop (BATON_KILL_SEED={seed}) {when}: {} problem(s){}:\n  {}\nserver log (end):\n{}",
        problems.len(),
        if problems.len() > shown.len() {
            ", the first 40"
        } else {
            ""
        },
        shown.join("\n  "),
        dir.log_tail()
    )
}

/// The stopped database opens and its indexes agree with its records; with
/// `with_stats`, its counters also agree with a rebuild from the task log.
fn check_stopped(seed: u64, when: &str, dir: &Workdir, with_stats: bool) -> indexes::IndexReport {
    let report = match indexes::check_indexes(&dir.db()) {
        Ok(r) if r.problems.is_empty() => r,
        Ok(r) => fail(seed, when, &r.problems, dir),
        Err(e) => fail(seed, when, &[e], dir),
    };
    if !with_stats {
        return report;
    }
    match statistics::check_statistics(&dir.db()) {
        Ok(p) if p.is_empty() => report,
        Ok(p) => fail(seed, when, &p, dir),
        Err(e) => fail(seed, when, &[e], dir),
    }
}

/// Starts the server and reads everything back; the ERP batch lost at the kill is
/// then sent again.
async fn restart_and_verify(
    seed: u64,
    when: &str,
    dir: &Workdir,
    s: &Setup,
    erp: &mut ErpLedger,
    tasks: &task_ledger::Shared,
    deep: bool,
) -> (Server, harness::Client, harness::Client) {
    let server = match Server::start(dir).await {
        Ok(s) => s,
        Err(e) => fail(seed, when, &[e], dir),
    };
    let admin = api::admin(&server.url).await;
    let mut problems = erp.verify(&admin, s.erp_project, deep).await;
    problems.extend(task_check::verify(tasks, &admin, deep).await);
    let token = api::client(&server.url, Some(s.token.clone()));
    if let Err(e) = erp.resend(&token).await {
        problems.push(e);
    }
    if !problems.is_empty() {
        fail(seed, when, &problems, dir);
    }
    (server, admin, token)
}

/// The clients of one cycle: an ERP pusher, a flow worker and a commenter, all
/// writing at once until the server is killed under them.
struct Writers {
    admin: harness::Client,
    token: harness::Client,
    erp: ErpLedger,
    tasks: task_ledger::Shared,
}

impl Writers {
    /// Writes for `after`, then SIGKILLs the server; every worker ends at its first
    /// lost answer. Returns the ERP ledger and any problem (a refused write, a server
    /// that had died by itself).
    async fn run_until_kill(
        self,
        server: Server,
        rng: &mut StdRng,
        cycle: usize,
        after: Duration,
    ) -> (ErpLedger, Vec<String>) {
        let stop = Arc::new(AtomicBool::new(false));
        let commenter = harness::Client {
            http: self.admin.http.clone(),
            base: self.admin.base.clone(),
            csrf: self.admin.csrf.clone(),
            bearer: None,
        };
        let erp_task = {
            let (stop, mut erp, token) = (stop.clone(), self.erp, self.token);
            let mut rng = StdRng::seed_from_u64(rng.gen());
            tokio::spawn(async move {
                let r = erp.run(&token, &mut rng, cycle, &stop).await;
                (erp, r)
            })
        };
        let flow_task = {
            let (stop, tasks, admin) = (stop.clone(), self.tasks.clone(), self.admin);
            let rng = StdRng::seed_from_u64(rng.gen());
            tokio::spawn(
                async move { task_ledger::run_flow(tasks, &admin, rng, cycle, &stop).await },
            )
        };
        let comment_task = {
            let (stop, tasks) = (stop.clone(), self.tasks);
            let rng = StdRng::seed_from_u64(rng.gen());
            tokio::spawn(async move {
                task_ledger::run_comments(tasks, &commenter, rng, cycle, &stop).await
            })
        };
        tokio::time::sleep(after).await;
        let killed = server.kill().await;
        // `stop` ends a worker that was between requests.
        stop.store(true, Ordering::Relaxed);
        let (erp, r) = erp_task.await.unwrap();
        let mut problems: Vec<String> = [r, flow_task.await.unwrap(), comment_task.await.unwrap()]
            .into_iter()
            .filter_map(Result::err)
            .map(|e| format!("a write was refused while the server ran: {e}"))
            .collect();
        problems.extend(killed.err());
        (erp, problems)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill() {
    let cycles = env_number("BATON_KILL_CYCLES").unwrap_or(20) as usize;
    let seed = env_number("BATON_KILL_SEED").unwrap_or_else(|| rand::thread_rng().gen());
    eprintln!("kill loop: {cycles} kills, BATON_KILL_SEED={seed}");
    let t0 = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = Workdir::new();
    let mut server = match Server::start(&dir).await {
        Ok(s) => s,
        Err(e) => fail(seed, "first start", &[e], &dir),
    };
    let (setup, tasks) = setup(&server.url).await;
    let mut erp = ErpLedger::default();
    let mut admin = api::admin(&server.url).await;
    let mut token = api::client(&server.url, Some(setup.token.clone()));
    let (mut boot_kills, mut start_ms) = (0, Vec::new());
    let (mut walk_time, mut verify_time) = (Duration::ZERO, Duration::ZERO);
    for cycle in 0..cycles {
        let after = Duration::from_millis(rng.gen_range(20..700));
        let when = format!(
            "kill {} of {cycles} ({} ms into the writes)",
            cycle + 1,
            after.as_millis()
        );
        let writers = Writers {
            admin,
            token,
            erp: std::mem::take(&mut erp),
            tasks: tasks.clone(),
        };
        let (back, problems) = writers.run_until_kill(server, &mut rng, cycle, after).await;
        erp = back;
        if !problems.is_empty() {
            fail(seed, &when, &problems, &dir);
        }
        let t_walk = Instant::now();
        // (statistics on every fifth: a rebuild costs more than the walk)
        check_stopped(
            seed,
            &format!("after {when}, stopped"),
            &dir,
            cycle % 5 == 4,
        );
        walk_time += t_walk.elapsed();
        // Now and then a second crash while the server starts (recovery, migrations).
        if rng.gen_bool(0.2) {
            boot_kills += 1;
            let at = Duration::from_millis(rng.gen_range(0..200));
            if let Err(e) = process::kill_while_starting(&dir, at).await {
                fail(
                    seed,
                    &format!("after {when}, kill while starting"),
                    &[e],
                    &dir,
                );
            }
        }
        let last = cycle + 1 == cycles;
        let t_verify = Instant::now();
        let (s, a, t) = restart_and_verify(
            seed,
            &format!("after {when}, restarted"),
            &dir,
            &setup,
            &mut erp,
            &tasks,
            last,
        )
        .await;
        verify_time += t_verify.elapsed();
        start_ms.push(s.started_in.as_millis());
        if (cycle + 1) % 20 == 0 {
            eprintln!(
                "kill loop: {} kills in {:.0} s (index walks {:.0} s, restarts and read-backs {:.0} s)",
                cycle + 1,
                t0.elapsed().as_secs_f64(),
                walk_time.as_secs_f64(),
                verify_time.as_secs_f64()
            );
        }
        (server, admin, token) = (s, a, t);
    }
    if let Err(e) = server.kill().await {
        fail(seed, "final kill", &[e], &dir);
    }
    let walked = check_stopped(seed, "at the end, stopped", &dir, true);
    start_ms.sort_unstable();
    let (task_count, task_stats) = {
        let t = tasks.lock().unwrap();
        (t.len(), format!("{:?}", t.stats))
    };
    eprintln!(
        "kill loop: {cycles} kills (+{boot_kills} while starting) in {:.1} s, seed {seed}; \
         ERP: {} records in the ledger, {:?}; tasks: {} in the ledger, {}; \
         start-up median {} ms, max {} ms; at the end {} records, {} unique and {} other index entries",
        t0.elapsed().as_secs_f64(),
        erp.len(),
        erp.stats,
        task_count,
        task_stats,
        start_ms.get(start_ms.len() / 2).copied().unwrap_or(0),
        start_ms.last().copied().unwrap_or(0),
        walked.records,
        walked.unique_entries,
        walked.multi_entries,
    );
}
