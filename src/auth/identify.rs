//! Who is asking: the one lookup from a presented secret (session cookie, a session
//! or API token as `Authorization: Bearer`) to the enabled user it speaks for. The
//! HTTP extractors read the headers and call this; they never read the store.

use chrono::{DateTime, Utc};

use super::session::{self, Lifetimes, Session};
use super::token::{self, ApiToken, Scope};
use crate::error::ServiceError;
use crate::org::policy::may_push_erp;
use crate::org::User;
use crate::store::Store;

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Credential {
    Session {
        token: String,
        session: Session,
        via_cookie: bool,
    },
    Token(ApiToken),
}

/// What a request presented, as the HTTP layer read it.
#[derive(Debug, Clone)]
pub struct Presented {
    pub secret: String,
    /// The secret came in the session cookie (so a write needs the CSRF header).
    pub via_cookie: bool,
    /// GET, HEAD or OPTIONS: the only methods an API token may use here.
    pub safe_method: bool,
    /// The `X-CSRF-Token` header, if any.
    pub csrf: Option<String>,
}

/// Why a request is not let in as anyone.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No live session or token, or its user is gone or disabled.
    #[error("log in first")]
    Unauthenticated,
    /// A cookie-authenticated write without its session's CSRF token.
    #[error("missing or wrong X-CSRF-Token header")]
    Csrf,
    /// Known, but this credential may not do this (forbidden), or the store failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

/// The enabled user behind `p` and how they proved it. Sessions may do anything
/// their role allows; API tokens only read, with the `read` scope, as their owner.
pub fn identify(
    store: &Store,
    p: Presented,
    now: DateTime<Utc>,
    life: Lifetimes,
) -> Result<(User, Credential), AuthError> {
    let (user, credential) = if p.secret.starts_with(token::PREFIX) {
        let t = token::authenticate(store, &p.secret, now)?.ok_or(AuthError::Unauthenticated)?;
        let owner = owner(store, &t)?.ok_or(AuthError::Unauthenticated)?;
        (owner, Credential::Token(t))
    } else {
        let s = session::resolve(store, &p.secret, now, life)
            .map_err(ServiceError::from)?
            .ok_or(AuthError::Unauthenticated)?;
        let user = store
            .get::<User>(s.user_id)
            .map_err(ServiceError::from)?
            .ok_or(AuthError::Unauthenticated)?;
        if s.created_at < user.sessions_valid_after {
            return Err(AuthError::Unauthenticated);
        }
        let credential = Credential::Session {
            token: p.secret,
            session: s,
            via_cookie: p.via_cookie,
        };
        (user, credential)
    };
    if user.disabled {
        return Err(AuthError::Unauthenticated);
    }
    match &credential {
        Credential::Token(t) => {
            if !p.safe_method || !t.scopes.contains(&Scope::Read) {
                return Err(ServiceError::forbidden(
                    "this API token may not do that (needs the read scope, and reads only)",
                )
                .into());
            }
        }
        Credential::Session {
            session,
            via_cookie: true,
            ..
        } if !p.safe_method => {
            if p.csrf.as_deref() != Some(session.csrf.as_str()) {
                return Err(AuthError::Csrf);
            }
        }
        Credential::Session { .. } => {}
    }
    Ok((user, credential))
}

/// The token's owner, `None` when the owner no longer exists.
fn owner(store: &Store, t: &ApiToken) -> Result<Option<User>, ServiceError> {
    Ok(t.owner_id
        .map(|id| store.get::<User>(id))
        .transpose()?
        .flatten())
}

/// The API token behind `secret` if it may push ERP records: it carries its owner's
/// rights (a company admin's), or has no owner (made on the server's console), and
/// it has the `erp:write` scope.
pub fn erp_writer(store: &Store, secret: &str, now: DateTime<Utc>) -> Result<ApiToken, AuthError> {
    if !secret.starts_with(token::PREFIX) {
        return Err(AuthError::Unauthenticated);
    }
    let t = token::authenticate(store, secret, now)?.ok_or(AuthError::Unauthenticated)?;
    if t.owner_id.is_some() {
        match owner(store, &t)? {
            Some(u) if !u.disabled => may_push_erp(&u)?,
            _ => return Err(AuthError::Unauthenticated),
        }
    }
    if !t.scopes.contains(&Scope::ErpWrite) {
        return Err(ServiceError::forbidden("this API token lacks the erp:write scope").into());
    }
    Ok(t)
}
