//! Passwords: an admin setting someone's, a user changing their own. Either way all
//! of the user's sessions end.

use chrono::{DateTime, Utc};

use super::policy::may_set_password;
use super::service::get_user;
use super::{Department, User};
use crate::actor::Actor;
use crate::audit;
use crate::auth::{password, session};
use crate::error::{ServiceError, ServiceResult};
use crate::store::Store;

fn store_password(
    store: &Store,
    actor: &Actor,
    id: u64,
    new_password: &str,
    now: DateTime<Utc>,
) -> ServiceResult<User> {
    password::validate(new_password)?;
    let hash = password::hash(new_password)?;
    let user = store.write(|tx| {
        let mut user: User = tx.load(id)?;
        let rev = user.rev;
        user.password_hash = hash;
        user.sessions_valid_after = now;
        tx.update(&mut user, rev)?;
        audit::record(
            tx,
            actor,
            "user.password",
            format!("user '{}'", user.username),
            None,
            now,
        )?;
        Ok::<_, ServiceError>(user)
    })?;
    session::delete_all_for(store, id)?;
    Ok(user)
}

/// An admin sets someone's password; all their sessions end.
pub fn set_password(
    store: &Store,
    actor: &Actor,
    id: u64,
    new_password: &str,
    now: DateTime<Utc>,
) -> ServiceResult<User> {
    let user = get_user(store, id)?;
    let departments = store.list::<Department>()?;
    may_set_password(actor, &user, &departments)?;
    store_password(store, actor, id, new_password, now)
}

/// A user changes their own password, proving the current one; all sessions end.
pub fn change_own_password(
    store: &Store,
    actor: &Actor,
    current: &str,
    new_password: &str,
    now: DateTime<Utc>,
) -> ServiceResult<User> {
    let id = actor
        .user_id
        .ok_or_else(|| ServiceError::forbidden("no user"))?;
    let user = get_user(store, id)?;
    if !password::verify(current, &user.password_hash) {
        return Err(ServiceError::invalid(
            "current_password",
            "the current password is wrong",
        ));
    }
    store_password(store, actor, id, new_password, now)
}
