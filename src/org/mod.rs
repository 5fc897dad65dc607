//! Users, departments and roles.

pub mod model;
pub mod policy;
pub mod service;

pub use model::{username_key, Department, Language, Role, User};
