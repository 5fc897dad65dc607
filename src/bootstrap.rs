//! What an empty data directory gets at first start: the company admin and the
//! built-in ERP Notifications project.

use chrono::{DateTime, Utc};

use crate::actor::Actor;
use crate::error::ServiceResult;
use crate::org::service::{self as org, NewUser};
use crate::org::{Language, Role, User};
use crate::projects::service::ensure_erp_project;
use crate::store::Store;

/// Returns the generated admin password when one was made up (to print once).
pub fn first_start(
    store: &Store,
    admin_password: Option<&str>,
    language: Language,
    now: DateTime<Utc>,
) -> ServiceResult<Option<String>> {
    let mut generated = None;
    if store.list::<User>()?.is_empty() {
        let password = match admin_password {
            Some(p) => p.to_string(),
            None => {
                let p: String = crate::auth::random_secret()
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric())
                    .take(16)
                    .collect();
                generated = Some(p.clone());
                p
            }
        };
        org::create_user(
            store,
            &Actor::system(),
            NewUser {
                username: "admin".into(),
                display_name: Some("Administrator".into()),
                email: None,
                department_id: None,
                role: Role::CompanyAdmin,
                erp: true,
                language: Some(language),
                password,
            },
            now,
        )?;
        tracing::info!("created the company admin 'admin'");
        let scenarios = crate::scenarios::registry::Scenarios::new();
        let n = crate::scenarios::shipped::install_if_empty(store, &scenarios, now)?;
        tracing::info!(count = n, "installed the shipped example scenarios");
    }
    ensure_erp_project(store, language, now)?;
    crate::tasks::templates::ensure_builtins(store)?;
    crate::delivery::push::service::vapid_key(store, now)?;
    Ok(generated)
}
