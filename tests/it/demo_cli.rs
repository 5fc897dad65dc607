//! `baton demo` through the real binary: it never writes demo accounts into a data
//! directory that holds something unless told to, and says where it writes.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::*;

fn non_empty_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("real-company.txt"), "keep me").unwrap();
    dir
}

#[test]
fn demo_refuses_a_non_empty_data_directory() {
    let dir = non_empty_dir();
    let (ok, out, err) = baton(dir.path(), &["demo", "--listen", "127.0.0.1:0"], None);
    assert!(!ok, "{out}");
    assert!(
        err.contains("is not empty") && err.contains("--yes"),
        "{err}"
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec!["real-company.txt"], "nothing written");
}

#[test]
fn demo_refuses_a_non_empty_baton_data_from_the_environment() {
    let dir = non_empty_dir();
    let out = Command::new(baton_bin())
        .args(["demo", "--listen", "127.0.0.1:0"])
        .env("BATON_DATA", dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not empty"));
}

#[test]
fn demo_help_says_it_uses_a_temporary_directory() {
    let out = Command::new(baton_bin())
        .args(["demo", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        help.contains("temporary directory deleted on exit"),
        "{help}"
    );
    assert!(help.contains("--yes"), "{help}");
}

/// Runs `baton demo` until it says it is running; returns everything it printed.
fn demo_output(args: &[&str], data: Option<&std::path::Path>) -> String {
    let mut cmd = Command::new(baton_bin());
    if let Some(d) = data {
        cmd.arg("--data").arg(d);
    }
    let mut child = cmd
        .args(["demo", "--listen", "127.0.0.1:0"])
        .args(args)
        .env_remove("BATON_DATA")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut out = String::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                out.push_str(&line);
                out.push('\n');
                if line.contains("Baton is running") {
                    break;
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(_) => break,
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    out
}

#[test]
fn demo_with_yes_writes_into_the_given_directory_and_says_who_is_who() {
    let dir = non_empty_dir();
    let out = demo_output(&["--yes"], Some(dir.path()));
    assert!(out.contains("Baton is running"), "{out}");
    assert!(
        out.contains(&format!("Baton demo company in {}", dir.path().display())),
        "{out}"
    );
    assert!(out.contains("(company admin)"), "{out}");
    assert!(
        out.contains("buyer / ") && out.contains("(department admin of 采购部)"),
        "{out}"
    );
    assert!(
        out.contains("lily / ") && out.contains("(member of 客服部)"),
        "{out}"
    );
    assert!(dir.path().join("real-company.txt").exists());
}

#[test]
fn demo_without_data_says_its_directory_is_temporary() {
    let out = demo_output(&[], None);
    assert!(
        out.contains("in the temporary directory") && out.contains("deleted when Baton stops"),
        "{out}"
    );
}
