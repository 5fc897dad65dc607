//! Creating and changing tasks (the flow operations are in `operate.rs`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::context::{project_ctx, visible_task, ProjectCtx};
use super::view::TaskView;
use crate::actor::Actor;
use crate::audit;
use crate::effects::events::{Edit, Event, TaskRef};
use crate::effects::stage_events;
use crate::error::{trimmed, ServiceError, ServiceResult};
use crate::flow::model::{CcOn, ReminderState, TaskSource};
use crate::flow::{ChecklistItem, Node, NodeState, Priority, Task, TaskKind, TaskStatus};
use crate::org::policy::{may_choose_editors, may_create_task};
use crate::projects::fields::FieldDef;
use crate::store::{Store, WriteTx};

use super::node_kinds::{same_handlers, shape, spec_of, KindSpec};
use crate::flow::kinds::ClaimFrom;
use crate::flow::NodeKind;

fn spec(kind: NodeKind, handlers: Vec<u64>, claim_from: Option<ClaimFrom>) -> KindSpec {
    KindSpec {
        kind,
        handlers,
        claim_from,
    }
}

pub const MAX_NODES: usize = 50;
pub const MAX_CHECKLIST: usize = 100;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeInput {
    /// A single step's handler (absent for the other kinds).
    #[serde(default)]
    pub handler_id: u64,
    #[serde(default)]
    pub action: String,
    #[serde(default, deserialize_with = "crate::time::option")]
    pub due_at: Option<DateTime<Utc>>,
    /// `single` (default), `all` (会签), `any` (或签) or `claim` (抢单).
    #[serde(default)]
    pub kind: NodeKind,
    /// All/any steps: their handlers (2 to 20); `handler_id` is then ignored.
    #[serde(default)]
    pub handlers: Vec<u64>,
    /// Claim steps: who may claim (listed users, a department, a role).
    #[serde(default)]
    pub claim_from: Option<ClaimFrom>,
    /// A rhai expression over `fields` (and `r`, a scenario task's record): the step
    /// is skipped when it is false.
    #[serde(default)]
    pub condition: Option<String>,
    /// Users told (CC, 抄送) when the flow reaches the step and/or when it is done.
    #[serde(default)]
    pub cc: Vec<u64>,
    #[serde(default)]
    pub cc_on: CcOn,
}

/// What a step says beyond its handler: its condition and its CC recipients (see
/// `docs/flows.md`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepRule {
    pub condition: Option<String>,
    pub cc: Vec<u64>,
    pub cc_on: CcOn,
}

impl NodeInput {
    fn rule(&self) -> StepRule {
        StepRule {
            condition: self.condition.clone(),
            cc: self.cc.clone(),
            cc_on: self.cc_on,
        }
    }
}

impl NodeEdit {
    fn rule(&self) -> StepRule {
        StepRule {
            condition: self.condition.clone(),
            cc: self.cc.clone(),
            cc_on: self.cc_on,
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTask {
    pub kind: TaskKind,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub business_type: Option<String>,
    pub priority: Option<Priority>,
    #[serde(default, deserialize_with = "crate::time::option")]
    pub due_at: Option<DateTime<Utc>>,
    pub nodes: Vec<NodeInput>,
    #[serde(default)]
    pub checklist: Vec<String>,
    #[serde(default)]
    pub watchers: Vec<u64>,
    #[serde(default)]
    pub editors: Vec<u64>,
    /// The template the nodes came from: its custom fields apply beside the project's.
    pub template_id: Option<u64>,
    /// Custom field values, checked against the project's and template's fields.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fields: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeEdit {
    /// The node's id when it already exists.
    pub id: Option<u32>,
    #[serde(default)]
    pub handler_id: u64,
    #[serde(default)]
    pub action: String,
    #[serde(default, deserialize_with = "crate::time::option")]
    pub due_at: Option<DateTime<Utc>>,
    /// `single` (default), `all` (会签), `any` (或签) or `claim` (抢单).
    #[serde(default)]
    pub kind: NodeKind,
    /// All/any steps: their handlers (2 to 20); `handler_id` is then ignored.
    #[serde(default)]
    pub handlers: Vec<u64>,
    /// Claim steps: who may claim (listed users, a department, a role).
    #[serde(default)]
    pub claim_from: Option<ClaimFrom>,
    /// A rhai expression over `fields` (and `r`, a scenario task's record): the step
    /// is skipped when it is false.
    #[serde(default)]
    pub condition: Option<String>,
    /// Users told (CC, 抄送) when the flow reaches the step and/or when it is done.
    #[serde(default)]
    pub cc: Vec<u64>,
    #[serde(default)]
    pub cc_on: CcOn,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistEdit {
    pub id: Option<u32>,
    pub text: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskPatch {
    pub rev: u64,
    pub title: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "crate::patch::some")]
    #[schema(value_type = Option<String>)]
    pub business_type: Option<Option<String>>,
    pub priority: Option<Priority>,
    #[serde(default, deserialize_with = "crate::time::patch")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub due_at: Option<Option<DateTime<Utc>>>,
    pub nodes: Option<Vec<NodeEdit>>,
    pub watchers: Option<Vec<u64>>,
    pub editors: Option<Vec<u64>>,
    pub checklist: Option<Vec<ChecklistEdit>>,
    /// Custom field values: the whole set (an absent key is cleared).
    #[schema(value_type = Option<Object>)]
    pub fields: Option<BTreeMap<String, serde_json::Value>>,
}

fn clean_title(t: &str) -> ServiceResult<String> {
    trimmed(t, 200, "title", "a title has 1 to 200 characters")
}

fn clean_description(d: &str) -> ServiceResult<String> {
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

fn clean_business_type(ctx: &ProjectCtx, b: Option<String>) -> ServiceResult<Option<String>> {
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

fn dedup(mut v: Vec<u64>) -> Vec<u64> {
    v.sort_unstable();
    v.dedup();
    v
}

fn check_node_count(kind: TaskKind, n: usize) -> ServiceResult<()> {
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
fn check_can_create(ctx: &ProjectCtx, actor: &Actor) -> ServiceResult<()> {
    may_create_task(actor, &ctx.members, ctx.admin)?;
    if ctx.project.archived {
        return Err(ServiceError::Conflict(format!(
            "project '{}' is archived",
            ctx.project.name
        )));
    }
    Ok(())
}

/// Builds a validated, not yet stored task (custom fields: the project's only).
pub fn build(
    ctx: &ProjectCtx,
    creator_id: u64,
    new: NewTask,
    source: Option<TaskSource>,
    now: DateTime<Utc>,
) -> ServiceResult<Task> {
    build_with(ctx, creator_id, new, source, &[], now)
}

/// Checks a step's condition and CC recipients.
fn clean_rule(ctx: &ProjectCtx, rule: StepRule) -> ServiceResult<StepRule> {
    let condition = rule
        .condition
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    if let Some(c) = &condition {
        super::conditions::check(c)
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
fn clean_fields(
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
        .get::<super::templates::Template>(id)?
        .map(|t| t.fields)
        .unwrap_or_default())
}

/// Builds a validated, not yet stored task whose fields are checked against the
/// project's and `template_fields`; the steps whose condition is false at the start
/// are passed by already.
pub fn build_with(
    ctx: &ProjectCtx,
    creator_id: u64,
    new: NewTask,
    source: Option<TaskSource>,
    template_fields: &[FieldDef],
    now: DateTime<Utc>,
) -> ServiceResult<Task> {
    check_node_count(new.kind, new.nodes.len())?;
    if new.kind == TaskKind::Simple && new.nodes.iter().any(|n| n.kind != NodeKind::Single) {
        return Err(ServiceError::invalid(
            "nodes",
            "a simple task has one single-handler step",
        ));
    }
    let watchers = dedup(new.watchers);
    let editors = dedup(new.editors);
    ctx.check_members(&watchers, "watchers")?;
    ctx.check_members(&editors, "editors")?;
    if new.checklist.len() > MAX_CHECKLIST {
        return Err(ServiceError::invalid(
            "checklist",
            format!("at most {MAX_CHECKLIST} checklist items"),
        ));
    }
    let mut t = Task {
        id: 0,
        rev: 0,
        project_id: ctx.project.id,
        title: clean_title(&new.title)?,
        description: clean_description(&new.description)?,
        kind: new.kind,
        business_type: clean_business_type(ctx, new.business_type)?,
        priority: new.priority.unwrap_or_default(),
        due_at: new.due_at,
        creator_id,
        nodes: Vec::new(),
        current: 0,
        status: TaskStatus::Open,
        checklist: Vec::new(),
        watchers,
        editors,
        attachments: Vec::new(),
        past_handlers: vec![],
        archived: false,
        created_at: now,
        updated_at: now,
        finished_at: None,
        source,
        next_local_id: 0,
        reminders: ReminderState::default(),
        fields: clean_fields(ctx, template_fields, &new.fields)?,
        template_id: new.template_id,
    };
    for n in new.nodes {
        let id = t.alloc_id();
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
        t.nodes.push(node);
    }
    // The first step is reached (every share active; a claim step's candidates
    // may claim it) the way the flow reaches any step.
    if let Some(first) = t.nodes.first_mut() {
        first.state = NodeState::Active;
        first.received_at = Some(now);
        for s in &mut first.shares {
            s.state = crate::flow::ShareState::Active;
            s.received_at = Some(now);
        }
        t.past_handlers = first.handlers();
    }
    // Leading steps whose condition is false are passed by.
    if t.nodes.iter().any(|n| n.condition.is_some()) {
        let gate = super::conditions::gate(&t, now);
        crate::flow::skip::start(&mut t, &gate, now);
    }
    for text in new.checklist {
        let text = trimmed(
            &text,
            200,
            "checklist",
            "a checklist item has 1 to 200 characters",
        )?;
        let id = t.alloc_id();
        t.checklist.push(ChecklistItem {
            id,
            text,
            done: false,
            done_by: None,
            done_at: None,
        });
    }
    Ok(t)
}

/// Stores a built task with its log line and the first handler's message.
pub fn insert(
    tx: &mut WriteTx<'_>,
    t: &mut Task,
    actor: &Actor,
    now: DateTime<Utc>,
) -> ServiceResult<u64> {
    let id = tx.insert(t)?;
    // The log line carries who received the first step (statistics count it).
    stage_events(
        tx,
        actor,
        &[Event::Created {
            task: TaskRef {
                id,
                title: t.title.clone(),
            },
            first_handler: t.current_handler(),
            facts: crate::flow::events::created(t, actor.user_id),
            // the step the task starts at (leading steps may have been passed by)
            also_handlers: t
                .current_node()
                .map(|n| n.handlers().into_iter().skip(1).collect())
                .unwrap_or_default(),
            candidates: t
                .current_node()
                .filter(|n| n.is_unclaimed())
                .map(|n| n.candidates.clone())
                .unwrap_or_default(),
        }],
        now,
    )?;
    // The first step's CC recipients; a failed condition's error to the task's admins.
    let others = crate::flow::skip::arrival_notices(t, actor.user_id);
    crate::effects::inbox::post_messages(tx, t, actor, &others, now)?;
    Ok(id)
}

pub fn create(
    store: &Store,
    actor: &Actor,
    project_id: u64,
    new: NewTask,
    now: DateTime<Utc>,
) -> ServiceResult<TaskView> {
    let ctx = project_ctx(store, actor, project_id)?;
    check_can_create(&ctx, actor)?;
    let creator = actor
        .user_id
        .ok_or_else(|| ServiceError::forbidden("tasks are created by users"))?;
    let tf = template_fields(store, new.template_id)?;
    let mut t = build_with(&ctx, creator, new, None, &tf, now)?;
    store.write(|tx| insert(tx, &mut t, actor, now))?;
    Ok(TaskView::new(&t, ctx.allowed(actor, &t), now))
}

pub fn get(store: &Store, actor: &Actor, id: u64, now: DateTime<Utc>) -> ServiceResult<TaskView> {
    let (t, ctx, allowed) = visible_task(store, actor, id)?;
    let tf = template_fields(store, t.template_id)?;
    Ok(TaskView {
        field_defs: crate::projects::fields::merged(&ctx.project.fields, &tf),
        ..TaskView::new(&t, allowed, now)
    })
}

/// Applies an edit: only nodes not yet reached may change.
pub fn edit(
    store: &Store,
    actor: &Actor,
    id: u64,
    patch: TaskPatch,
    now: DateTime<Utc>,
) -> ServiceResult<TaskView> {
    let (mut t, ctx, allowed) = visible_task(store, actor, id)?;
    if !allowed.edit {
        return Err(ServiceError::forbidden(
            "only the creator, editors and admins edit an open task",
        ));
    }
    if t.rev != patch.rev {
        return Err(ServiceError::Conflict(format!(
            "task {id} was changed by someone else; reload it"
        )));
    }
    let mut changed = Vec::new();
    if let Some(title) = &patch.title {
        t.title = clean_title(title)?;
        changed.push(Edit::Title);
    }
    if let Some(d) = &patch.description {
        t.description = clean_description(d)?;
        changed.push(Edit::Description);
    }
    if let Some(b) = patch.business_type {
        t.business_type = clean_business_type(&ctx, b)?;
        changed.push(Edit::BusinessType);
    }
    if let Some(p) = patch.priority {
        t.priority = p;
        changed.push(Edit::Priority);
    }
    if let Some(d) = patch.due_at {
        changed.push(Edit::Deadline {
            from: t.due_at,
            to: d,
        });
        t.due_at = d;
    }
    if let Some(w) = patch.watchers {
        let w = dedup(w);
        ctx.check_members(&w, "watchers")?;
        changed.push(Edit::Watchers {
            added: added(&t.watchers, &w),
            removed: added(&w, &t.watchers),
        });
        t.watchers = w;
    }
    if let Some(e) = patch.editors {
        let e = dedup(e);
        if e != dedup(t.editors.clone()) {
            may_choose_editors(actor, t.creator_id, ctx.admin)?;
        }
        ctx.check_members(&e, "editors")?;
        changed.push(Edit::Editors {
            added: added(&t.editors, &e),
            removed: added(&e, &t.editors),
        });
        t.editors = e;
    }
    if let Some(nodes) = patch.nodes {
        edit_nodes(&mut t, &ctx, nodes)?;
        changed.push(Edit::Steps);
    }
    if let Some(items) = patch.checklist {
        edit_checklist(&mut t, items)?;
        changed.push(Edit::Checklist);
    }
    if let Some(values) = &patch.fields {
        let tf = template_fields(store, t.template_id)?;
        t.fields = clean_fields(&ctx, &tf, values)?;
        changed.push(Edit::Fields);
    }
    t.updated_at = now;
    let rev = patch.rev;
    store.write(|tx| {
        tx.update(&mut t, rev)?;
        stage_events(
            tx,
            actor,
            &[Event::Edited {
                task: id,
                changes: changed,
            }],
            now,
        )?;
        super::operate::recheck_current(tx, store, &mut t, now)?;
        Ok::<_, ServiceError>(())
    })?;
    Ok(TaskView::new(&t, ctx.allowed(actor, &t), now))
}

/// Who is in `new` but not in `old`.
fn added(old: &[u64], new: &[u64]) -> Vec<u64> {
    new.iter().copied().filter(|u| !old.contains(u)).collect()
}

fn edit_nodes(t: &mut Task, ctx: &ProjectCtx, nodes: Vec<NodeEdit>) -> ServiceResult<()> {
    check_node_count(t.kind, nodes.len())?;
    let fixed = t.current + 1; // done nodes and the current one stay as they are
    if nodes.len() < fixed {
        return Err(ServiceError::invalid(
            "nodes",
            "steps already reached cannot be removed",
        ));
    }
    for (old, new) in t.nodes.iter().zip(&nodes).take(fixed) {
        let same = new.id == Some(old.id)
            && same_handlers(
                old,
                new.handler_id,
                &spec(new.kind, new.handlers.clone(), None),
            )
            && new.action.trim() == old.action
            && new.due_at == old.due_at
            && new
                .condition
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                == old.condition.as_deref()
            && dedup(new.cc.clone()) == old.cc
            && new.cc_on == old.cc_on;
        if !same {
            return Err(ServiceError::invalid(
                "nodes",
                format!("step {} has been reached and cannot be changed", old.id),
            ));
        }
    }
    let mut out: Vec<Node> = t.nodes[..fixed].to_vec();
    for n in nodes.into_iter().skip(fixed) {
        let old =
            n.id.and_then(|id| t.nodes[fixed..].iter().find(|o| o.id == id));
        let rule = clean_rule(ctx, n.rule())?;
        let mut node = Node {
            id: 0,
            action: clean_action(&n.action)?,
            due_at: n.due_at,
            // a step added on the way keeps its mark
            added: old.and_then(|o| o.added.clone()),
            condition: rule.condition,
            cc: rule.cc,
            cc_on: rule.cc_on,
            ..Node::default_single()
        };
        node.id = match old {
            Some(o) => o.id,
            None => t.alloc_id(),
        };
        shape(
            ctx,
            &mut node,
            n.handler_id,
            &spec(n.kind, n.handlers, n.claim_from),
        )?;
        out.push(node);
    }
    t.nodes = out;
    Ok(())
}

fn edit_checklist(t: &mut Task, items: Vec<ChecklistEdit>) -> ServiceResult<()> {
    if items.len() > MAX_CHECKLIST {
        return Err(ServiceError::invalid(
            "checklist",
            format!("at most {MAX_CHECKLIST} checklist items"),
        ));
    }
    let mut out = Vec::new();
    for it in items {
        let text = trimmed(
            &it.text,
            200,
            "checklist",
            "a checklist item has 1 to 200 characters",
        )?;
        match it.id.and_then(|id| t.checklist.iter().find(|c| c.id == id)) {
            Some(old) => out.push(ChecklistItem {
                text,
                ..old.clone()
            }),
            None => {
                let id = t.alloc_id();
                out.push(ChecklistItem {
                    id,
                    text,
                    done: false,
                    done_by: None,
                    done_at: None,
                });
            }
        }
    }
    t.checklist = out;
    Ok(())
}

pub fn delete(
    store: &Store,
    actor: &Actor,
    id: u64,
    uploads: &std::path::Path,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let (t, _, allowed) = visible_task(store, actor, id)?;
    if !allowed.delete {
        return Err(ServiceError::forbidden(
            "only the creator or an admin deletes a task",
        ));
    }
    store.write(|tx| {
        tx.delete::<Task>(id)?;
        stage_events(
            tx,
            actor,
            &[Event::Deleted {
                task: TaskRef {
                    id,
                    title: t.title.clone(),
                },
            }],
            now,
        )?;
        audit::record(
            tx,
            actor,
            "task.delete",
            format!("task {id} '{}'", t.title),
            None,
            now,
        )?;
        Ok::<_, ServiceError>(())
    })?;
    for a in &t.attachments {
        let _ = std::fs::remove_file(uploads.join(a.id.to_string()));
    }
    Ok(())
}

/// Copies a task into a project (the same or another) as a fresh, open task.
pub fn copy(
    store: &Store,
    actor: &Actor,
    id: u64,
    project_id: u64,
    now: DateTime<Utc>,
) -> ServiceResult<TaskView> {
    let (t, _, _) = visible_task(store, actor, id)?;
    let ctx = project_ctx(store, actor, project_id)?;
    check_can_create(&ctx, actor)?;
    let creator = actor
        .user_id
        .ok_or_else(|| ServiceError::forbidden("tasks are created by users"))?;
    let new = NewTask {
        kind: t.kind,
        title: t.title.clone(),
        description: t.description.clone(),
        business_type: t.business_type.clone().filter(|b| {
            ctx.project.business_types.is_empty() || ctx.project.business_types.contains(b)
        }),
        priority: Some(t.priority),
        due_at: t.due_at,
        nodes: t
            .nodes
            .iter()
            .map(|n| {
                let k = spec_of(n);
                NodeInput {
                    handler_id: n.handler_id,
                    action: n.action.clone(),
                    due_at: n.due_at,
                    kind: k.kind,
                    handlers: k.handlers,
                    claim_from: k.claim_from,
                    condition: n.condition.clone(),
                    cc: n.cc.iter().copied().filter(|u| ctx.is_member(*u)).collect(),
                    cc_on: n.cc_on,
                }
            })
            .collect(),
        checklist: t.checklist.iter().map(|c| c.text.clone()).collect(),
        watchers: t
            .watchers
            .iter()
            .copied()
            .filter(|w| ctx.is_member(*w))
            .collect(),
        editors: t
            .editors
            .iter()
            .copied()
            .filter(|e| ctx.is_member(*e))
            .collect(),
        template_id: t.template_id,
        fields: t.fields.clone(),
    };
    let tf = template_fields(store, t.template_id)?;
    let mut copy = build_with(&ctx, creator, new, None, &tf, now)?;
    store.write(|tx| {
        let new_id = insert(tx, &mut copy, actor, now)?;
        stage_events(
            tx,
            actor,
            &[Event::Copied {
                task: id,
                to: new_id,
            }],
            now,
        )?;
        Ok::<_, ServiceError>(())
    })?;
    Ok(TaskView::new(&copy, ctx.allowed(actor, &copy), now))
}

/// Moves a task to another project whose members include everyone on it.
pub fn move_to(
    store: &Store,
    actor: &Actor,
    id: u64,
    project_id: u64,
    rev: u64,
    now: DateTime<Utc>,
) -> ServiceResult<TaskView> {
    let (mut t, _, allowed) = visible_task(store, actor, id)?;
    if !allowed.edit {
        return Err(ServiceError::forbidden(
            "only the creator, editors and admins move a task",
        ));
    }
    let ctx = project_ctx(store, actor, project_id)?;
    check_can_create(&ctx, actor)?;
    let handlers: Vec<u64> = t.nodes.iter().flat_map(|n| n.handlers()).collect();
    ctx.check_members(&handlers, "project_id")?;
    // Candidates outside the new project can no longer claim there.
    for n in &mut t.nodes {
        n.candidates.retain(|u| ctx.is_member(*u));
    }
    let from = t.project_id;
    t.project_id = project_id;
    t.watchers.retain(|w| ctx.is_member(*w));
    t.editors.retain(|e| ctx.is_member(*e));
    if t.business_type.as_ref().is_some_and(|b| {
        !ctx.project.business_types.is_empty() && !ctx.project.business_types.contains(b)
    }) {
        t.business_type = None;
    }
    t.updated_at = now;
    store.write(|tx| {
        tx.update(&mut t, rev)?;
        stage_events(
            tx,
            actor,
            &[Event::Moved {
                task: id,
                from_project: from,
                to_project: project_id,
            }],
            now,
        )?;
        Ok::<_, ServiceError>(())
    })?;
    Ok(TaskView::new(&t, ctx.allowed(actor, &t), now))
}

pub fn archive(
    store: &Store,
    actor: &Actor,
    id: u64,
    now: DateTime<Utc>,
) -> ServiceResult<TaskView> {
    let (mut t, ctx, allowed) = visible_task(store, actor, id)?;
    if !allowed.archive {
        return Err(ServiceError::forbidden("admins archive finished tasks"));
    }
    let rev = t.rev;
    t.archived = true;
    store.write(|tx| {
        tx.update(&mut t, rev)?;
        stage_events(
            tx,
            actor,
            &[Event::Archived {
                task: id,
                with_project: false,
            }],
            now,
        )?;
        Ok::<_, ServiceError>(())
    })?;
    Ok(TaskView::new(&t, ctx.allowed(actor, &t), now))
}

/// Archives every finished task of a project; returns how many.
pub fn archive_finished(
    store: &Store,
    actor: &Actor,
    project_id: u64,
    now: DateTime<Utc>,
) -> ServiceResult<usize> {
    let ctx = project_ctx(store, actor, project_id)?;
    if !ctx.admin {
        return Err(ServiceError::forbidden("admins archive finished tasks"));
    }
    let ids = store.ids_by(super::record::ix::PROJECT, &format!("{project_id}/done"))?;
    store.write(|tx| {
        let mut n = 0;
        for id in ids {
            let Some(mut t) = tx.get::<Task>(id)? else {
                continue;
            };
            if t.archived {
                continue;
            }
            let rev = t.rev;
            t.archived = true;
            tx.update(&mut t, rev)?;
            stage_events(
                tx,
                actor,
                &[Event::Archived {
                    task: id,
                    with_project: true,
                }],
                now,
            )?;
            n += 1;
        }
        Ok::<_, ServiceError>(n)
    })
}
