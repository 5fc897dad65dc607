//! What admins send and see for a hook: the view without its secret, the new-hook and
//! patch bodies, and the checks on their fields. Apart from `admin.rs` so the
//! operations read without the field rules in between.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ServiceError, ServiceResult};
use crate::hooks::mapping;
use crate::hooks::model::{InboundHook, Preset, SigEncoding, Verification};
use crate::scenarios::script::ScriptError;

/// A hook as admins see it: everything but the secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HookView {
    pub id: u64,
    pub rev: u64,
    pub name: String,
    /// Where the platform sends deliveries: `POST` to this path on Baton's address.
    pub path: String,
    pub preset: Preset,
    /// `hmac` or `bearer`.
    pub scheme: String,
    /// The signature header (hmac).
    pub header: Option<String>,
    pub encoding: Option<SigEncoding>,
    pub prefix: Option<String>,
    /// Whether a secret (or token) is set; its value is never shown again.
    pub secret_set: bool,
    pub mapping: String,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_error: Option<ScriptError>,
    pub last_error_at: Option<DateTime<Utc>>,
}

impl From<&InboundHook> for HookView {
    fn from(h: &InboundHook) -> Self {
        let (scheme, header, encoding, prefix, secret_set) = match &h.verification {
            Verification::Hmac {
                header,
                encoding,
                prefix,
                secret,
            } => (
                "hmac",
                Some(header.clone()),
                Some(*encoding),
                Some(prefix.clone()),
                !secret.is_empty(),
            ),
            Verification::Bearer { token } => ("bearer", None, None, None, !token.is_empty()),
        };
        HookView {
            id: h.id,
            rev: h.rev,
            name: h.name.clone(),
            path: format!("/api/hooks/{}", h.name),
            preset: h.preset,
            scheme: scheme.into(),
            header,
            encoding,
            prefix,
            secret_set,
            mapping: h.mapping.clone(),
            enabled: h.enabled,
            created_at: h.created_at,
            updated_at: h.updated_at,
            last_error: h.last_error.clone(),
            last_error_at: h.last_error_at,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    Hmac,
    Bearer,
}

/// A new hook. A preset fills the scheme, header and encoding (and the mapping, unless
/// one is given); `custom` takes them from here.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHook {
    /// 1–40 lower-case letters, digits, `-` or `_`: the URL is `/api/hooks/{name}`.
    pub name: String,
    pub preset: Preset,
    /// The HMAC secret (the platform shows it where the webhook is set up), or the
    /// bearer token: 8–256 characters.
    pub secret: String,
    /// `custom` only; default `hmac`.
    pub scheme: Option<Scheme>,
    /// `custom` hmac only: the header carrying the signature.
    pub header: Option<String>,
    /// `custom` hmac only; default `hex`.
    pub encoding: Option<SigEncoding>,
    /// `custom` hmac only: text before the signature, e.g. `sha256=`.
    pub prefix: Option<String>,
    /// The rhai mapping; default: the preset's.
    pub mapping: Option<String>,
    pub enabled: Option<bool>,
}

/// Changes to a hook; what is left out stays.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HookPatch {
    pub secret: Option<String>,
    pub mapping: Option<String>,
    pub enabled: Option<bool>,
    /// `custom` hmac only.
    pub header: Option<String>,
    pub encoding: Option<SigEncoding>,
    pub prefix: Option<String>,
}

pub(super) fn valid_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

pub(super) fn check_secret(secret: &str) -> ServiceResult<()> {
    let n = secret.chars().count();
    if !(8..=256).contains(&n) || secret.trim() != secret {
        return Err(ServiceError::invalid(
            "secret",
            "the secret must have 8-256 characters, without spaces around it",
        ));
    }
    Ok(())
}

pub(super) fn check_header(header: &str) -> ServiceResult<String> {
    let h = header.trim().to_ascii_lowercase();
    let ok = (1..=100).contains(&h.len())
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok || h == "authorization" || h == "cookie" {
        return Err(ServiceError::invalid(
            "header",
            "a header name of letters, digits and '-' (not Authorization or Cookie)",
        ));
    }
    Ok(h)
}

pub(super) fn check_prefix(prefix: &str) -> ServiceResult<String> {
    if prefix.len() > 40 || prefix.chars().any(char::is_whitespace) {
        return Err(ServiceError::invalid(
            "prefix",
            "at most 40 characters, no spaces",
        ));
    }
    Ok(prefix.to_string())
}

pub(super) fn check_mapping(source: &str) -> ServiceResult<()> {
    mapping::check(source)
        .map(|_| ())
        .map_err(|e| ServiceError::invalid("mapping", format!("mapping: {e}")))
}

pub(super) fn custom_verification(input: &NewHook) -> ServiceResult<Verification> {
    Ok(match input.scheme.unwrap_or(Scheme::Hmac) {
        Scheme::Bearer => Verification::Bearer {
            token: input.secret.clone(),
        },
        Scheme::Hmac => Verification::Hmac {
            header: check_header(input.header.as_deref().ok_or_else(|| {
                ServiceError::invalid("header", "a custom HMAC hook needs the signature header")
            })?)?,
            encoding: input.encoding.unwrap_or(SigEncoding::Hex),
            prefix: check_prefix(input.prefix.as_deref().unwrap_or(""))?,
            secret: input.secret.clone(),
        },
    })
}
