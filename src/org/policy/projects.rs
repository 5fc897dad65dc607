//! Who sees and who manages a project.

use super::administers;
use crate::actor::Actor;
use crate::org::{Department, Role};

/// Company admins see all projects; department admins those of their departments
/// (and any they belong to); members the projects they belong to.
pub fn can_see(
    actor: &Actor,
    dept: Option<u64>,
    members: &[u64],
    departments: &[Department],
) -> bool {
    actor.role == Role::CompanyAdmin
        || actor.user_id.is_some_and(|id| members.contains(&id))
        || (actor.role == Role::DepartmentAdmin && administers(actor, dept, departments))
}

/// Rename, members, business types, archive: company admins, and department admins
/// for their departments' projects.
pub fn can_manage(actor: &Actor, dept: Option<u64>, departments: &[Department]) -> bool {
    administers(actor, dept, departments)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{dept, kinds};
    use super::*;

    #[test]
    fn visibility_table() {
        let ds = vec![dept(1, None), dept(2, Some(1)), dept(3, None)];
        let company = Actor::user(1, "c", Role::CompanyAdmin, None);
        let dadmin = Actor::user(2, "d", Role::DepartmentAdmin, Some(1));
        let member = Actor::user(3, "m", Role::Member, Some(1));
        let members = [3u64];
        let cases = [
            (&company, Some(3), &[][..], true),
            (&dadmin, Some(2), &[][..], true),
            (&dadmin, Some(3), &[][..], false),
            (&dadmin, Some(3), &[2u64][..], true),
            (&member, Some(1), &[][..], false),
            (&member, Some(3), &members[..], true),
        ];
        for (a, d, m, want) in cases {
            assert_eq!(can_see(a, d, m, &ds), want, "{} {d:?}", a.name);
        }
        assert!(can_manage(&dadmin, Some(2), &ds));
        assert!(!can_manage(&dadmin, Some(3), &ds));
        assert!(!can_manage(&member, Some(1), &ds));
    }

    #[test]
    fn projects_by_kind_of_actor() {
        // Project of department 2 (below 1) with user 7 as a member, or without.
        let ds = vec![dept(1, None), dept(2, Some(1)), dept(3, None)];
        for (kind, a) in kinds() {
            let all = matches!(kind, "company admin" | "console" | "server");
            let tree = all || kind == "dept admin";
            assert_eq!(can_see(&a, Some(2), &[], &ds), tree, "{kind}");
            // A user member sees it; the console and the server have no user id.
            let member = a.user_id.is_some() || all;
            assert_eq!(can_see(&a, Some(3), &[7], &ds), member, "{kind}");
            assert_eq!(can_see(&a, Some(3), &[], &ds), all, "{kind}");
            assert_eq!(can_manage(&a, Some(2), &ds), tree, "{kind}");
            assert_eq!(can_manage(&a, Some(3), &ds), all, "{kind}");
            assert_eq!(can_manage(&a, None, &ds), all, "{kind}");
        }
    }
}
