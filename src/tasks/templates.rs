//! Workflow templates: reusable node chains set by admins, plus the two built-ins.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::actor::Actor;
use crate::audit;
use crate::error::{trimmed, ServiceError, ServiceResult};
use crate::flow::kinds::ClaimFrom;
use crate::flow::NodeKind;
use crate::org::policy::require_template_admin;
use crate::store::{Record, Store};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TemplateNode {
    pub handler_id: Option<u64>,
    #[serde(default)]
    pub action: String,
    /// Due this many hours after the task is created.
    pub due_in_hours: Option<u32>,
    /// `single` (default), `all` (会签), `any` (或签) or `claim` (抢单).
    #[serde(default)]
    pub kind: NodeKind,
    /// All/any steps: their handlers.
    #[serde(default)]
    pub handlers: Vec<u64>,
    /// Claim steps: who may claim; resolved when a task is created from it.
    #[serde(default)]
    pub claim_from: Option<ClaimFrom>,
    /// Reach the step only when this rhai expression over `fields` is true (条件节点);
    /// checked when the template is saved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// Users told (抄送) when the flow reaches the step and/or when it is done.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<u64>,
    #[serde(default)]
    pub cc_on: crate::flow::model::CcOn,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Template {
    pub id: u64,
    pub rev: u64,
    pub name: String,
    /// `simple` or `empty_workflow` for the built-ins, which cannot be changed.
    pub builtin: Option<String>,
    pub nodes: Vec<TemplateNode>,
    pub created_by: String,
    /// Custom fields of the tasks made from it, beside their project's.
    #[serde(default)]
    pub fields: Vec<crate::projects::fields::FieldDef>,
}

impl Record for Template {
    const KIND: &'static str = "template";
    crate::id_and_rev!();
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    pub name: String,
    pub nodes: Vec<TemplateNode>,
    #[serde(default)]
    pub fields: Vec<crate::projects::fields::FieldDef>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplatePatch {
    pub name: Option<String>,
    pub nodes: Option<Vec<TemplateNode>>,
    pub rev: Option<u64>,
    pub fields: Option<Vec<crate::projects::fields::FieldDef>>,
}

/// A step may be due at most ten years after the task is created.
pub const MAX_DUE_IN_HOURS: u32 = 24 * 366 * 10;

fn validate(store: &Store, name: &str, nodes: &mut [TemplateNode]) -> ServiceResult<String> {
    let n = trimmed(name, 80, "name", "a template name has 1 to 80 characters")?;
    for (i, node) in nodes.iter_mut().enumerate() {
        node.condition = node
            .condition
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string);
        if let Some(c) = &node.condition {
            super::conditions::check(c).map_err(|e| {
                ServiceError::invalid("nodes", format!("step {}: condition: {e}", i + 1))
            })?;
        }
        node.cc.sort_unstable();
        node.cc.dedup();
        for u in &node.cc {
            if store
                .get::<crate::org::User>(*u)?
                .is_none_or(|u| u.disabled)
            {
                return Err(ServiceError::invalid(
                    "nodes",
                    format!("step {}: CC {u} is not an active user", i + 1),
                ));
            }
        }
        if node.due_in_hours.is_some_and(|h| h > MAX_DUE_IN_HOURS) {
            return Err(ServiceError::invalid(
                "nodes",
                format!("a step is due at most {MAX_DUE_IN_HOURS} hours (ten years) after the task is created"),
            ));
        }
        let named = node.claim_from.iter().flat_map(|c| c.users.iter());
        for h in node.handler_id.iter().chain(&node.handlers).chain(named) {
            if store
                .get::<crate::org::User>(*h)?
                .is_none_or(|u| u.disabled)
            {
                return Err(ServiceError::invalid(
                    "nodes",
                    format!("handler {h} is not an active user"),
                ));
            }
        }
        if node.kind != NodeKind::Claim && node.claim_from.is_some() {
            return Err(ServiceError::invalid(
                "nodes",
                "only a claim step has claim_from",
            ));
        }
    }
    if nodes.len() > super::service::MAX_NODES {
        return Err(ServiceError::invalid("nodes", "too many steps"));
    }
    if nodes.iter().any(|x| x.action.chars().count() > 200) {
        return Err(ServiceError::invalid(
            "nodes",
            "what to do has at most 200 characters",
        ));
    }
    Ok(n)
}

/// Built-ins first, then admins' templates by name.
pub fn list(store: &Store) -> ServiceResult<Vec<Template>> {
    let mut all = store.list::<Template>()?;
    let rank = |t: &Template| match t.builtin.as_deref() {
        Some("simple") => 0,
        Some(_) => 1,
        None => 2,
    };
    all.sort_by(|a, b| (rank(a), &a.name).cmp(&(rank(b), &b.name)));
    Ok(all)
}

pub fn create(
    store: &Store,
    actor: &Actor,
    input: TemplateInput,
    now: DateTime<Utc>,
) -> ServiceResult<Template> {
    require_template_admin(actor)?;
    let mut nodes = input.nodes;
    let name = validate(store, &input.name, &mut nodes)?;
    let mut t = Template {
        id: 0,
        rev: 0,
        name,
        builtin: None,
        nodes,
        created_by: actor.name.clone(),
        fields: crate::projects::fields::check_defs(input.fields)?,
    };
    store.write(|tx| {
        tx.insert(&mut t)?;
        audit::record(
            tx,
            actor,
            "template.create",
            format!("template '{}'", t.name),
            None,
            now,
        )?;
        Ok::<_, ServiceError>(())
    })?;
    Ok(t)
}

fn editable(store: &Store, actor: &Actor, id: u64) -> ServiceResult<Template> {
    require_template_admin(actor)?;
    let t = store
        .get::<Template>(id)?
        .ok_or_else(|| ServiceError::not_found(format!("template {id} not found")))?;
    if t.builtin.is_some() {
        return Err(ServiceError::forbidden(
            "built-in templates cannot be changed",
        ));
    }
    Ok(t)
}

pub fn update(
    store: &Store,
    actor: &Actor,
    id: u64,
    patch: TemplatePatch,
    now: DateTime<Utc>,
) -> ServiceResult<Template> {
    let mut t = editable(store, actor, id)?;
    let expected = patch.rev.unwrap_or(t.rev);
    if let Some(nodes) = patch.nodes {
        t.nodes = nodes;
    }
    if let Some(name) = patch.name {
        t.name = name;
    }
    if let Some(f) = patch.fields {
        t.fields = crate::projects::fields::check_defs(f)?;
    }
    t.name = validate(store, &t.name, &mut t.nodes)?;
    store.write(|tx| {
        tx.update(&mut t, expected)?;
        audit::record(
            tx,
            actor,
            "template.update",
            format!("template '{}'", t.name),
            None,
            now,
        )?;
        Ok::<_, ServiceError>(())
    })?;
    Ok(t)
}

pub fn delete(store: &Store, actor: &Actor, id: u64, now: DateTime<Utc>) -> ServiceResult<()> {
    let t = editable(store, actor, id)?;
    store.write(|tx| {
        tx.delete::<Template>(id)?;
        audit::record(
            tx,
            actor,
            "template.delete",
            format!("template '{}'", t.name),
            None,
            now,
        )?;
        Ok::<_, ServiceError>(())
    })
}

/// Creates the built-in "simple" and "empty workflow" templates if missing.
pub fn ensure_builtins(store: &Store) -> ServiceResult<()> {
    let existing = store.list::<Template>()?;
    for (key, name, nodes) in [
        ("simple", "简单任务 Simple task", 1),
        ("empty_workflow", "空白工作流 Empty workflow", 2),
    ] {
        if existing.iter().any(|t| t.builtin.as_deref() == Some(key)) {
            continue;
        }
        let mut t = Template {
            id: 0,
            rev: 0,
            name: name.into(),
            builtin: Some(key.into()),
            nodes: vec![TemplateNode::default(); nodes],
            created_by: "system".into(),
            fields: Vec::new(),
        };
        store.write(|tx| tx.insert(&mut t).map(|_| ()))?;
    }
    Ok(())
}
