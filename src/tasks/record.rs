//! How a task is stored: its index entries (the views' lists and the reminder
//! schedule). Storage mapping sits beside the service that writes the record, so the
//! flow module stays pure.

use chrono::{DateTime, Utc};

use crate::flow::{NodeKind, NodeState, ShareState, Task, TaskStatus};
use crate::store::Record;
use crate::time::time_key;

/// Index names used for task views; kept here so the views and the record agree.
pub mod ix {
    pub const PROJECT: &str = "task_project";
    /// Open tasks by current handler, step state and deadline: value
    /// [`super::todo_value`], so "my todo" reads its groups in deadline order by range.
    pub const TODO: &str = "task_todo";
    pub const HANDLED: &str = "task_handled";
    /// The creator index before schema 5 (now the `c` range of [`VISIBLE_TO`]); named
    /// only so the schema step can remove its entries.
    pub const CREATED: &str = "task_created";
    pub const WATCHING: &str = "task_watching";
    /// Everyone who may see the task, one entry each: value [`super::visible_value`]
    /// (the creator's is marked, so "created by me" is one range of it and the
    /// creator needs no second entry).
    pub const VISIBLE_TO: &str = "task_visible";
    /// Open tasks by when a reminder may be due: `t/{time}`, the time of the next
    /// overdue reminder or escalation, or `d/{deadline}` while "due soon" is pending
    /// (its lead is a setting, so the tick adds it when it reads, not the index when
    /// it writes); see `tasks::reminders::schedule`.
    pub const REMIND_AT: &str = "task_remind";
    /// Open tasks whose current step is an unclaimed claim step, by candidate: "My
    /// work → To claim".
    pub const CLAIMABLE: &str = "task_claimable";
}

/// [`ix::TODO`] value: `{handler}/{a|s}/{deadline}`, `a` for a received step and `s`
/// for a started one, the deadline a [`time_key`] or [`NO_DUE`] (sorts last).
pub fn todo_value(handler: u64, state: NodeState, due: Option<DateTime<Utc>>) -> String {
    let state = if state == NodeState::Active { "a" } else { "s" };
    let due = due.map_or_else(|| NO_DUE.to_string(), time_key);
    format!("{handler}/{state}/{due}")
}

/// [`ix::VISIBLE_TO`] value: `{user}/c` for the task's creator, `{user}/p` for every
/// other participant.
pub fn visible_value(user: u64, creator: bool) -> String {
    format!("{user}/{}", if creator { "c" } else { "p" })
}

/// Deadline part of a [`todo_value`] for a step without one: after every time key.
pub const NO_DUE: &str = "~";

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
        let mut keys = vec![(ix::PROJECT, format!("{}/{status}", self.project_id))];
        if let (false, Some(node)) = (self.archived, self.current_node()) {
            // One entry per handler with an open part: every share of an all/any step
            // in its own state; none for an unclaimed step (its candidates' entries
            // are in the claim index).
            for (h, state) in node.open_handlers() {
                keys.push((ix::TODO, todo_value(h, state, self.current_due())));
            }
            if node.is_unclaimed() {
                keys.extend(
                    node.candidates
                        .iter()
                        .map(|c| (ix::CLAIMABLE, c.to_string())),
                );
            }
        }
        let mut handled: Vec<u64> = self
            .nodes
            .iter()
            // a step the flow skipped was never handled by anyone
            .filter(|n| !n.skipped)
            .flat_map(|n| match n.kind {
                NodeKind::All | NodeKind::Any => n
                    .shares
                    .iter()
                    .filter(|s| s.state == ShareState::Done)
                    .map(|s| s.handler_id)
                    .collect(),
                _ if n.state == NodeState::Done => n.handlers(),
                _ => vec![],
            })
            .collect();
        handled.sort_unstable();
        handled.dedup();
        keys.extend(handled.into_iter().map(|h| (ix::HANDLED, h.to_string())));
        keys.extend(self.watchers.iter().map(|w| (ix::WATCHING, w.to_string())));
        keys.extend(
            self.participants()
                .into_iter()
                .map(|u| (ix::VISIBLE_TO, visible_value(u, u == self.creator_id))),
        );
        keys.extend(
            super::reminders::schedule(self)
                .into_iter()
                .map(|v| (ix::REMIND_AT, v)),
        );
        keys
    }
}

/// How many open steps `user` handles now (the length of their todo list) and how many
/// of them are past their deadline at `now`: both counted by key in the todo index,
/// which also serves the statistics' overdue figure (no separate deadline index).
pub fn open_work(
    store: &crate::store::Store,
    user: u64,
    now: DateTime<Utc>,
) -> Result<(usize, usize), crate::store::StoreError> {
    // Prefix count: every `{user}/…` value of the todo index.
    let todo = store.count_by(ix::TODO, &user.to_string())?;
    let now_key = time_key(now);
    let mut overdue = 0;
    for state in ["a", "s"] {
        overdue += store.count_range(
            ix::TODO,
            &format!("{user}/{state}/"),
            &format!("{user}/{state}/{now_key}"),
        )?;
    }
    Ok((todo, overdue))
}
