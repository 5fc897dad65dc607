//! The shapes of a time term in a condition's AST (`days_since(r.f) > N`,
//! `now() - parse_time(r.f) > days(N)`, `now() > parse_time(r.f) + days(N)`, and
//! each written the other way round). Apart from `wake.rs` so the list of shapes
//! reads on its own.

use rhai::{Expr, FnCallExpr};

use super::{Cmp, Term};
use crate::scenarios::engine::{DAY, HOUR};

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
pub(super) fn time_term(f: &FnCallExpr, param: &str) -> Option<Term> {
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
