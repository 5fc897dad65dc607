//! Who may do what. Every "may this actor do this to that object" outside the flow
//! rules (`flow::rules`, `flow::access`, which decide steps of a task) is answered
//! here, so a rule is read and changed in one place and handlers and services hold
//! no role checks of their own (the test in `role_checks.rs` keeps it that way).
//!
//! Pure functions over plain data: callers load what a decision needs (the actor,
//! the departments, a project's department and members) and pass it in. A refusal
//! is a `ServiceError` (forbidden, or not found where the object's existence is
//! itself private), with the same words the callers used before.

mod admins;
mod company;
mod departments;
mod projects;
#[cfg(test)]
mod role_checks;
mod stats;
mod tasks;
mod two_factor;

pub use admins::{
    answers_feedback, hears_feedback_from, may_see_feedback, may_set_feedback_status,
    require_template_admin,
};
pub use company::{
    may_push_erp, may_read_erp, require_company_admin, sees_delivery_errors, CompanyArea,
};
pub use departments::{
    administers, can_manage_department, can_manage_user, department_scope, home_department,
    may_change_department, may_change_own_account, may_delete_department, may_set_password,
};
pub use projects::{can_manage as can_manage_project, can_see as can_see_project};
pub use stats::{stats_scope, StatsScope};
pub use tasks::{may_choose_editors, may_create_task, may_remove_attachment};
pub use two_factor::{two_factor_binds_actor, two_factor_required};

#[cfg(test)]
pub(crate) mod fixtures {
    //! The kinds of actor every decision table runs over.

    use chrono::{TimeZone, Utc};

    use crate::actor::Actor;
    use crate::org::{Department, Role, User};

    pub fn dept(id: u64, parent: Option<u64>) -> Department {
        Department {
            id,
            rev: 1,
            name: format!("d{id}"),
            parent_id: parent,
        }
    }

    pub fn actor(role: Role, dept: Option<u64>) -> Actor {
        Actor::user(7, "x", role, dept)
    }

    /// An enabled or disabled user `u` (id 1) with `role` in `dept`.
    pub fn user(role: Role, dept: Option<u64>, disabled: bool) -> User {
        let at = Utc.timestamp_opt(0, 0).single().unwrap_or_default();
        User {
            id: 1,
            rev: 1,
            username: "u".into(),
            display_name: "u".into(),
            email: None,
            department_id: dept,
            role,
            erp: false,
            language: Default::default(),
            disabled,
            password_hash: String::new(),
            created_at: at,
            sessions_valid_after: at,
        }
    }

    /// Company admin, department admin of 1, department admin of none, member of 1,
    /// member of none, the console operator and the server itself.
    pub fn kinds() -> Vec<(&'static str, Actor)> {
        vec![
            ("company admin", actor(Role::CompanyAdmin, None)),
            ("dept admin", actor(Role::DepartmentAdmin, Some(1))),
            ("dept admin, no dept", actor(Role::DepartmentAdmin, None)),
            ("member", actor(Role::Member, Some(1))),
            ("member, no dept", actor(Role::Member, None)),
            ("console", Actor::system()),
            ("server", Actor::server()),
        ]
    }
}
