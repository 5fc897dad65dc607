//! `baton rules check|test|load`: the same compile and evaluation code as the server
//! (test cases run as the server runs them on a save).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::admin::{client, protocol::AdminRequest};
use crate::config::Config;
use crate::erp::ingest::validate;
use crate::scenarios::cases::{self, CasesFile};
use crate::scenarios::engine::{build, with_context, Context};
use crate::scenarios::eval::evaluate;
use crate::scenarios::script::compile;
use crate::scenarios::wake::{WakeSource, MISSING_WARNING};
use crate::store::Store;

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Compiles each file; prints `file:line:col: message` for errors. `Err` when any failed.
pub fn check(files: &[PathBuf]) -> Result<(), String> {
    let engine = build();
    let mut failed = 0;
    for f in files {
        let source = read(f)?;
        match compile(&engine, &source) {
            Ok(c) => {
                println!("{}: ok ({} watches {})", f.display(), c.key, c.watches);
                match c.wake.source() {
                    WakeSource::Missing => eprintln!("{}: warning: {MISSING_WARNING}", f.display()),
                    WakeSource::Derived => println!(
                        "{}: wake times derived from the condition's time terms",
                        f.display()
                    ),
                    WakeSource::Given | WakeSource::Untimed => {}
                }
            }
            Err(e) => {
                failed += 1;
                match (e.line, e.column) {
                    (Some(l), Some(c)) => eprintln!("{}:{l}:{c}: {}", f.display(), e.message),
                    (Some(l), None) => eprintln!("{}:{l}: {}", f.display(), e.message),
                    _ => eprintln!("{}: {}", f.display(), e.message),
                }
            }
        }
    }
    if failed > 0 {
        return Err(format!("{failed} of {} files have errors", files.len()));
    }
    Ok(())
}

/// The users helpers see: from the data directory when it can be read, else a
/// stand-in company admin `admin`.
fn directory(config: &Config, now: DateTime<Utc>) -> Context {
    if config.db_dir().exists() {
        if let Ok(store) = Store::open(&config.db_dir(), config.cache_bytes) {
            if let Ok(ctx) = Context::load(&store, now) {
                return ctx;
            }
        }
    }
    Context::stand_in(now)
}

fn parse_now(now: Option<&str>) -> Result<DateTime<Utc>, String> {
    Ok(match now {
        Some(t) => DateTime::parse_from_rfc3339(t)
            .map_err(|e| format!("--now: {e}"))?
            .with_timezone(&Utc),
        None => Utc::now(),
    })
}

/// Prints the task `file` would create for the record in `record`, or why not.
pub fn test(config: &Config, file: &Path, record: &Path, now: Option<&str>) -> Result<(), String> {
    let now = parse_now(now)?;
    let engine = build();
    let c = compile(&engine, &read(file)?).map_err(|e| format!("{}:{e}", file.display()))?;
    let mut value: serde_json::Value = serde_json::from_str(&read(record)?)
        .map_err(|e| format!("{}: not JSON: {e}", record.display()))?;
    // `previous` (the version before, for scripts that compare) is not part of a pushed
    // record, so it is taken out before the record is checked.
    let previous = value.as_object_mut().and_then(|o| o.remove("previous"));
    let inc = validate(&mut value).map_err(|e| format!("{}: {e}", record.display()))?;
    let rec = inc.into_record(previous, now);
    if rec.kind != c.watches {
        return Err(format!(
            "{} watches '{}' records, this one is '{}'",
            c.key, c.watches, rec.kind
        ));
    }
    let ctx = directory(config, now);
    let ev = with_context(&ctx, || evaluate(&engine, &c, &rec))
        .map_err(|e| format!("{}:{e}", file.display()))?;
    match ev.task {
        Some(t) => println!(
            "{}",
            serde_json::to_string_pretty(&t).map_err(|e| e.to_string())?
        ),
        None => println!(
            "no task: the condition is false for {} {}",
            rec.kind, rec.record_id
        ),
    }
    if let Some(w) = ev.wake_at {
        println!("look again at {}", w.to_rfc3339());
    }
    Ok(())
}

/// The `*.rhai` files of `dir`, by name.
fn scenario_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "rhai"))
        .collect();
    if files.is_empty() {
        return Err(format!("no .rhai files in {}", dir.display()));
    }
    files.sort();
    Ok(files)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `NAME.cases.json` beside `NAME.rhai`.
fn cases_path(file: &Path) -> PathBuf {
    file.with_extension("cases.json")
}

/// The text of a scenario file's cases file, if it has one.
fn cases_text(file: &Path) -> Result<Option<String>, String> {
    let path = cases_path(file);
    if path.exists() {
        read(&path).map(Some)
    } else {
        Ok(None)
    }
}

/// Runs the cases of every scenario file in `path` (a directory or one file), one line
/// per case and a summary; `Err` when a case fails or a file cannot be read.
pub fn test_cases(config: &Config, path: &Path, now: Option<&str>) -> Result<(), String> {
    let now = parse_now(now)?;
    let files = if path.is_dir() {
        scenario_files(path)?
    } else {
        vec![path.to_path_buf()]
    };
    let engine = build();
    let ctx = directory(config, now);
    let (mut passed, mut failed, mut broken) = (0usize, 0usize, 0usize);
    for file in &files {
        let compiled = match compile(&engine, &read(file)?) {
            Ok(c) => c,
            Err(e) => {
                broken += 1;
                eprintln!("{}:{e}", file.display());
                continue;
            }
        };
        let Some(text) = cases_text(file)? else {
            println!(
                "{}: no cases ({} missing)",
                file.display(),
                file_name(&cases_path(file))
            );
            continue;
        };
        let specs = match CasesFile::parse(&text) {
            Ok(f) => f.into_cases(),
            Err(e) => {
                broken += 1;
                eprintln!("{}: {e}", cases_path(file).display());
                continue;
            }
        };
        println!("{}: {} cases", file.display(), specs.len());
        for r in cases::run_all(&engine, &compiled, &ctx, &specs) {
            if r.passed {
                passed += 1;
                println!("  pass  {}", r.name);
            } else {
                failed += 1;
                println!("  FAIL  {}: expected {}; got {}", r.name, r.expected, r.got);
            }
        }
    }
    println!(
        "{} cases: {passed} passed, {failed} failed",
        passed + failed
    );
    if broken > 0 {
        return Err(format!("{broken} file(s) could not be read or compiled"));
    }
    if failed > 0 {
        return Err(format!("{failed} of {} cases failed", passed + failed));
    }
    Ok(())
}

/// Installs every `*.rhai` file of `dir` with its `NAME.cases.json` (through the
/// running server when there is one).
pub fn load(config: &Config, dir: &Path, save_anyway: bool) -> Result<(), String> {
    let mut files = Vec::new();
    let mut cases = Vec::new();
    for path in scenario_files(dir)? {
        let name = file_name(&path);
        if let Some(text) = cases_text(&path)? {
            cases.push((name.clone(), text));
        }
        files.push((name, read(&path)?));
    }
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.is_empty());
    let req = AdminRequest::RulesLoad {
        files,
        cases,
        user,
        save_anyway,
    };
    let text = client::run(config, req).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}
