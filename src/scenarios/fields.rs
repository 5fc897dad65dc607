//! Which record fields a scenario reads, so a record becomes a script map only as far
//! as its scenarios look at it.
//!
//! ERP records carry dozens of fields (addresses, line items, fees) and a scenario
//! reads three or four; converting all of them to script values cost more than running
//! the script. The analysis is conservative: a record parameter used in any way other
//! than `r.field` or `r["field"]` (passed to a function, compared whole, `r.keys()`,
//! captured by a closure) means the scenario reads everything.

use std::collections::BTreeSet;

use rhai::{ASTNode, Expr, AST};

/// The fields a scenario (or every scenario of a record kind) reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fields {
    All,
    Only(BTreeSet<String>),
}

/// The functions that receive the record (and its previous version).
const RECORD_FUNCTIONS: [&str; 3] = ["condition", "task", "wake_at"];

impl Fields {
    pub fn none() -> Fields {
        Fields::Only(BTreeSet::new())
    }

    /// The fields the script's `condition`, `task` and `wake_at` read from their
    /// record parameters.
    pub fn read_by(ast: &AST) -> Fields {
        let params: BTreeSet<&str> = ast
            .iter_fn_def()
            .filter(|f| RECORD_FUNCTIONS.contains(&f.name.as_str()))
            .flat_map(|f| f.params.iter().map(|p| p.as_str()))
            .collect();
        let mut found = BTreeSet::new();
        let mut all = false;
        ast.walk(&mut |path: &[ASTNode]| {
            let Some(ASTNode::Expr(e @ Expr::Variable(v, ..))) = path.last() else {
                return true;
            };
            if !params.contains(v.1.as_str()) {
                return true;
            }
            match path.len().checked_sub(2).and_then(|i| path.get(i)) {
                Some(ASTNode::Expr(parent)) => match field_of(parent, e) {
                    Some(name) => {
                        found.insert(name);
                        true
                    }
                    None => {
                        all = true;
                        false
                    }
                },
                _ => {
                    all = true;
                    false
                }
            }
        });
        if all {
            Fields::All
        } else {
            Fields::Only(found)
        }
    }

    /// Adds what `other` reads.
    pub fn add(&mut self, other: &Fields) {
        match (&mut *self, other) {
            (Fields::All, _) => {}
            (_, Fields::All) => *self = Fields::All,
            (Fields::Only(a), Fields::Only(b)) => a.extend(b.iter().cloned()),
        }
    }
}

/// `var.name`, `var.name…` or `var["name"]` with `var` the record parameter: `name`.
fn field_of(parent: &Expr, var: &Expr) -> Option<String> {
    let (Expr::Dot(b, ..) | Expr::Index(b, ..)) = parent else {
        return None;
    };
    if !std::ptr::eq(&b.lhs, var) {
        return None;
    }
    let is_dot = matches!(parent, Expr::Dot(..));
    match &b.rhs {
        Expr::Property(p, ..) if is_dot => Some(p.2.to_string()),
        // r.name.more / r.name[i]: the chain starts with the property
        Expr::Dot(inner, ..) | Expr::Index(inner, ..) if is_dot => match &inner.lhs {
            Expr::Property(p, ..) => Some(p.2.to_string()),
            _ => None,
        },
        Expr::StringConstant(s, ..) if !is_dot => Some(s.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(src: &str) -> Fields {
        Fields::read_by(&rhai::Engine::new().compile(src).unwrap())
    }

    fn only(names: &[&str]) -> Fields {
        Fields::Only(names.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn property_reads_are_collected() {
        assert_eq!(
            fields(
                r#"fn condition(r, prev) { r.status == "x" && prev?.status != r["state"] && r.items[0].sku == "a" && r.when.len() > 2 }
                   fn task(rec) { #{ title: `${rec.id} ${rec.amount ?? 0}` } }
                   fn other(r) { 1 }"#
            ),
            only(&["amount", "id", "items", "state", "status", "when"])
        );
    }

    #[test]
    fn any_other_use_reads_everything() {
        for body in [
            "r.keys().len() > 0",
            "\"x\" in r",
            "helper(r)",
            "r == prev",
            "let x = r; x.a == 1",
            "type_of(r) == \"map\"",
            "let k = \"a\"; r[k] == 1",
            "let f = || r.a; f.call()",
        ] {
            let src = format!(
                "fn helper(x) {{ true }} fn condition(r, prev) {{ {body} }} fn task(r) {{ #{{}} }}"
            );
            assert_eq!(fields(&src), Fields::All, "{body}");
        }
    }

    #[test]
    fn union_of_scenarios() {
        let mut f = Fields::none();
        f.add(&only(&["a"]));
        f.add(&only(&["b"]));
        assert_eq!(f, only(&["a", "b"]));
        f.add(&Fields::All);
        assert_eq!(f, Fields::All);
        f.add(&only(&["c"]));
        assert_eq!(f, Fields::All);
    }
}
