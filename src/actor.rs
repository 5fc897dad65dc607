//! Who is asking: the identity every service call and policy check is made for.

use crate::org::{Role, User};

/// The actor name of lines the server writes by itself.
pub const SERVER_NAME: &str = "system";

#[derive(Debug, Clone)]
pub struct Actor {
    /// `None` for the local administrator using the CLI on the server machine.
    pub user_id: Option<u64>,
    pub name: String,
    pub role: Role,
    pub department_id: Option<u64>,
}

impl Actor {
    pub fn user(id: u64, name: &str, role: Role, department_id: Option<u64>) -> Actor {
        Actor {
            user_id: Some(id),
            name: name.to_string(),
            role,
            department_id,
        }
    }

    pub fn from_user(u: &User) -> Actor {
        Actor::user(u.id, &u.username, u.role, u.department_id)
    }

    /// The operator at the server's console (CLI, admin socket): full rights, since
    /// they can read the data directory anyway.
    pub fn system() -> Actor {
        Actor {
            user_id: None,
            name: "cli".into(),
            role: Role::CompanyAdmin,
            department_id: None,
        }
    }

    /// The server acting on its own (reminders, escalation, auto-close): shown as
    /// "system" in task logs, which the UI translates, never as the console operator.
    pub fn server() -> Actor {
        Actor {
            user_id: None,
            name: SERVER_NAME.into(),
            role: Role::CompanyAdmin,
            department_id: None,
        }
    }

    pub fn is(&self, user_id: u64) -> bool {
        self.user_id == Some(user_id)
    }
}
