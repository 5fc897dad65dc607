//! The checks a new or edited task's values pass (title, steps, rules, fields) and
//! who may create tasks in a project.

use std::collections::BTreeMap;

use super::input::{NodeInput, StepRule, MAX_CHECKLIST, MAX_NODES};
use crate::actor::Actor;
use crate::error::{trimmed, ServiceError, ServiceResult};
use crate::flow::kinds::ClaimFrom;
use crate::flow::{ChecklistItem, Node, NodeKind, Task, TaskKind};
use crate::org::policy::may_create_task;
use crate::projects::fields::FieldDef;
use crate::store::Store;
use crate::tasks::context::ProjectCtx;
use crate::tasks::node_kinds::{shape, KindSpec};

pub(super) fn spec(kind: NodeKind, handlers: Vec<u64>, claim_from: Option<ClaimFrom>) -> KindSpec {
    KindSpec {
        kind,
        handlers,
        claim_from,
    }
}
pub(super) fn clean_title(t: &str) -> ServiceResult<String> {
    trimmed(t, 200, "title", "a title has 1 to 200 characters")
}

pub(super) fn clean_description(d: &str) -> ServiceResult<String> {
    if d.chars().count() > 20_000 {
        return Err(ServiceError::invalid(
            "description",
            "a description has at most 20000 characters",
        ));
    }
    Ok(d.to_string())
}

fn clean_action(a: &str) -> ServiceResult<String> {
    let a = a.trim();
    if a.chars().count() > 200 {
        return Err(ServiceError::invalid(
            "nodes",
            "what to do has at most 200 characters",
        ));
    }
    Ok(a.to_string())
}

pub(super) fn clean_business_type(
    ctx: &ProjectCtx,
    b: Option<String>,
) -> ServiceResult<Option<String>> {
    let Some(b) = b.map(|b| b.trim().to_string()).filter(|b| !b.is_empty()) else {
        return Ok(None);
    };
    if !ctx.project.business_types.is_empty() && !ctx.project.business_types.contains(&b) {
        return Err(ServiceError::invalid(
            "business_type",
            format!(
                "'{b}' is not a business type of project '{}'",
                ctx.project.name
            ),
        ));
    }
    Ok(Some(b))
}

pub(super) fn dedup(mut v: Vec<u64>) -> Vec<u64> {
    v.sort_unstable();
    v.dedup();
    v
}

pub(super) fn check_node_count(kind: TaskKind, n: usize) -> ServiceResult<()> {
    match kind {
        TaskKind::Simple if n != 1 => Err(ServiceError::invalid(
            "nodes",
            "a simple task has exactly one handler",
        )),
        _ if n == 0 => Err(ServiceError::invalid(
            "nodes",
            "a task needs at least one step",
        )),
        _ if n > MAX_NODES => Err(ServiceError::invalid(
            "nodes",
            format!("at most {MAX_NODES} steps"),
        )),
        _ => Ok(()),
    }
}

/// Who may create tasks in a project: its members and its admins. Rights are checked
/// before the project's state, so that someone outside it learns neither its name nor
/// that it is archived.
pub(super) fn check_can_create(ctx: &ProjectCtx, actor: &Actor) -> ServiceResult<()> {
    may_create_task(actor, &ctx.members, ctx.admin)?;
    if ctx.project.archived {
        return Err(ServiceError::Conflict(format!(
            "project '{}' is archived",
            ctx.project.name
        )));
    }
    Ok(())
}

/// Step `id` as `n` describes it, checked: its condition and CC recipients, what to
/// do, its handlers.
pub(super) fn node_of(ctx: &ProjectCtx, id: u32, n: NodeInput) -> ServiceResult<Node> {
    let rule = clean_rule(ctx, n.rule())?;
    let mut node = Node {
        id,
        action: clean_action(&n.action)?,
        due_at: n.due_at,
        condition: rule.condition,
        cc: rule.cc,
        cc_on: rule.cc_on,
        ..Node::default_single()
    };
    shape(
        ctx,
        &mut node,
        n.handler_id,
        &spec(n.kind, n.handlers, n.claim_from),
    )?;
    Ok(node)
}

/// Checks a step's condition and CC recipients.
fn clean_rule(ctx: &ProjectCtx, rule: StepRule) -> ServiceResult<StepRule> {
    let condition = rule
        .condition
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    if let Some(c) = &condition {
        crate::tasks::conditions::check(c)
            .map_err(|e| ServiceError::invalid("nodes", format!("condition: {e}")))?;
    }
    let cc = dedup(rule.cc);
    ctx.check_members(&cc, "nodes")?;
    Ok(StepRule {
        condition,
        cc,
        cc_on: rule.cc_on,
    })
}

/// The custom fields of a task in `ctx`'s project made from a template with
/// `template_fields`, checked (members are the users a user field may name).
pub(super) fn clean_fields(
    ctx: &ProjectCtx,
    template_fields: &[FieldDef],
    values: &BTreeMap<String, serde_json::Value>,
) -> ServiceResult<BTreeMap<String, serde_json::Value>> {
    let defs = crate::projects::fields::merged(&ctx.project.fields, template_fields);
    crate::projects::fields::check_values(&defs, values, &|u| ctx.is_member(u))
}

/// The fields of template `id` (none when there is no such template).
pub fn template_fields(store: &Store, id: Option<u64>) -> ServiceResult<Vec<FieldDef>> {
    let Some(id) = id else {
        return Ok(Vec::new());
    };
    Ok(store
        .get::<crate::tasks::templates::Template>(id)?
        .map(|t| t.fields)
        .unwrap_or_default())
}

pub(super) fn check_checklist_len(n: usize) -> ServiceResult<()> {
    if n > MAX_CHECKLIST {
        return Err(ServiceError::invalid(
            "checklist",
            format!("at most {MAX_CHECKLIST} checklist items"),
        ));
    }
    Ok(())
}

pub(super) fn clean_item(text: &str) -> ServiceResult<String> {
    trimmed(
        text,
        200,
        "checklist",
        "a checklist item has 1 to 200 characters",
    )
}

/// A new, unticked checklist item of `t` (its id allocated there).
pub(super) fn new_item(t: &mut Task, text: String) -> ChecklistItem {
    ChecklistItem {
        id: t.alloc_id(),
        text,
        done: false,
        done_by: None,
        done_at: None,
    }
}
