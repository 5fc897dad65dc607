//! Deleting a task, archiving one or every finished task of a project.

use chrono::{DateTime, Utc};

use crate::actor::Actor;
use crate::audit;
use crate::effects::events::{Event, TaskRef};
use crate::effects::stage;
use crate::error::{ServiceError, ServiceResult};
use crate::flow::Task;
use crate::store::{Store, WriteTx};
use crate::tasks::context::{project_ctx, visible_task};
use crate::tasks::view::TaskView;

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
        stage(
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
    store.write(|tx| stage_archived(tx, actor, &mut t, false, now))?;
    Ok(TaskView::new(&t, ctx.allowed(actor, &t), now))
}

/// Stages `t` (checked against the revision it was read at) archived, and its log
/// line.
fn stage_archived(
    tx: &mut WriteTx<'_>,
    actor: &Actor,
    t: &mut Task,
    with_project: bool,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let rev = t.rev;
    t.archived = true;
    tx.update(t, rev)?;
    let archived = Event::Archived {
        task: t.id,
        with_project,
    };
    stage(tx, actor, &[archived], now)?;
    Ok(())
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
    let ids = store.ids_by(
        crate::tasks::record::ix::PROJECT,
        &format!("{project_id}/done"),
    )?;
    store.write(|tx| {
        let mut n = 0;
        for id in ids {
            let Some(mut t) = tx.get::<Task>(id)? else {
                continue;
            };
            if t.archived {
                continue;
            }
            stage_archived(tx, actor, &mut t, true, now)?;
            n += 1;
        }
        Ok::<_, ServiceError>(n)
    })
}
