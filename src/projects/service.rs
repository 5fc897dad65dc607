//! Project operations.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{Builtin, Project, ProjectView};
use crate::actor::Actor;
use crate::audit;
use crate::error::{trimmed, ServiceError, ServiceResult};
use crate::org::policy::{
    can_manage_project as can_manage, can_see_project as can_see, home_department,
};
use crate::org::{Department, User};
use crate::store::{Store, WriteTx};

pub const ERP_PROJECT_NAME: &str = "ERP Notifications";

/// The built-in project's name in the company language at the first start (admins
/// may rename it later; it is found by its `builtin` mark, not by name).
pub fn erp_project_name(language: crate::org::Language) -> &'static str {
    match language {
        crate::org::Language::ZhCn => "ERP通知",
        crate::org::Language::En => ERP_PROJECT_NAME,
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    pub name: String,
    pub department_id: Option<u64>,
    #[serde(default)]
    pub members: Vec<u64>,
    #[serde(default)]
    pub business_types: Vec<String>,
    /// Custom fields of the project's tasks.
    #[serde(default)]
    pub fields: Vec<super::fields::FieldDef>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectPatch {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::patch::some")]
    #[schema(value_type = Option<u64>)]
    pub department_id: Option<Option<u64>>,
    pub business_types: Option<Vec<String>>,
    pub rev: Option<u64>,
    /// Custom fields of the project's tasks (the whole list). Values already on tasks
    /// stay as they are; they are checked again when a task's fields are edited.
    pub fields: Option<Vec<super::fields::FieldDef>>,
}

fn validate_name(name: &str) -> ServiceResult<String> {
    trimmed(name, 80, "name", "a project name has 1 to 80 characters")
}

fn validate_business_types(types: Vec<String>) -> ServiceResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for t in types {
        let t = trimmed(
            &t,
            40,
            "business_types",
            "a business type has 1 to 40 characters",
        )?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > 100 {
        return Err(ServiceError::invalid(
            "business_types",
            "at most 100 business types",
        ));
    }
    Ok(out)
}

/// The members of a project: for ERP Notifications, every enabled ERP-flagged user.
pub fn members_of(p: &Project, users: &[User]) -> Vec<u64> {
    match p.builtin {
        Some(Builtin::Erp) => users
            .iter()
            .filter(|u| u.erp && !u.disabled)
            .map(|u| u.id)
            .collect(),
        None => p.members.clone(),
    }
}

fn view(store: &Store, p: &Project) -> ServiceResult<ProjectView> {
    let users = store.list::<User>()?;
    Ok(ProjectView::new(p, members_of(p, &users)))
}

pub fn list(store: &Store, actor: &Actor) -> ServiceResult<Vec<ProjectView>> {
    let users = store.list::<User>()?;
    let departments = store.list::<Department>()?;
    Ok(store
        .list::<Project>()?
        .iter()
        .map(|p| ProjectView::new(p, members_of(p, &users)))
        .filter(|v| can_see(actor, v.department_id, &v.members, &departments))
        .collect())
}

pub fn get(store: &Store, actor: &Actor, id: u64) -> ServiceResult<ProjectView> {
    let p = store
        .get::<Project>(id)?
        .ok_or_else(|| ServiceError::not_found(format!("project {id} not found")))?;
    let v = view(store, &p)?;
    let departments = store.list::<Department>()?;
    if !can_see(actor, v.department_id, &v.members, &departments) {
        // Not revealing whether it exists.
        return Err(ServiceError::not_found(format!("project {id} not found")));
    }
    Ok(v)
}

fn check_users_exist(tx: &WriteTx<'_>, ids: &[u64]) -> ServiceResult<()> {
    for id in ids {
        if tx.get::<User>(*id)?.is_none() {
            return Err(ServiceError::invalid(
                "members",
                format!("user {id} does not exist"),
            ));
        }
    }
    Ok(())
}

pub fn create(
    store: &Store,
    actor: &Actor,
    new: NewProject,
    now: DateTime<Utc>,
) -> ServiceResult<ProjectView> {
    let name = validate_name(&new.name)?;
    let business_types = validate_business_types(new.business_types)?;
    let fields = super::fields::check_defs(new.fields)?;
    // A department admin's project lands in their department unless they name another of theirs.
    let department_id = new.department_id.or_else(|| home_department(actor));
    let departments = store.list::<Department>()?;
    if !can_manage(actor, department_id, &departments) {
        return Err(ServiceError::forbidden(
            "you may not create a project in that department",
        ));
    }
    let mut members = new.members;
    members.sort_unstable();
    members.dedup();
    let mut p = Project {
        id: 0,
        rev: 0,
        name,
        department_id,
        members,
        business_types,
        archived: false,
        builtin: None,
        created_at: now,
        created_by: actor.name.clone(),
        fields,
    };
    store.write(|tx| {
        if let Some(d) = p.department_id {
            if tx.get::<Department>(d)?.is_none() {
                return Err(ServiceError::invalid(
                    "department_id",
                    format!("department {d} does not exist"),
                ));
            }
        }
        check_users_exist(tx, &p.members)?;
        tx.insert(&mut p)?;
        audit::record(
            tx,
            actor,
            "project.create",
            format!("project '{}'", p.name),
            None,
            now,
        )?;
        Ok(())
    })?;
    view(store, &p)
}

/// Loads a project the actor may manage, for the operations below (and its delivery
/// settings).
pub(crate) fn managed(store: &Store, actor: &Actor, id: u64) -> ServiceResult<Project> {
    let p = store
        .get::<Project>(id)?
        .ok_or_else(|| ServiceError::not_found(format!("project {id} not found")))?;
    let departments = store.list::<Department>()?;
    if !can_manage(actor, p.department_id, &departments) {
        return Err(ServiceError::forbidden("you may not manage this project"));
    }
    Ok(p)
}

pub fn update(
    store: &Store,
    actor: &Actor,
    id: u64,
    patch: ProjectPatch,
    now: DateTime<Utc>,
) -> ServiceResult<ProjectView> {
    let mut p = managed(store, actor, id)?;
    let expected = patch.rev.unwrap_or(p.rev);
    if let Some(n) = &patch.name {
        p.name = validate_name(n)?;
    }
    if let Some(t) = patch.business_types {
        p.business_types = validate_business_types(t)?;
    }
    if let Some(f) = patch.fields {
        p.fields = super::fields::check_defs(f)?;
    }
    if let Some(d) = patch.department_id {
        let departments = store.list::<Department>()?;
        if !can_manage(actor, d, &departments) {
            return Err(ServiceError::forbidden(
                "you may not move the project to that department",
            ));
        }
        p.department_id = d;
    }
    store.write(|tx| {
        tx.update(&mut p, expected)?;
        audit::record(
            tx,
            actor,
            "project.update",
            format!("project '{}'", p.name),
            None,
            now,
        )?;
        Ok::<_, ServiceError>(())
    })?;
    view(store, &p)
}

/// Adds (`add = true`) or removes a member. For ERP Notifications this sets the user's
/// ERP flag, which is what membership of that project means.
pub fn set_member(
    store: &Store,
    actor: &Actor,
    id: u64,
    user_id: u64,
    add: bool,
    now: DateTime<Utc>,
) -> ServiceResult<ProjectView> {
    let p = managed(store, actor, id)?;
    let verb = if add {
        "project.member_add"
    } else {
        "project.member_remove"
    };
    store.write(|tx| {
        let mut user: User = tx.get(user_id)?.ok_or_else(|| {
            ServiceError::invalid("user_id", format!("user {user_id} does not exist"))
        })?;
        if p.builtin == Some(Builtin::Erp) {
            let rev = user.rev;
            user.erp = add;
            tx.update(&mut user, rev)?;
        } else {
            let mut p: Project = tx.load(id)?;
            let rev = p.rev;
            p.members.retain(|m| *m != user_id);
            if add {
                p.members.push(user_id);
            }
            tx.update(&mut p, rev)?;
        }
        audit::record(
            tx,
            actor,
            verb,
            format!("project '{}', user '{}'", p.name, user.username),
            None,
            now,
        )?;
        Ok::<_, ServiceError>(())
    })?;
    let p = store.load::<Project>(id)?;
    view(store, &p)
}

pub fn set_archived(
    store: &Store,
    actor: &Actor,
    id: u64,
    archived: bool,
    now: DateTime<Utc>,
) -> ServiceResult<ProjectView> {
    let mut p = managed(store, actor, id)?;
    if p.builtin.is_some() && archived {
        return Err(ServiceError::Conflict(
            "the built-in ERP Notifications project cannot be archived".into(),
        ));
    }
    let rev = p.rev;
    p.archived = archived;
    store.write(|tx| {
        tx.update(&mut p, rev)?;
        let what = if archived {
            "project.archive"
        } else {
            "project.restore"
        };
        audit::record(tx, actor, what, format!("project '{}'", p.name), None, now)?;
        Ok::<_, ServiceError>(())
    })?;
    view(store, &p)
}

/// The department of the built-in ERP Notifications project (`None`: company-wide).
pub fn erp_project_department(store: &Store) -> ServiceResult<Option<u64>> {
    Ok(store
        .list::<Project>()?
        .into_iter()
        .find(|p| p.builtin == Some(Builtin::Erp))
        .and_then(|p| p.department_id))
}

/// Creates ERP Notifications if no project is marked as it; run at every start.
pub fn ensure_erp_project(
    store: &Store,
    language: crate::org::Language,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    if store
        .list::<Project>()?
        .iter()
        .any(|p| p.builtin == Some(Builtin::Erp))
    {
        return Ok(());
    }
    let mut p = Project {
        id: 0,
        rev: 0,
        name: erp_project_name(language).into(),
        department_id: None,
        members: Vec::new(),
        business_types: vec![
            "order".into(),
            "purchase_order".into(),
            "stock".into(),
            "shipment".into(),
        ],
        archived: false,
        builtin: Some(Builtin::Erp),
        created_at: now,
        created_by: "system".into(),
        fields: Vec::new(),
    };
    store.write(|tx| tx.insert(&mut p).map(|_| ()))?;
    Ok(())
}
