//! Projects, their members, business types (业务类型) and custom fields (自定义字段).

pub mod fields;
pub mod model;
pub mod service;

pub use model::{Builtin, Project, ProjectView};
