//! A new task: built and checked (by people, copies and scenarios), then stored with
//! the effects of its creation.

use chrono::{DateTime, Utc};

use super::checks::{
    check_can_create, check_checklist_len, check_node_count, clean_business_type,
    clean_description, clean_fields, clean_item, clean_title, dedup, new_item, node_of,
    template_fields,
};
use super::input::NewTask;
use crate::actor::Actor;
use crate::effects::events::{Event, TaskRef};
use crate::effects::stage;
use crate::error::{ServiceError, ServiceResult};
use crate::flow::model::{ReminderState, TaskSource};
use crate::flow::{NodeKind, NodeState, Task, TaskKind, TaskStatus};
use crate::projects::fields::FieldDef;
use crate::store::{Store, WriteTx};
use crate::tasks::context::{project_ctx, ProjectCtx};
use crate::tasks::view::TaskView;

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
    check_checklist_len(new.checklist.len())?;
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
        t.nodes.push(node_of(ctx, id, n)?);
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
        let gate = crate::tasks::conditions::gate(&t, now);
        crate::flow::skip::start(&mut t, &gate, now);
    }
    for text in new.checklist {
        let item = new_item(&mut t, clean_item(&text)?);
        t.checklist.push(item);
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
    // The log line carries who received the first step (statistics count it); the
    // first step's CC recipients and a failed condition's error to the task's admins
    // are told after the first handler.
    let others = crate::flow::skip::arrival_notices(t, actor.user_id);
    let created = Event::Created {
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
    };
    let events: Vec<Event> = std::iter::once(created)
        .chain(crate::effects::arrival(t, others))
        .collect();
    stage(tx, actor, &events, now)?;
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
