//! Sending one write-back: shape the body (a scenario's `fn write_back`, off the async
//! threads), sign it, post it through the guarded client.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::body::with_link;
use super::model::{WriteBackPayload, WriteBackTarget};
use super::{Shaped, Shaper};
use crate::delivery::failure::SendError;
use crate::delivery::notice::task_link;
use crate::delivery::presets::generic_signature;
use crate::flow::Task;
use crate::net::{explain, Failure, Outbound};
use crate::store::Store;

/// What became of a write-back that did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    Delivered,
    /// `fn write_back` returned `()`: nothing was sent, the item is forgotten.
    Skipped,
}

/// The body that goes out for `payload`: the default one with the task's link, or
/// what the task's scenario makes of it. A script error is [`SendError::Gone`]: the
/// item fails at once (trying again gives the same answer until the script is fixed,
/// then "retry" sends it).
pub async fn shape(
    store: &Store,
    shaper: &Arc<dyn Shaper>,
    payload: &WriteBackPayload,
    public_url: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<Value>, SendError> {
    let task_id = payload.body["task"]["id"].as_u64();
    let body = with_link(
        payload.body.clone(),
        task_link(public_url, task_id).as_deref(),
    );
    let Some(scenario) = payload.scenario.clone() else {
        return Ok(Some(body));
    };
    let (store, shaper) = (store.clone(), shaper.clone());
    let event = body.clone();
    let shaped = tokio::task::spawn_blocking(move || {
        // The record as the task was created from it.
        let record = task_id
            .and_then(|id| store.get::<Task>(id).ok().flatten())
            .and_then(|t| t.source)
            .map_or(Value::Null, |s| s.record);
        shaper.shape(&store, &scenario, &event, &record, now)
    })
    .await
    .map_err(|e| SendError::Other(format!("fn write_back could not run: {e}")))?;
    match shaped {
        Shaped::Default => Ok(Some(body)),
        Shaped::Body(b) => Ok(Some(b)),
        Shaped::Skip => Ok(None),
        Shaped::Error(e) => Err(SendError::Gone(format!("fn write_back: {e}"))),
    }
}

/// Posts `body` to `target`, signed, within `timeout`.
pub async fn post(
    out: &Outbound,
    target: &WriteBackTarget,
    event: &str,
    body: &Value,
    delivery_id: u64,
    timeout: Duration,
) -> Result<(), SendError> {
    let bytes = serde_json::to_vec(body)
        .map_err(|e| SendError::Other(format!("cannot write the body: {e}")))?;
    let mut rb = out
        .request(reqwest::Method::POST, &target.url)
        .map_err(|e| describe(e.into()))?
        .header("content-type", "application/json")
        .header("x-baton-delivery", delivery_id.to_string())
        .header("x-baton-event", event);
    if let Some(s) = target.secret.as_deref().filter(|s| !s.is_empty()) {
        rb = rb.header("x-baton-signature", generic_signature(s, &bytes));
    }
    let fut = async {
        let resp = rb
            .body(bytes)
            .send()
            .await
            .map_err(|e| describe(explain(e)))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let text = resp.text().await.unwrap_or_default();
        let snippet: String = text.chars().take(200).collect();
        Err(SendError::Other(format!(
            "write-back target answered {status}: {snippet}"
        )))
    };
    match tokio::time::timeout(timeout, fut).await {
        Ok(r) => r,
        Err(_) => Err(SendError::Unreachable(format!(
            "timed out after {}",
            humantime::format_duration(timeout)
        ))),
    }
}

/// Shapes and posts one outbox item.
#[allow(clippy::too_many_arguments)]
pub async fn send(
    out: &Outbound,
    store: &Store,
    shaper: &Arc<dyn Shaper>,
    target: &WriteBackTarget,
    payload: &WriteBackPayload,
    delivery_id: u64,
    public_url: Option<&str>,
    timeout: Duration,
) -> Result<Sent, SendError> {
    if !target.enabled {
        return Err(SendError::Other(format!(
            "write-back target '{}' is switched off",
            target.name
        )));
    }
    match shape(store, shaper, payload, public_url, Utc::now()).await? {
        Some(body) => post(out, target, &payload.event, &body, delivery_id, timeout)
            .await
            .map(|()| Sent::Delivered),
        None => Ok(Sent::Skipped),
    }
}

fn describe(f: Failure) -> SendError {
    match f {
        Failure::Refused(r) => SendError::Refused(format!("write-back address refused: {r}")),
        Failure::TimedOut => SendError::Unreachable("write-back request timed out".into()),
        Failure::Other(e) => SendError::Unreachable(format!("write-back request failed: {e}")),
    }
}
