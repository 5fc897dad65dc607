//! The default write-back body and its signature. Pure: the facts come in, JSON goes
//! out. `docs/schemas/write-back.json` describes the body; a test checks a real one
//! against it.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

/// The task events a target hears of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteBackEvent {
    Created,
    StepCompleted,
    Returned,
    Finished,
}

impl WriteBackEvent {
    /// The `event` field and the `X-Baton-Event` header.
    pub fn as_str(self) -> &'static str {
        match self {
            WriteBackEvent::Created => "created",
            WriteBackEvent::StepCompleted => "step_completed",
            WriteBackEvent::Returned => "returned",
            WriteBackEvent::Finished => "finished",
        }
    }
}

/// Who did it: a user, or the server / a scenario (no id, no username).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    pub id: Option<u64>,
    pub username: Option<String>,
    pub name: String,
}

/// The facts of one event, as they were at that moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub event: WriteBackEvent,
    pub task_id: u64,
    pub title: String,
    pub project_id: u64,
    /// The source record's kind and id (scenario tasks).
    pub record: Option<(String, String)>,
    /// The step: its node id and action (a completed or returned step).
    pub node: Option<(u32, String)>,
    /// How a finished task finished: `completed` or `auto_closed`.
    pub how: Option<&'static str>,
    pub who: Who,
    pub at: DateTime<Utc>,
    /// The note of a completion, the reason of a return.
    pub comment: Option<String>,
}

/// The default body, without `task.link` (see [`with_link`]).
pub fn default_body(f: &Facts) -> Value {
    json!({
        "event": f.event.as_str(),
        "task": {
            "id": f.task_id,
            "title": f.title,
            "project_id": f.project_id,
            "link": Value::Null,
        },
        "record": f.record.as_ref().map(|(kind, id)| json!({"kind": kind, "id": id})),
        "node": f.node.as_ref().map(|(id, action)| json!({"id": id, "action": action})),
        "how": f.how,
        "who": {"id": f.who.id, "username": f.who.username, "name": f.who.name},
        "at": f.at.to_rfc3339_opts(SecondsFormat::Secs, true),
        "comment": f.comment,
    })
}

/// The stored body with the task's link (`{public_url}/tasks/{id}`, `null` without a
/// `public_url`), as it is sent and as `fn write_back` sees it.
pub fn with_link(mut body: Value, link: Option<&str>) -> Value {
    if let Some(task) = body.get_mut("task").and_then(Value::as_object_mut) {
        task.insert("link".into(), link.map_or(Value::Null, |l| json!(l)));
    }
    body
}

/// A test send's body: the shape of a real one, about no real task.
pub fn sample(who: Who, now: DateTime<Utc>) -> Value {
    let mut b = default_body(&Facts {
        event: WriteBackEvent::StepCompleted,
        task_id: 0,
        title: "Baton test delivery".into(),
        project_id: 0,
        record: Some(("purchase_order".into(), "PO-TEST".into())),
        node: Some((1, "approve".into())),
        how: None,
        who,
        at: now,
        comment: Some("This is a test delivery from Baton.".into()),
    });
    b["event"] = json!("test");
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::presets::generic_signature;

    fn facts() -> Facts {
        Facts {
            event: WriteBackEvent::Returned,
            task_id: 12,
            title: "PO-88 over budget".into(),
            project_id: 3,
            record: Some(("purchase_order".into(), "PO-88".into())),
            node: Some((2, "approve".into())),
            how: None,
            who: Who {
                id: Some(5),
                username: Some("lily".into()),
                name: "Lily Chen".into(),
            },
            at: DateTime::from_timestamp(1_764_000_000, 0).unwrap(),
            comment: Some("price too high".into()),
        }
    }

    #[test]
    fn default_body_has_the_facts_of_the_moment() {
        let b = with_link(
            default_body(&facts()),
            Some("https://baton.example/tasks/12"),
        );
        assert_eq!(
            b,
            json!({
                "event": "returned",
                "task": {"id": 12, "title": "PO-88 over budget", "project_id": 3,
                         "link": "https://baton.example/tasks/12"},
                "record": {"kind": "purchase_order", "id": "PO-88"},
                "node": {"id": 2, "action": "approve"},
                "how": null,
                "who": {"id": 5, "username": "lily", "name": "Lily Chen"},
                "at": "2025-11-24T16:00:00Z",
                "comment": "price too high",
            })
        );
        let plain = with_link(default_body(&facts()), None);
        assert_eq!(plain["task"]["link"], Value::Null);
    }

    #[test]
    fn signed_over_the_exact_bytes() {
        // Computed independently:
        // printf '%s' '{"event":"test"}' | openssl dgst -sha256 -hmac s3cret
        assert_eq!(
            generic_signature("s3cret", br#"{"event":"test"}"#),
            "sha256=b4986cc3ab143f0e2e18cac20b164f7e843afdfb9651b1697f70e55a38617a30"
        );
    }
}
