//! Who may see and change a task (the flow operations themselves are in `rules`).

use serde::Serialize;
use utoipa::ToSchema;

use super::model::{Task, TaskStatus};
use super::rules::{allowed_ops, Op};

/// What the caller may do with one task, sent with the task so the UI shows exactly
/// the buttons the server will accept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Allowed {
    pub view: bool,
    pub ops: Vec<Op>,
    pub edit: bool,
    pub delete: bool,
    pub archive: bool,
    pub comment: bool,
    pub check: bool,
}

/// `uid`: the asking user (`None` for the console or the server itself).
/// `admin_of_project`: the actor is a company admin, or a department admin whose
/// departments include the task's project (see `org::policy::administers`).
pub fn allowed(uid: Option<u64>, task: &Task, admin_of_project: bool) -> Allowed {
    let is = |id: u64| uid == Some(id);
    let participant = uid.is_some_and(|u| task.participants().contains(&u));
    let view = admin_of_project || participant;
    if !view {
        return Allowed {
            view: false,
            ops: vec![],
            edit: false,
            delete: false,
            archive: false,
            comment: false,
            check: false,
        };
    }
    let creator = is(task.creator_id);
    let editor = uid.is_some_and(|u| task.editors.contains(&u));
    let ops = uid.map(|u| allowed_ops(u, task)).unwrap_or_default();
    let open = task.status == TaskStatus::Open && !task.archived;
    Allowed {
        view,
        check: open && uid.is_some_and(|u| task.is_open_for(u)),
        ops,
        edit: open && (creator || editor || admin_of_project),
        delete: creator || admin_of_project,
        archive: admin_of_project && task.status == TaskStatus::Done && !task.archived,
        comment: !task.archived,
    }
}
