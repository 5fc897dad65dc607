//! Users, departments and roles, and signing in as a user.

pub mod departments;
pub mod login;
pub mod model;
pub mod passwords;
pub mod policy;
pub mod service;
pub mod two_factor;

pub use model::{username_key, Department, Language, Role, User};
