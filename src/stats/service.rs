//! Statistics for people: the table admins see, a member's own trend, exports.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::Counts;
use super::period::{recent, Period, PeriodKind};
use super::record::{counter, counters};
use crate::actor::Actor;
use crate::error::{ServiceError, ServiceResult};
use crate::org::policy::{stats_scope, StatsScope};
use crate::org::{Department, User};
use crate::store::Store;

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// `month` (default) or `week`.
    pub period: Option<PeriodKind>,
    /// `2026-11` or `2026-W47`: a month or ISO week in the last six months (the
    /// answer's `periods` lists them); default the current one.
    pub at: Option<String>,
    /// Only this department and the departments below it.
    pub department_id: Option<u64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatsRow {
    pub user_id: u64,
    pub username: String,
    pub display_name: String,
    pub department_id: Option<u64>,
    pub department: Option<String>,
    pub received: i64,
    pub completed: i64,
    pub on_time: i64,
    /// completed ÷ received; `null` when nothing was received.
    pub completion_rate: Option<f64>,
    /// on time ÷ completed; `null` when nothing was completed.
    pub on_time_rate: Option<f64>,
    /// Open tasks whose current node the member handles (now).
    pub todo: usize,
    /// Of those, past their deadline (now).
    pub overdue: usize,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatsTable {
    pub period: PeriodKind,
    pub at: String,
    /// The periods one may ask for, newest first.
    pub periods: Vec<String>,
    pub timezone: String,
    pub department_id: Option<u64>,
    pub rows: Vec<StatsRow>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrendPoint {
    pub period: String,
    pub received: i64,
    pub completed: i64,
    pub on_time: i64,
    pub completion_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
}

/// Parses the period asked for and checks it lies in the last six months.
pub fn resolve_period(
    kind: PeriodKind,
    at: Option<&str>,
    now: DateTime<Utc>,
    tz: Tz,
) -> ServiceResult<(Period, Vec<Period>)> {
    let options = recent(kind, now, tz);
    let p = match at.map(str::trim).filter(|s| !s.is_empty()) {
        None => options[0],
        Some(s) => Period::parse(kind, s).map_err(|m| ServiceError::invalid("at", m))?,
    };
    if !options.contains(&p) {
        return Err(ServiceError::invalid(
            "at",
            format!(
                "statistics cover the last six months: {} to {}",
                options[options.len() - 1].key(),
                options[0].key()
            ),
        ));
    }
    Ok((p, options))
}

/// The members `actor` may see statistics of, for an optional department filter.
fn visible_users(
    store: &Store,
    actor: &Actor,
    department_id: Option<u64>,
) -> ServiceResult<(Vec<User>, Vec<Department>)> {
    let departments: Vec<Department> = store.list()?;
    if let Some(d) = department_id {
        if !departments.iter().any(|x| x.id == d) {
            return Err(ServiceError::not_found(format!("department {d} not found")));
        }
    }
    let users: Vec<User> = store.list()?;
    let scope = match stats_scope(actor, department_id, &departments)? {
        StatsScope::Everyone => None,
        StatsScope::Departments(s) => Some(s),
        StatsScope::Own => {
            let me: Vec<User> = users.into_iter().filter(|u| actor.is(u.id)).collect();
            return Ok((me, departments));
        }
    };
    let users = users
        .into_iter()
        .filter(|u| match &scope {
            None => true,
            Some(s) => u.department_id.is_some_and(|d| s.contains(&d)),
        })
        .collect();
    Ok((users, departments))
}

fn row(
    store: &Store,
    u: &User,
    c: Counts,
    depts: &HashMap<u64, String>,
    now: DateTime<Utc>,
    open_work: OpenWork<'_>,
) -> ServiceResult<StatsRow> {
    let (todo, overdue) = open_work(store, u.id, now)?;
    Ok(StatsRow {
        user_id: u.id,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        department_id: u.department_id,
        department: u.department_id.and_then(|d| depts.get(&d).cloned()),
        received: c.received,
        completed: c.completed,
        on_time: c.on_time,
        completion_rate: c.completion_rate(),
        on_time_rate: c.on_time_rate(),
        todo,
        overdue,
    })
}

/// How many open steps a member handles now, and how many of them are past their
/// deadline at the given time. Passed in by the caller (the task service keeps that
/// list), so statistics do not reach into the task service that feeds them.
pub type OpenWork<'a> =
    &'a dyn Fn(&Store, u64, DateTime<Utc>) -> Result<(usize, usize), crate::store::StoreError>;

/// The statistics table for one period, scoped by the caller's role.
pub fn table(
    store: &Store,
    actor: &Actor,
    q: &StatsQuery,
    now: DateTime<Utc>,
    tz: Tz,
    open_work: OpenWork<'_>,
) -> ServiceResult<StatsTable> {
    let kind = q.period.unwrap_or(PeriodKind::Month);
    let (p, options) = resolve_period(kind, q.at.as_deref(), now, tz)?;
    let (users, departments) = visible_users(store, actor, q.department_id)?;
    let key = p.key();
    let by_user: HashMap<u64, Counts> = counters(store, &key)?
        .into_iter()
        .map(|c| {
            (
                c.user_id,
                Counts {
                    received: c.received,
                    completed: c.completed,
                    on_time: c.on_time,
                },
            )
        })
        .collect();
    let depts: HashMap<u64, String> = departments.into_iter().map(|d| (d.id, d.name)).collect();
    let mut rows = Vec::with_capacity(users.len());
    for u in &users {
        let c = by_user.get(&u.id).copied().unwrap_or_default();
        // Disabled accounts appear only for periods they worked in.
        if u.disabled && c == Counts::default() {
            continue;
        }
        rows.push(row(store, u, c, &depts, now, open_work)?);
    }
    rows.sort_by(|a, b| {
        a.display_name
            .to_lowercase()
            .cmp(&b.display_name.to_lowercase())
            .then(a.user_id.cmp(&b.user_id))
    });
    Ok(StatsTable {
        period: kind,
        at: key,
        periods: options.iter().map(Period::key).collect(),
        timezone: tz.name().to_string(),
        department_id: q.department_id,
        rows,
    })
}

/// A member's counts for one period.
pub fn counts_of(store: &Store, user: u64, period: &Period) -> ServiceResult<Counts> {
    Ok(counter(store, user, &period.key())?
        .map(|c| Counts {
            received: c.received,
            completed: c.completed,
            on_time: c.on_time,
        })
        .unwrap_or_default())
}

/// The last six months of one member, oldest first (for the chart).
pub fn trend(
    store: &Store,
    user: u64,
    now: DateTime<Utc>,
    tz: Tz,
) -> ServiceResult<Vec<TrendPoint>> {
    let mut out = Vec::new();
    for p in recent(PeriodKind::Month, now, tz).into_iter().rev() {
        let c = counts_of(store, user, &p)?;
        out.push(TrendPoint {
            period: p.key(),
            received: c.received,
            completed: c.completed,
            on_time: c.on_time,
            completion_rate: c.completion_rate(),
            on_time_rate: c.on_time_rate(),
        });
    }
    Ok(out)
}

fn pct(r: Option<f64>) -> String {
    match r {
        Some(r) => format!("{:.1}%", r * 100.0),
        None => "—".into(),
    }
}

const HEADERS: [&str; 10] = [
    "username",
    "name",
    "department",
    "received",
    "completed",
    "completion rate",
    "on time",
    "on-time rate",
    "todo",
    "overdue",
];

/// The table as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read Chinese names).
pub fn to_csv(t: &StatsTable) -> ServiceResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let err = |e: csv::Error| ServiceError::Internal(format!("csv: {e}"));
    w.write_record(HEADERS).map_err(err)?;
    for r in &t.rows {
        w.write_record([
            r.username.clone(),
            r.display_name.clone(),
            r.department.clone().unwrap_or_default(),
            r.received.to_string(),
            r.completed.to_string(),
            pct(r.completion_rate),
            r.on_time.to_string(),
            pct(r.on_time_rate),
            r.todo.to_string(),
            r.overdue.to_string(),
        ])
        .map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| ServiceError::Internal(format!("csv: {e}")))
}

/// The table as an XLSX workbook; rates are percentages, "—" where undefined.
pub fn to_xlsx(t: &StatsTable) -> ServiceResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| ServiceError::Internal(format!("xlsx: {e}"));
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let percent = Format::new().set_num_format("0.0%");
    let ws = wb.add_worksheet();
    ws.set_name(t.at.as_str()).map_err(err)?;
    for (c, h) in HEADERS.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(err)?;
    }
    for (i, r) in t.rows.iter().enumerate() {
        let row = (i + 1) as u32;
        ws.write_string(row, 0, &r.username).map_err(err)?;
        ws.write_string(row, 1, &r.display_name).map_err(err)?;
        ws.write_string(row, 2, r.department.as_deref().unwrap_or(""))
            .map_err(err)?;
        ws.write_number(row, 3, r.received as f64).map_err(err)?;
        ws.write_number(row, 4, r.completed as f64).map_err(err)?;
        for (col, rate) in [(5u16, r.completion_rate), (7u16, r.on_time_rate)] {
            match rate {
                Some(v) => ws.write_number_with_format(row, col, v, &percent),
                None => ws.write_string(row, col, "—"),
            }
            .map_err(err)?;
        }
        ws.write_number(row, 6, r.on_time as f64).map_err(err)?;
        ws.write_number(row, 8, r.todo as f64).map_err(err)?;
        ws.write_number(row, 9, r.overdue as f64).map_err(err)?;
    }
    ws.set_column_width(1, 18).map_err(err)?;
    ws.set_column_width(2, 18).map_err(err)?;
    wb.save_to_buffer().map_err(err)
}
