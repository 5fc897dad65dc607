//! Turning two-factor sign-in on and off, checking codes, and the company's policy.
//! Every change is audited in the same write as the change.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::challenge::pending::{self, Pending};
use super::model::{ix, Requirement, TwoFactor, TwoFactorPolicy};
use super::recovery::{self, Code};
use crate::actor::Actor;
use crate::audit;
use crate::auth::{password, totp};
use crate::error::{ServiceError, ServiceResult};
use crate::org::policy::{
    require_company_admin, two_factor_binds_actor, two_factor_required, CompanyArea,
};
use crate::org::User;
use crate::store::{Store, StoreError, WriteTx};

/// What an authenticator app needs: shown while setting up, never again.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Enrolment {
    /// Base32, for typing into the app when the QR code cannot be scanned.
    pub secret: String,
    /// The `otpauth://totp/…` URI the QR code holds.
    pub uri: String,
    /// The QR code as an SVG document.
    pub qr_svg: String,
    /// Confirm with a code before this.
    pub expires_at: DateTime<Utc>,
}

/// What the Me page shows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TwoFactorStatus {
    pub enabled: bool,
    pub enabled_at: Option<DateTime<Utc>>,
    pub recovery_codes_left: usize,
    /// The company's policy requires it of this user (so it cannot be turned off).
    pub required: bool,
}

/// The company's policy (`Off` when none was ever set).
pub fn policy(store: &Store) -> ServiceResult<Requirement> {
    Ok(match store.lookup(ix::POLICY, "company")? {
        Some(id) => store
            .get::<TwoFactorPolicy>(id)?
            .map(|p| p.require)
            .unwrap_or_default(),
        None => Requirement::Off,
    })
}

/// The user's two-factor record, if they turned it on.
pub fn record_for(store: &Store, user_id: u64) -> ServiceResult<Option<TwoFactor>> {
    Ok(match store.lookup(ix::USER, &user_id.to_string())? {
        Some(id) => store.get::<TwoFactor>(id)?,
        None => None,
    })
}

fn record_in(tx: &WriteTx<'_>, user_id: u64) -> Result<Option<TwoFactor>, StoreError> {
    match tx.lookup(ix::USER, &user_id.to_string())? {
        Some(id) => tx.get::<TwoFactor>(id),
        None => Ok(None),
    }
}

/// The policy requires two-factor sign-in of `user` and they have none: they may do
/// nothing until they set it up (which a login leads them to).
pub fn must_enrol(store: &Store, user: &User) -> ServiceResult<bool> {
    Ok(two_factor_required(policy(store)?, user.role) && record_for(store, user.id)?.is_none())
}

pub fn status(store: &Store, user: &User) -> ServiceResult<TwoFactorStatus> {
    let record = record_for(store, user.id)?;
    Ok(TwoFactorStatus {
        enabled: record.is_some(),
        enabled_at: record.as_ref().map(|r| r.enabled_at),
        recovery_codes_left: record.map_or(0, |r| r.recovery_hashes.len()),
        required: two_factor_required(policy(store)?, user.role),
    })
}

/// The URI and QR code for `secret`.
pub fn enrolment(
    issuer: &str,
    username: &str,
    secret: String,
    expires_at: DateTime<Utc>,
) -> ServiceResult<Enrolment> {
    let uri = totp::otpauth_uri(issuer, username, &secret);
    let qr_svg = totp::qr_svg(&uri)
        .ok_or_else(|| ServiceError::Internal("the QR code could not be drawn".into()))?;
    Ok(Enrolment {
        secret,
        uri,
        qr_svg,
        expires_at,
    })
}

/// Starts setting up on the Me page: a new secret, waiting for its first code.
pub fn start(
    store: &Store,
    user: &User,
    issuer: &str,
    now: DateTime<Utc>,
) -> ServiceResult<Enrolment> {
    if record_for(store, user.id)?.is_some() {
        return Err(ServiceError::Conflict(
            "two-factor sign-in is already on: turn it off first to use another phone".into(),
        ));
    }
    let secret = totp::new_secret();
    pending::put(
        store,
        user.id,
        &Pending {
            secret: secret.clone(),
            created_at: now,
        },
    )?;
    let expires = now + Duration::minutes(pending::LIFETIME_MINUTES);
    enrolment(issuer, &user.username, secret, expires)
}

/// The first code proves the app has the secret: two-factor sign-in is on from now,
/// and the ten recovery codes are returned (the only time they are).
pub fn confirm(
    store: &Store,
    user: &User,
    code: &str,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<String>> {
    let code = totp_only(code)?;
    let secret = pending::get(store, user.id, now)?;
    let codes = store.write(|tx| enable_in(tx, user, &secret, &code, now))?;
    let codes = codes.ok_or_else(wrong_code)?;
    pending::remove(store, user.id)?;
    Ok(codes)
}

/// A code typed to confirm a new secret: only the app's six digits make sense.
pub fn totp_only(code: &str) -> ServiceResult<String> {
    match recovery::parse(code)? {
        Code::Totp(c) => Ok(c),
        Code::Recovery(_) => Err(ServiceError::invalid(
            "code",
            "enter the 6 digits your authenticator app shows for Baton",
        )),
    }
}

pub fn wrong_code() -> ServiceError {
    ServiceError::invalid("code", "that code is wrong or was already used")
}

/// Stores the enrolment if `code` is the secret's current code; `None` if it is not.
pub(crate) fn enable_in(
    tx: &mut WriteTx<'_>,
    user: &User,
    secret: &str,
    code: &str,
    now: DateTime<Utc>,
) -> ServiceResult<Option<Vec<String>>> {
    let Some(step) = totp::matching_step(secret, code, now, None) else {
        return Ok(None);
    };
    if record_in(tx, user.id)?.is_some() {
        return Err(ServiceError::Conflict(
            "two-factor sign-in is already on".into(),
        ));
    }
    let (salt, codes) = recovery::generate();
    let mut record = TwoFactor {
        id: 0,
        rev: 0,
        user_id: user.id,
        secret: secret.to_string(),
        enabled_at: now,
        last_step: Some(step),
        recovery_hashes: codes.iter().map(|c| recovery::hash(&salt, c)).collect(),
        recovery_salt: salt,
    };
    tx.insert(&mut record)?;
    audit::record(
        tx,
        &Actor::from_user(user),
        "2fa.enable",
        format!("user '{}'", user.username),
        None,
        now,
    )?;
    Ok(Some(codes))
}

/// Checks a code against the user's enrolment and, if it is right, uses it up: the
/// app code's step becomes the last one accepted, a recovery code is struck off.
/// `false` for a wrong code or a user without two-factor sign-in.
pub(crate) fn check_in(
    tx: &mut WriteTx<'_>,
    user: &User,
    code: &Code,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let Some(mut record) = record_in(tx, user.id)? else {
        return Ok(false);
    };
    let rev = record.rev;
    match code {
        Code::Totp(c) => {
            let Some(step) = totp::matching_step(&record.secret, c, now, record.last_step) else {
                return Ok(false);
            };
            record.last_step = Some(step);
            tx.update(&mut record, rev)?;
        }
        Code::Recovery(c) => {
            let h = recovery::hash(&record.recovery_salt, c);
            let Some(i) = record.recovery_hashes.iter().position(|x| *x == h) else {
                return Ok(false);
            };
            record.recovery_hashes.remove(i);
            let left = record.recovery_hashes.len();
            tx.update(&mut record, rev)?;
            audit::record(
                tx,
                &Actor::from_user(user),
                "2fa.recovery_used",
                format!("{left} recovery codes left"),
                None,
                now,
            )?;
        }
    }
    Ok(true)
}

/// Turns two-factor sign-in off, proven with the password and a current code (or a
/// recovery code). Refused while the company's policy requires it of the user.
pub fn disable(
    store: &Store,
    user: &User,
    pw: &str,
    code: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let code = recovery::parse(code)?;
    if two_factor_required(policy(store)?, user.role) {
        return Err(ServiceError::forbidden(
            "your company requires two-factor sign-in of you, so it stays on; if you lost your phone, an admin can reset it (baton user reset-2fa)",
        ));
    }
    if record_for(store, user.id)?.is_none() {
        return Err(ServiceError::Conflict(
            "two-factor sign-in is not on".into(),
        ));
    }
    if !password::verify(pw, &user.password_hash) {
        return Err(ServiceError::invalid("password", "the password is wrong"));
    }
    store.write(|tx| {
        if !check_in(tx, user, &code, now)? {
            return Err(wrong_code());
        }
        remove_in(tx, user.id)?;
        audit::record(
            tx,
            &Actor::from_user(user),
            "2fa.disable",
            format!("user '{}'", user.username),
            None,
            now,
        )?;
        Ok(())
    })
}

fn remove_in(tx: &mut WriteTx<'_>, user_id: u64) -> Result<bool, StoreError> {
    match tx.lookup(ix::USER, &user_id.to_string())? {
        Some(id) => {
            tx.delete::<TwoFactor>(id)?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Removes a user's two-factor sign-in for someone who lost their phone (the console's
/// `baton user reset-2fa`). Their next login asks for no code, or leads them to set
/// it up again where the policy requires it. API tokens are not touched.
pub fn reset(store: &Store, actor: &Actor, user: &User, now: DateTime<Utc>) -> ServiceResult<bool> {
    require_company_admin(actor, CompanyArea::TwoFactor)?;
    let removed = store.write(|tx| {
        let removed = remove_in(tx, user.id)?;
        audit::record(
            tx,
            actor,
            "2fa.reset",
            format!(
                "user '{}'{}",
                user.username,
                if removed { "" } else { " (had none)" }
            ),
            None,
            now,
        )?;
        Ok::<_, ServiceError>(removed)
    })?;
    pending::remove(store, user.id)?;
    Ok(removed)
}

/// Sets who must use two-factor sign-in. An admin the new policy covers must have it
/// already, or the change would sign them out with no way back but the console.
pub fn set_policy(
    store: &Store,
    actor: &Actor,
    require: Requirement,
    now: DateTime<Utc>,
) -> ServiceResult<Requirement> {
    require_company_admin(actor, CompanyArea::TwoFactor)?;
    if let Some(id) = actor
        .user_id
        .filter(|_| two_factor_binds_actor(require, actor))
    {
        if record_for(store, id)?.is_none() {
            return Err(ServiceError::invalid(
                "require",
                "turn on two-factor sign-in for yourself first (on the Me page): this policy would otherwise sign you out",
            ));
        }
    }
    store.write(|tx| {
        let mut p = match tx.lookup(ix::POLICY, "company")? {
            Some(id) => tx.load::<TwoFactorPolicy>(id)?,
            None => TwoFactorPolicy::default(),
        };
        p.require = require;
        if p.id == 0 {
            tx.insert(&mut p)?;
        } else {
            let rev = p.rev;
            tx.update(&mut p, rev)?;
        }
        audit::record(
            tx,
            actor,
            "2fa.policy",
            format!("required of: {}", require.as_str()),
            None,
            now,
        )?;
        Ok::<_, ServiceError>(())
    })?;
    Ok(require)
}
