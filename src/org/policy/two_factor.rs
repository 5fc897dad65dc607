//! Whom the company's two-factor policy binds.

use crate::actor::Actor;
use crate::org::two_factor::Requirement;
use crate::org::Role;

/// Whether someone of `role` must sign in with a second factor under `require`:
/// `admins` means company and department admins.
pub fn two_factor_required(require: Requirement, role: Role) -> bool {
    match require {
        Requirement::Off => false,
        Requirement::Admins => role != Role::Member,
        Requirement::Everyone => true,
    }
}

/// Whether `require` would bind the admin setting it (who must then have it already).
pub fn two_factor_binds_actor(require: Requirement, actor: &Actor) -> bool {
    actor.user_id.is_some() && two_factor_required(require, actor.role)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_each_policy_binds() {
        let roles = [Role::CompanyAdmin, Role::DepartmentAdmin, Role::Member];
        let bound = |r: Requirement| roles.map(|role| two_factor_required(r, role));
        assert_eq!(bound(Requirement::Off), [false, false, false]);
        assert_eq!(bound(Requirement::Admins), [true, true, false]);
        assert_eq!(bound(Requirement::Everyone), [true, true, true]);
        // the console acts as no user: nothing to sign out
        assert!(!two_factor_binds_actor(
            Requirement::Everyone,
            &Actor::system()
        ));
    }
}
