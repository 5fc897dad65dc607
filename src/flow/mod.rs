//! The task model and the flow state machine: pure functions over plain data, no I/O.
//!
//! `rules::decide` is the single place that says who may perform which flow operation;
//! `apply::apply` performs an allowed operation and says who must be told; `access`
//! says who may see, edit, delete and archive a task. The HTTP layer and the UI ask
//! these functions rather than repeating them.

pub mod access;
pub mod apply;
pub mod events;
pub mod kinds;
pub mod model;
pub mod rules;
pub mod skip;

pub use kinds::{NodeKind, Share, ShareState};
pub use model::{ChecklistItem, Completion, Node, NodeState, Priority, Task, TaskKind, TaskStatus};
pub use rules::{decide, decide_by, By, Denied, Op};

#[cfg(test)]
mod kinds_tests;
#[cfg(test)]
mod skip_tests;
#[cfg(test)]
mod tests;
