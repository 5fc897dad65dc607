#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The one integration-test binary (each file directly in `tests/` would be another
//! binary to link). Every test starts a real server on a fresh temporary data dir.

mod admin_cli;
mod attachments;
mod auth;
mod authz;
mod backup;
mod bad_input;
mod board;
mod chat_apps;
mod custom_fields;
mod delivery;
mod demo_cli;
mod erp;
mod erp_cli;
mod erp_upload;
mod first_hour;
mod flow_api;
mod harness;
mod inbound_hooks;
mod keys;
mod kill_loop;
mod layering;
mod openapi;
mod org;
mod outbound;
mod reminders;
mod static_assets;
mod stats;
mod trust;
mod two_factor;
mod web_push;
