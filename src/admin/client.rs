//! The CLI side: use the running server's socket when there is one, else open the
//! data directory directly.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;

use chrono::Utc;

use super::exec::execute;
use super::protocol::{AdminRequest, AdminResponse};
use crate::backup;
use crate::config::Config;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Backup(#[from] backup::BackupError),
    #[error("admin socket: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Service(#[from] crate::error::ServiceError),
}

fn connect(config: &Config) -> Option<UnixStream> {
    UnixStream::connect(config.socket_path()).ok()
}

/// Sends one request; returns the server's text and the stream for anything after it.
fn send<'a>(
    stream: &'a mut UnixStream,
    req: &AdminRequest,
) -> Result<(String, BufReader<&'a UnixStream>), ClientError> {
    let mut line = serde_json::to_vec(req).map_err(std::io::Error::other)?;
    line.push(b'\n');
    stream.write_all(&line)?;
    let mut reader = BufReader::new(&*stream);
    let mut resp = String::new();
    reader.read_line(&mut resp)?;
    match serde_json::from_str::<AdminResponse>(resp.trim_end()) {
        Ok(AdminResponse::Ok { text }) => Ok((text, reader)),
        Ok(AdminResponse::Error { message }) => Err(ClientError::Refused(message)),
        Err(_) => Err(ClientError::Refused(
            "the server closed the admin socket without an answer".into(),
        )),
    }
}

/// Where a command runs: on the running server (over its socket) or on the stopped
/// data directory.
enum Target {
    Server(UnixStream),
    Offline(Store),
}

fn reach(config: &Config) -> Result<Target, ClientError> {
    if let Some(stream) = connect(config) {
        return Ok(Target::Server(stream));
    }
    match Store::open(&config.db_dir(), config.cache_bytes) {
        Err(StoreError::Locked(p)) => {
            // A server holds the database; right after it starts, its socket may not
            // be bound yet (it opens the database first). Give it a few seconds.
            for _ in 0..50 {
                std::thread::sleep(std::time::Duration::from_millis(100));
                if let Some(stream) = connect(config) {
                    return Ok(Target::Server(stream));
                }
            }
            Err(ClientError::Refused(format!(
                "{} is in use by a running server, but its admin socket {} does not answer; run this command as the server's user",
                p.display(),
                config.socket_path().display()
            )))
        }
        other => Ok(Target::Offline(other?)),
    }
}

/// Runs a request and returns the text to print.
pub fn run(config: &Config, req: AdminRequest) -> Result<String, ClientError> {
    let store = match reach(config)? {
        Target::Server(mut stream) => return Ok(send(&mut stream, &req)?.0),
        Target::Offline(store) => store,
    };
    let scenarios = crate::scenarios::registry::Scenarios::new();
    scenarios.reload(&store)?;
    Ok(execute(&store, &scenarios, req, Utc::now())?)
}

/// `baton backup --out FILE`: from the running server over the socket, or directly.
pub fn backup(config: &Config, out: &Path) -> Result<backup::Header, ClientError> {
    if out.exists() {
        return Err(backup::BackupError::Exists(out.to_path_buf()).into());
    }
    let mut stream = match reach(config)? {
        Target::Server(stream) => stream,
        Target::Offline(store) => {
            return Ok(backup::write_backup_file(
                &store,
                &config.tmp_dir(),
                out,
                Utc::now(),
            )?)
        }
    };
    let (_, mut reader) = send(&mut stream, &AdminRequest::Backup)?;
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::copy(&mut reader, &mut tmp)?;
    tmp.as_file().sync_all()?;
    // The stream ends when the server is done; check what arrived is whole.
    let header = backup::verify(tmp.path()).map_err(|e| {
        ClientError::Refused(format!("the server's backup stream was incomplete: {e}"))
    })?;
    tmp.persist_noclobber(out)
        .map_err(|e| ClientError::Io(e.error))?;
    Ok(header)
}
