//! Building a task's steps of every kind from a request: the handlers of an all/any
//! step become its shares, a claim step's candidate group is resolved into user ids
//! here (when the task is saved), so the flow rules never need the organisation.

use serde::Deserialize;
use utoipa::ToSchema;

use super::context::ProjectCtx;
use crate::error::{ServiceError, ServiceResult};
use crate::flow::kinds::{ClaimFrom, NOBODY};
use crate::flow::{Node, NodeKind, Share};
use crate::org::Role;

/// Handlers of one all/any step, at most.
pub const MAX_SHARES: usize = 20;

/// What a request says about a step's kind, beside its handler, action and deadline.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct KindSpec {
    pub kind: NodeKind,
    pub handlers: Vec<u64>,
    pub claim_from: Option<ClaimFrom>,
}

fn bad(message: impl Into<String>) -> ServiceError {
    ServiceError::invalid("nodes", message)
}

/// The candidates of `from` among the project's members: listed users (who must be
/// members), plus every member of the department or with the role.
pub fn resolve(ctx: &ProjectCtx, from: &ClaimFrom) -> ServiceResult<Vec<u64>> {
    ctx.check_members(&from.users, "nodes")?;
    let role = match from.role.as_deref() {
        None => None,
        Some(r) => Some(Role::parse(r).ok_or_else(|| {
            bad(format!(
                "'{r}' is not a role (member, department_admin or company_admin)"
            ))
        })?),
    };
    let mut out = from.users.clone();
    for (id, dept, r) in &ctx.member_roles {
        let in_dept = from.department_id.is_some() && *dept == from.department_id;
        if in_dept || role == Some(*r) {
            out.push(*id);
        }
    }
    out.sort_unstable();
    out.dedup();
    if out.is_empty() {
        return Err(bad(
            "a claim step needs at least one candidate among the project's members",
        ));
    }
    Ok(out)
}

/// Fills in `node` (a fresh, waiting step with its action and deadline) by `spec`:
/// its handler(s) or candidates, checked against the project.
pub fn shape(
    ctx: &ProjectCtx,
    node: &mut Node,
    handler_id: u64,
    spec: &KindSpec,
) -> ServiceResult<()> {
    node.kind = spec.kind;
    match spec.kind {
        NodeKind::Single => {
            if handler_id == NOBODY {
                return Err(bad(
                    "a step needs handler_id (or kind all/any with handlers, or claim with claim_from)",
                ));
            }
            ctx.check_members(&[handler_id], "nodes")?;
            node.handler_id = handler_id;
        }
        NodeKind::All | NodeKind::Any => {
            let hs = spec.handlers.clone();
            let mut sorted = hs.clone();
            sorted.sort_unstable();
            sorted.dedup();
            if sorted.len() != hs.len() {
                return Err(bad("a handler is named twice in one step"));
            }
            if hs.len() < 2 || hs.len() > MAX_SHARES {
                return Err(bad(format!(
                    "a countersign or any-sign step has 2 to {MAX_SHARES} handlers"
                )));
            }
            ctx.check_members(&hs, "nodes")?;
            node.handler_id = hs[0];
            node.shares = hs.into_iter().map(Share::new).collect();
        }
        NodeKind::Claim => {
            let from = spec
                .claim_from
                .clone()
                .ok_or_else(|| bad("a claim step needs claim_from (users, department or role)"))?;
            node.candidates = resolve(ctx, &from)?;
            node.claim_from = Some(from);
            node.handler_id = NOBODY;
        }
    }
    Ok(())
}

/// The spec of an existing step, as a copy or an unchanged edit sends it back.
pub fn spec_of(n: &Node) -> KindSpec {
    KindSpec {
        kind: n.kind,
        handlers: n.shares.iter().map(|s| s.handler_id).collect(),
        claim_from: n.claim_from.clone(),
    }
}

/// An edit leaves a reached step as it is: same kind, and the same handler(s) where
/// the request names them (a claim step's claimer is the flow's, not the edit's).
pub fn same_handlers(old: &Node, handler_id: u64, spec: &KindSpec) -> bool {
    if old.kind != spec.kind {
        return false;
    }
    match old.kind {
        NodeKind::Single => old.handler_id == handler_id,
        NodeKind::All | NodeKind::Any => {
            let mut a = old.handlers();
            let mut b = spec.handlers.clone();
            a.sort_unstable();
            b.sort_unstable();
            a == b
        }
        NodeKind::Claim => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> ProjectCtx {
        ProjectCtx {
            project: serde_json::from_value(serde_json::json!({
                "id": 1, "rev": 1, "name": "p", "department_id": null, "members": [],
                "business_types": [], "archived": false, "builtin": null,
                "created_at": "2026-01-01T00:00:00Z", "created_by": "x"
            }))
            .unwrap_or_else(|e| panic!("{e}")),
            members: vec![2, 3, 4, 5],
            admin: false,
            member_roles: vec![
                (2, Some(10), Role::Member),
                (3, Some(10), Role::DepartmentAdmin),
                (4, Some(11), Role::Member),
                (5, None, Role::CompanyAdmin),
            ],
        }
    }

    #[test]
    fn candidates_are_listed_users_plus_a_department_or_role_among_members() {
        let c = ctx();
        let from = |users: Vec<u64>, d: Option<u64>, r: Option<&str>| ClaimFrom {
            users,
            department_id: d,
            role: r.map(str::to_string),
        };
        assert_eq!(
            resolve(&c, &from(vec![4], Some(10), None)).unwrap(),
            vec![2, 3, 4]
        );
        assert_eq!(
            resolve(&c, &from(vec![], None, Some("member"))).unwrap(),
            vec![2, 4]
        );
        assert!(
            resolve(&c, &from(vec![], Some(99), None)).is_err(),
            "nobody"
        );
        assert!(
            resolve(&c, &from(vec![9], None, None)).is_err(),
            "not a member"
        );
        assert!(resolve(&c, &from(vec![], None, Some("boss"))).is_err());
    }

    #[test]
    fn all_and_any_steps_need_two_distinct_member_handlers() {
        let c = ctx();
        let spec = |kind, handlers: Vec<u64>| KindSpec {
            kind,
            handlers,
            claim_from: None,
        };
        let mut n = Node::default_single();
        assert!(shape(&c, &mut n, 0, &spec(NodeKind::All, vec![2])).is_err());
        assert!(shape(&c, &mut n, 0, &spec(NodeKind::All, vec![2, 2])).is_err());
        assert!(shape(&c, &mut n, 0, &spec(NodeKind::Any, vec![2, 9])).is_err());
        shape(&c, &mut n, 0, &spec(NodeKind::All, vec![3, 2])).unwrap();
        assert_eq!(n.handlers(), vec![3, 2]);
        assert_eq!(n.handler_id, 3);
        let mut n = Node::default_single();
        assert!(shape(&c, &mut n, 0, &spec(NodeKind::Claim, vec![])).is_err());
    }
}
