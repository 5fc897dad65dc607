//! Baton: a self-hosted collaboration server where ERP records become workflow tasks.
//!
//! `main.rs` only parses the command line; everything runs from here so tests can start
//! a real server with [`server::serve`] on a listener they bound themselves.

pub mod actor;
pub mod admin;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod board;
pub mod bootstrap;
pub mod cli;
pub mod commands;
pub mod config;
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

/// mimalloc instead of the system allocator, for the binary and for everything that
/// links this crate (tests, benchmarks), so benchmarks measure what the server runs.
/// Ingest and scenario evaluation allocate many small values (JSON, rhai maps, index
/// keys); measured with `cargo bench --bench scenarios -- ingest`: +8 % records/s on
/// the typical mix and +22 % on the heavy one over glibc's malloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
