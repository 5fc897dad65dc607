//! The project-level rights around a task: who creates tasks in a project, who
//! chooses a task's editors, who removes an attachment. What each person may do to a
//! task's steps (view, complete, transfer, edit, delete) is the flow's
//! (`flow::access`, `flow::rules`); these take its answer or the project's as input.

use crate::actor::Actor;
use crate::error::{ServiceError, ServiceResult};

/// Members of a project and its admins (`project_admin`: see `administers`) create
/// tasks in it.
pub fn may_create_task(actor: &Actor, members: &[u64], project_admin: bool) -> ServiceResult<()> {
    let member = actor.user_id.is_some_and(|u| members.contains(&u));
    if member || project_admin {
        Ok(())
    } else {
        Err(ServiceError::forbidden(
            "only members of the project create tasks in it",
        ))
    }
}

/// Editors edit a task's fields (title, due, steps not reached, watchers); who else
/// gets that right is for the task's creator and the project's admins to say.
pub fn may_choose_editors(
    actor: &Actor,
    creator_id: u64,
    project_admin: bool,
) -> ServiceResult<()> {
    if actor.is(creator_id) || project_admin {
        Ok(())
    } else {
        Err(ServiceError::forbidden(
            "only the task's creator and admins choose its editors",
        ))
    }
}

/// An attachment is removed by whoever uploaded it or may edit the task
/// (`may_edit`: the flow's answer for this actor and task).
pub fn may_remove_attachment(actor: &Actor, uploaded_by: u64, may_edit: bool) -> ServiceResult<()> {
    if may_edit || actor.is(uploaded_by) {
        Ok(())
    } else {
        Err(ServiceError::forbidden(
            "only the uploader or an editor removes an attachment",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::kinds;
    use super::*;

    #[test]
    fn task_rights_by_kind_of_actor() {
        // User kinds have id 7; the console and the server have none.
        for (kind, a) in kinds() {
            let user = a.user_id.is_some();
            assert_eq!(may_create_task(&a, &[7], false).is_ok(), user, "{kind}");
            assert!(may_create_task(&a, &[8], true).is_ok(), "{kind}");
            assert!(may_create_task(&a, &[8], false).is_err(), "{kind}");
            assert_eq!(may_choose_editors(&a, 7, false).is_ok(), user, "{kind}");
            assert!(may_choose_editors(&a, 8, true).is_ok(), "{kind}");
            assert!(may_choose_editors(&a, 8, false).is_err(), "{kind}");
            assert_eq!(may_remove_attachment(&a, 7, false).is_ok(), user, "{kind}");
            assert!(may_remove_attachment(&a, 8, true).is_ok(), "{kind}");
            assert!(may_remove_attachment(&a, 8, false).is_err(), "{kind}");
        }
    }
}
