//! Requests whose connection may die with the server: the answer says whether the
//! write was acknowledged, refused, or lost on the way.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::harness::{Client, ADMIN_PASSWORD};

pub enum Reply {
    /// A 2xx arrived: the write is acknowledged. The body is `Null` when the
    /// connection died after the status line.
    Acked(Value),
    /// Any other status: the server answered and refused.
    Refused(StatusCode, Value),
    /// No status: the write may or may not have happened.
    Lost(String),
}

pub fn client(base: &str, bearer: Option<String>) -> Client {
    Client {
        http: reqwest::Client::builder()
            .cookie_store(true)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        base: base.to_string(),
        csrf: None,
        bearer,
    }
}

pub async fn send(c: &Client, method: Method, path: &str, body: Option<Value>) -> Reply {
    let mut rb = c.request(method, path);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    reply(rb.send().await).await
}

/// Uploads `bytes` as the multipart field `file`.
pub async fn send_file(c: &Client, path: &str, name: &str, bytes: Vec<u8>) -> Reply {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_string())
        .mime_str("application/octet-stream")
        .unwrap();
    let form = reqwest::multipart::Form::new().part("file", part);
    reply(c.request(Method::POST, path).multipart(form).send().await).await
}

async fn reply(sent: reqwest::Result<reqwest::Response>) -> Reply {
    let resp = match sent {
        Ok(r) => r,
        Err(e) => return Reply::Lost(e.to_string()),
    };
    let status = resp.status();
    let value = match resp.text().await {
        Ok(text) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        Err(_) => Value::Null,
    };
    if status.is_success() {
        Reply::Acked(value)
    } else {
        Reply::Refused(status, value)
    }
}

/// A download on a running server: its bytes, or why not.
pub async fn get_bytes(c: &Client, path: &str) -> Result<Vec<u8>, String> {
    let resp = c
        .request(Method::GET, path)
        .send()
        .await
        .map_err(|e| format!("GET {path}: {e}"))?;
    let status = resp.status();
    let bytes = resp.bytes().await.map_err(|e| format!("GET {path}: {e}"))?;
    if status != StatusCode::OK {
        return Err(format!(
            "GET {path}: {status} {}",
            String::from_utf8_lossy(&bytes)
        ));
    }
    Ok(bytes.to_vec())
}

/// A read on a running server: anything but 200 fails the test.
pub async fn get(c: &Client, path: &str) -> Result<Value, String> {
    match send(c, Method::GET, path, None).await {
        Reply::Acked(v) => Ok(v),
        Reply::Refused(s, v) => Err(format!("GET {path}: {s} {v}")),
        Reply::Lost(e) => Err(format!("GET {path}: {e}")),
    }
}

/// A logged-in admin client on `base`.
pub async fn admin(base: &str) -> Client {
    let mut c = client(base, None);
    c.login("admin", ADMIN_PASSWORD).await;
    c
}

/// Every item of a paged task list (`per_page` is at most 200).
pub async fn all_tasks(c: &Client, project: u64) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for page in 1.. {
        let v = get(
            c,
            &format!("/api/projects/{project}/tasks?status=all&per_page=200&page={page}"),
        )
        .await?;
        let items = v["items"].as_array().cloned().unwrap_or_default();
        let total = v["total"].as_u64().unwrap_or(0) as usize;
        let n = items.len();
        out.extend(items);
        if n == 0 || out.len() >= total {
            if out.len() != total {
                return Err(format!(
                    "task list of project {project}: total {total} but {} items",
                    out.len()
                ));
            }
            break;
        }
    }
    Ok(out)
}

/// The note a worker leaves in a refusal it did not expect.
pub fn refused(what: &str, status: StatusCode, body: &Value) -> String {
    format!(
        "{what}: refused with {status} {}",
        json!(body)
            .to_string()
            .chars()
            .take(400)
            .collect::<String>()
    )
}
