//! Form → rhai source, in the shape of the shipped `rules/*.rhai`: the three
//! constants, `fn condition(r, prev)` and `fn task(r)`. The form itself rides along
//! on the last line so [`super::parse`] can open the script in the builder again.

use std::fmt::Write as _;

use super::form::{Condition, Escalation, Form, Node, Op, Who};

/// First line of every builder-made script.
pub const MARK: &str = "// baton-builder v1";
/// Prefix of the last line, followed by the form as JSON.
pub const FORM_LINE: &str = "// baton-builder-form ";

/// A rhai string literal: JSON's escaping is a subset rhai reads the same way.
pub fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| String::from("\"\""))
}

/// The script for `form`. It is written even when the form has problems (the UI
/// shows it live); [`super::validate::problems`] says whether it may be saved.
pub fn render(form: &Form) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{MARK}: made with the scenario builder (Admin → Scenarios); edited by hand it opens in the code editor."
    );
    let _ = writeln!(out, "const ID = {};", quote(&form.id));
    let _ = writeln!(out, "const NAME = {};", quote(&form.name));
    let _ = writeln!(out, "const WATCHES = {};", quote(&form.kind));
    out.push('\n');
    out.push_str("fn condition(r, prev) {\n");
    out.push_str(&condition_body(form));
    out.push_str("}\n\nfn task(r) {\n    #{\n");
    for (key, value) in task_entries(form) {
        let _ = writeln!(out, "        {key}: {value},");
    }
    out.push_str("    }\n}\n");
    let json = serde_json::to_string(form).unwrap_or_default();
    let _ = writeln!(out, "{FORM_LINE}{json}");
    out
}

fn condition_body(form: &Form) -> String {
    if form.conditions.is_empty() {
        return "    true\n".into();
    }
    let join = if form.any { "||" } else { "&&" };
    let many = form.conditions.len() > 1;
    let mut out = String::new();
    for (i, c) in form.conditions.iter().enumerate() {
        let mut e = condition(c);
        // `a && b` inside `||` (or the other way round) keeps its own meaning.
        if many && (e.contains("&&") || e.contains("||")) {
            e = format!("({e})");
        }
        if i == 0 {
            let _ = writeln!(out, "    {e}");
        } else {
            let _ = writeln!(out, "        {join} {e}");
        }
    }
    out
}

/// The literal a value compares with: a number as typed, or text.
fn literal(c: &Condition, v: &str) -> String {
    let v = v.trim();
    if c.number {
        v.to_string()
    } else {
        quote(v)
    }
}

/// One condition row as a rhai expression.
pub fn condition(c: &Condition) -> String {
    let f = &c.field;
    let lit = literal(c, &c.value);
    match c.op {
        Op::Equals => format!("r.{f} == {lit}"),
        Op::NotEquals => format!("r.{f} != {lit}"),
        Op::Greater => format!("r.{f} > {}", c.value.trim()),
        Op::Less => format!("r.{f} < {}", c.value.trim()),
        Op::MoneyAbove => format!("cents(r.{f}) > cents({})", quote(c.value.trim())),
        Op::MoneyBelow => format!("cents(r.{f}) < cents({})", quote(c.value.trim())),
        Op::Contains => format!("(r.{f} ?? \"\").to_string().contains({})", quote(&c.value)),
        Op::IsEmpty => format!("(r.{f} == () || r.{f} == \"\")"),
        Op::NotEmpty => format!("(r.{f} != () && r.{f} != \"\")"),
        Op::OneOf => {
            let items: Vec<String> = one_of_items(&c.value)
                .iter()
                .map(|v| literal(c, v))
                .collect();
            format!("r.{f} in [{}]", items.join(", "))
        }
        Op::OlderThanDays => format!("days_since(r.{f}) > {}", c.value.trim()),
        Op::OlderThanHours => format!("hours_since(r.{f}) > {}", c.value.trim()),
        Op::ChangedTo => format!("prev != () && prev.{f} != {lit} && r.{f} == {lit}"),
        Op::ChangedFrom => format!("prev != () && prev.{f} == {lit} && r.{f} != {lit}"),
    }
}

/// The items of a `one_of` value: comma-separated (also the Chinese comma), trimmed.
pub fn one_of_items(v: &str) -> Vec<String> {
    v.split([',', '，'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// Title and description: a template string when they have placeholders.
fn text(s: &str) -> String {
    if s.contains("${") {
        format!("`{s}`")
    } else {
        quote(s)
    }
}

/// One person for a node's handler.
fn handler(w: &Who) -> String {
    match w {
        Who::User(u) => quote(u),
        Who::DepartmentAdmin(d) => format!("responsible({})", quote(d)),
        Who::Role(r) => format!("users_with_role({})[0]", quote(r)),
        Who::Field(f) => format!("r.{f}"),
    }
}

/// A list of people: single people gathered in brackets, roles added as whole lists.
fn people(list: &[Who]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut single: Vec<String> = Vec::new();
    for w in list {
        match w {
            Who::Role(r) => {
                if !single.is_empty() {
                    parts.push(format!("[{}]", single.join(", ")));
                    single.clear();
                }
                parts.push(format!("users_with_role({})", quote(r)));
            }
            other => single.push(handler(other)),
        }
    }
    if !single.is_empty() {
        parts.push(format!("[{}]", single.join(", ")));
    }
    parts.join(" + ")
}

fn node(n: &Node) -> String {
    let mut s = format!("#{{ handler: {}", handler(&n.handler));
    if !n.action.is_empty() {
        let _ = write!(s, ", action: {}", text(&n.action));
    }
    if !n.due_in_days.trim().is_empty() {
        let _ = write!(s, ", due_in_days: {}", n.due_in_days.trim());
    }
    s.push_str(" }");
    s
}

fn escalation(e: &Escalation) -> String {
    let from = if e.from_created { "created" } else { "due" };
    format!(
        "#{{ after_hours: {}, from: \"{from}\", notify: {} }}",
        e.after_hours.trim(),
        people(&e.notify)
    )
}

/// A list of items, one per line when there are several.
fn list(items: Vec<String>) -> String {
    match items.len() {
        0 => "[]".into(),
        1 => format!("[ {} ]", items[0]),
        _ => {
            let mut s = String::from("[\n");
            for i in items {
                let _ = writeln!(s, "            {i},");
            }
            s.push_str("        ]");
            s
        }
    }
}

fn task_entries(form: &Form) -> Vec<(&'static str, String)> {
    let mut e = vec![("title", text(&form.title))];
    if !form.description.is_empty() {
        e.push(("description", text(&form.description)));
    }
    if !form.business_type.is_empty() {
        e.push(("business_type", quote(&form.business_type)));
    }
    if !form.priority.is_empty() {
        e.push(("priority", quote(&form.priority)));
    }
    if !form.due_in_days.trim().is_empty() {
        e.push(("due_in_days", form.due_in_days.trim().to_string()));
    }
    e.push(("nodes", list(form.nodes.iter().map(node).collect())));
    for (key, who) in [("watchers", &form.watchers), ("editors", &form.editors)] {
        if !who.is_empty() {
            e.push((key, people(who)));
        }
    }
    if !form.escalation.is_empty() {
        e.push((
            "escalation",
            list(form.escalation.iter().map(escalation).collect()),
        ));
    }
    if !form.on_finish.is_empty() {
        e.push(("on_finish", people(&form.on_finish)));
    }
    if form.auto_close {
        e.push(("auto_close", "true".into()));
    }
    e
}
