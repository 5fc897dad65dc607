//! Task lists: a project's tasks with filters, sorting and pages, and the personal
//! views (my todo, done, created, watching). Candidates come from indexes — the
//! project's open/done index, intersected with the caller's visibility index for
//! non-admins — never from a scan of all tasks.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::context::project_ctx;
use super::record::ix;
use super::view::{TaskHead, TaskSummary};
use crate::actor::Actor;
use crate::error::{ServiceError, ServiceResult};
use crate::flow::{Priority, Task, TaskStatus};
use crate::store::Store;
use crate::time::time_key;

#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// open (default), done or all
    pub status: Option<String>,
    pub business_type: Option<String>,
    pub priority: Option<Priority>,
    /// Current handler's user id.
    pub handler: Option<u64>,
    #[serde(default, deserialize_with = "crate::time::option")]
    pub due_from: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "crate::time::option")]
    pub due_to: Option<DateTime<Utc>>,
    /// Text in the title or description.
    pub q: Option<String>,
    /// created (default), due, priority or updated
    pub sort: Option<String>,
    /// desc (default) or asc
    pub order: Option<String>,
    pub page: Option<usize>,
    pub per_page: Option<usize>,
    /// Include archived tasks.
    pub archived: Option<bool>,
    /// A custom field's value, as `KEY:VALUE` (`region:north`, `amount:20000`); an
    /// empty value (`region:`) lists the tasks without it.
    pub field: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskPage {
    pub items: Vec<TaskSummary>,
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
}

fn load_all(store: &Store, ids: impl IntoIterator<Item = u64>) -> ServiceResult<Vec<Task>> {
    let mut out = Vec::new();
    for id in ids {
        if let Some(t) = store.get::<Task>(id)? {
            out.push(t);
        }
    }
    Ok(out)
}

pub fn project_tasks(
    store: &Store,
    actor: &Actor,
    project_id: u64,
    q: &ListQuery,
    now: DateTime<Utc>,
) -> ServiceResult<TaskPage> {
    let ctx = project_ctx(store, actor, project_id)?;
    let member = actor.user_id.is_some_and(|u| ctx.is_member(u));
    if !ctx.admin && !member {
        return Err(ServiceError::not_found(format!(
            "project {project_id} not found"
        )));
    }
    let statuses: &[&str] = match q.status.as_deref().unwrap_or("open") {
        "open" => &["open"],
        "done" => &["done"],
        "all" => &["open", "done"],
        other => {
            return Err(ServiceError::invalid(
                "status",
                format!("'{other}' is not open, done or all"),
            ))
        }
    };
    let mut ids: Vec<u64> = Vec::new();
    let archived: &[&str] = if q.archived == Some(true) {
        &["archived"]
    } else {
        &[]
    };
    for s in statuses.iter().chain(archived) {
        ids.extend(store.ids_by(ix::PROJECT, &format!("{project_id}/{s}"))?);
    }
    if !ctx.admin {
        let me = actor.user_id.unwrap_or_default().to_string();
        let visible: HashSet<u64> = store.ids_by(ix::VISIBLE_TO, &me)?.into_iter().collect();
        ids.retain(|id| visible.contains(id));
    }
    let text =
        q.q.as_deref()
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty());
    let field = match q.field.as_deref() {
        None => None,
        Some(f) => Some(
            f.split_once(':')
                .map(|(k, v)| (k.trim(), v.trim()))
                .ok_or_else(|| ServiceError::invalid("field", format!("'{f}' is not KEY:VALUE")))?,
        ),
    };
    let per_page = q.per_page.unwrap_or(20).clamp(1, 200);
    let page = q.page.unwrap_or(1).max(1);
    let unfiltered = q.business_type.is_none()
        && q.priority.is_none()
        && q.handler.is_none()
        && q.due_from.is_none()
        && q.due_to.is_none()
        && field.is_none()
        && text.is_none();
    if unfiltered && matches!(q.sort.as_deref(), None | Some("created")) {
        // Ids are in creation order: load only the page asked for.
        ids.sort_unstable();
        match q.order.as_deref().unwrap_or("desc") {
            "desc" => ids.reverse(),
            "asc" => {}
            other => {
                return Err(ServiceError::invalid(
                    "order",
                    format!("'{other}' is not asc or desc"),
                ))
            }
        }
        let total = ids.len();
        let page_ids = ids.into_iter().skip((page - 1) * per_page).take(per_page);
        let items = load_all(store, page_ids)?
            .iter()
            .map(|t| TaskSummary::new(t, now))
            .collect();
        return Ok(TaskPage {
            items,
            total,
            page,
            per_page,
        });
    }
    let mut tasks: Vec<Task> = load_all(store, ids)?
        .into_iter()
        .filter(|t| {
            q.business_type
                .as_ref()
                .is_none_or(|b| t.business_type.as_ref() == Some(b))
        })
        .filter(|t| q.priority.is_none_or(|p| t.priority == p))
        .filter(|t| q.handler.is_none_or(|h| t.current_handler() == Some(h)))
        .filter(|t| {
            q.due_from
                .is_none_or(|f| t.current_due().is_some_and(|d| d >= f))
        })
        .filter(|t| {
            q.due_to
                .is_none_or(|to| t.current_due().is_some_and(|d| d <= to))
        })
        .filter(|t| field.is_none_or(|(k, v)| crate::projects::fields::matches(t.fields.get(k), v)))
        .filter(|t| {
            text.as_ref().is_none_or(|s| {
                t.title.to_lowercase().contains(s) || t.description.to_lowercase().contains(s)
            })
        })
        .collect();
    match q.sort.as_deref().unwrap_or("created") {
        "created" => tasks.sort_by_key(|t| t.id),
        "updated" => tasks.sort_by_key(|t| t.updated_at),
        "priority" => tasks.sort_by_key(|t| (t.priority, t.id)),
        // tasks without a deadline last when ascending
        "due" => tasks.sort_by_key(|t| (t.current_due().is_none(), t.current_due(), t.id)),
        other => {
            return Err(ServiceError::invalid(
                "sort",
                format!("'{other}' is not created, due, priority or updated"),
            ))
        }
    }
    match q.order.as_deref().unwrap_or("desc") {
        "desc" => tasks.reverse(),
        "asc" => {}
        other => {
            return Err(ServiceError::invalid(
                "order",
                format!("'{other}' is not asc or desc"),
            ))
        }
    }
    let total = tasks.len();
    let items = tasks
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|t| TaskSummary::new(t, now))
        .collect();
    Ok(TaskPage {
        items,
        total,
        page,
        per_page,
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Todo {
    /// Past their deadline (已过期), most urgent first, at most [`TODO_SHOWN`].
    pub overdue: Vec<TaskSummary>,
    /// Received, not started (新建任务), at most [`TODO_SHOWN`].
    pub new: Vec<TaskSummary>,
    pub started: Vec<TaskSummary>,
    /// How many each group holds in all.
    pub counts: TodoCounts,
}

/// Sizes of the todo groups, beyond the items listed.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct TodoCounts {
    pub overdue: usize,
    pub new: usize,
    pub started: usize,
}

/// Items listed per todo group. An admin who handles every scenario task may have
/// tens of thousands open: all of them in one answer cost megabytes a request.
pub const TODO_SHOWN: usize = 100;

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskList {
    pub items: Vec<TaskSummary>,
}

/// The caller's user id, for the personal views (a token without an owner has none).
pub(super) fn my_id(actor: &Actor) -> ServiceResult<u64> {
    actor
        .user_id
        .ok_or_else(|| ServiceError::forbidden("no personal views for this caller"))
}

fn me(actor: &Actor) -> ServiceResult<String> {
    my_id(actor).map(|u| u.to_string())
}

pub fn todo(store: &Store, actor: &Actor, now: DateTime<Utc>) -> ServiceResult<Todo> {
    let me = me(actor)?;
    // Every group is a range of the todo index, which is ordered by step state and
    // deadline: only the tasks listed are decoded (a scenario task carries its ERP
    // record; an admin may handle tens of thousands), the rest are counted by key.
    let now_key = time_key(now);
    let range = |state: &str, from: &str, to: &str| {
        (
            format!("{me}/{state}/{from}"),
            // '0' follows '/': "{state}0" ends every "{state}/…" value.
            if to.is_empty() {
                format!("{me}/{state}0")
            } else {
                format!("{me}/{state}/{to}")
            },
        )
    };
    let overdue_received = range("a", "", &now_key);
    let overdue_started = range("s", "", &now_key);
    let new = range("a", &now_key, "");
    let started = range("s", &now_key, "");
    let count = |(from, to): &(String, String)| store.count_range(ix::TODO, from, to);
    let counts = TodoCounts {
        overdue: count(&overdue_received)? + count(&overdue_started)?,
        new: count(&new)?,
        started: count(&started)?,
    };
    let mut overdue = summaries(store, &overdue_received, now)?;
    overdue.extend(summaries(store, &overdue_started, now)?);
    overdue.sort_by_key(|s| (s.due_at, s.id));
    overdue.truncate(TODO_SHOWN);
    Ok(Todo {
        overdue,
        new: summaries(store, &new, now)?,
        started: summaries(store, &started, now)?,
        counts,
    })
}

/// The open tasks `user` handles that are past their step's deadline at `now`: the
/// `limit` with the most recent deadline first, and how many there are in all. Read
/// from the todo index like [`todo`]; nothing but the listed tasks is decoded.
pub fn overdue(
    store: &Store,
    user: u64,
    now: DateTime<Utc>,
    limit: usize,
) -> ServiceResult<(Vec<TaskSummary>, usize)> {
    let now_key = time_key(now);
    let mut count = 0;
    let mut listed = Vec::new();
    for state in ["a", "s"] {
        let (from, to) = (
            format!("{user}/{state}/"),
            format!("{user}/{state}/{now_key}"),
        );
        count += store.count_range(ix::TODO, &from, &to)?;
        for id in store.ids_in_range_rev(ix::TODO, &from, &to, limit)? {
            if let Some(t) = store.get::<Task>(id)? {
                listed.push(TaskSummary::new(&t, now));
            }
        }
    }
    listed.sort_by_key(|s| std::cmp::Reverse((s.due_at, s.id)));
    listed.truncate(limit);
    Ok((listed, count))
}

/// Schema step 2 → 3: the todo index's values became [`super::record::todo_value`].
pub fn reindex_todo(store: &Store) -> Result<(), crate::store::StoreError> {
    let n = store.rebuild_multi_index::<Task>(ix::TODO)?;
    tracing::info!(entries = n, "todo index rebuilt");
    Ok(())
}

/// The first [`TODO_SHOWN`] tasks of one todo range, in index (deadline) order.
fn summaries(
    store: &Store,
    (from, to): &(String, String),
    now: DateTime<Utc>,
) -> ServiceResult<Vec<TaskSummary>> {
    let mut out = Vec::new();
    for id in store.ids_in_range(ix::TODO, from, to, TODO_SHOWN)? {
        if let Some(h) = store.get_part::<Task, TaskHead>(id)? {
            out.push(TaskSummary::of_head(h, now));
        }
    }
    Ok(out)
}

/// `done`, `created`, `watching` or `to_claim` (claim steps I may claim now), newest
/// first, at most 200.
pub fn personal(
    store: &Store,
    actor: &Actor,
    which: &str,
    now: DateTime<Utc>,
) -> ServiceResult<TaskList> {
    let me = me(actor)?;
    let (index, value) = match which {
        "done" => (ix::HANDLED, me),
        "created" => (ix::VISIBLE_TO, format!("{me}/c")),
        "watching" => (ix::WATCHING, me),
        "to_claim" => (ix::CLAIMABLE, me),
        other => return Err(ServiceError::not_found(format!("no view '{other}'"))),
    };
    let ids = store
        .ids_by_newest(index, &value)
        .take(200)
        .collect::<Result<Vec<u64>, _>>()?;
    let items = load_all(store, ids)?
        .iter()
        .filter(|t| which != "watching" || t.status == TaskStatus::Open || !t.archived)
        .map(|t| TaskSummary::new(t, now))
        .collect();
    Ok(TaskList { items })
}
