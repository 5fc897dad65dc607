//! Runs an admin request against a store, as the console operator.

use chrono::{DateTime, Utc};

use super::protocol::AdminRequest;
use crate::actor::Actor;
use crate::auth::token::{self, Scope};
use crate::error::{ServiceError, ServiceResult};
use crate::org::service::{self as org, NewUser, UserPatch};
use crate::org::User;
use crate::scenarios::registry::Scenarios;
use crate::store::Store;

/// Executes everything but `Backup`, which streams and is handled by the caller.
pub fn execute(
    store: &Store,
    scenarios: &Scenarios,
    req: AdminRequest,
    now: DateTime<Utc>,
) -> ServiceResult<String> {
    let actor = Actor::system();
    match req {
        AdminRequest::UserAdd {
            username,
            display_name,
            email,
            role,
            department_id,
            erp,
            password,
        } => {
            let u = org::create_user(
                store,
                &actor,
                NewUser {
                    username,
                    display_name,
                    email,
                    department_id,
                    role,
                    erp,
                    language: None,
                    password,
                },
                now,
            )?;
            Ok(format!(
                "created user '{}' (id {}) as {}",
                u.username,
                u.id,
                u.role.as_str()
            ))
        }
        AdminRequest::UserList => {
            let mut out = format!(
                "{:<6} {:<20} {:<24} {:<17} {:<5} {}\n",
                "ID", "USERNAME", "DISPLAY NAME", "ROLE", "ERP", "STATUS"
            );
            for u in org::list_users(store)? {
                out.push_str(&format!(
                    "{:<6} {:<20} {:<24} {:<17} {:<5} {}\n",
                    u.id,
                    u.username,
                    u.display_name,
                    u.role.as_str(),
                    if u.erp { "yes" } else { "no" },
                    if u.disabled { "disabled" } else { "active" }
                ));
            }
            Ok(out.trim_end().to_string())
        }
        AdminRequest::UserPasswd { username, password } => {
            let u = org::find_user(store, &username)?;
            org::set_password(store, &actor, u.id, &password, now)?;
            Ok(format!(
                "password of '{}' changed; their sessions have ended",
                u.username
            ))
        }
        AdminRequest::UserSetRole { username, role } => {
            let u = org::find_user(store, &username)?;
            org::update_user(
                store,
                &actor,
                u.id,
                UserPatch {
                    role: Some(role),
                    ..Default::default()
                },
                now,
            )?;
            Ok(format!("'{}' is now {}", u.username, role.as_str()))
        }
        AdminRequest::UserDisable { username, disabled } => {
            let u = org::find_user(store, &username)?;
            org::update_user(
                store,
                &actor,
                u.id,
                UserPatch {
                    disabled: Some(disabled),
                    ..Default::default()
                },
                now,
            )?;
            Ok(format!(
                "'{}' is now {}",
                u.username,
                if disabled { "disabled" } else { "enabled" }
            ))
        }
        AdminRequest::UserReset2fa { username } => {
            let u = org::find_user(store, &username)?;
            let removed = crate::org::two_factor::service::reset(store, &actor, &u, now)?;
            Ok(if removed {
                format!(
                    "two-factor sign-in of '{}' removed; their API tokens are unchanged",
                    u.username
                )
            } else {
                format!("'{}' had no two-factor sign-in", u.username)
            })
        }
        AdminRequest::TokenCreate {
            name,
            scopes,
            owner,
        } => {
            let scopes = scopes
                .iter()
                .map(|s| {
                    Scope::parse(s).ok_or_else(|| {
                        ServiceError::invalid(
                            "scope",
                            format!("'{s}' is not a scope: erp:write or read"),
                        )
                    })
                })
                .collect::<ServiceResult<Vec<_>>>()?;
            let owner_id = match owner {
                Some(name) => Some(org::find_user(store, &name)?.id),
                None => first_company_admin(store)?,
            };
            let (secret, view) = token::create(store, &actor, &name, scopes, owner_id, now)?;
            Ok(format!(
                "created token '{}' (id {}). It is shown only this once:\n{secret}",
                view.name, view.id
            ))
        }
        AdminRequest::TokenList => {
            let mut out = format!(
                "{:<6} {:<20} {:<20} {:<26} {}\n",
                "ID", "NAME", "SCOPES", "LAST USED", "STATUS"
            );
            for t in token::list(store, &actor)? {
                let scopes: Vec<String> = t
                    .scopes
                    .iter()
                    .map(|s| {
                        serde_json::to_value(s)
                            .ok()
                            .and_then(|v| v.as_str().map(String::from))
                            .unwrap_or_default()
                    })
                    .collect();
                out.push_str(&format!(
                    "{:<6} {:<20} {:<20} {:<26} {}\n",
                    t.id,
                    t.name,
                    scopes.join(","),
                    t.last_used_at
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_else(|| "never".into()),
                    if t.revoked { "revoked" } else { "active" }
                ));
            }
            Ok(out.trim_end().to_string())
        }
        AdminRequest::TokenRevoke { id } => {
            let t = token::revoke(store, &actor, id, now)?;
            Ok(format!("revoked token '{}' (id {})", t.name, t.id))
        }
        AdminRequest::RulesLoad {
            files,
            cases,
            user,
            save_anyway,
        } => {
            let by = crate::scenarios::load::Loader { user, save_anyway };
            crate::scenarios::load::files(store, scenarios, &actor, files, cases, &by, now)
        }
        AdminRequest::Import { records } => {
            let mut batch = Vec::new();
            for mut r in records {
                batch.push(
                    crate::erp::ingest::validate(&mut r)
                        .map_err(|e| ServiceError::invalid("records", e))?,
                );
            }
            let p = crate::erp::push::push(store, scenarios, batch, None, now)?;
            Ok(serde_json::json!({"new": p.new, "updated": p.stored - p.new, "unchanged": p.unchanged, "tasks_created": p.report.tasks_created, "scenario_errors": p.report.errors}).to_string())
        }
        AdminRequest::Backup => Err(ServiceError::Internal(
            "backup is streamed, not executed".into(),
        )),
    }
}

fn first_company_admin(store: &Store) -> ServiceResult<Option<u64>> {
    Ok(store
        .list::<User>()?
        .iter()
        .find(|u| u.is_active_company_admin())
        .map(|u| u.id))
}
