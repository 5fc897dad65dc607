//! Baton: a self-hosted collaboration server where ERP records become workflow tasks.
//!
//! `main.rs` only parses the command line; everything runs from here so tests can start
//! a real server with [`server::serve`] on a listener they bound themselves.

pub mod actor;
pub mod admin;
pub mod allocator;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod blocking;
pub mod board;
pub mod bootstrap;
pub mod cli;
pub mod commands;
pub mod config;
pub mod connectors;
pub mod delivery;
pub mod effects;
pub mod erp;
pub mod error;
pub mod flow;
pub mod fs_private;
pub mod hooks;
pub mod http;
pub mod inbox;
pub mod markdown;
pub mod metrics;
pub mod money;
pub mod net;
pub mod org;
pub mod patch;
pub mod personal;
pub mod projects;
pub mod scenarios;
pub mod server;
pub mod state;
pub mod stats;
pub mod store;
pub mod tasklog;
pub mod tasks;
pub mod telemetry;
pub mod time;
