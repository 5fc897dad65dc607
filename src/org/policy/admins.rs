//! What any admin does, company or department: workflow templates and feedback.

use crate::actor::Actor;
use crate::error::{ServiceError, ServiceResult};
use crate::org::{Role, User};

fn is_any_admin(role: Role) -> bool {
    matches!(role, Role::CompanyAdmin | Role::DepartmentAdmin)
}

/// Workflow templates are shared by everyone, kept by the admins.
pub fn require_template_admin(actor: &Actor) -> ServiceResult<()> {
    if is_any_admin(actor.role) {
        Ok(())
    } else {
        Err(ServiceError::forbidden(
            "only admins manage workflow templates",
        ))
    }
}

/// Admins answer feedback: they see everyone's items, set any status, and their
/// replies count as answers.
pub fn answers_feedback(actor: &Actor) -> bool {
    is_any_admin(actor.role)
}

/// Admins see every feedback item; anyone else only their own (someone else's does
/// not exist as far as they can tell).
pub fn may_see_feedback(actor: &Actor, author_id: u64) -> bool {
    answers_feedback(actor) || actor.is(author_id)
}

/// Admins set any status; the author (who sees the item) may only close it.
pub fn may_set_feedback_status(actor: &Actor, closing: bool) -> ServiceResult<()> {
    if answers_feedback(actor) || closing {
        Ok(())
    } else {
        Err(ServiceError::forbidden(
            "admins set the status; you may close your item",
        ))
    }
}

/// Whether `admin` hears of new feedback from an author in `author_dept`: every
/// company admin, and the department admins of the author's own department.
pub fn hears_feedback_from(admin: &User, author_dept: Option<u64>) -> bool {
    !admin.disabled
        && (admin.role == Role::CompanyAdmin
            || author_dept.is_some_and(|d| admin.is_department_admin_of(d)))
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{kinds, user};
    use super::*;

    #[test]
    fn admins_of_either_kind_keep_templates_and_answer_feedback() {
        for (kind, actor) in kinds() {
            let want = !kind.starts_with("member");
            assert_eq!(require_template_admin(&actor).is_ok(), want, "{kind}");
            assert_eq!(answers_feedback(&actor), want, "{kind}");
            // Item 8 is someone else's; user kinds have id 7.
            assert_eq!(may_see_feedback(&actor, 8), want, "{kind}");
            assert_eq!(may_see_feedback(&actor, 7), want || actor.is(7), "{kind}");
            assert!(may_set_feedback_status(&actor, true).is_ok(), "{kind}");
            assert_eq!(
                may_set_feedback_status(&actor, false).is_ok(),
                want,
                "{kind}"
            );
        }
    }

    #[test]
    fn who_hears_of_new_feedback() {
        let cases = [
            (user(Role::CompanyAdmin, None, false), Some(1), true),
            (user(Role::CompanyAdmin, None, false), None, true),
            (user(Role::CompanyAdmin, None, true), Some(1), false),
            (user(Role::DepartmentAdmin, Some(1), false), Some(1), true),
            (user(Role::DepartmentAdmin, Some(1), false), Some(2), false),
            (user(Role::DepartmentAdmin, Some(1), false), None, false),
            (user(Role::DepartmentAdmin, None, false), None, false),
            (user(Role::DepartmentAdmin, Some(1), true), Some(1), false),
            (user(Role::Member, Some(1), false), Some(1), false),
        ];
        for (admin, author_dept, want) in cases {
            assert_eq!(
                hears_feedback_from(&admin, author_dept),
                want,
                "{:?} {:?} {author_dept:?}",
                admin.role,
                admin.department_id
            );
        }
    }
}
