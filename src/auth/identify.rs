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
    /// A session of a user whom the company requires to use two-factor sign-in and who
    /// has not set it up (the policy changed, or their role did, after they signed in).
    #[error("your company requires two-factor sign-in: log in again to set it up")]
    TwoFactorRequired,
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
    // API tokens are scoped and revocable on their own: the policy binds sessions.
    if matches!(credential, Credential::Session { .. })
        && crate::org::two_factor::must_enrol(store, &user)?
    {
        return Err(AuthError::TwoFactorRequired);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::Actor;
    use crate::org::Role;

    fn life() -> Lifetimes {
        Lifetimes {
            idle: chrono::Duration::hours(1),
            absolute: chrono::Duration::days(1),
        }
    }

    fn add_user(store: &Store, name: &str, role: Role, disabled: bool) -> u64 {
        let now = Utc::now();
        let mut u = User {
            id: 0,
            rev: 0,
            username: name.into(),
            display_name: name.into(),
            email: None,
            department_id: None,
            role,
            erp: false,
            language: Default::default(),
            disabled,
            password_hash: String::new(),
            created_at: now,
            sessions_valid_after: now - chrono::Duration::seconds(1),
        };
        store.write(|tx| tx.insert(&mut u)).unwrap()
    }

    fn token(store: &Store, scopes: Vec<Scope>, owner: Option<u64>) -> String {
        token::create(store, &Actor::system(), "t", scopes, owner, Utc::now())
            .unwrap()
            .0
    }

    fn presented(secret: &str, via_cookie: bool, safe: bool, csrf: Option<&str>) -> Presented {
        Presented {
            secret: secret.into(),
            via_cookie,
            safe_method: safe,
            csrf: csrf.map(String::from),
        }
    }

    /// `ok`, `unauthenticated`, `csrf` or `forbidden`.
    fn outcome<T>(r: Result<T, AuthError>) -> &'static str {
        match r {
            Ok(_) => "ok",
            Err(AuthError::Unauthenticated) => "unauthenticated",
            Err(AuthError::Csrf) => "csrf",
            Err(AuthError::TwoFactorRequired) => "two_factor_required",
            Err(AuthError::Service(ServiceError::Forbidden(_))) => "forbidden",
            Err(AuthError::Service(e)) => panic!("unexpected {e}"),
        }
    }

    #[test]
    fn who_is_asking_by_credential() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db"), 1 << 20).unwrap();
        let now = Utc::now();
        let member = add_user(&store, "m", Role::Member, false);
        let gone = add_user(&store, "g", Role::Member, true);
        let (session, s) = session::create(&store, member, now).unwrap();
        let (disabled_session, _) = session::create(&store, gone, now).unwrap();
        let reader = token(&store, vec![Scope::Read], Some(member));
        let pusher = token(&store, vec![Scope::ErpWrite], Some(member));
        let ownerless = token(&store, vec![Scope::Read], None);
        let csrf = s.csrf.as_str();
        let cases = [
            (presented(&session, true, true, None), "ok"),
            (presented(&session, true, false, None), "csrf"),
            (presented(&session, true, false, Some("wrong")), "csrf"),
            (presented(&session, true, false, Some(csrf)), "ok"),
            // A bearer session is not sent by a browser on its own: no CSRF header.
            (presented(&session, false, false, None), "ok"),
            (
                presented(&disabled_session, false, true, None),
                "unauthenticated",
            ),
            (presented("nonsense", true, true, None), "unauthenticated"),
            (
                presented("baton_nonsense", false, true, None),
                "unauthenticated",
            ),
            (presented(&reader, false, true, None), "ok"),
            (presented(&reader, false, false, None), "forbidden"),
            (presented(&pusher, false, true, None), "forbidden"),
            (presented(&ownerless, false, true, None), "unauthenticated"),
        ];
        for (i, (p, want)) in cases.into_iter().enumerate() {
            let got = identify(&store, p, now, life());
            if let Ok((user, _)) = &got {
                assert_eq!(user.id, member, "case {i}");
            }
            assert_eq!(outcome(got), want, "case {i}");
        }
    }

    #[test]
    fn who_may_push_erp_records() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db"), 1 << 20).unwrap();
        let now = Utc::now();
        let admin = add_user(&store, "a", Role::CompanyAdmin, false);
        let member = add_user(&store, "m", Role::Member, false);
        let gone = add_user(&store, "g", Role::CompanyAdmin, true);
        let (session, _) = session::create(&store, admin, now).unwrap();
        let cases = [
            (token(&store, vec![Scope::ErpWrite], Some(admin)), "ok"),
            (token(&store, vec![Scope::ErpWrite], None), "ok"),
            (token(&store, vec![Scope::Read], Some(admin)), "forbidden"),
            (
                token(&store, vec![Scope::ErpWrite], Some(member)),
                "forbidden",
            ),
            (
                token(&store, vec![Scope::ErpWrite], Some(gone)),
                "unauthenticated",
            ),
            (session, "unauthenticated"),
            ("baton_nonsense".to_string(), "unauthenticated"),
        ];
        for (i, (secret, want)) in cases.into_iter().enumerate() {
            assert_eq!(outcome(erp_writer(&store, &secret, now)), want, "case {i}");
        }
    }
}
