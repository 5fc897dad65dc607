//! Webhook presets: the request each chat service expects, and its signature. Pure:
//! the worker only sends what [`build`] returns.

use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use super::model::{Webhook, WebhookKind};
use super::notice::Notice;

/// One HTTP POST, ready to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length; the error branch cannot happen.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut m) => {
            m.update(message);
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// DingTalk: base64(HMAC-SHA256(key = secret, "{timestamp_ms}\n{secret}")).
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> String {
    b64(&hmac_sha256(
        secret.as_bytes(),
        format!("{timestamp_ms}\n{secret}").as_bytes(),
    ))
}

/// Feishu: base64(HMAC-SHA256(key = "{timestamp_s}\n{secret}", message = empty)).
pub fn feishu_sign(secret: &str, timestamp_s: i64) -> String {
    b64(&hmac_sha256(
        format!("{timestamp_s}\n{secret}").as_bytes(),
        b"",
    ))
}

/// Generic: `sha256=<hex HMAC-SHA256(secret, body)>`.
pub fn generic_signature(secret: &str, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(hmac_sha256(secret.as_bytes(), body))
    )
}

fn secret(hook: &Webhook) -> Option<&str> {
    hook.secret.as_deref().filter(|s| !s.is_empty())
}

/// Checks a URL an admin or user saves: absolute http(s) with a host.
pub fn validate_url(url: &str) -> Result<(), String> {
    let u = reqwest::Url::parse(url.trim()).map_err(|e| format!("'{url}' is not a URL: {e}"))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(format!(
            "a webhook URL must start with http:// or https://, not {}:",
            u.scheme()
        ));
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err("a webhook URL needs a host".into());
    }
    Ok(())
}

/// The request for one notice. `delivery_id` is the outbox item's id: it goes out as
/// `X-Baton-Delivery` so a receiver can drop a re-sent duplicate.
pub fn build(
    hook: &Webhook,
    n: &Notice,
    delivery_id: u64,
    link: Option<&str>,
    group: bool,
    now: DateTime<Utc>,
) -> Result<Outgoing, String> {
    let headline = n.headline(group);
    let detail = n.detail();
    let mut headers = vec![
        ("content-type", "application/json".to_string()),
        ("x-baton-delivery", delivery_id.to_string()),
    ];
    let mut url = hook.url.clone();
    let markdown = |link_line: Option<String>| {
        let mut s = format!("**{headline}**");
        for d in &detail {
            s.push('\n');
            s.push_str(d);
        }
        if let Some(l) = link_line {
            s.push('\n');
            s.push_str(&l);
        }
        s
    };
    let body = match hook.kind {
        WebhookKind::Wecom => json!({
            "msgtype": "markdown",
            "markdown": {"content": markdown(link.map(|l| format!("[{l}]({l})")))},
        }),
        WebhookKind::Dingtalk => {
            if let Some(s) = secret(hook) {
                let ts = now.timestamp_millis();
                let mut u = reqwest::Url::parse(&url).map_err(|e| e.to_string())?;
                u.query_pairs_mut()
                    .append_pair("timestamp", &ts.to_string())
                    .append_pair("sign", &dingtalk_sign(s, ts));
                url = u.to_string();
            }
            json!({
                "msgtype": "markdown",
                "markdown": {
                    "title": headline,
                    "text": markdown(link.map(|l| format!("[{l}]({l})"))),
                },
            })
        }
        WebhookKind::Feishu => {
            let mut text = headline.clone();
            for d in detail.iter().cloned().chain(link.map(str::to_string)) {
                text.push('\n');
                text.push_str(&d);
            }
            let mut v = json!({"msg_type": "text", "content": {"text": text}});
            if let Some(s) = secret(hook) {
                let ts = now.timestamp();
                v["timestamp"] = json!(ts.to_string());
                v["sign"] = json!(feishu_sign(s, ts));
            }
            v
        }
        WebhookKind::Slack => {
            let mut text = format!("*{}*", slack_escape(&headline));
            for d in &detail {
                text.push('\n');
                text.push_str(&slack_escape(d));
            }
            if let Some(l) = link {
                text.push_str(&format!("\n<{l}>"));
            }
            json!({"text": text})
        }
        WebhookKind::Generic => json!({
            "id": delivery_id,
            "event": n.kind.as_str(),
            "user_id": n.user_id,
            "task_id": n.task_id,
            "title": n.title,
            "text": std::iter::once(headline.clone()).chain(detail.iter().cloned()).collect::<Vec<_>>().join("\n"),
            "url": link,
            "created_at": n.created_at,
        }),
    };
    let body = serde_json::to_vec(&body).map_err(|e| e.to_string())?;
    if hook.kind == WebhookKind::Generic {
        if let Some(s) = secret(hook) {
            headers.push(("x-baton-signature", generic_signature(s, &body)));
        }
    }
    Ok(Outgoing { url, headers, body })
}

fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Chat services answer 200 with an error code in the body; this finds it.
pub fn body_error(kind: WebhookKind, body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    let code = match kind {
        WebhookKind::Wecom | WebhookKind::Dingtalk => v.get("errcode")?.as_i64()?,
        WebhookKind::Feishu => v.get("code").or_else(|| v.get("StatusCode"))?.as_i64()?,
        WebhookKind::Slack | WebhookKind::Generic => return None,
    };
    (code != 0).then(|| {
        format!(
            "the service refused the message: {}",
            body.chars().take(300).collect::<String>()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::notice::sample;
    use crate::org::Language;
    use serde_json::Value;

    const SECRET: &str = "SECabc123";

    fn hook(kind: WebhookKind, secret: Option<&str>) -> Webhook {
        Webhook {
            kind,
            url: "https://hooks.example/send?key=k".into(),
            secret: secret.map(str::to_string),
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp_millis(1_700_000_000_000).unwrap()
    }

    fn out(kind: WebhookKind, secret: Option<&str>) -> (Outgoing, Value) {
        let o = build(
            &hook(kind, secret),
            &sample(Language::En),
            99,
            Some("https://b.example/tasks/42"),
            false,
            now(),
        )
        .unwrap();
        let v = serde_json::from_slice(&o.body).unwrap();
        (o, v)
    }

    // Vectors computed independently (Python hmac/hashlib/base64).
    #[test]
    fn signatures_match_known_vectors() {
        assert_eq!(
            dingtalk_sign(SECRET, 1_700_000_000_000),
            "N5P09a4+p1AMJIJWnIvQd2Yxw9+fu/oEBnPrjCcsLXk="
        );
        assert_eq!(
            feishu_sign(SECRET, 1_700_000_000),
            "UqhI0v4zAkSwI4hNYBuHQvnrAqshA0UaeBGHCUMPX70="
        );
        assert_eq!(
            generic_signature(SECRET, br#"{"a":1}"#),
            "sha256=2dff2bbef61ae29e1d34cc5f08804aad59fd2006d1964dadba80420a4d45b03d"
        );
    }

    #[test]
    fn wecom_markdown() {
        let (o, v) = out(WebhookKind::Wecom, None);
        assert_eq!(o.url, "https://hooks.example/send?key=k");
        assert_eq!(v["msgtype"], "markdown");
        let c = v["markdown"]["content"].as_str().unwrap();
        assert!(c.starts_with("**Assigned to you**"), "{c}");
        assert!(c.contains("https://b.example/tasks/42"));
        assert!(o.headers.contains(&("x-baton-delivery", "99".into())));
    }

    #[test]
    fn dingtalk_signed_in_the_query() {
        let (o, v) = out(WebhookKind::Dingtalk, Some(SECRET));
        assert_eq!(
            o.url,
            "https://hooks.example/send?key=k&timestamp=1700000000000&sign=N5P09a4%2Bp1AMJIJWnIvQd2Yxw9%2Bfu%2FoEBnPrjCcsLXk%3D"
        );
        assert_eq!(v["msgtype"], "markdown");
        assert_eq!(v["markdown"]["title"], "Assigned to you");
        assert!(v["markdown"]["text"]
            .as_str()
            .unwrap()
            .contains("Task: Restock"));
        let (o, _) = out(WebhookKind::Dingtalk, None);
        assert_eq!(o.url, "https://hooks.example/send?key=k");
    }

    #[test]
    fn feishu_signed_in_the_body() {
        let (_, v) = out(WebhookKind::Feishu, Some(SECRET));
        assert_eq!(v["timestamp"], "1700000000");
        assert_eq!(v["sign"], "UqhI0v4zAkSwI4hNYBuHQvnrAqshA0UaeBGHCUMPX70=");
        assert_eq!(v["msg_type"], "text");
        assert!(v["content"]["text"]
            .as_str()
            .unwrap()
            .starts_with("Assigned to you\n"));
    }

    #[test]
    fn slack_text_escaped() {
        let (_, v) = out(WebhookKind::Slack, None);
        let t = v["text"].as_str().unwrap();
        assert!(t.starts_with("*Assigned to you*"), "{t}");
        assert!(t.contains("Restock &lt;SKU-1&gt; &amp; co"), "{t}");
        assert!(t.ends_with("<https://b.example/tasks/42>"), "{t}");
    }

    #[test]
    fn generic_json_signed_over_the_exact_body() {
        let (o, v) = out(WebhookKind::Generic, Some(SECRET));
        assert_eq!(v["id"], 99);
        assert_eq!(v["event"], "assigned");
        assert_eq!(v["user_id"], 3);
        assert_eq!(v["task_id"], 42);
        assert_eq!(v["url"], "https://b.example/tasks/42");
        assert!(v["created_at"].is_string());
        let sig = o
            .headers
            .iter()
            .find(|(k, _)| *k == "x-baton-signature")
            .map(|(_, v)| v.clone())
            .unwrap();
        assert_eq!(sig, generic_signature(SECRET, &o.body));
        let (o, _) = out(WebhookKind::Generic, None);
        assert!(!o.headers.iter().any(|(k, _)| *k == "x-baton-signature"));
    }

    #[test]
    fn urls_must_be_http() {
        assert!(validate_url("https://oapi.dingtalk.com/robot/send?access_token=x").is_ok());
        assert!(validate_url("http://127.0.0.1:9/x").is_ok());
        assert!(validate_url("ftp://x/y").is_err());
        assert!(validate_url("javascript:alert(1)").is_err());
        assert!(validate_url("not a url").is_err());
    }

    #[test]
    fn error_codes_in_200_bodies() {
        assert!(body_error(WebhookKind::Wecom, r#"{"errcode":0,"errmsg":"ok"}"#).is_none());
        assert!(body_error(
            WebhookKind::Dingtalk,
            r#"{"errcode":310000,"errmsg":"sign not match"}"#
        )
        .is_some());
        assert!(body_error(
            WebhookKind::Feishu,
            r#"{"code":19021,"msg":"sign match fail"}"#
        )
        .is_some());
        assert!(body_error(WebhookKind::Generic, r#"{"errcode":1}"#).is_none());
    }
}
