//! What a notice says, in the recipient's language: e-mail subject, plain text and
//! HTML (everything escaped), and the short text chat webhooks post. Pure.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::inbox::MessageKind;
use crate::org::Language;

/// A snapshot of the inbox message an outbox item delivers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub message_id: u64,
    pub kind: MessageKind,
    pub user_id: u64,
    /// The recipient's display name (group channels say who it is about).
    pub recipient: String,
    pub actor: Option<String>,
    pub task_id: Option<u64>,
    pub title: Option<String>,
    /// The message's English fallback text.
    pub text: String,
    pub reason: Option<String>,
    pub language: Language,
    pub created_at: DateTime<Utc>,
    /// The deadline of the recipient's step (else the task's) when the event happened.
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
    /// What the recipient is to do (the current node's action), when it is their step.
    #[serde(default)]
    pub todo: Option<String>,
}

/// "Assigned to you" and friends, for one recipient.
pub fn phrase(kind: MessageKind, lang: Language) -> &'static str {
    use MessageKind as K;
    let zh = lang == Language::ZhCn;
    match kind {
        K::Assigned if zh => "任务已分配给你",
        K::Assigned => "Assigned to you",
        K::Transferred if zh => "任务已转办给你",
        K::Transferred => "Transferred to you",
        K::Returned if zh => "任务已回退给你",
        K::Returned => "Returned to you",
        K::Withdrawn if zh => "任务已被撤回",
        K::Withdrawn => "Withdrawn",
        K::Urged if zh => "有人催办你的任务",
        K::Urged => "You are being urged",
        K::Mentioned if zh => "有人在任务中提到了你",
        K::Mentioned => "You were mentioned",
        K::Commented if zh => "任务有新评论",
        K::Commented => "New comment",
        K::DueSoon if zh => "任务即将到期",
        K::DueSoon => "Due soon",
        K::Overdue if zh => "任务已逾期",
        K::Overdue => "Overdue",
        K::Finished if zh => "任务已完成",
        K::Finished => "Finished",
        K::Escalation if zh => "任务升级提醒",
        K::Escalation => "Escalation",
        K::Feedback if zh => "反馈有新回复",
        K::Feedback => "Reply to your feedback",
        K::FeedbackNew if zh => "收到新反馈",
        K::FeedbackNew => "New feedback",
        K::Announcement if zh => "系统公告",
        K::Announcement => "Announcement",
        K::ScenarioQuarantined if zh => "业务场景已被自动停用",
        K::ScenarioQuarantined => "Scenario switched off",
        K::Cc if zh => "抄送给你",
        K::Cc => "CC to you",
        K::ConditionFailed if zh => "条件节点出错",
        K::ConditionFailed => "A step's condition failed",
    }
}

/// The same event said to a group ("New task", not "Assigned to you").
pub fn group_phrase(kind: MessageKind, lang: Language) -> &'static str {
    use MessageKind as K;
    let zh = lang == Language::ZhCn;
    match kind {
        K::Assigned if zh => "新任务",
        K::Assigned => "New task",
        K::Transferred if zh => "任务转办",
        K::Transferred => "Transferred",
        K::Returned if zh => "任务回退",
        K::Returned => "Returned",
        K::Withdrawn if zh => "任务撤回",
        K::Withdrawn => "Withdrawn",
        K::Urged if zh => "催办",
        K::Urged => "Urged",
        K::Mentioned | K::Commented if zh => "评论",
        K::Mentioned | K::Commented => "Comment",
        K::DueSoon if zh => "即将到期",
        K::DueSoon => "Due soon",
        K::Overdue if zh => "已逾期",
        K::Overdue => "Overdue",
        K::Finished if zh => "已完成",
        K::Finished => "Finished",
        K::Escalation if zh => "升级",
        K::Escalation => "Escalation",
        K::Feedback | K::FeedbackNew if zh => "反馈",
        K::Feedback | K::FeedbackNew => "Feedback",
        K::Announcement if zh => "公告",
        K::Announcement => "Announcement",
        K::ScenarioQuarantined if zh => "业务场景停用",
        K::ScenarioQuarantined => "Scenario switched off",
        K::Cc if zh => "抄送",
        K::Cc => "CC",
        K::ConditionFailed if zh => "条件节点出错",
        K::ConditionFailed => "Condition failed",
    }
}

/// `{public_url}/tasks/{id}`, when both are known.
pub fn task_link(public_url: Option<&str>, task_id: Option<u64>) -> Option<String> {
    let base = public_url?.trim_end_matches('/');
    Some(format!("{base}/tasks/{}", task_id?))
}

fn labels(lang: Language) -> (&'static str, &'static str, &'static str, &'static str) {
    match lang {
        Language::ZhCn => ("任务", "原因", "操作人", "打开任务"),
        Language::En => ("Task", "Reason", "By", "Open the task"),
    }
}

impl Notice {
    /// `[Baton] 任务已分配给你: 补货 SKU-1`
    pub fn subject(&self) -> String {
        let p = phrase(self.kind, self.language);
        match &self.title {
            Some(t) => format!("[Baton] {p}: {}", one_line(t)),
            None => format!("[Baton] {p}"),
        }
    }

    pub fn plain(&self, link: Option<&str>) -> String {
        let (task, reason, by, open) = labels(self.language);
        let mut out = format!("{}\n\n", phrase(self.kind, self.language));
        if let Some(t) = &self.title {
            out.push_str(&format!("{task}: {t}\n"));
        }
        if let Some(a) = &self.actor {
            out.push_str(&format!("{by}: {a}\n"));
        }
        if let Some(r) = &self.reason {
            out.push_str(&format!("{reason}: {r}\n"));
        }
        if let Some(l) = link {
            out.push_str(&format!("\n{open}: {l}\n"));
        }
        out
    }

    pub fn html(&self, link: Option<&str>) -> String {
        let (task, reason, by, open) = labels(self.language);
        let mut out = format!(
            "<!doctype html><html><body><p><strong>{}</strong></p>",
            escape(phrase(self.kind, self.language))
        );
        if let Some(t) = &self.title {
            out.push_str(&format!("<p>{task}: {}</p>", escape(t)));
        }
        if let Some(a) = &self.actor {
            out.push_str(&format!("<p>{by}: {}</p>", escape(a)));
        }
        if let Some(r) = &self.reason {
            out.push_str(&format!("<p>{reason}: {}</p>", escape(r)));
        }
        if let Some(l) = link {
            out.push_str(&format!("<p><a href=\"{}\">{open}</a></p>", escape(l)));
        }
        out.push_str("</body></html>");
        out
    }

    /// The headline a chat message starts with.
    pub fn headline(&self, group: bool) -> String {
        if group {
            let p = group_phrase(self.kind, self.language);
            format!("{p} · {}", self.recipient)
        } else {
            phrase(self.kind, self.language).to_string()
        }
    }

    /// The lines under the headline: title, reason.
    pub fn detail(&self) -> Vec<String> {
        let (task, reason, _, _) = labels(self.language);
        let mut out = Vec::new();
        if let Some(t) = &self.title {
            out.push(format!("{task}: {}", one_line(t)));
        }
        if let Some(r) = &self.reason {
            out.push(format!("{reason}: {}", one_line(r)));
        }
        out
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// HTML-escapes text and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
pub(crate) fn sample(lang: Language) -> Notice {
    Notice {
        message_id: 7,
        kind: MessageKind::Assigned,
        user_id: 3,
        recipient: "Bob".into(),
        actor: Some("Ann".into()),
        task_id: Some(42),
        title: Some("Restock <SKU-1> & co".into()),
        text: "'Restock' is assigned to you".into(),
        reason: None,
        language: lang,
        created_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
        due_at: None,
        todo: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_and_bodies_in_the_recipients_language() {
        let n = sample(Language::ZhCn);
        assert_eq!(n.subject(), "[Baton] 任务已分配给你: Restock <SKU-1> & co");
        let link = task_link(Some("https://b.example/"), n.task_id);
        assert_eq!(link.as_deref(), Some("https://b.example/tasks/42"));
        let plain = n.plain(link.as_deref());
        assert!(plain.contains("任务: Restock <SKU-1> & co"), "{plain}");
        assert!(
            plain.contains("打开任务: https://b.example/tasks/42"),
            "{plain}"
        );
        let html = n.html(link.as_deref());
        assert!(html.contains("Restock &lt;SKU-1&gt; &amp; co"), "{html}");
        assert!(!html.contains("<SKU-1>"));
        assert!(html.contains("href=\"https://b.example/tasks/42\""));
        let en = sample(Language::En);
        assert_eq!(
            en.subject(),
            "[Baton] Assigned to you: Restock <SKU-1> & co"
        );
        assert_eq!(en.headline(true), "New task · Bob");
    }

    #[test]
    fn no_link_without_public_url_or_task() {
        assert_eq!(task_link(None, Some(1)), None);
        assert_eq!(task_link(Some("https://x"), None), None);
    }
}
