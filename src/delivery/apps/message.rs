//! What a personal chat message says: a card (WeCom `textcard`, DingTalk
//! `action_card`, Feishu `interactive`) with the headline, the task, what to do, the
//! due time and a button that opens the task; plain markdown when there is no link
//! (no `public_url`). Pure, in the recipient's language.

use chrono_tz::Tz;
use serde_json::{json, Value};

use crate::delivery::notice::{escape, Notice};
use crate::org::Language;

/// The parts of a message, ready for any app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// "Assigned to you: Restock SKU-1"
    pub title: String,
    /// "Task: …", "What to do: …", "Due: …", "Reason: …", "By: …"
    pub lines: Vec<String>,
    pub link: Option<String>,
    /// "Open the task"
    pub button: String,
}

struct Labels {
    task: &'static str,
    todo: &'static str,
    due: &'static str,
    reason: &'static str,
    by: &'static str,
    open: &'static str,
}

fn labels(lang: Language) -> Labels {
    match lang {
        Language::ZhCn => Labels {
            task: "任务",
            todo: "处理事项",
            due: "截止时间",
            reason: "原因",
            by: "操作人",
            open: "打开任务",
        },
        Language::En => Labels {
            task: "Task",
            todo: "What to do",
            due: "Due",
            reason: "Reason",
            by: "By",
            open: "Open the task",
        },
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Cuts `s` to at most `max` bytes on a character boundary (the apps count bytes).
fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

impl Card {
    /// The card for `n`; the due time is shown in the company's time zone `tz`.
    pub fn of(n: &Notice, link: Option<&str>, tz: Tz) -> Card {
        let l = labels(n.language);
        let headline = n.headline(false);
        let title = match &n.title {
            Some(t) => format!("{headline}: {}", one_line(t)),
            None => headline,
        };
        let mut lines = Vec::new();
        if let Some(t) = &n.title {
            lines.push(format!("{}: {}", l.task, one_line(t)));
        }
        if let Some(d) = n.todo.as_deref().filter(|d| !d.trim().is_empty()) {
            lines.push(format!("{}: {}", l.todo, one_line(d)));
        }
        if let Some(due) = n.due_at {
            lines.push(format!(
                "{}: {}",
                l.due,
                due.with_timezone(&tz).format("%Y-%m-%d %H:%M")
            ));
        }
        if let Some(r) = &n.reason {
            lines.push(format!("{}: {}", l.reason, one_line(r)));
        }
        if let Some(a) = &n.actor {
            lines.push(format!("{}: {}", l.by, one_line(a)));
        }
        Card {
            title,
            lines,
            link: link.map(str::to_string),
            button: l.open.to_string(),
        }
    }

    fn markdown(&self) -> String {
        let mut s = format!("**{}**", self.title);
        for line in &self.lines {
            s.push_str("\n\n");
            s.push_str(line);
        }
        if let Some(l) = &self.link {
            s.push_str(&format!("\n\n[{}]({l})", self.button));
        }
        s
    }

    /// WeCom `message/send`: a `textcard` (title ≤ 128 bytes, description ≤ 512
    /// bytes, HTML `<div>`s) when there is a link, else `markdown`.
    pub fn wecom(&self, to: &str, agent_id: u64) -> Value {
        match &self.link {
            Some(url) => {
                let desc: String = self
                    .lines
                    .iter()
                    .map(|l| format!("<div class=\"normal\">{}</div>", escape(l)))
                    .collect();
                json!({
                    "touser": to,
                    "msgtype": "textcard",
                    "agentid": agent_id,
                    "textcard": {
                        "title": cut(&self.title, 128),
                        "description": cut(&desc, 512),
                        "url": url,
                        "btntxt": self.button,
                    },
                })
            }
            None => json!({
                "touser": to,
                "msgtype": "markdown",
                "agentid": agent_id,
                "markdown": {"content": self.markdown()},
            }),
        }
    }

    /// DingTalk work notification: an `action_card` with one button when there is a
    /// link, else `markdown`.
    pub fn dingtalk(&self, to: &str, agent_id: u64) -> Value {
        let msg = match &self.link {
            Some(url) => json!({
                "msgtype": "action_card",
                "action_card": {
                    "title": self.title,
                    "markdown": self.markdown(),
                    "single_title": self.button,
                    "single_url": url,
                },
            }),
            None => json!({
                "msgtype": "markdown",
                "markdown": {"title": self.title, "text": self.markdown()},
            }),
        };
        json!({"agent_id": agent_id, "userid_list": to, "msg": msg})
    }

    /// Feishu `im/v1/messages`: an interactive card; `content` is a JSON *string*.
    pub fn feishu(&self, to: &str) -> Value {
        let mut elements = vec![json!({
            "tag": "div",
            "text": {"tag": "lark_md", "content": self.lines.join("\n")},
        })];
        if let Some(url) = &self.link {
            elements.push(json!({
                "tag": "action",
                "actions": [{
                    "tag": "button",
                    "text": {"tag": "plain_text", "content": self.button},
                    "type": "primary",
                    "url": url,
                }],
            }));
        }
        let card = json!({
            "config": {"wide_screen_mode": true},
            "header": {"title": {"tag": "plain_text", "content": self.title}, "template": "blue"},
            "elements": elements,
        });
        json!({
            "receive_id": to,
            "msg_type": "interactive",
            "content": card.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::notice::sample;

    fn card(lang: Language, link: Option<&str>) -> Card {
        let mut n = sample(lang);
        n.todo = Some("count the  boxes".into());
        n.due_at = chrono::DateTime::from_timestamp(1_700_000_000, 0);
        Card::of(&n, link, chrono_tz::Asia::Shanghai)
    }

    #[test]
    fn says_what_to_do_and_when_in_the_recipients_language() {
        let c = card(Language::ZhCn, Some("https://b.example/tasks/42"));
        assert_eq!(c.title, "任务已分配给你: Restock <SKU-1> & co");
        assert_eq!(
            c.lines,
            vec![
                "任务: Restock <SKU-1> & co",
                "处理事项: count the boxes",
                "截止时间: 2023-11-15 06:13",
                "操作人: Ann",
            ]
        );
        assert_eq!(c.button, "打开任务");
        let en = card(Language::En, None);
        assert!(en
            .lines
            .contains(&"What to do: count the boxes".to_string()));
    }

    #[test]
    fn each_apps_shape() {
        let c = card(Language::En, Some("https://b.example/tasks/42"));
        let w = c.wecom("zhangsan", 1000002);
        assert_eq!(w["msgtype"], "textcard");
        assert_eq!(w["touser"], "zhangsan");
        assert_eq!(w["agentid"], 1000002);
        assert_eq!(w["textcard"]["url"], "https://b.example/tasks/42");
        let d = w["textcard"]["description"].as_str().unwrap();
        assert!(d.contains("Restock &lt;SKU-1&gt; &amp; co"), "{d}");
        let d = c.dingtalk("u1", 7);
        assert_eq!(d["userid_list"], "u1");
        assert_eq!(d["msg"]["msgtype"], "action_card");
        assert_eq!(
            d["msg"]["action_card"]["single_url"],
            "https://b.example/tasks/42"
        );
        let f = c.feishu("ou1");
        assert_eq!(f["msg_type"], "interactive");
        let inner: Value = serde_json::from_str(f["content"].as_str().unwrap()).unwrap();
        assert_eq!(
            inner["elements"][1]["actions"][0]["url"],
            "https://b.example/tasks/42"
        );
        let plain = card(Language::En, None);
        assert_eq!(plain.wecom("z", 1)["msgtype"], "markdown");
        assert_eq!(plain.dingtalk("z", 1)["msg"]["msgtype"], "markdown");
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        let s = "任".repeat(100);
        let c = cut(&s, 128);
        assert!(c.len() <= 128 && c.ends_with('…'), "{}", c.len());
        assert_eq!(cut("short", 128), "short");
    }
}
