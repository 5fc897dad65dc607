//! Editing a task: its values, the steps not yet reached, its checklist.

use chrono::{DateTime, Utc};

use super::checks::{
    check_checklist_len, check_node_count, clean_business_type, clean_description, clean_fields,
    clean_item, clean_title, dedup, new_item, node_of, spec, template_fields,
};
use super::input::{ChecklistEdit, NodeEdit, TaskPatch};
use crate::actor::Actor;
use crate::effects::events::{Edit, Event};
use crate::effects::stage;
use crate::error::{ServiceError, ServiceResult};
use crate::flow::{ChecklistItem, Node, Task};
use crate::org::policy::may_choose_editors;
use crate::store::Store;
use crate::tasks::context::{visible_task, ProjectCtx};
use crate::tasks::node_kinds::same_handlers;
use crate::tasks::view::TaskView;

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
        stage(
            tx,
            actor,
            &[Event::Edited {
                task: id,
                changes: changed,
            }],
            now,
        )?;
        crate::tasks::operate::recheck_current(tx, store, &mut t, now)?;
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
        let mut node = node_of(ctx, 0, n.into_input())?;
        // a step added on the way keeps its mark
        node.added = old.and_then(|o| o.added.clone());
        node.id = match old {
            Some(o) => o.id,
            None => t.alloc_id(),
        };
        out.push(node);
    }
    t.nodes = out;
    Ok(())
}

fn edit_checklist(t: &mut Task, items: Vec<ChecklistEdit>) -> ServiceResult<()> {
    check_checklist_len(items.len())?;
    let mut out = Vec::new();
    for it in items {
        let text = clean_item(&it.text)?;
        match it.id.and_then(|id| t.checklist.iter().find(|c| c.id == id)) {
            Some(old) => out.push(ChecklistItem {
                text,
                ..old.clone()
            }),
            None => out.push(new_item(t, text)),
        }
    }
    t.checklist = out;
    Ok(())
}
