//! What only company admins do: the areas that belong to the company as a whole.

use crate::actor::Actor;
use crate::error::{ServiceError, ServiceResult};
use crate::org::{Role, User};

/// A part of Baton only company admins reach; each says why in its refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompanyArea {
    Announcements,
    NewsFeeds,
    DeliveryChannels,
    Outbox,
    Scenarios,
    ApiTokens,
    AuditLog,
    Metrics,
    Backups,
    InboundHooks,
    Connectors,
    ErpImport,
    TwoFactor,
}

impl CompanyArea {
    /// The refusal a non-admin reads (unchanged from when each area checked itself).
    fn refusal(self) -> &'static str {
        match self {
            CompanyArea::Announcements => "company admins publish announcements",
            CompanyArea::NewsFeeds => "company admins manage news feeds",
            CompanyArea::DeliveryChannels => "only company admins manage delivery channels",
            CompanyArea::Outbox => "only company admins see the outbox",
            CompanyArea::Scenarios => "only company admins manage scenarios",
            CompanyArea::ApiTokens => "only company admins manage API tokens",
            CompanyArea::AuditLog => "only company admins read the audit log",
            CompanyArea::Metrics => "metrics are for company admins",
            CompanyArea::Backups => "only company admins manage backups",
            CompanyArea::InboundHooks => "only company admins manage inbound hooks",
            CompanyArea::Connectors => "only company admins manage connectors",
            CompanyArea::ErpImport => "only company admins import ERP records",
            CompanyArea::TwoFactor => {
                "only company admins set the two-factor policy or reset a user's"
            }
        }
    }
}

fn is_company_admin(actor: &Actor) -> bool {
    actor.role == Role::CompanyAdmin
}

/// Company admins (and the console and the server, which act as one) may enter `area`.
pub fn require_company_admin(actor: &Actor, area: CompanyArea) -> ServiceResult<()> {
    if is_company_admin(actor) {
        Ok(())
    } else {
        Err(ServiceError::forbidden(area.refusal()))
    }
}

/// ERP records are the company admins'. A token reads as its owner, so a member's
/// token reads no more than the member; its refusal says it is about the owner.
pub fn may_read_erp(actor: &Actor, via_token: bool) -> ServiceResult<()> {
    if is_company_admin(actor) {
        return Ok(());
    }
    Err(ServiceError::forbidden(if via_token {
        "ERP records are for company admins: this token's owner is not one"
    } else {
        "ERP records are for company admins"
    }))
}

/// Pushing ERP records is a company admin's right, which a token carries from its
/// (enabled) owner. Tokens made on the console have no owner and are not asked.
pub fn may_push_erp(owner: &User) -> ServiceResult<()> {
    if owner.role == Role::CompanyAdmin {
        Ok(())
    } else {
        Err(ServiceError::forbidden(
            "this API token's owner is not a company admin, so it may not push ERP records",
        ))
    }
}

/// Whether a failed delivery test shows its full error: company admins configure the
/// network policy and read the log anyway; anyone else would learn from the details
/// which internal ports are open.
pub fn sees_delivery_errors(actor: &Actor) -> bool {
    is_company_admin(actor)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{kinds, user};
    use super::*;

    const AREAS: [CompanyArea; 9] = [
        CompanyArea::Announcements,
        CompanyArea::NewsFeeds,
        CompanyArea::DeliveryChannels,
        CompanyArea::Outbox,
        CompanyArea::Scenarios,
        CompanyArea::ApiTokens,
        CompanyArea::AuditLog,
        CompanyArea::Metrics,
        CompanyArea::Backups,
    ];

    #[test]
    fn company_areas_admit_company_admins_console_and_server_only() {
        for (kind, actor) in kinds() {
            let want = matches!(kind, "company admin" | "console" | "server");
            for area in AREAS {
                let got = require_company_admin(&actor, area);
                assert_eq!(got.is_ok(), want, "{kind} {area:?}");
                if let Err(e) = got {
                    assert!(matches!(e, ServiceError::Forbidden(_)), "{kind} {area:?}");
                    assert_eq!(e.to_string(), area.refusal());
                }
            }
            assert_eq!(may_read_erp(&actor, false).is_ok(), want, "{kind}");
            assert_eq!(may_read_erp(&actor, true).is_ok(), want, "{kind}");
            assert_eq!(sees_delivery_errors(&actor), want, "{kind}");
        }
    }

    #[test]
    fn an_erp_refusal_says_whether_a_token_owner_is_meant() {
        let (_, member) = kinds().swap_remove(3);
        let token = may_read_erp(&member, true).err().map(|e| e.to_string());
        assert!(token.is_some_and(|m| m.contains("token's owner")));
        let session = may_read_erp(&member, false).err().map(|e| e.to_string());
        assert_eq!(
            session.as_deref(),
            Some("ERP records are for company admins")
        );
    }

    #[test]
    fn only_a_company_admins_token_pushes_erp_records() {
        for (role, want) in [
            (Role::CompanyAdmin, true),
            (Role::DepartmentAdmin, false),
            (Role::Member, false),
        ] {
            let owner = user(role, None, false);
            assert_eq!(may_push_erp(&owner).is_ok(), want, "{role:?}");
        }
    }
}
