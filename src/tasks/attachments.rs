//! Attachments: files under `DATA/uploads/{id}`, metadata on the task. A file is
//! fully written and synced before the task points at it.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::context::visible_task;
use super::view::TaskView;
use crate::actor::Actor;
use crate::effects::events::Event;
use crate::effects::stage;
use crate::error::{ServiceError, ServiceResult};
use crate::flow::model::Attachment;
use crate::flow::Task;
use crate::org::policy::may_remove_attachment;
use crate::store::{Store, WriteTx};

/// A file the HTTP layer has received into the temp directory.
pub struct Upload {
    pub temp: tempfile::NamedTempFile,
    pub name: String,
    pub content_type: String,
    pub size: u64,
}

/// A file name without directories, quotes or control characters.
pub fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(200)
        .collect();
    if cleaned.trim().is_empty() {
        "file".into()
    } else {
        cleaned
    }
}

pub fn attach(
    store: &Store,
    actor: &Actor,
    task_id: u64,
    upload: Upload,
    uploads: &Path,
    now: DateTime<Utc>,
) -> ServiceResult<Attachment> {
    let (_, _, allowed) = visible_task(store, actor, task_id)?;
    if !allowed.comment {
        return Err(ServiceError::forbidden(
            "an archived task takes no attachments",
        ));
    }
    let uid = actor
        .user_id
        .ok_or_else(|| ServiceError::forbidden("attachments are added by users"))?;
    let ready = Ready::new(upload, uploads)?;
    store.write(|tx| {
        let mut task: Task = tx.load(task_id)?;
        let rev = task.rev;
        let att = ready.place(tx, uid, uploads, now)?;
        task.attachments.push(att.clone());
        task.updated_at = now;
        tx.update(&mut task, rev)?;
        stage(
            tx,
            actor,
            &[Event::Attached {
                task: task_id,
                name: att.name.clone(),
            }],
            now,
        )?;
        Ok(att)
    })
}

/// An upload synced to disk and ready to be put in place.
pub struct Ready {
    upload: Upload,
    name: String,
}

impl Ready {
    pub fn new(upload: Upload, uploads: &Path) -> ServiceResult<Ready> {
        std::fs::create_dir_all(uploads)
            .map_err(|e| ServiceError::Internal(format!("uploads directory: {e}")))?;
        upload
            .temp
            .as_file()
            .sync_all()
            .map_err(|e| ServiceError::Internal(format!("sync upload: {e}")))?;
        let name = clean_name(&upload.name);
        Ok(Ready { upload, name })
    }

    /// Gives the file its id and moves it to `uploads/{id}` inside the caller's write,
    /// before the batch that refers to it is applied.
    pub fn place(
        self,
        tx: &mut WriteTx<'_>,
        uploaded_by: u64,
        uploads: &Path,
        now: DateTime<Utc>,
    ) -> ServiceResult<Attachment> {
        let id = tx.next_id()?;
        let att = Attachment {
            id,
            name: self.name,
            size: self.upload.size,
            content_type: self.upload.content_type,
            uploaded_by,
            uploaded_at: now,
        };
        self.upload
            .temp
            .persist(uploads.join(id.to_string()))
            .map_err(|e| ServiceError::Internal(format!("store upload: {}", e.error)))?;
        Ok(att)
    }
}

/// The file and metadata of an attachment the actor may see.
pub fn open(
    store: &Store,
    actor: &Actor,
    task_id: u64,
    attachment_id: u64,
    uploads: &Path,
) -> ServiceResult<(Attachment, PathBuf)> {
    let (task, _, _) = visible_task(store, actor, task_id)?;
    let att = task
        .attachments
        .iter()
        .find(|a| a.id == attachment_id)
        .cloned()
        .ok_or_else(|| ServiceError::not_found(format!("attachment {attachment_id} not found")))?;
    Ok((att, uploads.join(attachment_id.to_string())))
}

pub fn remove(
    store: &Store,
    actor: &Actor,
    task_id: u64,
    attachment_id: u64,
    uploads: &Path,
    now: DateTime<Utc>,
) -> ServiceResult<TaskView> {
    let (_, ctx, allowed) = visible_task(store, actor, task_id)?;
    let view = store.write(|tx| {
        let mut task: Task = tx.load(task_id)?;
        let Some(att) = task
            .attachments
            .iter()
            .find(|a| a.id == attachment_id)
            .cloned()
        else {
            return Err(ServiceError::not_found(format!(
                "attachment {attachment_id} not found"
            )));
        };
        may_remove_attachment(actor, att.uploaded_by, allowed.edit)?;
        let rev = task.rev;
        task.attachments.retain(|a| a.id != attachment_id);
        task.updated_at = now;
        tx.update(&mut task, rev)?;
        stage(
            tx,
            actor,
            &[Event::Detached {
                task: task_id,
                name: att.name.clone(),
            }],
            now,
        )?;
        Ok(TaskView::new(&task, ctx.allowed(actor, &task), now))
    })?;
    let _ = std::fs::remove_file(uploads.join(attachment_id.to_string()));
    Ok(view)
}

#[cfg(test)]
mod tests {
    use super::clean_name;

    #[test]
    fn names_lose_paths_and_quotes() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\x\\a\"b.pdf"), "ab.pdf");
        assert_eq!(clean_name(""), "file");
    }
}
