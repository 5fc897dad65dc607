//! The `baton` executable: parse the command line, start logging, dispatch, and turn
//! errors into a message and an exit code.

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use baton::admin::{client, protocol::AdminRequest};
use baton::cli::{Cli, Command, DemoArgs, RulesCommand, ServeArgs, TokenCommand, UserCommand};
use baton::config::Config;
use baton::{backup, commands, server, telemetry};
use clap::Parser;

fn main() -> ExitCode {
    baton::allocator::configure();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let serve_args = match &cli.command {
        Command::Serve(a) => a.clone(),
        _ => ServeArgs::default(),
    };
    let config = Config::resolve(&cli.global, &serve_args).map_err(|e| e.to_string())?;
    telemetry::init(config.log_format);
    match cli.command {
        Command::Serve(_) => serve(config),
        Command::User(cmd) => admin(&config, user_request(cmd)?),
        Command::Token(cmd) => admin(&config, token_request(cmd)),
        Command::Backup(args) => {
            let h = client::backup(&config, &args.out).map_err(|e| e.to_string())?;
            println!(
                "wrote {} ({} entries: {})",
                args.out.display(),
                h.entries,
                counts(&h)
            );
            Ok(())
        }
        Command::Restore(args) => {
            let h = backup::restore(&args.file, &config.data_dir, args.force, chrono::Utc::now())
                .map_err(|e| e.to_string())?;
            println!(
                "restored {} into {} (backup of {} by Baton {}; {} entries: {})",
                args.file.display(),
                config.data_dir.display(),
                h.created_at.to_rfc3339(),
                h.baton_version,
                h.entries,
                counts(&h)
            );
            Ok(())
        }
        Command::Rules(cmd) => match cmd {
            RulesCommand::Check { files } => commands::rules::check(&files),
            RulesCommand::Test { path, record, now } => match record {
                Some(record) => commands::rules::test(&config, &path, &record, now.as_deref()),
                None => commands::rules::test_cases(&config, &path, now.as_deref()),
            },
            RulesCommand::Load { dir, save_anyway } => {
                commands::rules::load(&config, &dir, save_anyway)
            }
        },
        Command::Import(args) => {
            let options = commands::import::Options {
                types: args.types,
                encoding: args.encoding,
            };
            let s = commands::import::run(&config, &args.file, &args.kind, &options)?;
            println!(
                "imported {}: {} new, {} updated, {} unchanged, {} rejected; {} tasks created",
                args.file.display(),
                s.new,
                s.updated,
                s.unchanged,
                s.rejected.len(),
                s.tasks_created
            );
            for (line, reason) in &s.rejected {
                println!("  line {line}: {reason}");
            }
            Ok(())
        }
        Command::Demo(args) => demo(cli.global.data.is_some(), config, args),
        Command::Version => {
            println!("baton {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
    }
}

fn counts(h: &backup::Header) -> String {
    h.counts
        .iter()
        .filter(|(k, _)| !k.starts_with("ix/") && !k.starts_with("meta"))
        .map(|(k, v)| format!("{v} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `baton demo`: a demo company on a temporary (or the given, empty) data directory.
fn demo(data_given: bool, mut config: Config, args: DemoArgs) -> Result<(), String> {
    let _temp = if data_given {
        // The demo prints passwords for made-up accounts: never mix them into real data
        // (the Docker image sets BATON_DATA=/data) without the operator saying so.
        if !args.yes && !is_empty_dir(&config.data_dir)? && !confirm_demo_into(&config.data_dir)? {
            return Err(format!(
                "{} is not empty; `baton demo` writes demo accounts, projects and tasks into it. \
                 Use an empty directory, leave out --data/BATON_DATA for a temporary one, \
                 or add --yes",
                config.data_dir.display()
            ));
        }
        None
    } else {
        let dir = tempfile::Builder::new()
            .prefix("baton-demo-")
            .tempdir()
            .map_err(|e| format!("cannot make a temporary directory: {e}"))?;
        config.data_dir = dir.path().to_path_buf();
        config.backup.dir = dir.path().join("backups");
        Some(dir)
    };
    config.listen = args.listen;
    let (store, generated) = server::prepare(&config).map_err(|e| e.to_string())?;
    let scenarios = baton::scenarios::registry::Scenarios::new();
    scenarios.reload(&store).map_err(|e| e.to_string())?;
    let logins =
        commands::demo::seed(&store, &scenarios, chrono::Utc::now()).map_err(|e| e.to_string())?;
    drop(store);
    if _temp.is_some() {
        println!(
            "Baton demo company in the temporary directory {} (deleted when Baton stops)",
            config.data_dir.display()
        );
    } else {
        println!("Baton demo company in {}", config.data_dir.display());
    }
    if let Some(p) = &generated {
        println!("  admin / {p}   (company admin)");
    }
    for l in &logins {
        println!("  {} / {}   ({})", l.username, l.password, l.about);
    }
    if logins.is_empty() {
        println!("  (the demo company already exists in this directory; passwords were printed when it was made)");
    }
    serve_with(config, None)
}

/// True if `dir` does not exist or holds nothing.
fn is_empty_dir(dir: &std::path::Path) -> Result<bool, String> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(format!("cannot read {}: {e}", dir.display())),
    }
}

/// Asks on a terminal whether to write the demo into a non-empty `dir`; false when
/// nobody can answer (no terminal), so scripts and containers are refused.
fn confirm_demo_into(dir: &std::path::Path) -> Result<bool, String> {
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    eprint!(
        "{} is not empty. Write demo accounts, projects and tasks into it? [y/N] ",
        dir.display()
    );
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| format!("cannot read the answer: {e}"))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

fn serve(config: Config) -> Result<(), String> {
    serve_with(config, Some(()))
}

fn serve_with(config: Config, print_admin: Option<()>) -> Result<(), String> {
    // Store calls run on the blocking pool, bounded for memory: see the constant.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(baton::server::BLOCKING_THREADS)
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let db_dir = config.db_dir();
    let served = runtime.block_on(async move {
        if let Some(path) = &config.loaded_from {
            tracing::info!(file = %path.display(), "configuration loaded");
        }
        let (store, generated) = server::prepare(&config).map_err(|e| e.to_string())?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        if let (Some(password), Some(())) = (generated, print_admin) {
            println!("Created the company admin. Log in as 'admin' with password: {password}");
            println!("(shown only once; change it under the user menu)");
        }
        println!(
            "Baton is running at http://{addr}/  (data: {})",
            config.data_dir.display()
        );
        tracing::info!(%addr, data = %config.data_dir.display(), "listening");
        server::serve(config, store, listener, server::shutdown_signal())
            .await
            .map_err(|e| e.to_string())
    });
    // Every task holding the database ends with the runtime; then it is closed and
    // can be checkpointed for a fast next start.
    runtime.shutdown_timeout(std::time::Duration::from_secs(10));
    if served.is_ok() {
        checkpoint(&db_dir);
    }
    served
}

/// [`Store::checkpoint`] after a clean stop; a failure only costs the next start time.
fn checkpoint(db_dir: &std::path::Path) {
    let started = std::time::Instant::now();
    match baton::store::Store::checkpoint(db_dir) {
        Ok(()) => tracing::info!(
            ms = started.elapsed().as_millis() as u64,
            "database checkpointed for a fast next start"
        ),
        Err(e) => {
            tracing::warn!(error = %e, "database not checkpointed; the next start replays its log")
        }
    }
}

fn admin(config: &Config, req: AdminRequest) -> Result<(), String> {
    let text = client::run(config, req).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}

/// Reads a password from standard input (`--password-stdin`) or an interactive prompt;
/// never from argv, where other users could see it.
fn read_password(from_stdin: bool) -> Result<String, String> {
    if from_stdin || !std::io::stdin().is_terminal() {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("cannot read the password: {e}"))?;
        let p = s.lines().next().unwrap_or("").to_string();
        if p.is_empty() {
            return Err("no password on standard input".into());
        }
        return Ok(p);
    }
    let p = rpassword::prompt_password("Password: ")
        .map_err(|e| format!("cannot read the password: {e}"))?;
    let again = rpassword::prompt_password("Again: ")
        .map_err(|e| format!("cannot read the password: {e}"))?;
    if p != again {
        return Err("the passwords differ".into());
    }
    Ok(p)
}

fn user_request(cmd: UserCommand) -> Result<AdminRequest, String> {
    Ok(match cmd {
        UserCommand::Add {
            username,
            display_name,
            email,
            role,
            department,
            erp,
            password_stdin,
        } => AdminRequest::UserAdd {
            username,
            display_name,
            email,
            role,
            department_id: department,
            erp,
            password: read_password(password_stdin)?,
        },
        UserCommand::List => AdminRequest::UserList,
        UserCommand::Passwd {
            username,
            password_stdin,
        } => AdminRequest::UserPasswd {
            username,
            password: read_password(password_stdin)?,
        },
        UserCommand::SetRole { username, role } => AdminRequest::UserSetRole { username, role },
        UserCommand::Disable { username, enable } => AdminRequest::UserDisable {
            username,
            disabled: !enable,
        },
        UserCommand::Reset2fa { username } => AdminRequest::UserReset2fa { username },
    })
}

fn token_request(cmd: TokenCommand) -> AdminRequest {
    match cmd {
        TokenCommand::Create {
            name,
            scopes,
            owner,
        } => AdminRequest::TokenCreate {
            name,
            scopes,
            owner,
        },
        TokenCommand::List => AdminRequest::TokenList,
        TokenCommand::Revoke { id } => AdminRequest::TokenRevoke { id },
    }
}
