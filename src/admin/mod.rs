//! Administration from the server's console: `baton user|token|backup`.
//!
//! The database locks its directory, so while a server runs the CLI cannot open the database.
//! The server therefore listens on a Unix socket inside the data directory (mode 0600:
//! only its own OS user, or root, can connect), and the CLI sends the same requests
//! there; on a stopped data directory the CLI runs them itself. Either way the work is
//! done by [`exec::execute`].

pub mod client;
pub mod exec;
pub mod protocol;
pub mod socket;
