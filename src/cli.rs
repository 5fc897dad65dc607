//! Command-line interface. Every flag that has an environment variable says so in
//! `--help`; precedence is flag > `BATON_*` env > config file > default.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::actor::Role;
use crate::erp::column_types::ColumnTypes;
use crate::erp::text_encoding::TextEncoding;

#[derive(Debug, Parser)]
#[command(name = "baton", version, about = "Baton: ERP records become workflow tasks that pass from handler to handler.", long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args, Default)]
pub struct GlobalArgs {
    /// Data directory: database, backups, uploads and the admin socket [default: ./baton-data; for `demo`: a new temporary directory]
    #[arg(long, global = true, env = "BATON_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// TOML configuration file (see packaging/baton.example.toml)
    #[arg(long, global = true, env = "BATON_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server
    Serve(ServeArgs),
    /// Manage users (works while the server runs, through its admin socket)
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens for the ERP and scripts
    #[command(subcommand)]
    Token(TokenCommand),
    /// Write a backup file of everything but sessions
    Backup(BackupArgs),
    /// Restore a backup file into an empty data directory (--data)
    Restore(RestoreArgs),
    /// Check, try and install scenario scripts
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Import a CSV or JSON-lines export of ERP records
    Import(ImportArgs),
    /// Start a server with a demo company, the shipped scenarios and ERP records, in a new
    /// temporary directory deleted on exit (--data/BATON_DATA: an empty directory instead)
    Demo(DemoArgs),
    /// Print the version
    Version,
}

#[derive(Debug, Clone, Args, Default)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "BATON_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Public URL of this server, used in links (e.g. https://baton.example.com)
    #[arg(long, env = "BATON_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Log format: text or json [default: text]
    #[arg(long, env = "BATON_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// Database cache in MiB: memory kept for recently read data [default: 16]
    #[arg(long, env = "BATON_CACHE_CAPACITY_MB", value_name = "MIB")]
    pub cache_capacity_mb: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from a prompt or standard input
    Add {
        username: String,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// company_admin, department_admin or member
        #[arg(long, default_value = "member", value_parser = parse_role)]
        role: Role,
        /// Department id
        #[arg(long)]
        department: Option<u64>,
        /// Member of the ERP Notifications project
        #[arg(long)]
        erp: bool,
        /// Read the password from standard input instead of prompting
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users
    List,
    /// Set a user's password (ends their sessions)
    Passwd {
        username: String,
        /// Read the password from standard input instead of prompting
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change a user's role
    SetRole {
        username: String,
        /// company_admin, department_admin or member
        #[arg(value_parser = parse_role)]
        role: Role,
    },
    /// Disable a user (ends their sessions); --enable turns them back on
    Disable {
        username: String,
        #[arg(long)]
        enable: bool,
    },
    /// Remove a user's two-factor sign-in (they lost their phone): their next login asks
    /// for no code, or has them set it up again where the company requires it. Audited;
    /// their sessions and API tokens are not touched
    #[command(name = "reset-2fa")]
    Reset2fa { username: String },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token; it is printed once
    Create {
        /// A name saying what uses it, e.g. "erp"
        #[arg(long)]
        name: String,
        /// Scope: erp:write or read (repeatable)
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// User whose read rights a `read` token carries [default: the first company admin]
        #[arg(long)]
        owner: Option<String>,
    },
    /// List tokens (never their secrets)
    List,
    /// Revoke a token by id
    Revoke { id: u64 },
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Compile scenario files; prints file:line:col: message for each error
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Run the test cases of a directory's scenarios (NAME.cases.json beside NAME.rhai)
    /// or of one file; with --record, show the task one file would create for one record
    Test {
        /// A directory, or one .rhai file
        path: PathBuf,
        /// A record as JSON: {"kind","id","data":{...}}
        #[arg(long, value_name = "REC.json")]
        record: Option<PathBuf>,
        /// Evaluate at this time (RFC 3339) instead of now
        #[arg(long)]
        now: Option<String>,
    },
    /// Install or update every *.rhai file of a directory with its NAME.cases.json (running
    /// server or stopped data directory); a file whose cases fail is not loaded
    Load {
        dir: PathBuf,
        /// Load files whose cases fail too; the version comment says how many failed
        #[arg(long)]
        save_anyway: bool,
    },
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A .csv file (with an `id` column) or a .jsonl / .ndjson file
    pub file: PathBuf,
    /// Record kind: order, purchase_order, stock, shipment, or any other
    #[arg(long)]
    pub kind: String,
    /// Types for some CSV columns, e.g. `amount=money,qty=int,paid_at=time`; the other
    /// columns stay text exactly as written. money: at most two decimals, kept as
    /// written; int: a 64-bit integer; time: RFC 3339, `YYYY-MM-DD HH:MM:SS` or
    /// `YYYY-MM-DD`, stored as RFC 3339 UTC. An empty cell becomes null
    #[arg(long, value_name = "COLUMN=TYPE,...")]
    pub types: Option<ColumnTypes>,
    /// Encoding of a file without a byte-order mark: utf-8 (the default), gb18030
    /// (also GBK) or utf-16 (little-endian); a byte-order mark always decides
    #[arg(long, value_name = "ENCODING")]
    pub encoding: Option<TextEncoding>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Write the demo company into the --data/BATON_DATA directory even if it is not
    /// empty (without it, Baton asks on a terminal and refuses otherwise)
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// File to write; refused if it exists
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// Backup file written by `baton backup`
    pub file: PathBuf,
    /// Restore into a non-empty data directory, moving its database aside
    #[arg(long)]
    pub force: bool,
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s)
        .ok_or_else(|| format!("'{s}' is not a role: company_admin, department_admin or member"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_user_add() {
        let cli = Cli::try_parse_from([
            "baton",
            "--data",
            "/x",
            "user",
            "add",
            "bob",
            "--role",
            "member",
            "--password-stdin",
        ])
        .unwrap();
        assert!(
            matches!(cli.command, Command::User(UserCommand::Add { ref username, password_stdin: true, .. }) if username == "bob")
        );
        assert!(Cli::try_parse_from(["baton", "user", "add", "bob", "--role", "king"]).is_err());
    }
}
