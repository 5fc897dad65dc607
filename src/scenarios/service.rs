//! Who may manage scenarios. (The rest of what this file held is split by job:
//! `registry`, `admin`, `run`, `apply`, `decide`, `tick`, `spec_task`, and the push
//! path in `erp::push`.)

use crate::actor::Actor;
use crate::error::{ServiceError, ServiceResult};
use crate::org::Role;

pub fn require_admin(actor: &Actor) -> ServiceResult<()> {
    if actor.role == Role::CompanyAdmin {
        Ok(())
    } else {
        Err(ServiceError::forbidden(
            "only company admins manage scenarios",
        ))
    }
}
