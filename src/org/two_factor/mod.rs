//! Two-factor sign-in: a TOTP secret per user with ten single-use recovery codes, the
//! company's policy of who must have one, and the short-lived challenges between the
//! password step and the code step of a login (the login itself is `org::login`).

pub mod challenge;
pub mod model;
pub mod recovery;
pub mod service;

pub use model::{Requirement, TwoFactor, TwoFactorPolicy};
pub use service::{must_enrol, policy, Enrolment, TwoFactorStatus};
