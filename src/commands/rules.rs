//! `baton rules check|test|load`: the same compile and evaluation code as the server.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::admin::{client, protocol::AdminRequest};
use crate::config::Config;
use crate::erp::ingest::validate;
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

/// Prints the task `file` would create for the record in `record`, or why not.
pub fn test(config: &Config, file: &Path, record: &Path, now: Option<&str>) -> Result<(), String> {
    let now = match now {
        Some(t) => DateTime::parse_from_rfc3339(t)
            .map_err(|e| format!("--now: {e}"))?
            .with_timezone(&Utc),
        None => Utc::now(),
    };
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

/// Installs every `*.rhai` file of `dir` (through the running server when there is one).
pub fn load(config: &Config, dir: &Path) -> Result<(), String> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "rhai") {
            files.push((
                path.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                read(&path)?,
            ));
        }
    }
    if files.is_empty() {
        return Err(format!("no .rhai files in {}", dir.display()));
    }
    files.sort();
    let text = client::run(config, AdminRequest::RulesLoad { files }).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}
