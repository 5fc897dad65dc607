//! Who may manage whom in the company's tree of departments: users and departments.

use std::collections::{HashMap, HashSet};

use crate::actor::Actor;
use crate::error::{ServiceError, ServiceResult};
use crate::org::{Department, Role, User};

/// The departments a department admin is responsible for: their own and every
/// department below it.
pub fn department_scope(own: u64, departments: &[Department]) -> HashSet<u64> {
    let mut children: HashMap<u64, Vec<u64>> = HashMap::new();
    for d in departments {
        if let Some(p) = d.parent_id {
            children.entry(p).or_default().push(d.id);
        }
    }
    let mut scope = HashSet::new();
    let mut stack = vec![own];
    while let Some(id) = stack.pop() {
        if scope.insert(id) {
            if let Some(c) = children.get(&id) {
                stack.extend(c);
            }
        }
    }
    scope
}

/// Whether `actor` administers department `dept` (company admins administer all).
pub fn administers(actor: &Actor, dept: Option<u64>, departments: &[Department]) -> bool {
    match actor.role {
        Role::CompanyAdmin => true,
        Role::DepartmentAdmin => match (actor.department_id, dept) {
            (Some(own), Some(d)) => department_scope(own, departments).contains(&d),
            _ => false,
        },
        Role::Member => false,
    }
}

/// May `actor` create or change a user who is (or will be) in `dept` with `role`?
/// Department admins manage their departments' members and department admins, never
/// company admins.
pub fn can_manage_user(
    actor: &Actor,
    dept: Option<u64>,
    role: Role,
    departments: &[Department],
) -> bool {
    match actor.role {
        Role::CompanyAdmin => true,
        Role::DepartmentAdmin => {
            role != Role::CompanyAdmin && administers(actor, dept, departments)
        }
        Role::Member => false,
    }
}

/// May `actor` create a department under `parent`, or change/delete department `dept`?
/// Department admins manage the departments below their own, not their own placement.
pub fn can_manage_department(
    actor: &Actor,
    parent: Option<u64>,
    departments: &[Department],
) -> bool {
    match actor.role {
        Role::CompanyAdmin => true,
        Role::DepartmentAdmin => administers(actor, parent, departments),
        Role::Member => false,
    }
}

/// May `actor` rename department `dept` (under `old_parent`) and place it under
/// `new_parent`? Renaming needs rights over the department itself; moving it also
/// over the new place.
pub fn may_change_department(
    actor: &Actor,
    dept: u64,
    old_parent: Option<u64>,
    new_parent: Option<u64>,
    departments: &[Department],
) -> ServiceResult<()> {
    if !can_manage_department(actor, Some(dept), departments)
        || (new_parent != old_parent && !can_manage_department(actor, new_parent, departments))
    {
        return Err(ServiceError::forbidden(
            "you may not change this department",
        ));
    }
    Ok(())
}

/// May `actor` delete `dept`? Whoever manages its parent, but never their own
/// department (a department admin would remove the ground they stand on).
pub fn may_delete_department(
    actor: &Actor,
    dept: &Department,
    departments: &[Department],
) -> ServiceResult<()> {
    if !can_manage_department(actor, dept.parent_id, departments)
        || actor.department_id == Some(dept.id)
    {
        return Err(ServiceError::forbidden(
            "you may not delete this department",
        ));
    }
    Ok(())
}

/// May `actor` set `user`'s password? Whoever manages the user, but not for
/// themselves: a stolen session must not be enough to take the account over (the
/// Me page changes one's own with the current one).
pub fn may_set_password(
    actor: &Actor,
    user: &User,
    departments: &[Department],
) -> ServiceResult<()> {
    if actor.is(user.id) {
        return Err(ServiceError::forbidden(
            "change your own password on the Me page, with your current one",
        ));
    }
    if !can_manage_user(actor, user.department_id, user.role, departments) {
        return Err(ServiceError::forbidden(
            "you may not set this user's password",
        ));
    }
    Ok(())
}

/// Nobody changes their own role or disables themselves, whatever they may do to
/// others: an admin would lock themselves out, or a stolen session would promote itself.
pub fn may_change_own_account(actor: &Actor, old: &User, new: &User) -> ServiceResult<()> {
    if actor.is(old.id) && (new.role != old.role || new.disabled) {
        return Err(ServiceError::forbidden(
            "you cannot change your own role or disable yourself",
        ));
    }
    Ok(())
}

/// The department an admin's new project lands in when they name none: a department
/// admin's own; a company admin's none (the whole company).
pub fn home_department(actor: &Actor) -> Option<u64> {
    if actor.role == Role::DepartmentAdmin {
        actor.department_id
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{actor, dept, kinds, user};
    use super::*;

    #[test]
    fn scope_includes_descendants_only() {
        let ds = vec![
            dept(1, None),
            dept(2, Some(1)),
            dept(3, Some(2)),
            dept(4, None),
        ];
        let s = department_scope(1, &ds);
        assert_eq!(s, HashSet::from([1, 2, 3]));
        assert_eq!(department_scope(4, &ds), HashSet::from([4]));
    }

    #[test]
    fn scope_survives_a_cycle() {
        let ds = vec![dept(1, Some(2)), dept(2, Some(1))];
        assert_eq!(department_scope(1, &ds), HashSet::from([1, 2]));
    }

    #[test]
    fn who_manages_users() {
        let ds = vec![dept(1, None), dept(2, Some(1)), dept(3, None)];
        let company = actor(Role::CompanyAdmin, None);
        let dept_admin = actor(Role::DepartmentAdmin, Some(1));
        let member = actor(Role::Member, Some(1));
        let cases = [
            (&company, Some(3), Role::CompanyAdmin, true),
            (&company, None, Role::Member, true),
            (&dept_admin, Some(1), Role::Member, true),
            (&dept_admin, Some(2), Role::DepartmentAdmin, true),
            (&dept_admin, Some(2), Role::CompanyAdmin, false),
            (&dept_admin, Some(3), Role::Member, false),
            (&dept_admin, None, Role::Member, false),
            (&member, Some(1), Role::Member, false),
        ];
        for (a, d, r, want) in cases {
            assert_eq!(can_manage_user(a, d, r, &ds), want, "{a:?} {d:?} {r:?}");
        }
    }

    #[test]
    fn who_manages_departments() {
        let ds = vec![dept(1, None), dept(2, Some(1))];
        assert!(can_manage_department(
            &actor(Role::CompanyAdmin, None),
            None,
            &ds
        ));
        assert!(can_manage_department(
            &actor(Role::DepartmentAdmin, Some(1)),
            Some(1),
            &ds
        ));
        assert!(!can_manage_department(
            &actor(Role::DepartmentAdmin, Some(2)),
            None,
            &ds
        ));
        assert!(!can_manage_department(
            &actor(Role::Member, Some(1)),
            Some(1),
            &ds
        ));
    }

    #[test]
    fn administers_by_kind_of_actor() {
        let ds = vec![dept(1, None), dept(2, Some(1)), dept(3, None)];
        for (kind, a) in kinds() {
            let all = matches!(kind, "company admin" | "console" | "server");
            let tree = all || kind == "dept admin";
            assert_eq!(administers(&a, Some(1), &ds), tree, "{kind} 1");
            assert_eq!(administers(&a, Some(2), &ds), tree, "{kind} 2");
            assert_eq!(administers(&a, Some(3), &ds), all, "{kind} 3");
            assert_eq!(administers(&a, None, &ds), all, "{kind} none");
            assert_eq!(can_manage_department(&a, None, &ds), all, "{kind}");
            assert_eq!(can_manage_department(&a, Some(1), &ds), tree, "{kind}");
            let home = if kind.starts_with("dept admin") {
                a.department_id
            } else {
                None
            };
            assert_eq!(home_department(&a), home, "{kind}");
        }
    }

    #[test]
    fn nobody_changes_their_own_role_or_disables_themselves() {
        let admin = actor(Role::CompanyAdmin, None);
        let mut me = user(Role::CompanyAdmin, None, false);
        me.id = 7;
        let mut other = me.clone();
        other.id = 8;
        let demoted = |u: &User| User {
            role: Role::Member,
            ..u.clone()
        };
        let disabled = |u: &User| User {
            disabled: true,
            ..u.clone()
        };
        let renamed = |u: &User| User {
            display_name: "new".into(),
            ..u.clone()
        };
        let cases = [
            (&me, demoted(&me), false),
            (&me, disabled(&me), false),
            (&me, renamed(&me), true),
            (&other, demoted(&other), true),
            (&other, disabled(&other), true),
        ];
        for (old, new, want) in cases {
            let got = may_change_own_account(&admin, old, &new);
            assert_eq!(got.is_ok(), want, "{} -> {new:?}", old.id);
        }
    }

    #[test]
    fn who_changes_and_deletes_departments() {
        // 1 ─ 2 ─ 3, and 4 apart.
        let ds = vec![
            dept(1, None),
            dept(2, Some(1)),
            dept(3, Some(2)),
            dept(4, None),
        ];
        let company = actor(Role::CompanyAdmin, None);
        let admin1 = actor(Role::DepartmentAdmin, Some(1));
        let admin2 = actor(Role::DepartmentAdmin, Some(2));
        let member = actor(Role::Member, Some(1));
        // (actor, dept, old parent, new parent, may change)
        let changes = [
            (&company, 4, None, Some(1), true),
            (&admin1, 2, Some(1), Some(1), true),
            (&admin1, 3, Some(2), Some(1), true),
            (&admin1, 3, Some(2), Some(4), false),
            (&admin1, 3, Some(2), None, false),
            (&admin1, 4, None, None, false),
            (&admin2, 2, Some(1), Some(1), true),
            (&admin2, 2, Some(1), None, false),
            (&member, 1, None, None, false),
        ];
        for (a, d, old, new, want) in changes {
            let got = may_change_department(a, d, old, new, &ds);
            assert_eq!(got.is_ok(), want, "{:?} {d} {old:?}->{new:?}", a.role);
        }
        // (actor, dept, may delete)
        let deletes = [
            (&company, 1, true),
            (&admin1, 2, true),
            (&admin1, 3, true),
            (&admin1, 1, false),
            (&admin2, 2, false),
            (&admin2, 3, true),
            (&admin1, 4, false),
            (&member, 3, false),
        ];
        for (a, d, want) in deletes {
            let Some(dept) = ds.iter().find(|x| x.id == d) else {
                panic!("no department {d}");
            };
            let got = may_delete_department(a, dept, &ds);
            assert_eq!(
                got.is_ok(),
                want,
                "{:?} of {:?} deletes {d}",
                a.role,
                a.department_id
            );
        }
    }

    #[test]
    fn who_sets_a_password() {
        let ds = vec![dept(1, None), dept(2, None)];
        let mut admin_user = user(Role::CompanyAdmin, None, false);
        admin_user.id = 7;
        let company = actor(Role::CompanyAdmin, None);
        let admin1 = actor(Role::DepartmentAdmin, Some(1));
        let cases = [
            (&company, user(Role::Member, Some(2), false), true),
            (&company, admin_user.clone(), false),
            (&admin1, user(Role::Member, Some(1), false), true),
            (&admin1, user(Role::Member, Some(2), false), false),
            (&admin1, user(Role::CompanyAdmin, Some(1), false), false),
            (
                &actor(Role::Member, Some(1)),
                user(Role::Member, Some(1), false),
                false,
            ),
        ];
        for (a, u, want) in cases {
            let got = may_set_password(a, &u, &ds);
            assert_eq!(got.is_ok(), want, "{:?} sets {:?} {}", a.role, u.role, u.id);
        }
    }
}
