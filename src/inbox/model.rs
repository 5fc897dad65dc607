use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::store::Record;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Assigned,
    Transferred,
    Returned,
    Withdrawn,
    Urged,
    Mentioned,
    Commented,
    DueSoon,
    Overdue,
    Finished,
    Escalation,
    /// An admin replied to the reader's feedback.
    Feedback,
    /// Someone sent new feedback (to company admins and their department's admins).
    FeedbackNew,
    Announcement,
    /// A scenario was switched off for running away (to company admins).
    ScenarioQuarantined,
    /// CC (抄送): a step that names the reader was reached or done.
    Cc,
    /// A step's condition failed and the flow stopped there (to the task's creator
    /// and editors).
    ConditionFailed,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Assigned => "assigned",
            MessageKind::Transferred => "transferred",
            MessageKind::Returned => "returned",
            MessageKind::Withdrawn => "withdrawn",
            MessageKind::Urged => "urged",
            MessageKind::Mentioned => "mentioned",
            MessageKind::Commented => "commented",
            MessageKind::DueSoon => "due_soon",
            MessageKind::Overdue => "overdue",
            MessageKind::Finished => "finished",
            MessageKind::Escalation => "escalation",
            MessageKind::Feedback => "feedback",
            MessageKind::FeedbackNew => "feedback_new",
            MessageKind::Announcement => "announcement",
            MessageKind::ScenarioQuarantined => "scenario_quarantined",
            MessageKind::Cc => "cc",
            MessageKind::ConditionFailed => "condition_failed",
        }
    }

    pub fn parse(s: &str) -> Option<MessageKind> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Message {
    pub id: u64,
    pub rev: u64,
    pub user_id: u64,
    pub kind: MessageKind,
    pub task_id: Option<u64>,
    pub task_title: Option<String>,
    pub actor_id: Option<u64>,
    /// English fallback text; the UI words it from `kind` in the reader's language.
    pub text: String,
    pub reason: Option<String>,
    pub read: bool,
    pub follow_up: bool,
    pub created_at: DateTime<Utc>,
}

pub mod ix {
    /// Every message by recipient and read state, one entry each: value
    /// [`super::inbox_value`]. The unread ones are one range of it, so a message needs
    /// no second entry to be counted as unread.
    pub const USER: &str = "inbox";
    /// The unread index before schema 5 (now the `u` range of [`USER`]); named only so
    /// the schema step can remove its entries.
    pub const UNREAD: &str = "inbox_unread";
    pub const FOLLOW_UP: &str = "inbox_follow";
}

/// [`ix::USER`] value of `user`'s messages that are unread (`{user}/u`) or read
/// (`{user}/r`).
pub fn inbox_value(user: u64, read: bool) -> String {
    format!("{user}/{}", if read { "r" } else { "u" })
}

impl Record for Message {
    const KIND: &'static str = "message";
    crate::id_and_rev!();
    fn multi_keys(&self) -> Vec<(&'static str, String)> {
        let mut keys = vec![(ix::USER, inbox_value(self.user_id, self.read))];
        if self.follow_up {
            keys.push((ix::FOLLOW_UP, self.user_id.to_string()));
        }
        keys
    }
}
