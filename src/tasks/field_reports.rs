//! What reads the custom fields across tasks: a project's task list as CSV (a column
//! per field) and the count of its tasks by the values of a choice field.
//!
//! Both read the project's list exactly as `lists::project_tasks` answers the caller
//! (same filters, same visibility), page after page, so they show nothing the list
//! would not.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::context::project_ctx;
use super::lists::{project_tasks, ListQuery};
use super::view::TaskSummary;
use crate::actor::Actor;
use crate::error::{ServiceError, ServiceResult};
use crate::flow::TaskStatus;
use crate::org::User;
use crate::projects::fields::FieldKind;
use crate::store::Store;

/// At most this many tasks in one export or breakdown.
pub const MAX_ROWS: usize = 10_000;

/// Every task of the list `q` asks for (all pages), up to [`MAX_ROWS`].
fn all_of(
    store: &Store,
    actor: &Actor,
    project_id: u64,
    q: &ListQuery,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<TaskSummary>> {
    let mut out = Vec::new();
    let mut q = ListQuery {
        per_page: Some(200),
        ..q.clone()
    };
    for page in 1.. {
        q.page = Some(page);
        let p = project_tasks(store, actor, project_id, &q, now)?;
        let n = p.items.len();
        out.extend(p.items);
        if n < 200 || out.len() >= MAX_ROWS || out.len() >= p.total {
            break;
        }
    }
    out.truncate(MAX_ROWS);
    Ok(out)
}

fn text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// A project's tasks as the list `q` shows them, as CSV (UTF-8 with a byte-order
/// mark): the usual columns, then one per custom field of the project (its label).
pub fn tasks_csv(
    store: &Store,
    actor: &Actor,
    project_id: u64,
    q: &ListQuery,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<u8>> {
    let tasks = all_of(store, actor, project_id, q, now)?;
    let defs = project_ctx(store, actor, project_id)?.project.fields;
    let users: HashMap<u64, String> = store
        .list::<User>()?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    let name = |id: Option<u64>| id.and_then(|u| users.get(&u).cloned()).unwrap_or_default();
    let err = |e: csv::Error| ServiceError::Internal(format!("csv: {e}"));
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let mut header: Vec<String> = [
        "id",
        "title",
        "status",
        "priority",
        "business type",
        "due",
        "handler",
        "creator",
        "created",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(defs.iter().map(|d| d.label.clone()));
    w.write_record(&header).map_err(err)?;
    for t in &tasks {
        let mut row = vec![
            t.id.to_string(),
            t.title.clone(),
            match t.status {
                TaskStatus::Open => "open".to_string(),
                TaskStatus::Done => "done".to_string(),
            },
            format!("{:?}", t.priority).to_lowercase(),
            t.business_type.clone().unwrap_or_default(),
            t.due_at.map(|d| d.to_rfc3339()).unwrap_or_default(),
            name(t.current_handler_id),
            name(Some(t.creator_id)),
            t.created_at.to_rfc3339(),
        ];
        for d in &defs {
            let v = t.fields.get(&d.key);
            row.push(match (d.kind, v.and_then(Value::as_u64)) {
                (FieldKind::User, Some(u)) => name(Some(u)),
                _ => text(v),
            });
        }
        w.write_record(&row).map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| ServiceError::Internal(format!("csv: {e}")))
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BreakdownQuery {
    pub project_id: u64,
    /// The key of one of the project's choice fields.
    pub field: String,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct BreakdownRow {
    /// An option of the field; `null` for the tasks without a value.
    pub value: Option<String>,
    pub open: usize,
    pub done: usize,
    /// Of the open ones, past their deadline now.
    pub overdue: usize,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Breakdown {
    pub project_id: u64,
    pub field: String,
    pub label: String,
    /// One row per option, in the field's order, then the tasks without a value.
    pub rows: Vec<BreakdownRow>,
}

/// The project's tasks the caller may see (open and done, not archived) counted by
/// the values of a choice field.
pub fn by_choice(
    store: &Store,
    actor: &Actor,
    q: &BreakdownQuery,
    now: DateTime<Utc>,
) -> ServiceResult<Breakdown> {
    let list = ListQuery {
        status: Some("all".into()),
        ..ListQuery::default()
    };
    // The list first: someone who may not see the project learns nothing of its fields.
    let tasks = all_of(store, actor, q.project_id, &list, now)?;
    let project = project_ctx(store, actor, q.project_id)?.project;
    let Some(def) = project
        .fields
        .iter()
        .find(|d| d.key == q.field && d.kind == FieldKind::Choice)
    else {
        return Err(ServiceError::invalid(
            "field",
            format!("'{}' is not a choice field of the project", q.field),
        ));
    };
    let mut rows: Vec<BreakdownRow> = def
        .options
        .iter()
        .map(|o| BreakdownRow {
            value: Some(o.clone()),
            ..Default::default()
        })
        .collect();
    rows.push(BreakdownRow::default());
    let none = rows.len() - 1;
    for t in &tasks {
        let v = t.fields.get(&def.key).and_then(Value::as_str);
        let i = v
            .and_then(|v| def.options.iter().position(|o| o == v))
            .unwrap_or(none);
        let r = &mut rows[i];
        match t.status {
            TaskStatus::Open => r.open += 1,
            TaskStatus::Done => r.done += 1,
        }
        if t.overdue {
            r.overdue += 1;
        }
    }
    Ok(Breakdown {
        project_id: q.project_id,
        field: def.key.clone(),
        label: def.label.clone(),
        rows,
    })
}
