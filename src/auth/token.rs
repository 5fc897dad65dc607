//! Scoped API tokens for the ERP and scripts: shown once, stored hashed, revocable.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{random_secret, secret_hash};
use crate::actor::Actor;
use crate::actor::Role;
use crate::audit;
use crate::error::{trimmed, ServiceError, ServiceResult};
use crate::store::{Record, Store};

pub const PREFIX: &str = "baton_";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum Scope {
    /// Push ERP records.
    #[serde(rename = "erp:write")]
    ErpWrite,
    /// Read through the API as the token's owner.
    #[serde(rename = "read")]
    Read,
}

impl Scope {
    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "erp:write" => Some(Scope::ErpWrite),
            "read" => Some(Scope::Read),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: u64,
    pub rev: u64,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub hash: String,
    /// The user whose read rights a `read` token carries.
    pub owner_id: Option<u64>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

impl Record for ApiToken {
    const KIND: &'static str = "token";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![("token_hash", self.hash.clone())]
    }
}

/// What the API and CLI show of a token: never its secret or hash.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TokenView {
    pub id: u64,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub owner_id: Option<u64>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

impl From<&ApiToken> for TokenView {
    fn from(t: &ApiToken) -> Self {
        TokenView {
            id: t.id,
            name: t.name.clone(),
            scopes: t.scopes.clone(),
            owner_id: t.owner_id,
            created_by: t.created_by.clone(),
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked: t.revoked,
        }
    }
}

fn require_company_admin(actor: &Actor) -> ServiceResult<()> {
    if actor.role == Role::CompanyAdmin {
        Ok(())
    } else {
        Err(ServiceError::forbidden(
            "only company admins manage API tokens",
        ))
    }
}

/// Creates a token; returns the secret, which is never shown again.
pub fn create(
    store: &Store,
    actor: &Actor,
    name: &str,
    scopes: Vec<Scope>,
    owner_id: Option<u64>,
    now: DateTime<Utc>,
) -> ServiceResult<(String, TokenView)> {
    require_company_admin(actor)?;
    let name = trimmed(
        name,
        64,
        "name",
        "a token needs a name of 1 to 64 characters",
    )?;
    if scopes.is_empty() {
        return Err(ServiceError::invalid(
            "scopes",
            "a token needs at least one scope",
        ));
    }
    let secret = format!("{PREFIX}{}", random_secret());
    let mut token = ApiToken {
        id: 0,
        rev: 0,
        name,
        scopes,
        hash: secret_hash(&secret),
        owner_id: owner_id.or(actor.user_id),
        created_by: actor.name.clone(),
        created_at: now,
        last_used_at: None,
        revoked: false,
    };
    store.write(|tx| {
        tx.insert(&mut token)?;
        audit::record(
            tx,
            actor,
            "token.create",
            format!("token '{}' ({:?})", token.name, token.scopes),
            None,
            now,
        )?;
        Ok::<_, ServiceError>(())
    })?;
    Ok((secret, TokenView::from(&token)))
}

pub fn list(store: &Store, actor: &Actor) -> ServiceResult<Vec<TokenView>> {
    require_company_admin(actor)?;
    Ok(store
        .list::<ApiToken>()?
        .iter()
        .map(TokenView::from)
        .collect())
}

pub fn revoke(
    store: &Store,
    actor: &Actor,
    id: u64,
    now: DateTime<Utc>,
) -> ServiceResult<TokenView> {
    require_company_admin(actor)?;
    store.write(|tx| {
        let mut t: ApiToken = tx.load(id)?;
        let rev = t.rev;
        t.revoked = true;
        tx.update(&mut t, rev)?;
        audit::record(
            tx,
            actor,
            "token.revoke",
            format!("token '{}'", t.name),
            None,
            now,
        )?;
        Ok(TokenView::from(&t))
    })
}

/// The live token for a presented secret; records its use (at most once a minute).
pub fn authenticate(
    store: &Store,
    secret: &str,
    now: DateTime<Utc>,
) -> ServiceResult<Option<ApiToken>> {
    let Some(id) = store.lookup("token_hash", &secret_hash(secret))? else {
        return Ok(None);
    };
    let Some(token) = store.get::<ApiToken>(id)? else {
        return Ok(None);
    };
    if token.revoked {
        return Ok(None);
    }
    let stale = token
        .last_used_at
        .is_none_or(|t| now - t > Duration::seconds(60));
    if stale {
        let result = store.write(|tx| {
            let mut t: ApiToken = tx.load(id)?;
            let rev = t.rev;
            t.last_used_at = Some(now);
            tx.update(&mut t, rev)?;
            audit::record(
                tx,
                &Actor::system(),
                "token.use",
                format!("token '{}'", t.name),
                None,
                now,
            )?;
            Ok::<_, ServiceError>(())
        });
        // A lost race here only loses a timestamp; the request itself is fine.
        if let Err(e) = result {
            tracing::debug!(error = %e, "token last-used update skipped");
        }
    }
    Ok(Some(token))
}
