//! The delivery worker: takes due outbox items, sends each with a time-out and at most
//! `concurrency` at once, and records the outcome. Resolving a target is in `channel`,
//! sending one notice in `send`; both are re-exported here for the "send test notice"
//! handler.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use super::apps::client::ChatApps;
pub use super::channel::{resolve, Channel};
use super::failure::SendError;
use super::model::{OutboxItem, Target};
use super::outbox::{self, RetryPolicy};
pub use super::send::deliver;
use super::write_back::send::Sent;
use super::write_back::Shaper;
use crate::config::{Config, DeliveryConfig};
use crate::error::ServiceResult;
use crate::net::{AddressPolicy, Options, Outbound};
use crate::store::Store;

/// The client webhooks are sent with: no redirects (a 3xx is the answer), the policy
/// from `[network]`.
pub fn outbound(c: &DeliveryConfig, policy: &AddressPolicy) -> Result<Outbound, String> {
    Outbound::new(
        policy.clone(),
        Options {
            timeout: Some(c.timeout),
            redirects: 0,
            user_agent: concat!("Baton/", env!("CARGO_PKG_VERSION"), " (notices)"),
        },
    )
}

/// The chat apps' API addresses (`[chat_apps]`), a fresh token cache and the company
/// time zone. The worker keeps one for its life, so tokens are fetched once per app.
pub fn chat_apps(c: &Config) -> ChatApps {
    ChatApps::new(c.chat_apps.clone(), c.timezone)
}

pub fn policy(c: &DeliveryConfig) -> RetryPolicy {
    RetryPolicy {
        base: c.retry_base,
        max_attempts: c.max_attempts,
        lease: c.timeout * 2 + Duration::from_secs(1),
    }
}

/// The store work of the loop, off the async threads. A handle on the store and the
/// config, not the HTTP layer's state: delivery sits below the server that starts it.
#[derive(Clone)]
struct Handles {
    store: Store,
    config: Arc<Config>,
}

impl Handles {
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> ServiceResult<T> + Send + 'static,
    ) -> ServiceResult<T> {
        crate::blocking::on_store(&self.store, f).await
    }
}

/// Runs until aborted: polls for due items every `interval`. `shaper` runs the
/// scenarios' `fn write_back` for write-back items.
pub async fn run(store: Store, config: Arc<Config>, shaper: Arc<dyn Shaper>) {
    let state = Handles { store, config };
    let c = state.config.delivery.clone();
    let policy = policy(&c);
    let http = match outbound(&c, &state.config.network) {
        Ok(o) => o,
        Err(e) => {
            tracing::error!(error = %e, "delivery stopped: no HTTP client");
            return;
        }
    };
    let apps = chat_apps(&state.config);
    let permits = Arc::new(tokio::sync::Semaphore::new(c.concurrency.max(1)));
    // Sends in flight belong to this loop: when the server stops and aborts it, they
    // are aborted too (their items stay `sending` until the lease runs out).
    let mut in_flight = tokio::task::JoinSet::new();
    let public_url = state.config.public_url.clone();
    let mut last_purge: Option<tokio::time::Instant> = None;
    loop {
        tokio::time::sleep(c.interval).await;
        while in_flight.try_join_next().is_some() {}
        if last_purge.is_none_or(|t| t.elapsed() >= Duration::from_secs(3600)) {
            last_purge = Some(tokio::time::Instant::now());
            let before = Utc::now() - chrono::Duration::days(outbox::KEEP_SENT_DAYS);
            match state.run(move |s| Ok(outbox::purge_sent(s, before)?)).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "old sent notices forgotten"),
                Err(e) => tracing::warn!(error = %e, "outbox purge failed"),
            }
        }
        let ids = match state.run(|s| Ok(outbox::due(s, Utc::now())?)).await {
            Ok(ids) => ids,
            Err(e) => {
                tracing::error!(error = %e, "outbox poll failed");
                continue;
            }
        };
        for id in ids {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                return;
            };
            let claimed = state
                .run(move |s| {
                    let Some(item) = outbox::claim(s, id, Utc::now(), &policy)? else {
                        return Ok(None);
                    };
                    let ch = resolve(s, &item.target)?;
                    Ok(Some((item, ch)))
                })
                .await;
            let (item, channel) = match claimed {
                Ok(Some(x)) => x,
                Ok(None) => continue,
                Err(e) => {
                    tracing::error!(error = %e, id, "outbox claim failed");
                    continue;
                }
            };
            let (state, http, public_url, apps, shaper) = (
                state.clone(),
                http.clone(),
                public_url.clone(),
                apps.clone(),
                shaper.clone(),
            );
            in_flight.spawn(async move {
                let mut skipped = false;
                let outcome = match (channel, &item.write_back) {
                    (Ok(Channel::WriteBack { target }), Some(payload)) => {
                        super::write_back::send::send(
                            &http,
                            &state.store,
                            &shaper,
                            &target,
                            payload,
                            item.id,
                            public_url.as_deref(),
                            c.timeout,
                        )
                        .await
                        .map(|sent| skipped = sent == Sent::Skipped)
                    }
                    (Ok(ch), _) => {
                        deliver(
                            &http,
                            &apps,
                            &ch,
                            &item.notice,
                            item.id,
                            public_url.as_deref(),
                            c.timeout,
                            Utc::now(),
                        )
                        .await
                    }
                    (Err(e), _) => Err(SendError::Other(e)),
                };
                log_outcome(&item, &outcome);
                let gone = gone_device(&item.target, &outcome);
                // A write-back whose script failed is not tried again by itself.
                let give_up = matches!(
                    (&item.target, &outcome),
                    (Target::WriteBack { .. }, Err(SendError::Gone(_)))
                );
                let outcome = outcome.map_err(|e| e.to_string());
                let id = item.id;
                if let Err(e) = state
                    .run(move |s| {
                        if skipped {
                            return Ok(outbox::forget(s, id)?);
                        }
                        if let (true, Err(e)) = (give_up, &outcome) {
                            return Ok(outbox::give_up(s, id, e.clone())?);
                        }
                        if let (Some((uid, device)), Err(e)) = (gone, &outcome) {
                            super::push::service::remove(s, uid, device)?;
                            tracing::info!(
                                user = uid,
                                device,
                                "push device unsubscribed, forgotten"
                            );
                            return Ok(outbox::give_up(s, id, e.clone())?);
                        }
                        Ok(outbox::finish(s, id, outcome, Utc::now(), &policy).map(|_| ())?)
                    })
                    .await
                {
                    tracing::error!(error = %e, id, "outbox update failed");
                }
                drop(permit);
            });
        }
    }
}

/// The member and device to forget when a push service said the browser is gone.
pub fn gone_device(target: &Target, outcome: &Result<(), SendError>) -> Option<(u64, u64)> {
    match (target, outcome) {
        (Target::WebPush { user_id, device_id }, Err(SendError::Gone(_))) => {
            Some((*user_id, *device_id))
        }
        _ => None,
    }
}

fn log_outcome(item: &OutboxItem, outcome: &Result<(), SendError>) {
    let target = item.target.label();
    match outcome {
        Ok(()) => {
            tracing::info!(id = item.id, %target, attempt = item.attempts, "notice delivered")
        }
        Err(e) => {
            tracing::warn!(id = item.id, %target, attempt = item.attempts, error = %e, "notice delivery failed")
        }
    }
}
