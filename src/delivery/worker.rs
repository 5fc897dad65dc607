//! The delivery worker: takes due outbox items, sends each with a time-out and at most
//! `concurrency` at once, and records the outcome. Also the one-off sends behind
//! "send test notice".

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use p256::SecretKey;

use super::apps::client::ChatApps;
use super::apps::message::Card;
use super::apps::{AppCredentials, AppKind};
use super::failure::SendError;
use super::model::{ix, OutboxItem, ProjectWebhook, Smtp, SmtpTls, Target, UserWebhook, Webhook};
use super::notice::{task_link, Notice};
use super::outbox::{self, RetryPolicy};
use super::presets;
use super::push::model::Device;
use super::write_back::send::Sent;
use super::write_back::Shaper;
use crate::config::{Config, DeliveryConfig};
use crate::error::ServiceResult;
use crate::net::outbound::{resolve_allowed, ResolveError};
use crate::net::{explain, AddressPolicy, Failure, Options, Outbound};
use crate::store::{Store, StoreError};

/// A target resolved to what sending needs.
#[derive(Debug, Clone)]
pub enum Channel {
    Email {
        smtp: Smtp,
        to: String,
    },
    Hook {
        hook: Webhook,
        group: bool,
    },
    Push {
        key: SecretKey,
        device: Device,
    },
    /// A member's user in a chat app, with the app's credentials.
    ChatApp {
        app: AppKind,
        creds: AppCredentials,
        to: String,
    },
    /// A write-back target (its items carry their own body, see `write_back::send`).
    WriteBack {
        target: super::write_back::WriteBackTarget,
    },
}

/// Looks up the settings a target needs now; a channel removed since the event is an error.
pub fn resolve(store: &Store, target: &Target) -> Result<Result<Channel, String>, StoreError> {
    let settings = match store.lookup(ix::SETTINGS, "company")? {
        Some(id) => store.load::<super::model::DeliverySettings>(id)?,
        None => Default::default(),
    };
    Ok(match target {
        Target::Email { to } => match settings.smtp {
            Some(smtp) => Ok(Channel::Email {
                smtp,
                to: to.clone(),
            }),
            None => Err("no mail server is configured".into()),
        },
        Target::UserWebhook { user_id } => {
            match store.lookup(ix::USER_HOOK, &user_id.to_string())? {
                Some(id) => Ok(Channel::Hook {
                    hook: store.load::<UserWebhook>(id)?.hook,
                    group: false,
                }),
                None => Err(format!("user {user_id} has no webhook any more")),
            }
        }
        Target::ProjectWebhook { project_id } => {
            match store.lookup(ix::PROJECT_HOOK, &project_id.to_string())? {
                Some(id) => Ok(Channel::Hook {
                    hook: store.load::<ProjectWebhook>(id)?.hook,
                    group: true,
                }),
                None => Err(format!("project {project_id} has no webhook any more")),
            }
        }
        Target::CompanyWebhook { name } => {
            match settings.webhooks.into_iter().find(|w| &w.name == name) {
                Some(w) => Ok(Channel::Hook {
                    hook: w.hook,
                    group: true,
                }),
                None => Err(format!(
                    "company webhook '{name}' is not configured any more"
                )),
            }
        }
        Target::WebPush { user_id, device_id } => resolve_push(store, *user_id, *device_id)?,
        Target::ChatApp { app, user_id } => {
            let creds = super::apps::service::settings(store)?.apps.remove(app);
            let to = super::apps::service::links(store, *user_id)?
                .ids
                .remove(app);
            match (creds, to) {
                (Some(creds), Some(to)) => Ok(Channel::ChatApp {
                    app: *app,
                    creds,
                    to,
                }),
                (None, _) => Err(format!("{} is not set up any more", app.label())),
                (_, None) => Err(format!(
                    "no {} user id is linked to this account",
                    app.label()
                )),
            }
        }
        Target::WriteBack { name } => {
            use super::write_back::model::ix as wb;
            match store.lookup(wb::NAME, name)? {
                Some(id) => Ok(Channel::WriteBack {
                    target: store.load(id)?,
                }),
                None => Err(format!(
                    "write-back target '{name}' is not configured any more"
                )),
            }
        }
    })
}

/// A subscribed device and the server's key to sign with.
fn resolve_push(
    store: &Store,
    user_id: u64,
    device_id: u64,
) -> Result<Result<Channel, String>, StoreError> {
    use super::push::{model as pm, service as ps};
    let Some(device) = ps::device(store, user_id, device_id)? else {
        return Ok(Err(format!("device {device_id} is no longer subscribed")));
    };
    let Some(id) = store.lookup(pm::ix::VAPID, "current")? else {
        return Ok(Err("there is no Web Push key".into()));
    };
    Ok(ps::secret_of(&store.load(id)?).map(|key| Channel::Push { key, device }))
}

/// Sends one notice on one channel, within `timeout`, only to addresses `out`'s
/// policy allows (the mail server and the chat apps' APIs too).
#[allow(clippy::too_many_arguments)]
pub async fn deliver(
    out: &Outbound,
    apps: &ChatApps,
    channel: &Channel,
    n: &Notice,
    delivery_id: u64,
    public_url: Option<&str>,
    timeout: Duration,
    now: DateTime<Utc>,
) -> Result<(), SendError> {
    let link = task_link(public_url, n.task_id);
    let fut = async {
        match channel {
            Channel::Email { smtp, to } => {
                send_email(
                    out.policy(),
                    smtp,
                    to,
                    n,
                    delivery_id,
                    link.as_deref(),
                    timeout,
                )
                .await
            }
            Channel::Hook { hook, group } => {
                send_hook(out, hook, n, delivery_id, link.as_deref(), *group, now).await
            }
            Channel::Push { key, device } => {
                super::push::send::send(out, key, device, n, public_url, now).await
            }
            Channel::ChatApp { app, creds, to } => {
                let card = Card::of(n, link.as_deref(), apps.tz);
                apps.send(out, *app, creds, to, &card, now).await
            }
            // Write-backs send their own bodies (`write_back::send`), not notices.
            Channel::WriteBack { target } => Err(SendError::Other(format!(
                "write-back target '{}' takes task events, not notices",
                target.name
            ))),
        }
    };
    match tokio::time::timeout(timeout, fut).await {
        Ok(r) => r,
        Err(_) => Err(SendError::Unreachable(format!(
            "timed out after {}",
            humantime::format_duration(timeout)
        ))),
    }
}

async fn send_email(
    policy: &AddressPolicy,
    smtp: &Smtp,
    to: &str,
    n: &Notice,
    delivery_id: u64,
    link: Option<&str>,
    timeout: Duration,
) -> Result<(), SendError> {
    let from: Mailbox = smtp
        .from
        .parse()
        .map_err(|e| format!("sender address '{}': {e}", smtp.from))?;
    let to: Mailbox = to
        .parse()
        .map_err(|e| format!("recipient address '{to}': {e}"))?;
    let domain = from.email.domain().to_string();
    let msg = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(n.subject())
        .message_id(Some(format!("<baton-{delivery_id}@{domain}>")))
        .multipart(MultiPart::alternative_plain_html(
            n.plain(link),
            n.html(link),
        ))
        .map_err(|e| format!("cannot build the e-mail: {e}"))?;
    let server = format!("mail server {}:{}", smtp.host, smtp.port);
    // Resolved and checked here, then lettre connects to an address that passed: the
    // host name only names the certificate to expect.
    let addrs = match resolve_allowed(policy, &smtp.host, smtp.port).await {
        Ok(a) => a,
        Err(ResolveError::Refused(r)) => return Err(SendError::Refused(format!("{server}: {r}"))),
        Err(ResolveError::Lookup(e)) => {
            return Err(SendError::Unreachable(format!("{server}: {e}")))
        }
    };
    // Each allowed address in turn (an IPv6 answer on a host without IPv6 must not
    // stop the mail), until the server answers at all.
    let mut last = format!("{server}: no address");
    for addr in addrs {
        match transport(smtp, addr, timeout, &server)?
            .send(msg.clone())
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) => {
                last = format!("{server}: {e}");
                if e.is_response() || e.is_transient() || e.is_permanent() {
                    break;
                }
            }
        }
    }
    Err(SendError::Unreachable(last))
}

/// A mail transport to `addr`, with TLS checked against the configured host name.
fn transport(
    smtp: &Smtp,
    addr: std::net::SocketAddr,
    timeout: Duration,
    server: &str,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, SendError> {
    let tls = || {
        TlsParameters::new(smtp.host.clone())
            .map_err(|e| SendError::Other(format!("{server}: {e}")))
    };
    let builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(addr.ip().to_string());
    let builder = match smtp.tls {
        SmtpTls::None => builder,
        SmtpTls::Starttls => builder.tls(Tls::Required(tls()?)),
        SmtpTls::Tls => builder.tls(Tls::Wrapper(tls()?)),
    };
    let mut builder = builder.port(addr.port()).timeout(Some(timeout));
    if let (Some(u), Some(p)) = (&smtp.username, &smtp.password) {
        if !u.is_empty() {
            builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
        }
    }
    Ok(builder.build())
}

async fn send_hook(
    out: &Outbound,
    hook: &Webhook,
    n: &Notice,
    delivery_id: u64,
    link: Option<&str>,
    group: bool,
    now: DateTime<Utc>,
) -> Result<(), SendError> {
    let built = presets::build(hook, n, delivery_id, link, group, now)?;
    let mut rb = out
        .request(reqwest::Method::POST, &built.url)
        .map_err(|e| describe(e.into()))?
        .body(built.body);
    for (k, v) in &built.headers {
        rb = rb.header(*k, v);
    }
    // Errors without the URL: chat services put their access token in it.
    let resp = rb.send().await.map_err(|e| describe(explain(e)))?;
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    if !status.is_success() {
        // A member's own webhook may point anywhere a member likes: they learn the
        // status, not what an internal service answered.
        if !group {
            return Err(SendError::Other(format!("webhook answered {status}")));
        }
        let snippet: String = text.chars().take(200).collect();
        return Err(SendError::Other(format!(
            "webhook answered {status}: {snippet}"
        )));
    }
    match presets::body_error(hook.kind, &text) {
        Some(_) if !group => Err(SendError::Other("the service refused the message".into())),
        Some(e) => Err(SendError::Other(e)),
        None => Ok(()),
    }
}

/// A failed webhook request in its two wordings (see [`SendError`]).
fn describe(f: Failure) -> SendError {
    match f {
        Failure::Refused(r) => SendError::Refused(format!("webhook address refused: {r}")),
        Failure::TimedOut => SendError::Unreachable("webhook request timed out".into()),
        Failure::Other(e) => SendError::Unreachable(format!("webhook request failed: {e}")),
    }
}

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
