//! The builder's form: what an admin fills in instead of writing rhai. It is the
//! JSON the UI sends and gets back, and it is kept inside a builder-made script so
//! the script opens in the builder again.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A whole scenario as the builder's sections hold it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Form {
    /// `const ID`: letters, digits, '_'.
    pub id: String,
    /// `const NAME`, shown in the UI.
    pub name: String,
    /// `const WATCHES`: the record kind.
    pub kind: String,
    /// Any one condition is enough (`||`); by default all must hold (`&&`).
    pub any: bool,
    pub conditions: Vec<Condition>,
    /// Text with `${r.field}` placeholders.
    pub title: String,
    pub description: String,
    pub business_type: String,
    /// Empty, or low, normal, high, urgent.
    pub priority: String,
    /// Whole days as typed; empty leaves the task without a deadline.
    pub due_in_days: String,
    pub nodes: Vec<Node>,
    pub watchers: Vec<Who>,
    pub editors: Vec<Who>,
    pub escalation: Vec<Escalation>,
    pub on_finish: Vec<Who>,
    pub auto_close: bool,
}

/// One row of the conditions: field · operator · value.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Condition {
    pub field: String,
    pub op: Op,
    /// The value as typed; for `one_of` the items separated by commas; for the
    /// `older_than_*` operators the whole number N.
    pub value: String,
    /// Compare as a number (`r.qty == 5`) rather than as text (`r.qty == "5"`): the
    /// record's JSON type decides which one can ever be equal.
    pub number: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    #[default]
    Equals,
    NotEquals,
    Greater,
    Less,
    /// Exact money comparison through `cents`.
    MoneyAbove,
    MoneyBelow,
    Contains,
    IsEmpty,
    NotEmpty,
    OneOf,
    /// A time field older than N days: `days_since(r.f) > N`.
    OlderThanDays,
    OlderThanHours,
    /// The previous version had another value and this one has `value`.
    ChangedTo,
    /// The previous version had `value` and this one has another.
    ChangedFrom,
}

impl Op {
    pub const ALL: [Op; 14] = [
        Op::Equals,
        Op::NotEquals,
        Op::Greater,
        Op::Less,
        Op::MoneyAbove,
        Op::MoneyBelow,
        Op::Contains,
        Op::IsEmpty,
        Op::NotEmpty,
        Op::OneOf,
        Op::OlderThanDays,
        Op::OlderThanHours,
        Op::ChangedTo,
        Op::ChangedFrom,
    ];

    /// Whether the row has a value box at all.
    pub fn takes_value(self) -> bool {
        !matches!(self, Op::IsEmpty | Op::NotEmpty)
    }
}

/// Who: a user, a department's admin, everyone with a role, or a record field that
/// holds a username (such as `buyer`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "by", content = "value", rename_all = "snake_case")]
pub enum Who {
    User(String),
    /// `responsible("dept")`: its admin, or the first company admin without one.
    DepartmentAdmin(String),
    /// `users_with_role("role")`; as a node's handler the first of them.
    Role(String),
    /// `r.field`.
    Field(String),
}

impl Who {
    pub fn value(&self) -> &str {
        match self {
            Who::User(v) | Who::DepartmentAdmin(v) | Who::Role(v) | Who::Field(v) => v,
        }
    }
}

/// One workflow step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Node {
    pub handler: Who,
    #[serde(default)]
    pub action: String,
    /// Whole days as typed; empty: the task's deadline.
    #[serde(default)]
    pub due_in_days: String,
}

/// Not finished in time: tell people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    /// Whole hours as typed.
    pub after_hours: String,
    /// Counted from the due time (`false`) or from the task's creation (`true`).
    #[serde(default)]
    pub from_created: bool,
    pub notify: Vec<Who>,
}
