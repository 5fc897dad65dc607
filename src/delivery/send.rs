//! Sending one notice on one channel: e-mail through the configured mail server,
//! webhooks, Web Push and chat apps, each only to addresses the network policy allows.

use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::apps::client::ChatApps;
use super::apps::message::Card;
use super::channel::Channel;
use super::failure::SendError;
use super::model::{Smtp, SmtpTls, Webhook};
use super::notice::{task_link, Notice};
use super::presets;
use crate::net::outbound::{resolve_allowed, ResolveError};
use crate::net::{explain, AddressPolicy, Failure, Outbound};

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
