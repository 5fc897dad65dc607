//! `baton rules load DIR` on the server side: each file saved as its scenario with the
//! file as author, and its `NAME.cases.json` (if any) as the scenario's cases, which
//! must pass for the file to be saved.

use chrono::{DateTime, Utc};

use super::admin::{cases_failed, save_with, SaveOptions, Saved};
use super::cases::CasesFile;
use super::registry::Scenarios;
use crate::actor::Actor;
use crate::error::{ServiceError, ServiceResult};
use crate::store::Store;

/// Who loads, and whether failing cases stop a file.
#[derive(Debug, Clone, Default)]
pub struct Loader {
    /// The login that ran `baton rules load`, for the version comment.
    pub user: Option<String>,
    pub save_anyway: bool,
}

/// Saves every (file name, source) pair; `cases` pairs a `.rhai` file name with the
/// text of its cases file. One report line per file; `Err` when any failed.
pub fn files(
    store: &Store,
    scenarios: &Scenarios,
    actor: &Actor,
    files: Vec<(String, String)>,
    cases: Vec<(String, String)>,
    by: &Loader,
    now: DateTime<Utc>,
) -> ServiceResult<String> {
    let mut out = Vec::new();
    let mut failed = 0;
    for (name, source) in files {
        let case_text = cases.iter().find(|(n, _)| *n == name).map(|(_, t)| t);
        let parsed = case_text
            .map(|t| CasesFile::parse(t).map(CasesFile::into_cases))
            .transpose();
        let result = parsed
            .map_err(|e| ServiceError::invalid("cases", e))
            .and_then(|cases| {
                let opts = SaveOptions {
                    comment: match &by.user {
                        Some(u) => format!("baton rules load by {u}"),
                        None => "baton rules load".into(),
                    },
                    save_anyway: by.save_anyway,
                    author: Some(format!("cli:{name}")),
                    cases,
                };
                save_with(store, scenarios, actor, &source, opts, now)
            });
        match result {
            Ok(Saved::Saved(s)) => out.push(format!(
                "{name}: loaded '{}' (version {})",
                s.key, s.version
            )),
            Ok(Saved::CasesFailed(f)) => {
                failed += 1;
                out.push(format!("{name}: {}", cases_failed(&f)));
            }
            Err(e) => {
                failed += 1;
                out.push(format!("{name}: {e}"));
            }
        }
    }
    if failed > 0 {
        return Err(ServiceError::invalid("source", out.join("\n")));
    }
    Ok(out.join("\n"))
}
