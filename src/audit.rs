//! The security audit log: logins, failed logins, role changes, token use and every
//! administrative change, written in the same batch as the change it describes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::actor::Actor;
use crate::actor::Role;
use crate::error::{ServiceError, ServiceResult};
use crate::store::{Record, Store, StoreError, WriteTx};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditEvent {
    pub id: u64,
    #[serde(default)]
    pub rev: u64,
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    pub action: String,
    pub detail: String,
    pub ip: Option<String>,
}

impl Record for AuditEvent {
    const KIND: &'static str = "audit";
    crate::id_and_rev!();
}

pub fn record(
    tx: &mut WriteTx<'_>,
    actor: &Actor,
    action: &str,
    detail: String,
    ip: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut event = AuditEvent {
        id: 0,
        rev: 0,
        at: now,
        actor: Some(actor.name.clone()),
        action: action.to_string(),
        detail,
        ip,
    };
    tx.insert(&mut event)?;
    Ok(())
}

pub fn list(store: &Store, actor: &Actor, limit: usize) -> ServiceResult<Vec<AuditEvent>> {
    if actor.role != Role::CompanyAdmin {
        return Err(ServiceError::forbidden(
            "only company admins read the audit log",
        ));
    }
    Ok(store.list_newest::<AuditEvent>(limit.clamp(1, 1000))?)
}
