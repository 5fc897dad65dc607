//! Password login: one message for every failure, so an attacker cannot tell an
//! unknown user from a wrong password.

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use super::User;
use crate::actor::Actor;
use crate::audit;
use crate::auth::{password, session};
use crate::error::{ServiceError, ServiceResult};
use crate::store::Store;

pub const BAD_CREDENTIALS: &str = "wrong username or password";

pub struct LoggedIn {
    pub token: String,
    pub session: session::Session,
    pub user: User,
}

pub fn login(
    store: &Store,
    username: &str,
    pw: &str,
    ip: Option<IpAddr>,
    now: DateTime<Utc>,
) -> ServiceResult<LoggedIn> {
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
    let (token, session) = session::create(store, user.id, now)?;
    store.write(|tx| {
        audit::record(
            tx,
            &Actor::from_user(&user),
            "login",
            String::new(),
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
