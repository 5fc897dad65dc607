//! Login: the password step, then for users with two-factor sign-in (or whom the
//! company requires to set it up) the code step. One message for every password
//! failure, so an attacker cannot tell an unknown user from a wrong password.

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use super::two_factor::challenge::{self, Challenge, Purpose};
use super::two_factor::recovery::{self, Code};
use super::two_factor::service::{check_in, enable_in, enrolment, record_for};
use super::two_factor::{policy, Enrolment};
use super::User;
use crate::actor::Actor;
use crate::audit;
use crate::auth::{password, session, totp};
use crate::error::{ServiceError, ServiceResult};
use crate::org::policy::two_factor_required;
use crate::store::Store;

pub const BAD_CREDENTIALS: &str = "wrong username or password";
pub const BAD_CODE: &str = "wrong code, or a code already used: wait for the next one";

pub struct LoggedIn {
    pub token: String,
    pub session: session::Session,
    pub user: User,
}

/// What the password step leads to.
pub enum LoginOutcome {
    /// Signed in.
    Session(LoggedIn),
    /// The password was right; a code must follow with this challenge. With
    /// `enrolment` the user must first set up two-factor sign-in (the company requires
    /// it): the code confirms the new secret.
    SecondStep {
        challenge: String,
        expires_at: DateTime<Utc>,
        enrolment: Option<Enrolment>,
    },
}

/// The code step's result: the session, and the recovery codes when the step
/// finished setting up two-factor sign-in (shown this once).
pub struct CodeLogin {
    pub logged_in: LoggedIn,
    pub recovery_codes: Option<Vec<String>>,
}

/// The password step. `issuer` names this Baton in an authenticator app.
pub fn login(
    store: &Store,
    username: &str,
    pw: &str,
    ip: Option<IpAddr>,
    issuer: &str,
    now: DateTime<Utc>,
) -> ServiceResult<LoginOutcome> {
    let ip_text = ip.map(|i| i.to_string());
    let user = match store.lookup("username", &crate::actor::username_key(username))? {
        Some(id) => store.get::<User>(id)?,
        None => None,
    };
    let ok = match &user {
        Some(u) => password::verify(pw, &u.password_hash) && !u.disabled,
        None => {
            password::verify_dummy(pw);
            false
        }
    };
    let Some(user) = user.filter(|_| ok) else {
        store.write(|tx| {
            audit::record(
                tx,
                &Actor::system(),
                "login.failed",
                format!("username '{}'", username.trim()),
                ip_text.clone(),
                now,
            )
        })?;
        return Err(ServiceError::Unauthorized(BAD_CREDENTIALS.into()));
    };
    let purpose = if record_for(store, user.id)?.is_some() {
        Purpose::Code
    } else if two_factor_required(policy(store)?, user.role) {
        Purpose::Enrol
    } else {
        return Ok(LoginOutcome::Session(open_session(
            store,
            user,
            ip_text,
            String::new(),
            now,
        )?));
    };
    let secret = (purpose == Purpose::Enrol).then(totp::new_secret);
    let c = Challenge {
        user_id: user.id,
        username: username.trim().to_string(),
        purpose,
        secret: secret.clone(),
        created_at: now,
        failures: 0,
    };
    let token = challenge::create(store, &c)?;
    let enrolment = secret
        .map(|s| enrolment(issuer, &user.username, s, c.expires_at()))
        .transpose()?;
    Ok(LoginOutcome::SecondStep {
        challenge: token,
        expires_at: c.expires_at(),
        enrolment,
    })
}

/// The name the code step's rate limit counts under: the one typed at the password
/// step, so both steps of one account share the limiter's normalisation.
pub fn challenge_username(store: &Store, token: &str, now: DateTime<Utc>) -> ServiceResult<String> {
    Ok(challenge::peek(store, token, now)?.username)
}

/// The code step: the challenge from the password step and a code from the app (or a
/// recovery code). A wrong code is 401 like a wrong password; a malformed one 400;
/// an unknown, used or expired challenge 400 naming `challenge`.
pub fn second_step(
    store: &Store,
    token: &str,
    code: &str,
    ip: Option<IpAddr>,
    now: DateTime<Utc>,
) -> ServiceResult<CodeLogin> {
    let ip_text = ip.map(|i| i.to_string());
    let code = recovery::parse(code)?;
    let c = challenge::peek(store, token, now)?;
    let user = store
        .get::<User>(c.user_id)?
        .filter(|u| !u.disabled)
        .ok_or_else(challenge::gone)?;
    let passed = store.write(|tx| {
        // Read again under the writer lock: two requests with one challenge cannot
        // both pass.
        let c = challenge::peek(store, token, now)?;
        let passed = match (c.purpose, &code, &c.secret) {
            (Purpose::Code, _, _) => check_in(tx, &user, &code, now)?.then_some(None),
            (Purpose::Enrol, Code::Totp(t), Some(secret)) => {
                enable_in(tx, &user, secret, t, now)?.map(Some)
            }
            (Purpose::Enrol, _, _) => None,
        };
        if passed.is_some() {
            challenge::consume(store, token)?;
        } else {
            challenge::fail(store, token, c)?;
            audit::record(
                tx,
                &Actor::system(),
                "login.failed",
                format!("username '{}': wrong two-factor code", user.username),
                ip_text.clone(),
                now,
            )?;
        }
        Ok::<_, ServiceError>(passed)
    })?;
    let Some(recovery_codes) = passed else {
        return Err(ServiceError::Unauthorized(BAD_CODE.into()));
    };
    let how = match (&code, &recovery_codes) {
        (_, Some(_)) => "set up two-factor sign-in",
        (Code::Recovery(_), None) => "with a recovery code",
        (Code::Totp(_), None) => "with a two-factor code",
    };
    Ok(CodeLogin {
        logged_in: open_session(store, user, ip_text, how.into(), now)?,
        recovery_codes,
    })
}

fn open_session(
    store: &Store,
    user: User,
    ip_text: Option<String>,
    detail: String,
    now: DateTime<Utc>,
) -> ServiceResult<LoggedIn> {
    let (token, session) = session::create(store, user.id, now)?;
    store.write(|tx| {
        audit::record(
            tx,
            &Actor::from_user(&user),
            "login",
            detail,
            ip_text.clone(),
            now,
        )
    })?;
    Ok(LoggedIn {
        token,
        session,
        user,
    })
}
