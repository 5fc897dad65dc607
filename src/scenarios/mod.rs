//! ERP scenarios: admin-written rhai scripts that turn records into tasks.
//!
//! `engine` builds the one sandboxed rhai engine (limits, helpers, no imports, no
//! eval, no sleep); `script` compiles a scenario and reads its declarations, with
//! errors at line and column; `fields` finds which record fields a script reads;
//! `fast_path` evaluates conditions of the common shapes without the interpreter;
//! `spec` reads the task a script asks for; `eval` runs a scenario against one record
//! (pure but for read-only lookups); `service` stores scenarios, applies evaluation
//! results (at most one open task per scenario and record, time triggers, auto-close)
//! and serves dry runs and previews.

pub mod admin;
pub mod apply;
pub mod decide;
pub mod engine;
pub mod eval;
pub mod model;
pub mod quarantine;
pub mod record;
pub mod registry;
pub mod run;
pub mod script;
pub mod service;
pub mod shipped;
pub mod slots;
pub mod spec;
pub mod spec_task;
pub mod tick;

pub use model::{Scenario, ScenarioState};
pub use script::{Compiled, ScriptError};
