//! Messages to individuals in the team's chat app: WeCom (企业微信) self-built apps,
//! DingTalk (钉钉) internal apps and Feishu/Lark (飞书) custom apps.
//!
//! Unlike the group robots of [`super::presets`], these speak as the company's own
//! app to one person: an access token is fetched with the app's credentials, cached
//! until shortly before it expires ([`tokens`]), and refreshed once when the app
//! answers that it is expired or invalid ([`client`]). What is sent and how each app's
//! answer is read is pure ([`api`], [`message`]); the records and their admin and
//! member settings are in [`model`] and [`service`].
//!
//! Notices go through the durable outbox like every other channel: a target
//! `chat_app` per linked app, resolved to credentials and the member's app user id
//! when it is sent.

pub mod api;
pub mod client;
pub mod import;
pub mod message;
pub mod model;
pub mod service;
pub mod tokens;

pub use model::{AppCredentials, AppKind};
