//! User and department operations: validation, policy, audit, one durable write each.
//! Departments live in `departments`, passwords in `passwords`; both are re-exported
//! here, where callers look for them.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::model::UserView;
use super::policy::{can_manage_project, can_manage_user, may_change_own_account};
use super::{Department, Language, Role, User};
use crate::actor::Actor;
use crate::audit;
use crate::auth::{password, session};
use crate::error::{trimmed, ServiceError, ServiceResult};
use crate::store::{Store, WriteTx};

pub use super::departments::{
    create_department, delete_department, list_departments, update_department, DepartmentPatch,
    NewDepartment,
};
pub use super::passwords::{change_own_password, set_password};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub department_id: Option<u64>,
    #[serde(default = "default_role")]
    pub role: Role,
    #[serde(default)]
    pub erp: bool,
    #[serde(default)]
    pub language: Option<Language>,
    pub password: String,
}

fn default_role() -> Role {
    Role::Member
}

/// Fields an admin may change; absent fields stay as they are. `rev` is the revision
/// the client last saw.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "crate::patch::some")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::patch::some")]
    #[schema(value_type = Option<u64>)]
    pub department_id: Option<Option<u64>>,
    pub role: Option<Role>,
    pub erp: Option<bool>,
    pub disabled: Option<bool>,
    pub language: Option<Language>,
    pub rev: Option<u64>,
}

/// What a user may change about themselves.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "crate::patch::some")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    pub language: Option<Language>,
}

pub fn validate_username(name: &str) -> ServiceResult<String> {
    let name = super::username_key(name);
    let ok = (2..=32).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !ok {
        return Err(ServiceError::invalid(
            "username",
            "a username has 2 to 32 characters: letters, digits, '.', '_' or '-'",
        ));
    }
    Ok(name)
}

fn validate_display_name(name: &str) -> ServiceResult<String> {
    trimmed(
        name,
        64,
        "display_name",
        "a display name has 1 to 64 characters",
    )
}

pub fn validate_email(email: Option<String>) -> ServiceResult<Option<String>> {
    let Some(e) = email
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty())
    else {
        return Ok(None);
    };
    let valid = e.len() <= 254
        && !e.contains(char::is_whitespace)
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if !valid {
        return Err(ServiceError::invalid(
            "email",
            format!("'{e}' is not an e-mail address"),
        ));
    }
    Ok(Some(e))
}

pub(super) fn check_department(tx: &WriteTx<'_>, dept: Option<u64>) -> ServiceResult<()> {
    if let Some(d) = dept {
        if tx.get::<Department>(d)?.is_none() {
            return Err(ServiceError::invalid(
                "department_id",
                format!("department {d} does not exist"),
            ));
        }
    }
    Ok(())
}

pub fn get_user(store: &Store, id: u64) -> ServiceResult<User> {
    store
        .get::<User>(id)?
        .ok_or_else(|| ServiceError::not_found(format!("user {id} not found")))
}

pub fn find_user(store: &Store, username: &str) -> ServiceResult<User> {
    let id = store
        .lookup("username", &super::username_key(username))?
        .ok_or_else(|| ServiceError::not_found(format!("user '{}' not found", username.trim())))?;
    get_user(store, id)
}

/// Every user, for pickers and the admin list; the directory is visible to all.
pub fn list_users(store: &Store) -> ServiceResult<Vec<UserView>> {
    Ok(store.list::<User>()?.iter().map(UserView::from).collect())
}

/// The `erp` flag is membership of the built-in ERP Notifications project, so changing
/// it is managing that project's members: its admins do that (company admins, as the
/// project belongs to no department), as `POST /api/projects/{id}/members` requires.
fn check_erp_flag(store: &Store, actor: &Actor, departments: &[Department]) -> ServiceResult<()> {
    let dept = crate::projects::service::erp_project_department(store)?;
    if can_manage_project(actor, dept, departments) {
        Ok(())
    } else {
        Err(ServiceError::forbidden(
            "only the ERP Notifications project's admins change who is in it",
        ))
    }
}

pub fn create_user(
    store: &Store,
    actor: &Actor,
    new: NewUser,
    now: DateTime<Utc>,
) -> ServiceResult<User> {
    let username = validate_username(&new.username)?;
    let display_name = validate_display_name(new.display_name.as_deref().unwrap_or(&username))?;
    let email = validate_email(new.email)?;
    password::validate(&new.password)?;
    let departments = store.list::<Department>()?;
    if !can_manage_user(actor, new.department_id, new.role, &departments) {
        return Err(ServiceError::forbidden(
            "you may not create this user in that department or role",
        ));
    }
    if new.erp {
        check_erp_flag(store, actor, &departments)?;
    }
    let hash = password::hash(&new.password)?;
    let mut user = User {
        id: 0,
        rev: 0,
        username,
        display_name,
        email,
        department_id: new.department_id,
        role: new.role,
        erp: new.erp,
        language: new.language.unwrap_or_default(),
        disabled: false,
        password_hash: hash,
        created_at: now,
        sessions_valid_after: now,
    };
    store.write(|tx| {
        check_department(tx, user.department_id)?;
        tx.insert(&mut user)?;
        audit::record(
            tx,
            actor,
            "user.create",
            format!("user '{}' as {}", user.username, user.role.as_str()),
            None,
            now,
        )?;
        Ok::<_, ServiceError>(())
    })?;
    Ok(user)
}

fn active_company_admins(store: &Store) -> ServiceResult<usize> {
    Ok(store
        .list::<User>()?
        .iter()
        .filter(|u| u.is_active_company_admin())
        .count())
}

pub fn update_user(
    store: &Store,
    actor: &Actor,
    id: u64,
    patch: UserPatch,
    now: DateTime<Utc>,
) -> ServiceResult<User> {
    let departments = store.list::<Department>()?;
    let old = get_user(store, id)?;
    let mut user = old.clone();
    if let Some(n) = &patch.display_name {
        user.display_name = validate_display_name(n)?;
    }
    if let Some(e) = patch.email.clone() {
        user.email = validate_email(e)?;
    }
    if let Some(d) = patch.department_id {
        user.department_id = d;
    }
    if let Some(r) = patch.role {
        user.role = r;
    }
    if let Some(e) = patch.erp {
        user.erp = e;
    }
    if let Some(d) = patch.disabled {
        user.disabled = d;
    }
    if let Some(l) = patch.language {
        user.language = l;
    }
    if !can_manage_user(actor, old.department_id, old.role, &departments)
        || !can_manage_user(actor, user.department_id, user.role, &departments)
    {
        return Err(ServiceError::forbidden("you may not manage this user"));
    }
    if user.erp != old.erp {
        check_erp_flag(store, actor, &departments)?;
    }
    may_change_own_account(actor, &old, &user)?;
    let loses_admin = old.is_active_company_admin() && !user.is_active_company_admin();
    let locked_out = user.disabled && !old.disabled;
    if locked_out {
        user.sessions_valid_after = now;
    }
    let expected = patch.rev.unwrap_or(old.rev);
    store.write(|tx| {
        // Counted inside the write: the writer lock makes "not the last admin" hold
        // for this write, so two concurrent demotions cannot both pass.
        if loses_admin && active_company_admins(store)? <= 1 {
            return Err(ServiceError::Conflict(
                "the last active company admin cannot be demoted or disabled".into(),
            ));
        }
        check_department(tx, user.department_id)?;
        tx.update(&mut user, expected)?;
        if user.role != old.role {
            audit::record(
                tx,
                actor,
                "user.role",
                format!(
                    "user '{}': {} -> {}",
                    user.username,
                    old.role.as_str(),
                    user.role.as_str()
                ),
                None,
                now,
            )?;
        }
        if user.disabled != old.disabled {
            let what = if user.disabled {
                "user.disable"
            } else {
                "user.enable"
            };
            audit::record(
                tx,
                actor,
                what,
                format!("user '{}'", user.username),
                None,
                now,
            )?;
        }
        audit::record(
            tx,
            actor,
            "user.update",
            format!("user '{}'", user.username),
            None,
            now,
        )?;
        Ok::<_, ServiceError>(())
    })?;
    if locked_out {
        session::delete_all_for(store, id)?;
    }
    Ok(user)
}

pub fn update_profile(store: &Store, actor: &Actor, patch: ProfilePatch) -> ServiceResult<User> {
    let id = actor
        .user_id
        .ok_or_else(|| ServiceError::forbidden("no user to update"))?;
    store.write(|tx| {
        let mut user: User = tx.load(id)?;
        let rev = user.rev;
        if let Some(n) = &patch.display_name {
            user.display_name = validate_display_name(n)?;
        }
        if let Some(e) = patch.email.clone() {
            user.email = validate_email(e)?;
        }
        if let Some(l) = patch.language {
            user.language = l;
        }
        tx.update(&mut user, rev)?;
        Ok(user)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(validate_username(" Alice ").unwrap(), "alice");
        assert!(validate_username("a").is_err());
        assert!(validate_username("bad name").is_err());
        assert!(validate_username("王").is_err());
    }

    #[test]
    fn emails_are_checked() {
        assert_eq!(
            validate_email(Some(" a@b.co ".into())).unwrap(),
            Some("a@b.co".into())
        );
        assert_eq!(validate_email(Some("".into())).unwrap(), None);
        for bad in ["a", "a@b", "@b.co", "a b@c.co", "a@.co"] {
            assert!(validate_email(Some(bad.into())).is_err(), "{bad}");
        }
    }
}
