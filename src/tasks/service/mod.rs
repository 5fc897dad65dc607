//! Creating and changing tasks (the flow operations are in `operate.rs`), one job per
//! file; the public items are re-exported here, where the HTTP layer, scenarios and
//! the CLI find them.

mod checks;
mod copy_move;
mod delete_archive;
mod editing;
mod input;
mod new_task;

use chrono::{DateTime, Utc};

use super::context::visible_task;
use super::view::TaskView;
use crate::actor::Actor;
use crate::error::ServiceResult;
use crate::store::Store;

pub use checks::template_fields;
pub use copy_move::{copy, move_to};
pub use delete_archive::{archive, archive_finished, delete};
pub use editing::edit;
pub use input::{
    ChecklistEdit, NewTask, NodeEdit, NodeInput, StepRule, TaskPatch, MAX_CHECKLIST, MAX_NODES,
};
pub use new_task::{build, build_with, create, insert};

pub fn get(store: &Store, actor: &Actor, id: u64, now: DateTime<Utc>) -> ServiceResult<TaskView> {
    let (t, ctx, allowed) = visible_task(store, actor, id)?;
    let tf = template_fields(store, t.template_id)?;
    Ok(TaskView {
        field_defs: crate::projects::fields::merged(&ctx.project.fields, &tf),
        ..TaskView::new(&t, allowed, now)
    })
}
