//! Wake times derived from a condition, so a scenario that time alone can make true
//! needs no hand-written `fn wake_at`.
//!
//! When a script is compiled, `fn condition`'s AST is searched for *time terms*: a
//! comparison of the time since a record field with a constant,
//!
//! ```text
//! days_since(r.f) > N        hours_since(r.f) >= N       (also <, <=, N < …)
//! now() - parse_time(r.f) > days(N)   (or hours(N), or N seconds)
//! now() > parse_time(r.f) + days(N)   now() >= parse_time(r.f)
//! ```
//!
//! combined in any way (`&&`, `||`, `!`, parentheses). Time passing changes the
//! condition only where one of its time terms flips, so for a record the candidate
//! wake times are those crossings still ahead; the wake time is the first of them at
//! which the condition (evaluated with `now` set to that moment) differs from its
//! value now. That gives "when the time term turns true" for `&&` (and nothing when
//! another part of the `&&` is false: no wasted wake), and "the earliest time term"
//! for `||`.
//!
//! A condition that reads the clock anywhere else (`now()` in another shape, a time
//! helper as a method, a function of the script that reads the clock) gets no derived
//! wake: Baton cannot tell when it changes, and the check warns that the scenario
//! will only fire when a record changes. A hand-written `fn wake_at` always wins.
//!
//! Walking the AST needs rhai's `internals` feature (rhai has no public AST walk);
//! its API may change in a minor release, hence `rhai = "~1.27"` in Cargo.toml.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, TimeZone, Utc};
use rhai::{ASTNode, Dynamic, Expr, FnCallExpr, AST};
use serde::Serialize;
use utoipa::ToSchema;

use super::engine::time_of;

mod shapes;
mod walk;

use shapes::time_term;
use walk::{clock_reading_functions, fn_call, walk_function};

/// The helpers whose value depends on the clock.
const CLOCK_READERS: [&str; 3] = ["now", "days_since", "hours_since"];

/// How many crossings per record are tried; more time terms than this is unusual.
const MAX_CROSSINGS: usize = 16;

/// Where a scenario's wake times come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Wake {
    /// The script has `fn wake_at(r)`.
    Given,
    /// Derived from the condition's time terms.
    Derived(WakePlan),
    /// The condition does not read the clock: only a record change can flip it.
    Untimed,
    /// The condition reads the clock in a shape Baton cannot derive a wake time from.
    Underivable,
}

/// The same, as the check reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WakeSource {
    Given,
    Derived,
    Untimed,
    /// Reads the clock but has no wake time: fires only when a record changes.
    Missing,
}

impl Wake {
    pub fn source(&self) -> WakeSource {
        match self {
            Wake::Given => WakeSource::Given,
            Wake::Derived(_) => WakeSource::Derived,
            Wake::Untimed => WakeSource::Untimed,
            Wake::Underivable => WakeSource::Missing,
        }
    }
}

/// The warning the check shows for [`WakeSource::Missing`] (the web UI has its own
/// words for it in both languages).
pub const MISSING_WARNING: &str = "the condition reads the time but no wake time can be derived and there is no fn wake_at: this scenario will only fire when a record changes";

/// The comparison of a time term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Gt,
    Ge,
    Lt,
    Le,
}

impl Cmp {
    fn parse(op: &str) -> Option<Cmp> {
        Some(match op {
            ">" => Cmp::Gt,
            ">=" => Cmp::Ge,
            "<" => Cmp::Lt,
            "<=" => Cmp::Le,
            _ => return None,
        })
    }
    /// `a op b` written as `b flipped a`.
    fn flipped(self) -> Cmp {
        match self {
            Cmp::Gt => Cmp::Lt,
            Cmp::Ge => Cmp::Le,
            Cmp::Lt => Cmp::Gt,
            Cmp::Le => Cmp::Ge,
        }
    }
    fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
        }
    }
}

/// One time term: `elapsed(field) cmp threshold`, where elapsed is the seconds from
/// the field's time to now divided by `unit` (as `days_since` computes it).
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub field: String,
    unit: i64,
    cmp: Cmp,
    threshold: f64,
}

impl Term {
    fn holds(&self, elapsed_secs: i64) -> bool {
        self.cmp
            .holds(elapsed_secs as f64 / self.unit as f64, self.threshold)
    }

    /// The elapsed seconds at which the term flips: the smallest `d` whose verdict
    /// differs from that of a moment long before. Found with the same arithmetic
    /// as the script's, so rounding cannot put it a second early or late.
    fn boundary(&self) -> Option<i64> {
        let guess = self.threshold * self.unit as f64;
        if !guess.is_finite() || guess.abs() > 1e15 {
            return None;
        }
        let before = self.holds(i64::MIN / 2);
        let mut d = guess.floor() as i64 - 2;
        for _ in 0..8 {
            if self.holds(d) != before {
                return Some(d);
            }
            d = d.checked_add(1)?;
        }
        None
    }
}

/// The time terms of a condition, and the name of its record parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct WakePlan {
    pub terms: Vec<Term>,
}

impl WakePlan {
    /// The moments after `now` at which a time term flips for `record`, earliest
    /// first (fields missing or not times give none).
    pub fn crossings(
        &self,
        field: impl Fn(&str) -> Dynamic,
        now: DateTime<Utc>,
    ) -> Vec<DateTime<Utc>> {
        let now = now.timestamp();
        let mut out: BTreeSet<i64> = BTreeSet::new();
        for t in &self.terms {
            let Ok(start) = time_of(&field(&t.field)) else {
                continue;
            };
            if let Some(at) = t.boundary().and_then(|b| start.checked_add(b)) {
                if at > now {
                    out.insert(at);
                }
            }
        }
        out.into_iter()
            .take(MAX_CROSSINGS)
            .filter_map(|s| Utc.timestamp_opt(s, 0).single())
            .collect()
    }
}

/// Where `ast`'s wake times come from.
pub fn derive(ast: &AST) -> Wake {
    let has = |name: &str, n: usize| {
        ast.iter_functions()
            .any(|f| f.name == name && f.params.len() == n)
    };
    if has("wake_at", 1) {
        return Wake::Given;
    }
    let Some(param) = ast
        .iter_functions()
        .find(|f| f.name == "condition" && f.params.len() == 2)
        .and_then(|f| f.params.first().map(|p| p.to_string()))
    else {
        return Wake::Untimed;
    };
    let clocked = clock_reading_functions(ast);
    let mut terms: Vec<Term> = Vec::new();
    let mut term_nodes: HashSet<*const FnCallExpr> = HashSet::new();
    walk_function(ast, "condition", 2, &mut |path: &[ASTNode]| {
        if let Some(f) = path.last().and_then(fn_call) {
            if let Some(t) = time_term(f, &param) {
                terms.push(t);
                term_nodes.insert(f as *const FnCallExpr);
            }
        }
        true
    });
    // Every clock read must sit inside a recognised term.
    let mut stray = false;
    walk_function(ast, "condition", 2, &mut |path: &[ASTNode]| {
        let reads = match path.last() {
            Some(ASTNode::Expr(Expr::MethodCall(f, ..))) => {
                CLOCK_READERS.contains(&f.name.as_str())
                    || clocked.contains(&(f.name.to_string(), f.args.len() + 1))
            }
            Some(n) => fn_call(n).is_some_and(|f| {
                CLOCK_READERS.contains(&f.name.as_str())
                    || clocked.contains(&(f.name.to_string(), f.args.len()))
            }),
            None => false,
        };
        if reads {
            let inside = path.iter().any(|n| {
                fn_call(n).is_some_and(|f| term_nodes.contains(&(f as *const FnCallExpr)))
            });
            if !inside {
                stray = true;
                return false;
            }
        }
        true
    });
    match (stray, terms.is_empty()) {
        (true, _) => Wake::Underivable,
        (false, true) => Wake::Untimed,
        (false, false) => Wake::Derived(WakePlan { terms }),
    }
}

#[cfg(test)]
#[path = "wake_tests.rs"]
mod tests;
