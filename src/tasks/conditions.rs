//! The steps' conditions (条件节点) as the task service sees them: compiled when a
//! task or template is saved, evaluated when the flow reaches a step.
//!
//! The service sits below the scenarios, whose sandbox (`scenarios::conditions`)
//! evaluates them: it installs itself here when the scenarios' registry is made (every
//! server and every command that runs scenarios makes one), so this module never
//! imports it. The flow module stays pure: what is found here reaches it as a [`Gate`].

use std::sync::OnceLock;

use chrono::{DateTime, Utc};

use crate::flow::apply::{Gate, Notice, NoticeKind};
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

/// A failed condition is for those who may correct the task: besides its creator and
/// editors (the flow's notices), the admins of its project hear of it. Adds them to
/// `notices` when one says a condition failed.
pub fn tell_admins(
    store: &crate::store::Store,
    project: &crate::projects::Project,
    notices: &mut Vec<Notice>,
) -> crate::error::ServiceResult<()> {
    let Some(failed) = notices
        .iter()
        .find(|n| n.kind == NoticeKind::ConditionFailed)
        .cloned()
    else {
        return Ok(());
    };
    let departments = store.list::<crate::org::Department>()?;
    for u in store.list::<crate::org::User>()? {
        let admin = !u.disabled
            && crate::org::policy::administers(
                &crate::actor::Actor::from_user(&u),
                project.department_id,
                &departments,
            );
        if admin
            && !notices
                .iter()
                .any(|n| n.to == u.id && n.kind == failed.kind)
        {
            notices.push(Notice {
                to: u.id,
                ..failed.clone()
            });
        }
    }
    Ok(())
}
