//! One fetch of a connector's URL through the guarded outbound client: the whole
//! answer within the time-out, at most [`MAX_BYTES`], a 2xx status. Errors are said for
//! admins, without the URL's query (it may carry a key) and without how a connection
//! failed beyond what the policy allows.

use std::time::Duration;

use reqwest::{Method, Url};

use super::model::{AuthHeader, PayloadFormat};
use crate::net::outbound::{read_capped, BodyError};
use crate::net::{explain, Failure, Options, Outbound};

/// The largest answer read (the upload's limit: one answer is one file).
pub const MAX_BYTES: u64 = crate::erp::upload::table::MAX_BYTES;

/// At most this many response headers are handed to the mapping, each at most 1 KiB.
const MAX_HEADERS: usize = 100;

/// A whole answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    /// Lower-case names with their text values (cookies left out).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Why a fetch gave no usable answer; the status when the server answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FetchError {
    pub status: Option<u16>,
    pub message: String,
}

impl FetchError {
    fn new(message: impl Into<String>) -> Self {
        FetchError {
            status: None,
            message: message.into(),
        }
    }
}

/// The client connectors fetch with: a few redirects, each checked against the address
/// policy like the first request; the time-out is per fetch ([`get`]).
pub fn client(policy: &crate::net::AddressPolicy) -> Result<Outbound, String> {
    Outbound::new(
        policy.clone(),
        Options {
            timeout: None,
            redirects: 3,
            user_agent: concat!("Baton/", env!("CARGO_PKG_VERSION"), " (connector)"),
        },
    )
}

fn accept(format: PayloadFormat) -> &'static str {
    match format {
        PayloadFormat::Json => "application/json",
        PayloadFormat::Csv => "text/csv, text/plain;q=0.9",
    }
}

fn said(f: Failure) -> String {
    match f {
        Failure::Refused(r) => format!("address refused: {r}"),
        Failure::TimedOut => "request timed out".into(),
        Failure::Other(e) => format!("request failed: {e}"),
    }
}

/// GETs `url`, the whole answer within `timeout` (a server that keeps sending, or never
/// finishes, is cut off at the time-out).
pub async fn get(
    client: &Outbound,
    url: &Url,
    format: PayloadFormat,
    auth: Option<&AuthHeader>,
    timeout: Duration,
) -> Result<Answer, FetchError> {
    let fetch = async {
        let mut req = client
            .request(Method::GET, url.as_str())
            .map_err(|e| FetchError::new(said(e.into())))?
            .header(reqwest::header::ACCEPT, accept(format));
        if let Some(a) = auth {
            req = req.header(a.name.as_str(), a.value.as_str());
        }
        let mut resp = req
            .send()
            .await
            .map_err(|e| FetchError::new(said(explain(e))))?;
        let status = resp.status().as_u16();
        if !resp.status().is_success() {
            return Err(FetchError {
                status: Some(status),
                message: format!("the server answered {}", resp.status()),
            });
        }
        let headers = resp
            .headers()
            .iter()
            .filter(|(k, _)| k.as_str() != "set-cookie")
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .filter(|(_, v)| v.len() <= 1024)
            .take(MAX_HEADERS)
            .collect();
        let body = read_capped(&mut resp, MAX_BYTES)
            .await
            .map_err(|e| FetchError {
                status: Some(status),
                message: match e {
                    BodyError::TooLarge(_) => {
                        format!("the answer is larger than {} MiB", MAX_BYTES >> 20)
                    }
                    BodyError::Broken(why) => format!("the answer broke off: {why}"),
                },
            })?;
        Ok(Answer {
            status,
            headers,
            body,
        })
    };
    match tokio::time::timeout(timeout, fetch).await {
        Ok(r) => r,
        Err(_) => Err(FetchError::new(format!(
            "no complete answer within {} s",
            timeout.as_secs()
        ))),
    }
}
