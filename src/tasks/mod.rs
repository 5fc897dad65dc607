//! The task service: create, edit, copy, move, delete and archive tasks; run flow
//! operations through `flow`; comments, the task log, templates, attachments, the
//! personal and project views, and reminders.

pub mod attachments;
pub mod comments;
pub mod conditions;
pub mod context;
pub mod field_reports;
pub mod lists;
pub mod log;
pub mod node_kinds;
pub mod operate;
pub mod record;
pub mod reminders;
pub mod schema_5;
pub mod service;
pub mod templates;
pub mod todo_cache;
pub mod view;

#[cfg(test)]
mod todo_tests;
