//! Sending one notice to one device: the JSON the service worker shows, encrypted
//! for the browser, signed for the push service, posted through the one outbound
//! client (so the address policy holds for push services too).

use chrono::{DateTime, Utc};
use p256::SecretKey;
use rand::RngCore;
use reqwest::StatusCode;

use super::crypto::{decode_b64, encrypt, vapid_header, MAX_PLAINTEXT};
use super::model::Device;
use crate::delivery::failure::SendError;
use crate::delivery::notice::{phrase, Notice};
use crate::net::{explain, Failure, Outbound};

/// How long a push service keeps a message for a device that is offline: a notice
/// older than a day is better read in the inbox.
const TTL_SECONDS: u32 = 24 * 3600;
/// Lifetime of a VAPID token (RFC 8292 allows up to 24 h).
const TOKEN_HOURS: i64 = 12;
const MAX_BODY_CHARS: usize = 400;

/// What the service worker gets: `title` and `body` to show, `url` to open (a path
/// on this server), and `tag` so a second notice about a task replaces the first.
pub fn payload(n: &Notice) -> serde_json::Value {
    let body: String = n.detail().join("\n").chars().take(MAX_BODY_CHARS).collect();
    let body = if body.is_empty() {
        n.text.clone()
    } else {
        body
    };
    let (url, tag) = match n.task_id {
        Some(t) => (format!("/tasks/{t}"), format!("baton-task-{t}")),
        None => (
            "/inbox".to_string(),
            format!("baton-message-{}", n.message_id),
        ),
    };
    serde_json::json!({
        "title": phrase(n.kind, n.language),
        "body": body,
        "url": url,
        "tag": tag,
    })
}

/// The `sub` claim: the operator's public address when it is an https URL (what
/// push services want), else a placeholder contact.
fn subject(public_url: Option<&str>) -> String {
    match public_url {
        Some(u) if u.starts_with("https://") => u.trim_end_matches('/').to_string(),
        _ => "mailto:webpush@baton.invalid".to_string(),
    }
}

/// Posts `n` to `device`. A 404 or 410 answer is [`SendError::Gone`]: the browser
/// unsubscribed, and the caller forgets the device.
pub async fn send(
    out: &Outbound,
    key: &SecretKey,
    device: &Device,
    n: &Notice,
    public_url: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), SendError> {
    let mut text = payload(n).to_string();
    if text.len() > MAX_PLAINTEXT {
        // Titles are bounded, so only an extreme body gets here: send the bare phrase.
        text =
            serde_json::json!({ "title": phrase(n.kind, n.language), "url": "/inbox" }).to_string();
    }
    let ua_public = decode_b64(&device.p256dh).unwrap_or_default();
    let auth = decode_b64(&device.auth).unwrap_or_default();
    let ephemeral = SecretKey::random(&mut rand::rngs::OsRng);
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let body = encrypt(&ua_public, &auth, &ephemeral, &salt, text.as_bytes())
        .map_err(|e| SendError::Other(format!("push message: {e}")))?;
    let url = reqwest::Url::parse(&device.endpoint)
        .map_err(|e| SendError::Other(format!("push endpoint: {e}")))?;
    let audience = url.origin().ascii_serialization();
    let expires = (now + chrono::Duration::hours(TOKEN_HOURS)).timestamp();
    let authorization = vapid_header(key, &audience, expires, &subject(public_url))
        .map_err(|e| SendError::Other(e.to_string()))?;
    let resp = out
        .request(reqwest::Method::POST, url.as_str())
        .map_err(|e| describe(e.into()))?
        .header("TTL", TTL_SECONDS.to_string())
        .header("Urgency", "normal")
        .header("Content-Encoding", "aes128gcm")
        .header("Content-Type", "application/octet-stream")
        .header("Authorization", authorization)
        .body(body)
        .send()
        .await
        .map_err(|e| describe(explain(e)))?;
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    let host = url.host_str().unwrap_or("?");
    if matches!(status, StatusCode::NOT_FOUND | StatusCode::GONE) {
        return Err(SendError::Gone(format!(
            "push service {host} answered {status}: the device unsubscribed"
        )));
    }
    let snippet: String = resp
        .text()
        .await
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect();
    Err(SendError::Other(format!(
        "push service {host} answered {status}: {snippet}"
    )))
}

fn describe(f: Failure) -> SendError {
    match f {
        Failure::Refused(r) => SendError::Refused(format!("push service address refused: {r}")),
        Failure::TimedOut => SendError::Unreachable("push request timed out".into()),
        Failure::Other(e) => SendError::Unreachable(format!("push request failed: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::notice::sample;
    use crate::org::Language;

    #[test]
    fn the_payload_is_in_the_members_language_and_opens_the_task() {
        let p = payload(&sample(Language::ZhCn));
        assert_eq!(p["title"], "任务已分配给你");
        assert_eq!(p["body"], "任务: Restock <SKU-1> & co");
        assert_eq!(p["url"], "/tasks/42");
        assert_eq!(p["tag"], "baton-task-42");
        let mut n = sample(Language::En);
        n.task_id = None;
        n.title = None;
        let p = payload(&n);
        assert_eq!(
            (p["url"].as_str(), p["body"].as_str()),
            (Some("/inbox"), Some("'Restock' is assigned to you"))
        );
    }

    #[test]
    fn the_subject_is_an_https_url_or_a_mailto() {
        assert_eq!(subject(Some("https://b.example/")), "https://b.example");
        assert!(subject(Some("http://b.test/")).starts_with("mailto:"));
        assert!(subject(None).starts_with("mailto:"));
    }
}
