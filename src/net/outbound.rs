//! The one HTTP client for requests Baton makes on someone's behalf: webhooks and news
//! feeds. It connects only where the [`AddressPolicy`] allows:
//!
//! - host names are resolved by [`Guarded`], which drops refused addresses, and the
//!   connection goes to one of the addresses it returned (no second lookup a DNS
//!   rebinding answer could change);
//! - IP literals never reach a resolver (hyper connects to them directly), so
//!   [`Outbound::request`] checks them before sending, and the redirect policy checks
//!   every hop before following it;
//! - no proxy from the environment: a proxy would resolve and connect for us.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::{Method, RequestBuilder, Url};

use super::address::{AddressPolicy, Refused};

/// Why a URL may not be requested.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("'{0}' is not a URL")]
    Invalid(String),
    #[error("only http:// and https:// addresses are fetched, not {0}:")]
    Scheme(String),
    #[error("the address has no host")]
    NoHost,
    #[error(transparent)]
    Refused(#[from] Refused),
}

/// Checks a URL without looking anything up: scheme, and the host if it is an IP
/// literal or a `localhost` name. Names are checked again, resolved, on connect.
pub fn check_url(policy: &AddressPolicy, url: &Url) -> Result<(), UrlError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlError::Scheme(url.scheme().to_string()));
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or(UrlError::NoHost)?;
    policy.check_host(host)?;
    Ok(())
}

/// Parses and checks a URL someone saves (a webhook, a feed).
pub fn parse_url(policy: &AddressPolicy, text: &str) -> Result<Url, UrlError> {
    let url = Url::parse(text.trim()).map_err(|e| UrlError::Invalid(format!("{text}: {e}")))?;
    check_url(policy, &url)?;
    Ok(url)
}

/// Resolves `host` and keeps only the addresses the policy allows; a name with none
/// left is refused (the error names the first refused address).
pub async fn resolve_allowed(
    policy: &AddressPolicy,
    host: &str,
    port: u16,
) -> Result<Vec<SocketAddr>, ResolveError> {
    policy.check_host(host)?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let found: Vec<SocketAddr> = tokio::net::lookup_host((bare, port))
        .await
        .map_err(|e| ResolveError::Lookup(format!("cannot resolve {host}: {e}")))?
        .collect();
    keep_allowed(policy, host, found)
}

/// The addresses of `host` the policy allows; none left is a refusal (naming the
/// first refused address), none found a lookup error.
fn keep_allowed(
    policy: &AddressPolicy,
    host: &str,
    found: Vec<SocketAddr>,
) -> Result<Vec<SocketAddr>, ResolveError> {
    let mut refused = None;
    let mut allowed = Vec::new();
    for a in found {
        match policy.check(a.ip()) {
            Ok(()) => allowed.push(a),
            Err(r) => {
                refused.get_or_insert(r);
            }
        }
    }
    match (allowed.is_empty(), refused) {
        (false, _) => Ok(allowed),
        (true, Some(r)) => Err(ResolveError::Refused(r)),
        (true, None) => Err(ResolveError::Lookup(format!("{host} has no address"))),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error(transparent)]
    Refused(#[from] Refused),
    #[error("{0}")]
    Lookup(String),
}

/// A DNS resolver that only hands out allowed addresses.
struct Guarded {
    policy: Arc<AddressPolicy>,
}

impl Resolve for Guarded {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            match resolve_allowed(&policy, &host, 0).await {
                Ok(addrs) => Ok(Box::new(addrs.into_iter()) as Addrs),
                // The refusal itself is the error, so `explain` can find it.
                Err(ResolveError::Refused(r)) => Err(r.into()),
                Err(e) => Err(e.into()),
            }
        })
    }
}

/// How a client behaves besides the address policy.
#[derive(Debug, Clone)]
pub struct Options {
    /// Connect and whole-request time-out (`None`: the caller bounds the time).
    pub timeout: Option<Duration>,
    /// Redirects followed, each hop checked (0: none, a 3xx is the answer).
    pub redirects: usize,
    pub user_agent: &'static str,
}

/// An HTTP client bound to an address policy. Cheap to clone.
#[derive(Clone)]
pub struct Outbound {
    client: reqwest::Client,
    policy: Arc<AddressPolicy>,
}

impl Outbound {
    pub fn new(policy: AddressPolicy, options: Options) -> Result<Outbound, String> {
        let policy = Arc::new(policy);
        let redirect = if options.redirects == 0 {
            reqwest::redirect::Policy::none()
        } else {
            let (hops, policy) = (options.redirects, policy.clone());
            reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() > hops {
                    let e = format!("more than {hops} redirects");
                    return attempt.error(e);
                }
                match check_url(&policy, attempt.url()) {
                    Ok(()) => attempt.follow(),
                    Err(UrlError::Refused(r)) => attempt.error(r),
                    Err(e) => attempt.error(e),
                }
            })
        };
        let mut b = reqwest::Client::builder()
            .dns_resolver(Arc::new(Guarded {
                policy: policy.clone(),
            }))
            .no_proxy()
            .redirect(redirect)
            .user_agent(options.user_agent);
        if let Some(t) = options.timeout {
            b = b.timeout(t).connect_timeout(t);
        }
        let client = b
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Outbound { client, policy })
    }

    pub fn policy(&self) -> &AddressPolicy {
        &self.policy
    }

    /// A request to `url`, refused up front when its scheme or literal host is not allowed.
    pub fn request(&self, method: Method, url: &str) -> Result<RequestBuilder, UrlError> {
        let url = parse_url(&self.policy, url)?;
        Ok(self.client.request(method, url))
    }
}

/// What went wrong with an outbound request, said without its URL (chat services put
/// their access token in it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// The address (or a redirect's) is internal and not allowed.
    #[error(transparent)]
    Refused(Refused),
    #[error("timed out")]
    TimedOut,
    /// Lookup, connection, TLS or protocol failure, with its causes.
    #[error("{0}")]
    Other(String),
}

impl From<UrlError> for Failure {
    fn from(e: UrlError) -> Self {
        match e {
            UrlError::Refused(r) => Failure::Refused(r),
            e => Failure::Other(e.to_string()),
        }
    }
}

/// Classifies a reqwest error: a refusal by the policy is found among its causes.
pub fn explain(e: reqwest::Error) -> Failure {
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(s) = src {
        if let Some(r) = s.downcast_ref::<Refused>() {
            return Failure::Refused(r.clone());
        }
        src = s.source();
    }
    if e.is_timeout() {
        return Failure::TimedOut;
    }
    let e = e.without_url();
    let mut out = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        out.push_str(&format!(": {s}"));
        src = s.source();
    }
    Failure::Other(out)
}

/// Why a body could not be read whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// It declared, or grew, past the limit: the rest is not read.
    #[error("the answer is larger than {} KiB", .0 / 1024)]
    TooLarge(u64),
    #[error("the answer broke off: {0}")]
    Broken(String),
}

/// Reads a response's body, at most `max` bytes: a larger answer (declared or sent) is
/// refused as soon as it is seen, so a hostile server cannot fill memory. The caller
/// bounds the time.
pub async fn read_capped(resp: &mut reqwest::Response, max: u64) -> Result<Vec<u8>, BodyError> {
    if resp.content_length().is_some_and(|n| n > max) {
        return Err(BodyError::TooLarge(max));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| BodyError::Broken(e.without_url().to_string()))?
    {
        if (body.len() as u64).saturating_add(chunk.len() as u64) > max {
            return Err(BodyError::TooLarge(max));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
#[path = "outbound_tests.rs"]
mod tests;
