//! What is wrong with a form, per field, before anything is rendered or saved. Each
//! problem names the field by path (`conditions[0].value`) so the UI shows it there,
//! and a code the UI translates; the message is the English fallback.

use serde::Serialize;
use utoipa::ToSchema;

use super::form::{Condition, Form, Op, Who};
use super::render::one_of_items;
use crate::scenarios::engine::cents_of_str;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Problem {
    /// Where in the form: `title`, `conditions[0].value`, `nodes[1].handler`.
    pub path: String,
    /// Stable code, e.g. `required`, `bad_field`, `not_money`, `not_positive_int`.
    pub code: String,
    pub message: String,
}

/// Ten years: a deadline further out is a typo, and keeps dates far from overflow.
const MAX_DAYS: u32 = 3650;
const MAX_HOURS: u32 = 24 * MAX_DAYS;

struct Problems(Vec<Problem>);

impl Problems {
    fn add(&mut self, path: impl Into<String>, code: &str, message: impl Into<String>) {
        self.0.push(Problem {
            path: path.into(),
            code: code.into(),
            message: message.into(),
        });
    }

    fn required(&mut self, path: impl Into<String>, value: &str, what: &str) -> bool {
        if value.trim().is_empty() {
            self.add(path, "required", format!("{what} is required"));
            return false;
        }
        true
    }

    /// A record field as the script reads it: `r.name`.
    fn field(&mut self, path: impl Into<String>, name: &str) {
        let path = path.into();
        if self.required(path.clone(), name, "a field") && !is_ident(name) {
            self.add(
                path,
                "bad_field",
                format!("'{name}' is not a field name: letters, digits and '_', not starting with a digit, no spaces"),
            );
        }
    }

    /// No backtick (it would end the script's text) and `${` only as `${r.field}`.
    fn text(&mut self, path: &str, s: &str) {
        if s.contains('`') {
            self.add(path, "backtick", "a backtick (`) cannot be used here");
        }
        let mut rest = s;
        while let Some(i) = rest.find("${") {
            let after = &rest[i + 2..];
            let ok = after
                .find('}')
                .is_some_and(|end| after[..end].strip_prefix("r.").is_some_and(is_ident));
            if !ok {
                self.add(
                    path,
                    "bad_placeholder",
                    "a placeholder is written ${r.field}, with a field name inside",
                );
                return;
            }
            rest = after;
        }
    }

    /// A whole number within `range` (days or hours): what keeps a deadline in range.
    fn whole(&mut self, path: &str, s: &str, range: std::ops::RangeInclusive<u32>) {
        if !s.trim().parse::<u32>().is_ok_and(|n| range.contains(&n)) {
            let (lo, hi) = (range.start(), range.end());
            self.add(
                path,
                if *lo == 0 {
                    "not_whole"
                } else {
                    "not_positive_int"
                },
                format!("'{}' is not a whole number from {lo} to {hi}", s.trim()),
            );
        }
    }

    fn people(&mut self, path: &str, list: &[Who]) {
        for (i, w) in list.iter().enumerate() {
            self.who(&format!("{path}[{i}]"), w);
        }
    }

    fn who(&mut self, path: &str, w: &Who) {
        match w {
            Who::Field(f) => self.field(path, f),
            Who::Role(r) => {
                if crate::actor::Role::parse(r).is_none() {
                    self.add(
                        path,
                        "bad_role",
                        format!("'{r}' is not a role: company_admin, department_admin or member"),
                    );
                }
            }
            Who::User(v) | Who::DepartmentAdmin(v) => {
                if v.trim().is_empty() {
                    self.add(
                        path,
                        "no_handler",
                        "say who: a user, a department, a role or a field",
                    );
                }
            }
        }
    }
}

/// `[A-Za-z_][A-Za-z0-9_]*`: what `r.name` can read.
pub fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn positive_int(s: &str) -> bool {
    s.trim()
        .parse::<u32>()
        .is_ok_and(|n| (1..=MAX_HOURS).contains(&n))
}

fn number(s: &str) -> bool {
    let s = s.trim();
    (s.parse::<i64>().is_ok() || s.parse::<f64>().is_ok_and(f64::is_finite))
        && !s.contains(['e', 'E', 'i', 'I', 'n', 'N'])
        && !s.starts_with('+')
        && !s.ends_with('.')
        && !s.starts_with('.')
}

fn condition(p: &mut Problems, i: usize, c: &Condition) {
    let at = |f: &str| format!("conditions[{i}].{f}");
    p.field(at("field"), &c.field);
    let value = c.value.trim();
    if c.op.takes_value() && !p.required(at("value"), value, "a value") {
        return;
    }
    match c.op {
        Op::Greater | Op::Less if !number(value) => p.add(
            at("value"),
            "not_number",
            format!("'{value}' is not a number"),
        ),
        Op::MoneyAbove | Op::MoneyBelow if cents_of_str(value).is_err() => p.add(
            at("value"),
            "not_money",
            format!("'{value}' is not an amount such as 5000 or 5000.50"),
        ),
        Op::OlderThanDays | Op::OlderThanHours if !positive_int(value) => p.add(
            at("value"),
            "not_positive_int",
            format!("'{value}' is not a whole number above 0"),
        ),
        Op::OneOf if c.number && !one_of_items(value).iter().all(|v| number(v)) => {
            p.add(at("value"), "not_number", "every item must be a number")
        }
        Op::Equals | Op::NotEquals | Op::ChangedTo | Op::ChangedFrom
            if c.number && !number(value) =>
        {
            p.add(
                at("value"),
                "not_number",
                format!("'{value}' is not a number"),
            )
        }
        _ => {}
    }
}

/// Every problem in `form`; empty when it may be saved.
pub fn problems(form: &Form) -> Vec<Problem> {
    let mut p = Problems(Vec::new());
    if p.required("id", &form.id, "an id")
        && (form.id.len() > 64
            || !form
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_'))
    {
        p.add("id", "bad_id", "an id is 1-64 letters, digits or '_'");
    }
    p.required("name", &form.name, "a name");
    p.required("kind", &form.kind, "a record kind");
    for (i, c) in form.conditions.iter().enumerate() {
        condition(&mut p, i, c);
    }
    if p.required("title", &form.title, "a title") {
        p.text("title", &form.title);
    }
    p.text("description", &form.description);
    if !["", "low", "normal", "high", "urgent"].contains(&form.priority.as_str()) {
        p.add("priority", "bad_priority", "low, normal, high or urgent");
    }
    if form.nodes.is_empty() {
        p.add("nodes", "no_nodes", "a task needs at least one step");
    }
    if !form.due_in_days.trim().is_empty() {
        p.whole("due_in_days", &form.due_in_days, 0..=MAX_DAYS);
    }
    for (i, n) in form.nodes.iter().enumerate() {
        p.who(&format!("nodes[{i}].handler"), &n.handler);
        if !n.due_in_days.trim().is_empty() {
            p.whole(
                &format!("nodes[{i}].due_in_days"),
                &n.due_in_days,
                0..=MAX_DAYS,
            );
        }
        p.text(&format!("nodes[{i}].action"), &n.action);
    }
    p.people("watchers", &form.watchers);
    p.people("editors", &form.editors);
    p.people("on_finish", &form.on_finish);
    for (i, e) in form.escalation.iter().enumerate() {
        p.whole(
            &format!("escalation[{i}].after_hours"),
            &e.after_hours,
            1..=MAX_HOURS,
        );
        if !e.from_created && form.due_in_days.trim().is_empty() {
            p.add(
                format!("escalation[{i}].from_created"),
                "needs_due",
                "counting from the due time needs the task's due in days",
            );
        }
        if e.notify.is_empty() {
            p.add(
                format!("escalation[{i}].notify"),
                "no_handler",
                "say whom to notify",
            );
        }
        p.people(&format!("escalation[{i}].notify"), &e.notify);
    }
    p.0
}
