//! Projects, their members and business types (业务类型).

pub mod model;
pub mod service;

pub use model::{Builtin, Project, ProjectView};
