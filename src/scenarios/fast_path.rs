//! Evaluating the common shapes of `condition` and `wake_at` straight over a record's
//! JSON, without script values or the interpreter.
//!
//! Nearly every scenario condition is a few comparisons of record fields with constants,
//! time and money helpers. Through rhai each one costs a script map per record and an
//! interpreter call per scenario, several times what the comparisons cost (see
//! docs/scenarios.md#speed). So when a function's body is one expression made only of
//!
//! - the record parameters' fields (`r.status`, `prev?.status`), literals and `()`,
//! - `==` `!=` `<` `<=` `>` `>=`, `!`, `&&`, `||`, `??`, integer `+` and `-`,
//!   `if … { … } else { … }`,
//! - the helpers `now`, `days_since`, `hours_since`, `parse_time`, `days`, `hours`, `cents`
//!   (unless the script defines its own function of that name),
//!
//! it is also compiled here, into a small tree that reads the JSON directly.
//!
//! The tree answers only where it follows rhai's rules exactly: comparisons of mixed
//! types, rhai's relative-epsilon float comparisons, overflow. For anything else — a
//! field holding a list or a map, a time that does not parse, an overflow, a condition
//! that is not a boolean — it answers `None` and the caller runs the script in rhai,
//! which gives the result or the error it always gave. A differential test runs both
//! over generated records.

use rhai::{ASTFlags, ASTNode, Expr, FnCallExpr, Stmt, StmtBlock, AST, FLOAT};
use serde_json::Value;

use super::engine::{cents_of_str, elapsed, float_cents, int_cents, parse_time, DAY, HOUR};

/// The record and its previous version, as stored.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    pub kind: &'a str,
    pub id: &'a str,
    pub data: &'a Value,
    pub previous: Option<&'a Value>,
}

/// The compiled `condition` and `wake_at`, where their shapes allow.
#[derive(Debug, Clone, Default)]
pub struct FastPath {
    pub condition: Option<FastFn>,
    pub wake_at: Option<FastFn>,
}

/// One compiled function.
#[derive(Debug, Clone)]
pub struct FastFn {
    body: Node,
}

/// What `wake_at` returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    Never,
    At(i64),
}

impl FastPath {
    pub fn compile(ast: &AST) -> FastPath {
        FastPath {
            condition: FastFn::compile(ast, "condition", 2),
            wake_at: FastFn::compile(ast, "wake_at", 1),
        }
    }
}

impl FastFn {
    fn compile(ast: &AST, name: &str, arity: usize) -> Option<FastFn> {
        let def = ast
            .iter_fn_def()
            .find(|f| f.name == name && f.params.len() == arity)?;
        let scope = Scope {
            record: def.params.first()?.as_str(),
            previous: def.params.get(1).map(|p| p.as_str()),
            ast,
        };
        // rhai does not export the type of a function's body, but walking an AST of
        // that one function visits its statements, top level first.
        // (`clone_functions_only_filtered` ignores its filter in rhai 1.27.)
        let mut only = ast.clone_functions_only();
        only.retain_functions(|_, _, n, params| n == name && params == arity);
        let mut top: Vec<Option<Node>> = Vec::new();
        only.walk(&mut |path: &[ASTNode]| {
            if let [ASTNode::Stmt(s)] = path {
                top.push(scope.stmt(s));
            }
            true
        });
        let body = match top.len() {
            0 => Node::Unit,
            1 => top.pop().flatten()?,
            _ => return None,
        };
        Some(FastFn { body })
    }

    /// `Some(hit)`, or `None` when rhai must decide.
    pub fn condition(&self, rec: &Record<'_>, now: i64) -> Option<bool> {
        match self.body.eval(rec, now)? {
            Val::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// `Some(when)`, or `None` when rhai must decide.
    pub fn wake_at(&self, rec: &Record<'_>, now: i64) -> Option<Wake> {
        match self.body.eval(rec, now)? {
            Val::Unit => Some(Wake::Never),
            Val::Int(t) => Some(Wake::At(t)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Param {
    Record,
    Previous,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Helper {
    Now,
    DaysSince,
    HoursSince,
    ParseTime,
    Days,
    Hours,
    Cents,
}

impl Helper {
    fn of(name: &str, arity: usize) -> Option<Helper> {
        Some(match (name, arity) {
            ("now", 0) => Helper::Now,
            ("days_since", 1) => Helper::DaysSince,
            ("hours_since", 1) => Helper::HoursSince,
            ("parse_time", 1) => Helper::ParseTime,
            ("days", 1) => Helper::Days,
            ("hours", 1) => Helper::Hours,
            ("cents", 1) => Helper::Cents,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
enum Node {
    Unit,
    Bool(bool),
    Int(i64),
    Float(FLOAT),
    Str(Box<str>),
    Field {
        param: Param,
        name: Box<str>,
        /// `?.`: `()` when the value is `()`.
        elvis: bool,
    },
    Cmp(Cmp, Box<[Node; 2]>),
    Add(Box<[Node; 2]>),
    Sub(Box<[Node; 2]>),
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
    Coalesce(Vec<Node>),
    If(Box<[Node; 3]>),
    Call(Helper, Vec<Node>),
}

/// The values the tree computes with; anything else sends the call to rhai.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Val<'a> {
    Unit,
    Bool(bool),
    Int(i64),
    Float(FLOAT),
    Str(&'a str),
}

/// Compiling one function: its parameter names, and the script (for functions it
/// defines, which shadow the helpers).
struct Scope<'s> {
    record: &'s str,
    previous: Option<&'s str>,
    ast: &'s AST,
}

impl Scope<'_> {
    fn block(&self, b: &StmtBlock) -> Option<Node> {
        match b.statements() {
            [] => Some(Node::Unit),
            [s] => self.stmt(s),
            _ => None,
        }
    }

    fn stmt(&self, s: &Stmt) -> Option<Node> {
        match s {
            Stmt::Noop(..) => Some(Node::Unit),
            Stmt::Expr(e) => self.expr(e),
            Stmt::FnCall(f, ..) => self.call(f),
            Stmt::Block(b) => self.block(b),
            Stmt::Return(Some(e), flags, ..) if *flags == ASTFlags::NONE => self.expr(e),
            Stmt::Return(None, flags, ..) if *flags == ASTFlags::NONE => Some(Node::Unit),
            Stmt::If(fc, ..) => Some(Node::If(Box::new([
                self.expr(&fc.expr)?,
                self.block(&fc.body)?,
                self.block(&fc.branch)?,
            ]))),
            _ => None,
        }
    }

    fn expr(&self, e: &Expr) -> Option<Node> {
        Some(match e {
            Expr::Unit(..) => Node::Unit,
            Expr::BoolConstant(b, ..) => Node::Bool(*b),
            Expr::IntegerConstant(i, ..) => Node::Int(*i),
            Expr::FloatConstant(f, ..) => Node::Float(**f),
            Expr::StringConstant(s, ..) => Node::Str(s.as_str().into()),
            Expr::Dot(b, flags, ..) => {
                let (Expr::Variable(v, ..), Expr::Property(p, ..)) = (&b.lhs, &b.rhs) else {
                    return None;
                };
                let param = if v.1.as_str() == self.record {
                    Param::Record
                } else if Some(v.1.as_str()) == self.previous {
                    Param::Previous
                } else {
                    return None;
                };
                Node::Field {
                    param,
                    name: p.2.as_str().into(),
                    elvis: flags.contains(ASTFlags::NEGATED),
                }
            }
            Expr::FnCall(f, ..) => self.call(f)?,
            Expr::And(xs, ..) => Node::And(self.all(xs)?),
            Expr::Or(xs, ..) => Node::Or(self.all(xs)?),
            Expr::Coalesce(xs, ..) => Node::Coalesce(self.all(xs)?),
            Expr::Stmt(b) => self.block(b)?,
            _ => return None,
        })
    }

    fn all(&self, xs: &[Expr]) -> Option<Vec<Node>> {
        xs.iter().map(|x| self.expr(x)).collect()
    }

    fn call(&self, f: &FnCallExpr) -> Option<Node> {
        if f.capture_parent_scope {
            return None;
        }
        let args = self.all(&f.args)?;
        if f.op_token.is_some() {
            let name = f.name.as_str();
            let mut args = args.into_iter();
            let (a, b) = match (args.next(), args.next(), args.next()) {
                (Some(a), None, None) => return (name == "!").then(|| Node::Not(Box::new(a))),
                (Some(a), Some(b), None) => (a, b),
                _ => return None,
            };
            let pair = Box::new([a, b]);
            let cmp = match name {
                "==" => Cmp::Eq,
                "!=" => Cmp::Ne,
                "<" => Cmp::Lt,
                "<=" => Cmp::Le,
                ">" => Cmp::Gt,
                ">=" => Cmp::Ge,
                "+" => return Some(Node::Add(pair)),
                "-" => return Some(Node::Sub(pair)),
                _ => return None,
            };
            return Some(Node::Cmp(cmp, pair));
        }
        let helper = Helper::of(f.name.as_str(), args.len())?;
        let shadowed = self
            .ast
            .iter_fn_def()
            .any(|d| d.name == f.name && d.params.len() == args.len());
        (!shadowed).then_some(Node::Call(helper, args))
    }
}

impl Node {
    fn eval<'a>(&'a self, rec: &Record<'a>, now: i64) -> Option<Val<'a>> {
        Some(match self {
            Node::Unit => Val::Unit,
            Node::Bool(b) => Val::Bool(*b),
            Node::Int(i) => Val::Int(*i),
            Node::Float(f) => Val::Float(*f),
            Node::Str(s) => Val::Str(s),
            Node::Field { param, name, elvis } => {
                let map = match (param, rec.previous) {
                    (Param::Record, _) => rec.data,
                    (Param::Previous, Some(p)) => p,
                    // `prev` is `()` for a new record: `prev.x` is an error in rhai.
                    (Param::Previous, None) => return elvis.then_some(Val::Unit),
                };
                field(map, rec, name)?
            }
            Node::Cmp(op, ab) => {
                Val::Bool(compare(*op, ab[0].eval(rec, now)?, ab[1].eval(rec, now)?))
            }
            Node::Add(ab) => match (ab[0].eval(rec, now)?, ab[1].eval(rec, now)?) {
                (Val::Int(a), Val::Int(b)) => Val::Int(a.checked_add(b)?),
                _ => return None,
            },
            Node::Sub(ab) => match (ab[0].eval(rec, now)?, ab[1].eval(rec, now)?) {
                (Val::Int(a), Val::Int(b)) => Val::Int(a.checked_sub(b)?),
                _ => return None,
            },
            Node::Not(a) => match a.eval(rec, now)? {
                Val::Bool(b) => Val::Bool(!b),
                _ => return None,
            },
            Node::And(xs) => short_circuit(xs, false, rec, now)?,
            Node::Or(xs) => short_circuit(xs, true, rec, now)?,
            Node::Coalesce(xs) => {
                let mut v = Val::Unit;
                for x in xs {
                    v = x.eval(rec, now)?;
                    if v != Val::Unit {
                        break;
                    }
                }
                v
            }
            Node::If(n) => match n[0].eval(rec, now)? {
                Val::Bool(true) => n[1].eval(rec, now)?,
                Val::Bool(false) => n[2].eval(rec, now)?,
                _ => return None,
            },
            Node::Call(h, args) => helper(*h, args, rec, now)?,
        })
    }
}

/// `&&` (stopping at the first `false`) and `||` (at the first `true`); rhai refuses
/// operands that are not booleans.
fn short_circuit<'a>(xs: &'a [Node], stop_at: bool, rec: &Record<'a>, now: i64) -> Option<Val<'a>> {
    for x in xs {
        match x.eval(rec, now)? {
            Val::Bool(b) if b == stop_at => return Some(Val::Bool(stop_at)),
            Val::Bool(_) => {}
            _ => return None,
        }
    }
    Some(Val::Bool(!stop_at))
}

/// A field as `engine::record_map` would give it: `id` and `kind` unless the data has
/// its own, `()` when missing or null.
fn field<'a>(map: &'a Value, rec: &Record<'a>, name: &str) -> Option<Val<'a>> {
    match map.as_object().and_then(|o| o.get(name)) {
        Some(v) => json(v),
        None => Some(match name {
            "id" => Val::Str(rec.id),
            "kind" => Val::Str(rec.kind),
            _ => Val::Unit,
        }),
    }
}

/// As `engine::to_dynamic` converts; lists and maps are left to rhai.
fn json(v: &Value) -> Option<Val<'_>> {
    Some(match v {
        Value::Null => Val::Unit,
        Value::Bool(b) => Val::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Val::Int(i),
            None => Val::Float(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => Val::Str(s),
        Value::Array(_) | Value::Object(_) => return None,
    })
}

/// rhai's built-in comparison operators (`rhai::func::builtin`) for these types.
fn compare(op: Cmp, a: Val<'_>, b: Val<'_>) -> bool {
    use std::cmp::Ordering;
    let ordered = |o: Ordering| match op {
        Cmp::Eq => o.is_eq(),
        Cmp::Ne => o.is_ne(),
        Cmp::Lt => o.is_lt(),
        Cmp::Le => o.is_le(),
        Cmp::Gt => o.is_gt(),
        Cmp::Ge => o.is_ge(),
    };
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => ordered(x.cmp(&y)),
        (Val::Int(x), Val::Float(y)) => float_compare(op, x as FLOAT, y),
        (Val::Float(x), Val::Int(y)) => float_compare(op, x, y as FLOAT),
        (Val::Float(x), Val::Float(y)) => float_compare(op, x, y),
        (Val::Str(x), Val::Str(y)) => ordered(x.cmp(y)),
        (Val::Bool(x), Val::Bool(y)) => ordered(x.cmp(&y)),
        (Val::Unit, Val::Unit) => op == Cmp::Eq,
        // Different types, not both numbers: only `!=` holds.
        _ => op == Cmp::Ne,
    }
}

/// rhai compares floats within a relative epsilon (its checked build, which Baton uses).
fn float_compare(op: Cmp, x: FLOAT, y: FLOAT) -> bool {
    let max = if x * y == 0.0 {
        1.0
    } else {
        x.abs().max(y.abs())
    };
    let e = FLOAT::EPSILON;
    match op {
        Cmp::Eq => max == 0.0 || (x - y).abs() / max <= e,
        Cmp::Ne => max != 0.0 && (x - y).abs() / max > e,
        Cmp::Gt => max != 0.0 && (x - y) / max > e,
        Cmp::Ge => max == 0.0 || (x - y) / max > -e,
        Cmp::Lt => max != 0.0 && (y - x) / max > e,
        Cmp::Le => max == 0.0 || (y - x) / max > -e,
    }
}

/// The helpers of `engine::build`, for the argument types they accept.
fn helper<'a>(h: Helper, args: &'a [Node], rec: &Record<'a>, now: i64) -> Option<Val<'a>> {
    let arg = || args.first().and_then(|a| a.eval(rec, now));
    Some(match h {
        Helper::Now => Val::Int(now),
        Helper::DaysSince | Helper::HoursSince => {
            let t = match arg()? {
                Val::Str(s) => parse_time(s)?,
                Val::Int(i) => i,
                _ => return None,
            };
            let unit = if h == Helper::DaysSince { DAY } else { HOUR };
            Val::Float(elapsed(now, t, unit)?)
        }
        Helper::ParseTime => match arg()? {
            Val::Str(s) => Val::Int(parse_time(s)?),
            _ => return None,
        },
        Helper::Days | Helper::Hours => match arg()? {
            Val::Int(n) => Val::Int(n.checked_mul(if h == Helper::Days { DAY } else { HOUR })?),
            _ => return None,
        },
        Helper::Cents => match arg()? {
            Val::Str(s) => Val::Int(cents_of_str(s).ok()?),
            Val::Int(i) => Val::Int(int_cents(i)?),
            Val::Float(f) => Val::Int(float_cents(f)),
            _ => return None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios::engine::{build, with_context, Context};
    use crate::scenarios::eval::{self, ScriptRecord};
    use crate::scenarios::script::{compile, Compiled};
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    fn script(condition: &str, wake_at: &str) -> String {
        format!(
            "const ID = \"t\"; const WATCHES = \"order\";
            fn condition(r, prev) {{ {condition} }}
            fn wake_at(r) {{ {wake_at} }}
            fn task(r) {{ #{{ title: \"t\", nodes: [] }} }}"
        )
    }

    /// Conditions in the fast path's shapes, each with the wake time of the same shape
    /// the shipped scenarios use.
    const SUPPORTED: [&str; 34] = [
        r#"r.status == "paid""#,
        r#"r.status != "paid""#,
        "r.a < r.b",
        "r.a <= r.b",
        "r.a > r.b",
        "r.a >= r.b",
        "r.a == r.b",
        "r.a != r.b",
        "r.a == ()",
        "r.a != ()",
        "!(r.a == 3)",
        r#"r.a > 3 && r.b < 2.5 || r.status == "x""#,
        "(r.a ?? 0) > 1",
        "prev?.status != r.status",
        r#"prev.status == "paid""#,
        "days_since(r.t) > 3",
        "hours_since(r.a) >= 48",
        r#"cents(r.amount) > cents("5000")"#,
        "cents(r.a) == 300",
        "parse_time(r.t) + days(3) < now()",
        "r.a + r.b > 0",
        "r.a - 1 == 2",
        "if r.a == 3 { true } else { r.b == 1 }",
        "return r.a == 3;",
        "r.a == 3;",
        "{ r.a >= r.b }",
        r#"r.id == "SO-1" && r.kind == "order""#,
        "r.a",
        "now() - hours(r.b) > parse_time(r.t)",
        "r.a < 3.0",
        "r.a == true",
        "r.status < r.t",
        "r.a == r.amount",
        r#"r.status == "out_of_stock" && days_since(r.t) > 3"#,
    ];

    fn pool() -> Vec<Value> {
        vec![
            json!(null),
            json!(true),
            json!(false),
            json!(0),
            json!(3),
            json!(-5),
            json!(48),
            json!(2.5),
            json!(3.0000000000000004),
            json!(1e300),
            json!(i64::MAX),
            json!(u64::MAX),
            json!("x"),
            json!("paid"),
            json!("out_of_stock"),
            json!(""),
            json!("2026-11-20T08:00:00Z"),
            json!("2026-11-24"),
            json!("2026-11-21 08:00:00"),
            json!("not a time"),
            json!("5000.00"),
            json!("5,000.01"),
            json!("12.345"),
            json!([1]),
            json!({"k": 1}),
        ]
    }

    /// Records over every pair of values for `a` and `b` (and each missing); status,
    /// time and amount cycle through their own lists; every other record has a
    /// previous version.
    fn records() -> Vec<(Value, Option<Value>)> {
        let pool = pool();
        let statuses = [
            json!("paid"),
            json!("out_of_stock"),
            json!("x"),
            json!(null),
            json!(3),
        ];
        let times = [
            json!("2026-11-20T08:00:00Z"),
            json!("2026-11-24"),
            json!("2026-11-21 08:00:00"),
            json!("2026-11-25T11:00:00+08:00"),
            json!(1_764_000_000),
            json!("not a time"),
            json!(null),
        ];
        let amounts = [
            json!("5000.00"),
            json!("5000.01"),
            json!("5,000.01"),
            json!("12.345"),
            json!(4999),
            json!(50.005),
            json!("x"),
        ];
        let mut out = Vec::new();
        let mut n = 0usize;
        for a in 0..=pool.len() {
            for b in 0..=pool.len() {
                let mut m = serde_json::Map::new();
                for (k, v) in [("a", pool.get(a)), ("b", pool.get(b))] {
                    if let Some(v) = v {
                        m.insert(k.to_string(), v.clone());
                    }
                }
                m.insert("status".into(), statuses[n % statuses.len()].clone());
                m.insert("t".into(), times[n % times.len()].clone());
                m.insert("amount".into(), amounts[n % amounts.len()].clone());
                let data = Value::Object(m);
                let prev =
                    (n % 2 == 0).then(|| json!({"status": statuses[n / 2 % statuses.len()]}));
                out.push((data, prev));
                n += 1;
            }
        }
        out
    }

    fn rhai_only(c: &Compiled) -> Compiled {
        Compiled {
            fast: FastPath::default(),
            ..c.clone()
        }
    }

    /// Wherever the fast path answers, rhai gives the same answer.
    #[test]
    fn answers_as_rhai_does() {
        let e = build();
        let ctx = Context::clock(Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap());
        let now = ctx.now.timestamp();
        let recs = records();
        let mut total = 0;
        let wake = r#"if r.status == "paid" { parse_time(r.t) + hours(48) + 1 } else { r.a }"#;
        for cond in SUPPORTED {
            let c = compile(&e, &script(cond, wake)).unwrap();
            let fast = c
                .fast
                .condition
                .as_ref()
                .unwrap_or_else(|| panic!("{cond}"));
            let wake_fast = c.fast.wake_at.as_ref().expect("wake_at");
            let slow = rhai_only(&c);
            let mut answered = 0;
            with_context(&ctx, || {
                for (data, prev) in &recs {
                    let rec = Record {
                        kind: "order",
                        id: "SO-1",
                        data,
                        previous: prev.as_ref(),
                    };
                    let sr = ScriptRecord::new(
                        "order",
                        "SO-1",
                        std::sync::Arc::new(data.clone()),
                        prev.clone().map(std::sync::Arc::new),
                    );
                    let by_rhai = eval::condition(&e, &slow, &sr);
                    if let Some(hit) = fast.condition(&rec, now) {
                        answered += 1;
                        assert_eq!(by_rhai, Ok(hit), "{cond} over {data} (prev {prev:?})");
                    }
                    if let Some(w) = wake_fast.wake_at(&rec, now) {
                        let by_rhai = eval::evaluate_prepared(&e, &slow, &sr).map(|ev| ev.wake_at);
                        if let Ok(by_rhai) = by_rhai {
                            let expected = match w {
                                Wake::Never => None,
                                Wake::At(t) => Utc.timestamp_opt(t, 0).single(),
                            };
                            assert_eq!(by_rhai, expected, "wake_at over {data}");
                        }
                    }
                }
            });
            // Not vacuous: the fast path decides some records of every shape…
            assert!(answered >= 10, "{cond}: only {answered} of {}", recs.len());
            total += answered;
        }
        // … and a good share of them overall.
        assert!(total * 2 >= SUPPORTED.len() * recs.len(), "{total}");
    }

    #[test]
    fn other_shapes_are_left_to_rhai() {
        let e = build();
        for cond in [
            "r.keys().len() > 0",
            "let x = 1; r.a == x",
            r#"r["a"] == 1"#,
            "r.a.b == 1",
            "r.a.len() > 0",
            "`${r.a}` == \"1\"",
            "mine(r.a)",
            "days_since(r.t) > 3; true",
            "r.a * 2 > 3",
            "r == prev",
            "'a' == r.a",
            "r.a in [1, 2]",
        ] {
            let src = script(cond, "()").replace("fn task", "fn mine(x) { true } fn task");
            let c = compile(&e, &src).unwrap();
            assert!(c.fast.condition.is_none(), "{cond}");
        }
        // A script's own function shadows the helper of that name.
        let src = script("days_since(r.t) > 3", "()")
            .replace("fn task", "fn days_since(t) { 0 } fn task");
        assert!(compile(&e, &src).unwrap().fast.condition.is_none());
    }

    /// The shipped scenarios' conditions and wake times all take the fast path.
    #[test]
    fn shipped_scenarios_take_it() {
        let e = build();
        for (file, src) in crate::scenarios::shipped::SHIPPED {
            let c = compile(&e, src).unwrap();
            assert!(c.fast.condition.is_some(), "{file}: condition");
            assert_eq!(c.fast.wake_at.is_some(), c.has_wake_at, "{file}: wake_at");
        }
    }
}
