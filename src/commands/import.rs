//! `baton import FILE --kind KIND`: CSV or JSON-lines exports into ERP records, in
//! batches through the same path as the HTTP ingest, with a progress bar and a summary.

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};

use crate::admin::{client, protocol::AdminRequest};
use crate::config::Config;
use crate::erp::column_types::ColumnTypes;
use crate::erp::import::{parse_csv, parse_jsonl, ImportError, Parsed};
use crate::erp::text_encoding::{decode, TextEncoding};

const BATCH: usize = 500;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub new: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub tasks_created: u64,
    pub rejected: Vec<(usize, String)>,
}

/// How to read the file: the CSV column types and the encoding of a file without a
/// byte-order mark.
#[derive(Debug, Default)]
pub struct Options {
    pub types: Option<ColumnTypes>,
    pub encoding: Option<TextEncoding>,
}

/// Every record of the file, or why none can be imported (a file in the wrong encoding
/// or with an unknown column in `--types` is refused whole, before anything is sent).
pub fn parse(file: &Path, kind: &str, options: &Options) -> Result<Vec<Parsed>, ImportError> {
    let bytes = std::fs::read(file).map_err(|source| ImportError::Read {
        path: file.display().to_string(),
        source,
    })?;
    let text = decode(&bytes, options.encoding).map_err(ImportError::Encoding)?;
    let ext = file
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "csv" => parse_csv(&text, kind, &options.types.clone().unwrap_or_default()),
        "jsonl" | "ndjson" | "json" if options.types.is_some() => Err(ImportError::TypesOnJson),
        "jsonl" | "ndjson" | "json" => Ok(parse_jsonl(&text, kind)),
        other => Err(ImportError::Format(other.to_string())),
    }
}

pub fn run(config: &Config, file: &Path, kind: &str, options: &Options) -> Result<Summary, String> {
    let parsed = parse(file, kind, options).map_err(|e| e.to_string())?;
    let mut summary = Summary::default();
    let mut valid: Vec<serde_json::Value> = Vec::new();
    for (line, p) in parsed {
        match p {
            Ok(inc) => valid.push(serde_json::json!({"kind": inc.kind, "id": inc.record_id, "data": inc.data, "occurred_at": inc.occurred_at.map(|t| t.to_rfc3339())})),
            Err(reason) => summary.rejected.push((line, reason)),
        }
    }
    let bar = ProgressBar::new(valid.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} records {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    for chunk in valid.chunks(BATCH) {
        let text = client::run(
            config,
            AdminRequest::Import {
                records: chunk.to_vec(),
            },
        )
        .map_err(|e| e.to_string())?;
        let r: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("unexpected answer: {e}"))?;
        let n = |k: &str| r[k].as_u64().unwrap_or(0);
        summary.new += n("new");
        summary.updated += n("updated");
        summary.unchanged += n("unchanged");
        summary.tasks_created += n("tasks_created");
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    Ok(summary)
}
