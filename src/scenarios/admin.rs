//! Admin operations on scenarios: list, save, switch on and off, delete, and the two
//! ways to try a script before it runs for real (dry run on one record, preview over
//! the stored ones). Nothing here runs on the ingest path.
//!
//! `crud` holds the operations that change what is stored, `trial` the dry run and
//! the preview, which store nothing; both are re-exported here.

use super::script::ScriptError;
use crate::error::ServiceError;

mod crud;
mod trial;

pub use crud::{
    cases_failed, delete, list, rollback, save, save_with, set_enabled, SaveOptions, Saved,
    MAX_COMMENT,
};
pub use trial::{dry_run, preview, DryRun, DryRunRequest, Preview, PreviewItem, PREVIEW_BUDGET};

fn script_error(e: ScriptError) -> ServiceError {
    ServiceError::invalid("source", format!("script error at {e}"))
}
