//! Per user and event type, which channels deliver a message (inbox, e-mail, the
//! user's webhook). Kept here, with the outbox that reads them in every write; the
//! personal centre edits them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::store::Record;

/// Events a user can be told about.
pub const EVENTS: [&str; 12] = [
    "assigned",
    "transferred",
    "returned",
    "withdrawn",
    "urged",
    "due_soon",
    "overdue",
    "escalation",
    "finished",
    "mentioned",
    "announcement",
    "cc",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Channels {
    pub inbox: bool,
    pub email: bool,
    /// The user's own webhook (see `PUT /api/me/webhook`).
    #[serde(default)]
    pub webhook: bool,
    /// The member's subscribed browsers (Web Push). On unless turned off: subscribing
    /// a device is the member's choice already.
    #[serde(default = "on")]
    pub push: bool,
    /// The member's WeCom / DingTalk / Feishu user, when the app is set up and
    /// linked: on unless turned off (linking is the member's or admin's choice).
    #[serde(default = "on")]
    pub wecom: bool,
    #[serde(default = "on")]
    pub dingtalk: bool,
    #[serde(default = "on")]
    pub feishu: bool,
}

fn on() -> bool {
    true
}

impl Channels {
    /// Whether this event goes to the member's user in `app`.
    pub fn app(&self, app: super::apps::AppKind) -> bool {
        match app {
            super::apps::AppKind::Wecom => self.wecom,
            super::apps::AppKind::Dingtalk => self.dingtalk,
            super::apps::AppKind::Feishu => self.feishu,
        }
    }
}

/// Per event type, which channels deliver it. The delivery work reads these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Preferences {
    #[schema(value_type = Object)]
    pub events: std::collections::BTreeMap<String, Channels>,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            events: EVENTS
                .iter()
                .map(|e| {
                    (
                        e.to_string(),
                        Channels {
                            inbox: true,
                            email: false,
                            webhook: false,
                            push: true,
                            wecom: true,
                            dingtalk: true,
                            feishu: true,
                        },
                    )
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PreferenceRecord {
    pub id: u64,
    pub rev: u64,
    pub user_id: u64,
    pub prefs: Preferences,
}

pub const IX_PREFS: &str = "prefs_user";

impl Record for PreferenceRecord {
    const KIND: &'static str = "prefs";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![(IX_PREFS, self.user_id.to_string())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_is_on_in_preferences_saved_before_it_existed() {
        let c: Channels = serde_json::from_str(r#"{"inbox":true,"email":false}"#).unwrap();
        assert!(c.push && !c.webhook);
        assert!(Preferences::default().events.values().all(|c| c.push));
    }
}
