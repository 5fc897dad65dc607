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
//!
//! (Over 400 lines with its tests: the shapes, the walk and the crossing arithmetic
//! are one piece, and the tests list every shape and every case that is not one.)

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, TimeZone, Utc};
use rhai::{ASTNode, Dynamic, Expr, FnCallExpr, Position, Stmt, AST};
use serde::Serialize;
use utoipa::ToSchema;

use super::engine::{time_of, DAY, HOUR};

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

/// A function call, as an expression or as a statement (rhai keeps a call that is a
/// whole statement, such as a condition's last line, as a statement).
fn fn_call<'a>(n: &ASTNode<'a>) -> Option<&'a FnCallExpr> {
    match n {
        ASTNode::Expr(Expr::FnCall(f, ..)) | ASTNode::Stmt(Stmt::FnCall(f, ..)) => Some(f),
        _ => None,
    }
}

/// Walks the body of script function `name`/`arity` alone. rhai walks the whole
/// script; a top-level statement belongs to the function whose body's braces hold
/// its position.
fn walk_function(
    ast: &AST,
    name: &str,
    arity: usize,
    on_node: &mut impl FnMut(&[ASTNode]) -> bool,
) {
    let key = |p: Position| (p.line().unwrap_or(0), p.position().unwrap_or(0));
    let Some((start, end)) = ast
        .iter_fn_def()
        .find(|f| f.name == name && f.params.len() == arity)
        .map(|f| (key(f.body.start_position()), key(f.body.end_position())))
    else {
        return;
    };
    let mut inside = false;
    ast.walk(&mut |path: &[ASTNode]| {
        if let [top] = path {
            let at = key(top.position());
            inside = start <= at && at <= end;
        }
        !inside || on_node(path)
    });
}

/// A function by name and argument count.
type Call = (String, usize);

/// Names called in a function, with their argument counts.
fn calls(ast: &AST, name: &str, arity: usize) -> Vec<Call> {
    let mut out = Vec::new();
    walk_function(ast, name, arity, &mut |path: &[ASTNode]| {
        match path.last() {
            // A method call's receiver is its first argument.
            Some(ASTNode::Expr(Expr::MethodCall(f, ..))) => {
                out.push((f.name.to_string(), f.args.len() + 1))
            }
            Some(n) => {
                if let Some(f) = fn_call(n) {
                    out.push((f.name.to_string(), f.args.len()))
                }
            }
            None => {}
        }
        true
    });
    out
}

/// The script's own functions that read the clock, directly or through each other.
fn clock_reading_functions(ast: &AST) -> HashSet<Call> {
    let fns: Vec<(Call, Vec<Call>)> = ast
        .iter_functions()
        .map(|f| {
            let (name, n) = (f.name.to_string(), f.params.len());
            let called = calls(ast, &name, n);
            ((name, n), called)
        })
        .collect();
    let mut clocked: HashSet<Call> = HashSet::new();
    loop {
        let before = clocked.len();
        for (f, called) in &fns {
            if called
                .iter()
                .any(|c| CLOCK_READERS.contains(&c.0.as_str()) || clocked.contains(c))
            {
                clocked.insert(f.clone());
            }
        }
        if clocked.len() == before {
            return clocked;
        }
    }
}

fn call<'e>(e: &'e Expr, name: &str, arity: usize) -> Option<&'e FnCallExpr> {
    match e {
        Expr::FnCall(f, ..) if f.name == name && f.args.len() == arity => Some(f),
        _ => None,
    }
}

/// `param.field` or `param["field"]`.
fn field_of(e: &Expr, param: &str) -> Option<String> {
    let (Expr::Dot(b, ..) | Expr::Index(b, ..)) = e else {
        return None;
    };
    let Expr::Variable(v, ..) = &b.lhs else {
        return None;
    };
    if v.1 != param {
        return None;
    }
    match (e, &b.rhs) {
        (Expr::Dot(..), Expr::Property(p, ..)) => Some(p.2.to_string()),
        (Expr::Index(..), Expr::StringConstant(s, ..)) => Some(s.to_string()),
        _ => None,
    }
}

fn number(e: &Expr) -> Option<f64> {
    match e {
        Expr::IntegerConstant(i, ..) => Some(*i as f64),
        Expr::FloatConstant(f, ..) => Some(**f),
        _ => None,
    }
}

/// A duration in seconds: `days(N)`, `hours(N)` or a number of seconds.
fn duration(e: &Expr) -> Option<f64> {
    for (name, unit) in [("days", DAY), ("hours", HOUR)] {
        if let Some(f) = call(e, name, 1) {
            return match f.args.first() {
                Some(Expr::IntegerConstant(n, ..)) => n.checked_mul(unit).map(|s| s as f64),
                _ => None,
            };
        }
    }
    match e {
        Expr::IntegerConstant(i, ..) => Some(*i as f64),
        _ => None,
    }
}

/// `parse_time(param.f)`: the field.
fn parsed_field(e: &Expr, param: &str) -> Option<String> {
    call(e, "parse_time", 1).and_then(|f| field_of(f.args.first()?, param))
}

/// The time term `e` is, if it is one.
fn time_term(f: &FnCallExpr, param: &str) -> Option<Term> {
    let cmp = Cmp::parse(f.name.as_str())?;
    let [lhs, rhs] = f.args.as_slice() else {
        return None;
    };
    term_one_way(lhs, cmp, rhs, param).or_else(|| term_one_way(rhs, cmp.flipped(), lhs, param))
}

/// `lhs cmp rhs` with the time on the left.
fn term_one_way(lhs: &Expr, cmp: Cmp, rhs: &Expr, param: &str) -> Option<Term> {
    // days_since(r.f) > N
    for (name, unit) in [("days_since", DAY), ("hours_since", HOUR)] {
        if let Some(f) = call(lhs, name, 1) {
            let field = field_of(f.args.first()?, param)?;
            return Some(Term {
                field,
                unit,
                cmp,
                threshold: number(rhs)?,
            });
        }
    }
    // now() - parse_time(r.f) > days(N)
    if let Some(minus) = call(lhs, "-", 2) {
        let [now, t] = minus.args.as_slice() else {
            return None;
        };
        call(now, "now", 0)?;
        return Some(Term {
            field: parsed_field(t, param)?,
            unit: 1,
            cmp,
            threshold: duration(rhs)?,
        });
    }
    // now() > parse_time(r.f) + days(N), now() > parse_time(r.f)
    call(lhs, "now", 0)?;
    let (field, threshold) = match call(rhs, "+", 2) {
        Some(plus) => {
            let [t, d] = plus.args.as_slice() else {
                return None;
            };
            (parsed_field(t, param)?, duration(d)?)
        }
        None => (parsed_field(rhs, param)?, 0.0),
    };
    Some(Term {
        field,
        unit: 1,
        cmp,
        threshold,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios::engine::build;

    fn wake(condition: &str) -> Wake {
        let src = format!(
            "fn late(r) {{ days_since(r.x) > 1 }} fn pure(r) {{ r.a == 1 }}
             fn condition(r, prev) {{ {condition} }} fn task(r) {{ #{{}} }}"
        );
        derive(&build().compile(&src).unwrap())
    }

    fn terms(condition: &str) -> Vec<(String, i64, Cmp, f64)> {
        match wake(condition) {
            Wake::Derived(p) => p
                .terms
                .into_iter()
                .map(|t| (t.field, t.unit, t.cmp, t.threshold))
                .collect(),
            other => panic!("{condition}: {other:?}"),
        }
    }

    fn one(field: &str, unit: i64, cmp: Cmp, n: f64) -> Vec<(String, i64, Cmp, f64)> {
        vec![(field.to_string(), unit, cmp, n)]
    }

    #[test]
    fn each_shape() {
        assert_eq!(
            terms("days_since(r.since) > 3"),
            one("since", DAY, Cmp::Gt, 3.0)
        );
        assert_eq!(
            terms("days_since(r[\"since\"]) >= 3"),
            one("since", DAY, Cmp::Ge, 3.0)
        );
        assert_eq!(
            terms("hours_since(r.at) > 2.5"),
            one("at", HOUR, Cmp::Gt, 2.5)
        );
        assert_eq!(
            terms("hours_since(r.at) >= 4"),
            one("at", HOUR, Cmp::Ge, 4.0)
        );
        assert_eq!(
            terms("3 < days_since(r.since)"),
            one("since", DAY, Cmp::Gt, 3.0)
        );
        assert_eq!(
            terms("days_since(r.since) < 3"),
            one("since", DAY, Cmp::Lt, 3.0)
        );
        assert_eq!(
            terms("now() - parse_time(r.since) > days(3)"),
            one("since", 1, Cmp::Gt, 259_200.0)
        );
        assert_eq!(
            terms("now() - parse_time(r.since) >= hours(5)"),
            one("since", 1, Cmp::Ge, 18_000.0)
        );
        assert_eq!(
            terms("now() - parse_time(r.since) > 60"),
            one("since", 1, Cmp::Gt, 60.0)
        );
        assert_eq!(
            terms("now() > parse_time(r.since) + days(1)"),
            one("since", 1, Cmp::Gt, 86_400.0)
        );
        assert_eq!(
            terms("now() >= parse_time(r.due)"),
            one("due", 1, Cmp::Ge, 0.0)
        );
    }

    #[test]
    fn combinations_and_parentheses() {
        let t = terms(r#"r.status == "out" && days_since(r.since) > 3"#);
        assert_eq!(t, one("since", DAY, Cmp::Gt, 3.0));
        let t = terms("days_since(r.a) > 3 || hours_since(r.b) > 5");
        assert_eq!(t.len(), 2);
        let t = terms(
            r#"(r.s == "x" && ((days_since(r.a) > 3))) || (r.s == "y" && !(hours_since(r.b) <= 5))"#,
        );
        assert_eq!(t.len(), 2);
        assert_eq!(t[1], ("b".to_string(), HOUR, Cmp::Le, 5.0));
    }

    #[test]
    fn other_shapes_are_not_derivable() {
        for c in [
            "now() > 5",
            "days_since(r.a) > r.limit",
            "days_since(prev.a) > 3",
            "let d = days_since(r.a); d > 3",
            "days_since(r.a).to_int() > 3",
            "r.a.days_since() > 3",
            "late(r)",
            "now() - parse_time(r.a) > days(r.n)",
            "days_since(r.a) * 2 > 3",
            r#"r.status == "x" && now() > parse_time(r.since) + days(r.grace)"#,
        ] {
            assert_eq!(wake(c), Wake::Underivable, "{c}");
        }
        assert_eq!(wake("r.a == 1 && pure(r)"), Wake::Untimed);
        let given = "fn condition(r, prev) { now() > 1 } fn task(r) { #{} } fn wake_at(r) { () }";
        assert_eq!(derive(&build().compile(given).unwrap()), Wake::Given);
    }

    fn plan(condition: &str) -> WakePlan {
        match wake(condition) {
            Wake::Derived(p) => p,
            other => panic!("{other:?}"),
        }
    }

    fn at(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(s, 0).single().unwrap()
    }

    #[test]
    fn crossings_are_the_first_second_a_term_flips() {
        let start = 1_700_000_000;
        let field = |_: &str| Dynamic::from(start);
        let p = plan("days_since(r.a) > 3");
        assert_eq!(p.crossings(field, at(start)), vec![at(start + 3 * DAY + 1)]);
        let p = plan("days_since(r.a) >= 3");
        assert_eq!(p.crossings(field, at(start)), vec![at(start + 3 * DAY)]);
        let p = plan("hours_since(r.a) > 0.5");
        assert_eq!(p.crossings(field, at(start)), vec![at(start + 1801)]);
        let p = plan("now() - parse_time(r.a) > hours(2) || days_since(r.a) < 1");
        assert_eq!(
            p.crossings(field, at(start)),
            vec![at(start + DAY), at(start + 2 * HOUR + 1)]
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
        );
        // Passed already, or the field is not a time: nothing ahead.
        assert!(p.crossings(field, at(start + 2 * DAY)).is_empty());
        assert!(p.crossings(|_| Dynamic::UNIT, at(start)).is_empty());
        let text = |_: &str| Dynamic::from("2026-01-02 00:00:00");
        assert_eq!(
            plan("days_since(r.a) > 1").crossings(text, at(0)),
            vec![at(1_767_312_000 + DAY + 1)]
        );
    }

    #[test]
    fn a_boundary_agrees_with_the_script_arithmetic() {
        for (threshold, cmp) in [
            (3.0, Cmp::Gt),
            (3.0, Cmp::Ge),
            (0.1, Cmp::Gt),
            (2.7, Cmp::Le),
        ] {
            let t = Term {
                field: "a".into(),
                unit: DAY,
                cmp,
                threshold,
            };
            let b = t.boundary().unwrap();
            assert_ne!(t.holds(b), t.holds(b - 1), "{threshold} {cmp:?}");
        }
    }
}
