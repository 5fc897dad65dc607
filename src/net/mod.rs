//! Outbound connections on someone's behalf (webhooks, news feeds, the mail server):
//! which addresses are allowed ([`address`]) and the one HTTP client that keeps to it
//! ([`outbound`]).

pub mod address;
pub mod outbound;

pub use address::{AddressPolicy, Class, Refused};
pub use outbound::{explain, Failure, Options, Outbound, UrlError};
