//! Copying a task into a project, moving it to another.

use chrono::{DateTime, Utc};

use super::checks::{check_can_create, template_fields};
use super::input::{NewTask, NodeInput};
use super::new_task::{build_with, insert};
use crate::actor::Actor;
use crate::effects::events::Event;
use crate::effects::stage;
use crate::error::{ServiceError, ServiceResult};
use crate::store::Store;
use crate::tasks::context::{project_ctx, visible_task};
use crate::tasks::node_kinds::spec_of;
use crate::tasks::view::TaskView;

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
        stage(
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
        stage(
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
