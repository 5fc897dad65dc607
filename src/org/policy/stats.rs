//! Whose statistics an actor sees.

use std::collections::HashSet;

use super::{administers, department_scope};
use crate::actor::Actor;
use crate::error::{ServiceError, ServiceResult};
use crate::org::{Department, Role};

/// The members whose figures a statistics request covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatsScope {
    /// Everyone (a company admin without a department filter).
    Everyone,
    /// The members of these departments (a department and those below it).
    Departments(HashSet<u64>),
    /// Only the caller (a member).
    Own,
}

/// The scope of a statistics request for an optional department filter (an existing
/// department: the caller checks that first). Company admins see any department;
/// department admins theirs (their own when they name none); members themselves.
pub fn stats_scope(
    actor: &Actor,
    department_id: Option<u64>,
    departments: &[Department],
) -> ServiceResult<StatsScope> {
    match (actor.role, department_id) {
        (Role::CompanyAdmin, None) => Ok(StatsScope::Everyone),
        (Role::CompanyAdmin, Some(d)) => {
            Ok(StatsScope::Departments(department_scope(d, departments)))
        }
        (Role::DepartmentAdmin, d) => {
            let Some(d) = d.or(actor.department_id) else {
                return Err(ServiceError::forbidden("you administer no department"));
            };
            if !administers(actor, Some(d), departments) {
                return Err(ServiceError::forbidden(format!(
                    "department {d} is not one you administer"
                )));
            }
            Ok(StatsScope::Departments(department_scope(d, departments)))
        }
        (Role::Member, d) => {
            if d.is_some() && d != actor.department_id {
                return Err(ServiceError::forbidden(
                    "members see only their own statistics",
                ));
            }
            Ok(StatsScope::Own)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{dept, kinds};
    use super::*;

    #[test]
    fn statistics_scope_by_kind_of_actor() {
        let ds = vec![dept(1, None), dept(2, Some(1)), dept(3, None)];
        let depts = |ids: &[u64]| Some(StatsScope::Departments(ids.iter().copied().collect()));
        // (kind, filter, scope or None for forbidden)
        let cases = [
            ("company admin", None, Some(StatsScope::Everyone)),
            ("company admin", Some(1), depts(&[1, 2])),
            ("company admin", Some(3), depts(&[3])),
            ("console", None, Some(StatsScope::Everyone)),
            ("server", Some(2), depts(&[2])),
            ("dept admin", None, depts(&[1, 2])),
            ("dept admin", Some(2), depts(&[2])),
            ("dept admin", Some(3), None),
            ("dept admin, no dept", None, None),
            ("dept admin, no dept", Some(1), None),
            ("member", None, Some(StatsScope::Own)),
            ("member", Some(1), Some(StatsScope::Own)),
            ("member", Some(2), None),
            ("member, no dept", None, Some(StatsScope::Own)),
            ("member, no dept", Some(1), None),
        ];
        let actors = kinds();
        for (kind, filter, want) in cases {
            let Some((_, a)) = actors.iter().find(|(k, _)| *k == kind) else {
                panic!("no actor kind {kind}");
            };
            let got = stats_scope(a, filter, &ds);
            if let Err(e) = &got {
                assert!(matches!(e, ServiceError::Forbidden(_)), "{kind} {filter:?}");
            }
            assert_eq!(got.ok(), want, "{kind} {filter:?}");
        }
    }
}
