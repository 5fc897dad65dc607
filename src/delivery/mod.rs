//! Delivery channels: notices reach people by e-mail (SMTP) and chat webhooks (WeCom,
//! DingTalk, Feishu, Slack, generic signed JSON), personal messages in the team's chat
//! app ([`apps`]: WeCom, DingTalk, Feishu), through a durable outbox.
//!
//! Every inbox message may cause outbox items, staged by [`outbox::enqueue`] in the
//! same write as the message (so none is lost when the event is committed, and none
//! exists when it is not). The [`worker`] takes due items, marks them `sending` with a
//! lease, sends with bounded concurrency and time-outs, then marks them `sent`, or
//! `pending` again with exponential backoff, or `failed` after the last try.
//!
//! Delivery is **at least once**: a crash exactly between the remote accepting a notice
//! and our "sent" mark re-sends it once after the lease expires. Webhook requests carry
//! `X-Baton-Delivery: <outbox id>` (and e-mails a stable `Message-ID`) so receivers can
//! drop that duplicate.

pub mod apps;
pub mod channel;
pub mod failure;
pub mod model;
pub mod notice;
pub mod outbox;
pub mod owner_hooks;
pub mod prefs;
pub mod presets;
pub mod push;
pub mod send;
pub mod service;
pub mod test_send;
pub mod worker;
pub mod write_back;

pub use model::{OutboxItem, OutboxStatus, Smtp, SmtpTls, Webhook, WebhookKind};
