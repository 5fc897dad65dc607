//! The CLI commands beyond serving and administration: scenario tools, import and
//! the demo. `main.rs` only dispatches here.

pub mod demo;
pub mod import;
pub mod rules;
