//! ERP scenarios: admin-written rhai scripts that turn records into tasks.
//!
//! `engine` builds the one sandboxed rhai engine (limits, helpers, no imports, no
//! eval, no sleep); `record` is the record as scripts see it (a lazy view over its
//! JSON); `script` compiles a scenario and reads its declarations, with errors at line
//! and column; `spec` reads the task a script asks for; `eval` runs a scenario against
//! one record. `registry` holds the compiled, enabled set; `admin` the admin
//! operations (CRUD, dry run, preview); `analytics` the figures answers show and the
//! roll-up of old days; `run` evaluates a batch within time budgets and wires
//! quarantines; `decide` is the pure per-record state machine that `apply` writes;
//! `tick` re-evaluates pairs whose wake time came (`wake` derives wake times from a
//! condition that has none written); `spec_task` builds a task from a spec; `builder`
//! writes scripts from a form and reads them back. `versions` keeps every saved script
//! (`diff` compares two); `cases` evaluates test cases and `case_store` keeps a
//! scenario's; `conditions` evaluates the steps' conditions for the task service.
//! The push path is `erp::push`.

pub mod admin;
pub mod analytics;
pub mod apply;
pub mod builder;
pub mod case_store;
pub mod cases;
pub mod conditions;
pub mod decide;
pub mod diff;
pub mod engine;
pub mod eval;
pub mod load;
pub mod model;
pub mod quarantine;
pub mod record;
pub mod registry;
pub mod run;
pub mod script;
pub mod shipped;
pub mod slots;
pub mod spec;
pub mod spec_task;
pub mod states;
pub mod tick;
pub mod versions;
pub mod wake;
pub mod write_back;

pub use model::{Scenario, ScenarioState};
pub use script::{Compiled, ScriptError};
