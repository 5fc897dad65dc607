//! Web Push (RFC 8030) to the installed web app: a member subscribes a browser on the
//! Me page, and their notices reach it through the outbox like the other channels,
//! encrypted for that browser (RFC 8291) and signed with the server's VAPID key
//! (RFC 8292). A push service's 404/410 answer means the browser unsubscribed: the
//! device is forgotten and the notice is not retried.

pub mod crypto;
pub mod model;
pub mod send;
pub mod service;
