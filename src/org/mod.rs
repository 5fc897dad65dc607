//! Users, departments and roles.

pub mod model;
pub mod policy;
pub mod service;

pub use model::{Department, Language, Role, User};
