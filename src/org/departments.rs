//! Department operations: create, rename or move (never below itself), delete when
//! empty; each checked against the policy and audited in the same write.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::policy::{can_manage_department, may_change_department, may_delete_department};
use super::service::check_department;
use super::{Department, User};
use crate::actor::Actor;
use crate::audit;
use crate::error::{trimmed, ServiceError, ServiceResult};
use crate::store::Store;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDepartment {
    pub name: String,
    pub parent_id: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentPatch {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::patch::some")]
    #[schema(value_type = Option<u64>)]
    pub parent_id: Option<Option<u64>>,
    pub rev: Option<u64>,
}

fn validate_department_name(name: &str) -> ServiceResult<String> {
    trimmed(name, 64, "name", "a department name has 1 to 64 characters")
}

pub fn list_departments(store: &Store) -> ServiceResult<Vec<Department>> {
    Ok(store.list::<Department>()?)
}

pub fn create_department(
    store: &Store,
    actor: &Actor,
    new: NewDepartment,
    now: DateTime<Utc>,
) -> ServiceResult<Department> {
    let name = validate_department_name(&new.name)?;
    let departments = store.list::<Department>()?;
    if !can_manage_department(actor, new.parent_id, &departments) {
        return Err(ServiceError::forbidden(
            "you may not create a department there",
        ));
    }
    let mut d = Department {
        id: 0,
        rev: 0,
        name,
        parent_id: new.parent_id,
    };
    store.write(|tx| {
        check_department(tx, d.parent_id)?;
        tx.insert(&mut d)?;
        audit::record(
            tx,
            actor,
            "department.create",
            format!("department '{}'", d.name),
            None,
            now,
        )?;
        Ok::<_, ServiceError>(())
    })?;
    Ok(d)
}

/// Would making `parent` the parent of `id` close a loop?
fn creates_cycle(departments: &[Department], id: u64, parent: Option<u64>) -> bool {
    let mut cursor = parent;
    let mut steps = 0;
    while let Some(p) = cursor {
        if p == id || steps > departments.len() {
            return true;
        }
        cursor = departments
            .iter()
            .find(|d| d.id == p)
            .and_then(|d| d.parent_id);
        steps += 1;
    }
    false
}

pub fn update_department(
    store: &Store,
    actor: &Actor,
    id: u64,
    patch: DepartmentPatch,
    now: DateTime<Utc>,
) -> ServiceResult<Department> {
    let departments = store.list::<Department>()?;
    let old = departments
        .iter()
        .find(|d| d.id == id)
        .cloned()
        .ok_or_else(|| ServiceError::not_found(format!("department {id} not found")))?;
    let mut d = old.clone();
    if let Some(n) = &patch.name {
        d.name = validate_department_name(n)?;
    }
    if let Some(p) = patch.parent_id {
        d.parent_id = p;
    }
    may_change_department(actor, id, old.parent_id, d.parent_id, &departments)?;
    if creates_cycle(&departments, id, d.parent_id) {
        return Err(ServiceError::invalid(
            "parent_id",
            "a department cannot be placed below itself",
        ));
    }
    let expected = patch.rev.unwrap_or(old.rev);
    store.write(|tx| {
        check_department(tx, d.parent_id)?;
        tx.update(&mut d, expected)?;
        audit::record(
            tx,
            actor,
            "department.update",
            format!("department '{}'", d.name),
            None,
            now,
        )?;
        Ok::<_, ServiceError>(())
    })?;
    Ok(d)
}

pub fn delete_department(
    store: &Store,
    actor: &Actor,
    id: u64,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let departments = store.list::<Department>()?;
    let d = departments
        .iter()
        .find(|d| d.id == id)
        .ok_or_else(|| ServiceError::not_found(format!("department {id} not found")))?;
    may_delete_department(actor, d, &departments)?;
    if departments.iter().any(|x| x.parent_id == Some(id)) {
        return Err(ServiceError::Conflict(
            "the department still has sub-departments".into(),
        ));
    }
    if store
        .list::<User>()?
        .iter()
        .any(|u| u.department_id == Some(id))
    {
        return Err(ServiceError::Conflict(
            "the department still has users; move them first".into(),
        ));
    }
    store.write(|tx| {
        tx.delete::<Department>(id)?;
        audit::record(
            tx,
            actor,
            "department.delete",
            format!("department '{}'", d.name),
            None,
            now,
        )?;
        Ok::<_, ServiceError>(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_are_detected() {
        let ds = vec![
            Department {
                id: 1,
                rev: 1,
                name: "a".into(),
                parent_id: None,
            },
            Department {
                id: 2,
                rev: 1,
                name: "b".into(),
                parent_id: Some(1),
            },
        ];
        assert!(creates_cycle(&ds, 1, Some(2)));
        assert!(creates_cycle(&ds, 1, Some(1)));
        assert!(!creates_cycle(&ds, 2, None));
    }
}
