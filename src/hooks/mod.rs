//! Inbound webhooks: a shop or an ERP that can send a webhook, but cannot call
//! `POST /api/erp/records`, posts to `POST /api/hooks/{name}`. Baton checks the
//! sender (an HMAC signature over the raw body, or a bearer token), turns the payload
//! into ERP records with the hook's rhai `fn map(payload, headers)`, and stores them
//! through the same push path as the ERP's own records, so scenarios fire alike.
//!
//! - `model`: the hook and its delivery log as stored;
//! - `verify`: the signature and token checks (pure);
//! - `presets`: Shopify, WooCommerce and generic settings with ready mappings;
//! - `mapping`: compiling and running a mapping in the scenario sandbox;
//! - `admin`: what company admins do with hooks;
//! - `receive`: one delivery, from raw request to stored records.

pub mod admin;
pub mod mapping;
pub mod model;
pub mod presets;
pub mod receive;
pub mod verify;

pub use model::{HookDelivery, InboundHook};
