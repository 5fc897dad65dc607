//! Walking a script's AST one function at a time: which calls a function makes and
//! which of the script's own functions read the clock. Apart from `wake.rs` because
//! it is the part that leans on rhai's `internals` AST, not on time arithmetic.

use std::collections::HashSet;

use rhai::{ASTNode, Expr, FnCallExpr, Position, Stmt, AST};

use super::CLOCK_READERS;

/// A function call, as an expression or as a statement (rhai keeps a call that is a
/// whole statement, such as a condition's last line, as a statement).
pub(super) fn fn_call<'a>(n: &ASTNode<'a>) -> Option<&'a FnCallExpr> {
    match n {
        ASTNode::Expr(Expr::FnCall(f, ..)) | ASTNode::Stmt(Stmt::FnCall(f, ..)) => Some(f),
        _ => None,
    }
}

/// Walks the body of script function `name`/`arity` alone. rhai walks the whole
/// script; a top-level statement belongs to the function whose body's braces hold
/// its position.
pub(super) fn walk_function(
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
pub(super) type Call = (String, usize);

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
pub(super) fn clock_reading_functions(ast: &AST) -> HashSet<Call> {
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
