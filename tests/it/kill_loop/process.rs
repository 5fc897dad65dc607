//! The real `baton serve` as a child process, so a kill is a real SIGKILL of the
//! server and not a dropped future inside the test process.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::harness::{baton_bin, ADMIN_PASSWORD};

/// The data directory, config file and server log of one kill loop.
pub struct Workdir {
    _tmp: tempfile::TempDir,
    pub data: PathBuf,
    pub config: PathBuf,
    pub log: PathBuf,
}

impl Workdir {
    pub fn new() -> Workdir {
        let tmp = tempfile::tempdir().unwrap();
        let config = tmp.path().join("kill-loop.toml");
        // The scheduler ticks every second so its background writes (scenario time
        // triggers, reminders) race with the client's writes and the kill too.
        std::fs::write(
            &config,
            "scheduler_interval = \"1s\"\ncache_capacity_mb = 8\n",
        )
        .unwrap();
        Workdir {
            data: tmp.path().join("data"),
            log: tmp.path().join("server.log"),
            config,
            _tmp: tmp,
        }
    }

    /// The sled directory inside the data directory (`Config::db_dir`).
    pub fn db(&self) -> PathBuf {
        self.data.join("db")
    }

    /// The end of the server log (every start of this loop appends to it).
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

pub struct Server {
    child: Child,
    pub url: String,
    pub started_in: Duration,
}

fn spawn(dir: &Workdir) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&dir.log)
        .unwrap();
    Command::new(baton_bin())
        .arg("--data")
        .arg(&dir.data)
        .arg("--config")
        .arg(&dir.config)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("BATON_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// Reads stdout up to "Baton is running at http://ADDR/"; `None` when the process
/// ended (or said nothing for a minute) before that.
async fn wait_ready(child: &mut Child) -> Option<String> {
    let stdout = child.stdout.take()?;
    let mut lines = BufReader::new(stdout).lines();
    let read = async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(rest) = line.split("Baton is running at ").nth(1) {
                let url = rest.split_whitespace().next()?.trim_end_matches('/');
                return Some(url.to_string());
            }
        }
        None
    };
    tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .ok()
        .flatten()
}

impl Server {
    /// Starts the server on the loop's data directory: the database must open after
    /// every kill. Retries only while the directory lock of the previous holder (this
    /// test's own index walk) is still being released.
    pub async fn start(dir: &Workdir) -> Result<Server, String> {
        let mut attempt = 0;
        loop {
            let t0 = Instant::now();
            let mut child = spawn(dir);
            if let Some(url) = wait_ready(&mut child).await {
                return Ok(Server {
                    child,
                    url,
                    started_in: t0.elapsed(),
                });
            }
            let _ = child.start_kill();
            let status = child.wait().await;
            let tail = dir.log_tail();
            attempt += 1;
            if tail.lines().last().is_some_and(|l| l.contains("in use")) && attempt < 20 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            return Err(format!(
                "baton serve did not start ({status:?}); server log:\n{tail}"
            ));
        }
    }

    /// SIGKILL. Fails when the process had already ended by itself (a crash).
    pub async fn kill(mut self) -> Result<(), String> {
        if let Ok(Some(status)) = self.child.try_wait() {
            return Err(format!(
                "the server ended by itself before the kill: {status}"
            ));
        }
        self.child.start_kill().map_err(|e| e.to_string())?;
        let status = self.child.wait().await.map_err(|e| e.to_string())?;
        use std::os::unix::process::ExitStatusExt;
        match status.signal() {
            Some(9) => Ok(()),
            _ => Err(format!("the server ended with {status}, not by SIGKILL")),
        }
    }
}

/// Starts the server and kills it `after` later, whether or not it is ready by then:
/// a crash while the database opens, recovers or migrates.
pub async fn kill_while_starting(dir: &Workdir, after: Duration) -> Result<(), String> {
    let mut child = spawn(dir);
    tokio::time::sleep(after).await;
    if let Ok(Some(status)) = child.try_wait() {
        // "in use": this test's index walk still held the lock; nothing started.
        let tail = dir.log_tail();
        if !status.success() && !tail.lines().last().is_some_and(|l| l.contains("in use")) {
            return Err(format!(
                "baton serve failed while starting ({status}); server log:\n{tail}"
            ));
        }
    }
    let _ = child.start_kill();
    let _ = child.wait().await;
    Ok(())
}
