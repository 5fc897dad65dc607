//! How a task is stored: its index entries (the views' lists and the reminder
//! schedule). Storage mapping sits beside the service that writes the record, so the
//! flow module stays pure.

use crate::flow::{NodeState, Task, TaskStatus};
use crate::stats::record::IX_DUE;
use crate::store::Record;
use crate::time::time_key;

/// Index names used for task views; kept here so the views and the record agree.
pub mod ix {
    pub const PROJECT: &str = "task_project";
    pub const TODO: &str = "task_todo";
    pub const HANDLED: &str = "task_handled";
    pub const CREATED: &str = "task_created";
    pub const WATCHING: &str = "task_watching";
    pub const VISIBLE_TO: &str = "task_visible";
    /// Open tasks by the next time a reminder may be due (zero-padded millis).
    pub const REMIND_AT: &str = "task_remind";
}

impl Record for Task {
    const KIND: &'static str = "task";
    crate::id_and_rev!();
    fn multi_keys(&self) -> Vec<(&'static str, String)> {
        // Archived tasks leave the open/done lists of their project.
        let status = match (self.archived, self.status) {
            (true, _) => "archived",
            (false, TaskStatus::Open) => "open",
            (false, TaskStatus::Done) => "done",
        };
        let mut keys = vec![
            (ix::PROJECT, format!("{}/{status}", self.project_id)),
            (ix::CREATED, self.creator_id.to_string()),
        ];
        if let Some(h) = self.current_handler() {
            keys.push((ix::TODO, h.to_string()));
        }
        let mut handled: Vec<u64> = self
            .nodes
            .iter()
            .filter(|n| n.state == NodeState::Done)
            .map(|n| n.handler_id)
            .collect();
        handled.sort_unstable();
        handled.dedup();
        keys.extend(handled.into_iter().map(|h| (ix::HANDLED, h.to_string())));
        keys.extend(self.watchers.iter().map(|w| (ix::WATCHING, w.to_string())));
        keys.extend(
            self.participants()
                .into_iter()
                .map(|u| (ix::VISIBLE_TO, u.to_string())),
        );
        // The statistics' overdue index: open, current handler, deadline.
        if let (false, TaskStatus::Open, Some(h), Some(due)) = (
            self.archived,
            self.status,
            self.current_handler(),
            self.current_due(),
        ) {
            keys.push((IX_DUE, format!("{h}/{}", time_key(due))));
        }
        if let Some(at) = super::reminders::next_at(self) {
            keys.push((ix::REMIND_AT, time_key(at)));
        }
        keys
    }
}

/// How many open steps `user` handles now (the length of their todo list).
pub fn todo_count(
    store: &crate::store::Store,
    user: u64,
) -> Result<usize, crate::store::StoreError> {
    store.count_by(ix::TODO, &user.to_string())
}
