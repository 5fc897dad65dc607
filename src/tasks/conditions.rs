//! The steps' conditions (条件节点) as the task service sees them: compiled when a
//! task or template is saved, evaluated when the flow reaches a step.
//!
//! The service sits below the scenarios, whose sandbox (`scenarios::conditions`)
//! evaluates them: it installs itself here when the scenarios' registry is made (every
//! server and every command that runs scenarios makes one), so this module never
//! imports it. The flow module stays pure: what is found here reaches it as a [`Gate`].

use std::sync::OnceLock;

use chrono::{DateTime, Utc};

use crate::flow::apply::Gate;
use crate::flow::{NodeState, Task};

/// What compiles and evaluates conditions.
pub trait Sandbox: Send + Sync {
    /// Whether `source` compiles as one expression; the error says where.
    fn check(&self, source: &str) -> Result<(), String>;
    /// The condition's value for `task` at `now`, or why there is none.
    fn evaluate(&self, task: &Task, source: &str, now: DateTime<Utc>) -> Result<bool, String>;
}

static SANDBOX: OnceLock<&'static dyn Sandbox> = OnceLock::new();

/// Installs the sandbox (the first one installed stays).
pub fn install(sandbox: &'static dyn Sandbox) {
    let _ = SANDBOX.set(sandbox);
}

const MISSING: &str = "step conditions cannot be evaluated here (no scenario engine)";

pub fn check(source: &str) -> Result<(), String> {
    SANDBOX.get().ok_or(MISSING)?.check(source)
}

pub fn evaluate(task: &Task, source: &str, now: DateTime<Utc>) -> Result<bool, String> {
    SANDBOX.get().ok_or(MISSING)?.evaluate(task, source, now)
}

/// The verdicts of every step of `task` the flow may still enter (not completed)
/// that has a condition.
pub fn gate(task: &Task, now: DateTime<Utc>) -> Gate {
    let mut gate = Gate::default();
    for n in &task.nodes {
        let Some(source) = &n.condition else {
            continue;
        };
        if n.state == NodeState::Done && !n.skipped {
            continue;
        }
        match evaluate(task, source, now) {
            Ok(true) => {}
            Ok(false) => gate.skip.push(n.id),
            Err(e) => gate.failed.push((n.id, e)),
        }
    }
    gate
}
