//! The one rhai engine builder, shared by the server, the CLI and tests.
//!
//! Scripts are written by shop admins, not by us, so every limit is set: operations,
//! call depth, expression depth, string/array/map sizes and a wall-clock deadline per
//! function call. Modules cannot be imported (the `no_module` feature), `eval` is
//! disabled, `sleep` refuses, and `print`/`debug` go to the log, capped.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rhai::{Array, Dynamic, Engine, EvalAltResult, Position};

use super::record::to_dynamic;
use crate::org::{Department, Role, User};
use crate::store::Store;

mod values;

pub(crate) use values::time_of;
pub use values::{cents_of, cents_of_str, elapsed, float_cents, int_cents, parse_time, DAY, HOUR};
use values::{seconds, since, time_of_str};

pub const MAX_OPERATIONS: u64 = 200_000;
pub const MAX_CALL_LEVELS: usize = 32;
pub const MAX_EXPR_DEPTH: usize = 64;
pub const MAX_STRING: usize = 64 * 1024;
pub const MAX_ARRAY: usize = 10_000;
pub const MAX_MAP: usize = 10_000;
pub const DEADLINE: Duration = Duration::from_millis(250);
const MAX_PRINT_LINES: u32 = 20;

/// What helpers may read during one evaluation: the clock, the directory, records.
#[derive(Clone)]
pub struct Context {
    pub now: DateTime<Utc>,
    pub users: Vec<User>,
    pub departments: Vec<Department>,
    pub store: Option<Store>,
    pub scenario: String,
}

impl Context {
    pub fn load(store: &Store, now: DateTime<Utc>) -> Result<Context, crate::store::StoreError> {
        Ok(Context {
            now,
            users: store.list::<User>()?,
            departments: store.list::<Department>()?,
            store: Some(store.clone()),
            scenario: String::new(),
        })
    }

    /// The clock and nothing else: no users, departments or records to look up.
    pub fn clock(now: DateTime<Utc>) -> Context {
        Context {
            now,
            users: vec![],
            departments: vec![],
            store: None,
            scenario: String::new(),
        }
    }

    /// Without a data directory (`baton rules test`, fixtures): the clock and a
    /// stand-in company admin `admin`, so handlers such as `responsible(...)` resolve.
    pub fn stand_in(now: DateTime<Utc>) -> Context {
        let admin = User {
            id: 1,
            rev: 1,
            username: "admin".into(),
            display_name: "admin".into(),
            email: None,
            department_id: None,
            role: Role::CompanyAdmin,
            erp: true,
            language: Default::default(),
            disabled: false,
            password_hash: String::new(),
            created_at: now,
            sessions_valid_after: now,
        };
        Context {
            users: vec![admin],
            ..Context::clock(now)
        }
    }
}

struct Current {
    ctx: Context,
    deadline: Instant,
    printed: u32,
}

thread_local! {
    static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
}

/// Runs `f` with `ctx` visible to the helpers and a fresh deadline. The context of an
/// enclosing call is restored after (a step's condition may be evaluated while a
/// scenario batch creates its tasks).
pub fn with_context<T>(ctx: &Context, f: impl FnOnce() -> T) -> T {
    let outer = CURRENT.with(|c| {
        c.borrow_mut().replace(Current {
            ctx: ctx.clone(),
            deadline: Instant::now() + DEADLINE,
            printed: 0,
        })
    });
    let out = f();
    CURRENT.with(|c| *c.borrow_mut() = outer);
    out
}

/// Restarts the deadline (once per script function call within a batch).
pub fn reset_deadline(scenario: &str) {
    CURRENT.with(|c| {
        if let Some(cur) = c.borrow_mut().as_mut() {
            cur.deadline = Instant::now() + DEADLINE;
            cur.printed = 0;
            // Reuses the buffer: this runs once per call.
            cur.ctx.scenario.clear();
            cur.ctx.scenario.push_str(scenario);
        }
    });
}

/// Runs `f` with the clock of the current context set to `at` (a derived wake time
/// asks what the condition says then), putting it back after.
pub fn at_time<T>(at: DateTime<Utc>, f: impl FnOnce() -> T) -> T {
    let swap = |t: DateTime<Utc>| {
        CURRENT.with(|c| {
            c.borrow_mut()
                .as_mut()
                .map(|cur| std::mem::replace(&mut cur.ctx.now, t))
        })
    };
    let was = swap(at);
    let out = f();
    if let Some(was) = was {
        swap(was);
    }
    out
}

/// The clock of the current context, if any.
pub fn current_now() -> Option<DateTime<Utc>> {
    CURRENT.with(|c| c.borrow().as_ref().map(|cur| cur.ctx.now))
}

fn ctx<T>(f: impl FnOnce(&Context) -> T) -> Result<T, Box<EvalAltResult>> {
    CURRENT.with(|c| match c.borrow().as_ref() {
        Some(cur) => Ok(f(&cur.ctx)),
        None => Err("this helper is not available here".into()),
    })
}

fn err<T>(msg: impl Into<String>) -> Result<T, Box<EvalAltResult>> {
    Err(Box::new(EvalAltResult::ErrorRuntime(
        Dynamic::from(msg.into()),
        Position::NONE,
    )))
}

fn usernames(users: impl Iterator<Item = String>) -> Array {
    users.map(Dynamic::from).collect()
}

pub fn build() -> Engine {
    let mut e = Engine::new();
    e.set_max_operations(MAX_OPERATIONS);
    e.set_max_call_levels(MAX_CALL_LEVELS);
    e.set_max_expr_depths(MAX_EXPR_DEPTH, MAX_EXPR_DEPTH);
    e.set_max_string_size(MAX_STRING);
    e.set_max_array_size(MAX_ARRAY);
    e.set_max_map_size(MAX_MAP);
    e.set_max_functions(100);
    e.set_max_variables(1_000);
    e.disable_symbol("eval");
    e.on_progress(|ops| {
        if ops % 512 != 0 {
            return None;
        }
        let late = CURRENT.with(|c| {
            c.borrow()
                .as_ref()
                .is_some_and(|cur| Instant::now() > cur.deadline)
        });
        late.then(|| Dynamic::from("the scenario ran past its time limit"))
    });
    super::record::register(&mut e);
    e.on_print(|s| log_line("print", s));
    e.on_debug(|s, _, _| log_line("debug", s));

    // Replaces rhai's built-in sleep (same argument types, so ours is found first).
    e.register_fn("sleep", |_: i64| -> Result<(), Box<EvalAltResult>> {
        err("sleep is not allowed in scenarios")
    });
    e.register_fn("sleep", |_: f64| -> Result<(), Box<EvalAltResult>> {
        err("sleep is not allowed in scenarios")
    });
    e.register_fn("now", || ctx(|c| c.now.timestamp()));
    e.register_fn("parse_time", time_of_str);
    e.register_fn("days", |n: i64| seconds(n, DAY));
    e.register_fn("hours", |n: i64| seconds(n, HOUR));
    // Each helper has a string overload besides the `Dynamic` one: rhai finds an exact
    // match first, and these run for nearly every record.
    for (name, unit) in [("days_since", DAY), ("hours_since", HOUR)] {
        e.register_fn(name, move |t: &str| -> Result<f64, Box<EvalAltResult>> {
            since(time_of_str(t)?, unit)
        });
        e.register_fn(name, move |t: Dynamic| -> Result<f64, Box<EvalAltResult>> {
            since(time_of(&t)?, unit)
        });
    }
    e.register_fn("cents", cents_of_str);
    e.register_fn("cents", |v: Dynamic| cents_of(&v));
    e.register_fn(
        "users_with_role",
        |role: &str| -> Result<Array, Box<EvalAltResult>> {
            let Some(r) = Role::parse(role) else {
                return err(format!(
                    "'{role}' is not a role: company_admin, department_admin or member"
                ));
            };
            ctx(|c| {
                usernames(
                    c.users
                        .iter()
                        .filter(|u| u.role == r && !u.disabled)
                        .map(|u| u.username.clone()),
                )
            })
        },
    );
    e.register_fn(
        "department_members",
        |name: &str| -> Result<Array, Box<EvalAltResult>> {
            let found = ctx(|c| {
                c.departments
                    .iter()
                    .find(|d| d.name == name)
                    .map(|d| (d.id, c.users.clone()))
            })?;
            let Some((id, users)) = found else {
                return err(format!("no department named '{name}'"));
            };
            Ok(usernames(
                users
                    .into_iter()
                    .filter(|u| u.department_id == Some(id) && !u.disabled)
                    .map(|u| u.username),
            ))
        },
    );
    e.register_fn(
        "department_admin",
        |name: &str| -> Result<String, Box<EvalAltResult>> {
            let found = ctx(|c| {
                let d = c.departments.iter().find(|d| d.name == name)?;
                Some(
                    c.users
                        .iter()
                        .find(|u| u.is_department_admin_of(d.id))
                        .map(|u| u.username.clone()),
                )
            })?;
            match found {
                None => err(format!("no department named '{name}'")),
                Some(None) => err(format!("department '{name}' has no department admin")),
                Some(Some(u)) => Ok(u),
            }
        },
    );
    // The department admin of a department, or the first company admin when the
    // department (or its admin) is missing, so shipped scenarios work in any company.
    e.register_fn(
        "responsible",
        |name: &str| -> Result<String, Box<EvalAltResult>> {
            let found = ctx(|c| {
                let admin = c
                    .departments
                    .iter()
                    .find(|d| d.name == name)
                    .and_then(|d| c.users.iter().find(|u| u.is_department_admin_of(d.id)));
                admin
                    .or_else(|| c.users.iter().find(|u| u.is_active_company_admin()))
                    .map(|u| u.username.clone())
            })?;
            found.map_or_else(|| err("there is no company admin to fall back to"), Ok)
        },
    );
    e.register_fn(
        "record",
        |kind: &str, id: &str| -> Result<Dynamic, Box<EvalAltResult>> {
            let store = ctx(|c| c.store.clone())?;
            let Some(store) = store else {
                return Ok(Dynamic::UNIT);
            };
            match crate::erp::ingest::find(&store, kind, id) {
                Ok(Some(r)) => Ok(to_dynamic(&r.data)),
                Ok(None) => Ok(Dynamic::UNIT),
                Err(e) => err(format!("lookup failed: {e}")),
            }
        },
    );
    e
}

fn log_line(kind: &str, s: &str) {
    let (scenario, allowed) = CURRENT.with(|c| match c.borrow_mut().as_mut() {
        Some(cur) => {
            cur.printed += 1;
            (cur.ctx.scenario.clone(), cur.printed <= MAX_PRINT_LINES)
        }
        None => (String::new(), true),
    });
    if allowed {
        let text: String = s.chars().take(500).collect();
        tracing::info!(target: "baton::scenario", scenario = %scenario, kind, "{text}");
    }
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
