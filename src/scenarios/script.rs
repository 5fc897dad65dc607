//! Compiling a scenario script and reading its declarations.
//!
//! A scenario is one rhai file:
//!
//! ```text
//! const ID = "order_out_of_stock";          // stable id (letters, digits, '_')
//! const NAME = "Order out of stock > 3 days";
//! const WATCHES = "order";                  // record kind
//! const PROJECT = "ERP Notifications";      // optional; default ERP Notifications
//! // Functions see only their arguments and the helpers: write thresholds inside them.
//! fn condition(r, prev) { ... }             // true when a task is needed
//! fn task(r) { #{ title: ..., nodes: [...] } }
//! fn wake_at(r) { ... }                     // optional: when time alone may flip the condition
//! const WRITE_BACK = "erp";                 // optional: tell this write-back target of task events
//! fn write_back(event, record) { ... }      // optional: shape that body (a map, or () to skip)
//! ```

use std::fmt;

use rhai::{Engine, Position, Scope, AST};

use super::wake::{derive, Wake};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ScriptError {
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Stopped by the sandbox's time or operation limit: what counts towards
    /// quarantining a scenario that keeps running away.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub runaway: bool,
}

impl ScriptError {
    pub fn at(message: impl Into<String>, pos: Position) -> Self {
        ScriptError {
            message: message.into(),
            line: pos.line(),
            column: pos.position(),
            runaway: false,
        }
    }
    pub fn plain(message: impl Into<String>) -> Self {
        ScriptError {
            message: message.into(),
            line: None,
            column: None,
            runaway: false,
        }
    }
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{l}:{c}: {}", self.message),
            (Some(l), None) => write!(f, "{l}: {}", self.message),
            _ => write!(f, "{}", self.message),
        }
    }
}

/// Whether the sandbox stopped the script for running too long, also when that
/// happened inside a function the script called.
fn is_runaway(e: &rhai::EvalAltResult) -> bool {
    use rhai::EvalAltResult as E;
    match e {
        E::ErrorTerminated(..) | E::ErrorTooManyOperations(..) => true,
        E::ErrorInFunctionCall(_, _, inner, _) => is_runaway(inner),
        _ => false,
    }
}

impl From<Box<rhai::EvalAltResult>> for ScriptError {
    fn from(e: Box<rhai::EvalAltResult>) -> Self {
        let pos = e.position();
        let runaway = is_runaway(&e);
        // The message without rhai's own " (line x, position y)" suffix.
        let mut msg = e.to_string();
        if let Some(i) = msg.rfind(" (line ") {
            msg.truncate(i);
        }
        ScriptError {
            runaway,
            ..ScriptError::at(msg, pos)
        }
    }
}

/// A compiled scenario, ready to evaluate.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub key: String,
    pub name: String,
    pub watches: String,
    pub project: Option<String>,
    pub ast: AST,
    pub has_wake_at: bool,
    /// `const WRITE_BACK`: the write-back target its tasks' events go to.
    pub write_back: Option<String>,
    /// Whether it has `fn write_back(event, record)` to shape those bodies.
    pub has_write_back: bool,
    /// Where wake times come from: `fn wake_at`, or derived from the condition.
    pub wake: Wake,
    /// Where each `fn` starts, for errors rhai reports without a position (such as
    /// running out of operations).
    pub fn_lines: Vec<(String, usize, usize)>,
}

impl Compiled {
    /// `err` placed at the start of script function `func` when rhai (or Baton, for a
    /// task the script asked for) gave it no position of its own.
    pub fn locate(&self, func: &str, mut err: ScriptError) -> ScriptError {
        if err.line.is_none() {
            if let Some((_, line, col)) = self.fn_lines.iter().find(|(n, _, _)| n == func) {
                err.line = Some(*line);
                err.column = Some(*col);
                err.message = format!("{} (in fn {func})", err.message);
            }
        }
        err
    }
}

fn fn_lines(source: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    for (i, line) in source.lines().enumerate() {
        if let Some(col) = line.find("fn ") {
            let rest = &line[col + 3..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && line[..col].trim().is_empty() {
                out.push((name, i + 1, col + 1));
            }
        }
    }
    out
}

fn constant(scope: &Scope, name: &str) -> Option<String> {
    scope
        .get_value::<rhai::ImmutableString>(name)
        .map(|s| s.to_string())
}

/// Compiles a script and checks its declarations; errors carry line and column.
pub fn compile(engine: &Engine, source: &str) -> Result<Compiled, ScriptError> {
    let ast = engine
        .compile(source)
        .map_err(|e| ScriptError::at(e.0.to_string(), e.1))?;
    let mut scope = Scope::new();
    engine
        .run_ast_with_scope(&mut scope, &ast)
        .map_err(ScriptError::from)?;
    let key = constant(&scope, "ID")
        .ok_or_else(|| ScriptError::at("missing `const ID = \"...\";`", Position::new(1, 1)))?;
    if key.is_empty()
        || key.len() > 64
        || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(ScriptError::plain(format!(
            "ID '{key}' must be 1-64 letters, digits or '_'"
        )));
    }
    let name = constant(&scope, "NAME").unwrap_or_else(|| key.clone());
    let watches = constant(&scope, "WATCHES").ok_or_else(|| {
        ScriptError::at(
            "missing `const WATCHES = \"order\";` (the record kind)",
            Position::new(1, 1),
        )
    })?;
    let project = constant(&scope, "PROJECT");
    let has = |name: &str, params: usize| {
        ast.iter_functions()
            .any(|f| f.name == name && f.params.len() == params)
    };
    if !has("condition", 2) {
        return Err(ScriptError::plain("missing `fn condition(r, prev)`"));
    }
    if !has("task", 1) {
        return Err(ScriptError::plain("missing `fn task(r)`"));
    }
    let has_wake_at = has("wake_at", 1);
    let wake = derive(&ast);
    Ok(Compiled {
        wake,
        key,
        name,
        watches,
        project,
        has_wake_at,
        write_back: constant(&scope, "WRITE_BACK"),
        has_write_back: has("write_back", 2),
        fn_lines: fn_lines(source),
        ast,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios::engine::build;

    const OK: &str = r#"
const ID = "po_over_5000";
const NAME = "PO above 5000";
const WATCHES = "purchase_order";
fn condition(r, prev) { cents(r.amount) > cents("5000") }
fn task(r) { #{ title: `PO ${r.id}`, nodes: [#{ handler: "admin", action: "approve" }] } }
"#;

    #[test]
    fn reads_declarations() {
        let c = compile(&build(), OK).unwrap();
        assert_eq!(
            (c.key.as_str(), c.watches.as_str()),
            ("po_over_5000", "purchase_order")
        );
        assert!(!c.has_wake_at);
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let e = compile(
            &build(),
            "const ID = \"x\";\nfn condition(r, prev) { r.a > }\n",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.column.is_some());
        assert!(e.to_string().starts_with("2:"), "{e}");
    }

    #[test]
    fn missing_parts_are_named() {
        let e = compile(
            &build(),
            "const ID = \"x\"; const WATCHES = \"order\"; fn task(r) { 1 }",
        )
        .unwrap_err();
        assert!(e.message.contains("condition"));
        let e = compile(&build(), "const WATCHES = \"order\";").unwrap_err();
        assert!(e.message.contains("ID"));
    }
}
