//! The facts about a task's project that permission checks need.

use crate::actor::Actor;
use crate::error::{ServiceError, ServiceResult};
use crate::flow::access::{allowed, Allowed};
use crate::flow::Task;
use crate::org::policy::administers;
use crate::org::{Department, User};
use crate::projects::service::members_of;
use crate::projects::Project;
use crate::store::Store;

pub struct ProjectCtx {
    pub project: Project,
    pub members: Vec<u64>,
    /// The actor administers this project (company admin, or its department's admin).
    pub admin: bool,
    /// Each member's department and role, to resolve a claim step's candidates.
    pub member_roles: Vec<(u64, Option<u64>, crate::org::Role)>,
}

pub fn project_ctx(store: &Store, actor: &Actor, project_id: u64) -> ServiceResult<ProjectCtx> {
    let project = store
        .get::<Project>(project_id)?
        .ok_or_else(|| ServiceError::not_found(format!("project {project_id} not found")))?;
    let users = store.list::<User>()?;
    let departments = store.list::<Department>()?;
    let members = members_of(&project, &users);
    let admin = administers(actor, project.department_id, &departments);
    let member_roles = users
        .iter()
        .filter(|u| members.contains(&u.id))
        .map(|u| (u.id, u.department_id, u.role))
        .collect();
    Ok(ProjectCtx {
        project,
        members,
        admin,
        member_roles,
    })
}

impl ProjectCtx {
    pub fn allowed(&self, actor: &Actor, task: &Task) -> Allowed {
        allowed(actor.user_id, task, self.admin)
    }

    pub fn is_member(&self, user: u64) -> bool {
        self.members.contains(&user)
    }

    /// Every handler must be a member of the project.
    pub fn check_members(&self, users: &[u64], field: &'static str) -> ServiceResult<()> {
        for u in users {
            if !self.is_member(*u) {
                return Err(ServiceError::invalid(
                    field,
                    format!(
                        "user {u} is not a member of project '{}'",
                        self.project.name
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Loads a task the actor may see; an invisible task is "not found".
pub fn visible_task(
    store: &Store,
    actor: &Actor,
    id: u64,
) -> ServiceResult<(Task, ProjectCtx, Allowed)> {
    let task = store
        .get::<Task>(id)?
        .ok_or_else(|| ServiceError::not_found(format!("task {id} not found")))?;
    let ctx = project_ctx(store, actor, task.project_id)?;
    let allowed = ctx.allowed(actor, &task);
    if !allowed.view {
        return Err(ServiceError::not_found(format!("task {id} not found")));
    }
    Ok((task, ctx, allowed))
}
