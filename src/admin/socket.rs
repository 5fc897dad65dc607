//! The server side of the admin socket.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

use super::exec::execute;
use super::protocol::{AdminRequest, AdminResponse};
use crate::backup::BackupRunner;
use crate::scenarios::registry::Scenarios;
use crate::store::Store;

/// Largest request line accepted (an import batch of records at most).
const MAX_REQUEST: usize = 8 * 1024 * 1024;

pub fn bind(path: &Path) -> std::io::Result<UnixListener> {
    // Only one server can hold the data directory (the database locks it), so a socket file
    // here is a leftover from a crash.
    if path.exists() {
        std::fs::remove_file(path)?;
    }
    let listener = UnixListener::bind(path)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

pub async fn run(
    listener: UnixListener,
    store: Store,
    backups: Arc<BackupRunner>,
    scenarios: Arc<Scenarios>,
    path: PathBuf,
) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let store = store.clone();
                let backups = backups.clone();
                let scenarios = scenarios.clone();
                tokio::spawn(async move {
                    if let Err(e) = handle(stream, store, backups, scenarios).await {
                        tracing::warn!(error = %e, "admin socket connection failed");
                    }
                });
            }
            Err(e) => {
                tracing::error!(error = %e, path = %path.display(), "admin socket accept failed");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }
}

async fn respond(stream: &mut UnixStream, resp: &AdminResponse) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(resp).map_err(std::io::Error::other)?;
    line.push(b'\n');
    stream.write_all(&line).await
}

async fn handle(
    stream: UnixStream,
    store: Store,
    backups: Arc<BackupRunner>,
    scenarios: Arc<Scenarios>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    let n = (&mut reader)
        .take(MAX_REQUEST as u64)
        .read_line(&mut line)
        .await?;
    let mut stream = reader.into_inner();
    if n == 0 {
        return Ok(());
    }
    let req: AdminRequest = match serde_json::from_str(line.trim_end()) {
        Ok(r) => r,
        Err(e) => {
            return respond(
                &mut stream,
                &AdminResponse::Error {
                    message: format!("bad request: {e}"),
                },
            )
            .await;
        }
    };
    tracing::info!(op = ?std::mem::discriminant(&req), "admin socket request");
    if matches!(req, AdminRequest::Backup) {
        return stream_backup(stream, backups).await;
    }
    let result = tokio::task::spawn_blocking(move || execute(&store, &scenarios, req, Utc::now()))
        .await
        .map_err(std::io::Error::other)?;
    let resp = match result {
        Ok(text) => AdminResponse::Ok { text },
        Err(e) => AdminResponse::Error {
            message: e.to_string(),
        },
    };
    respond(&mut stream, &resp).await
}

/// Writes the OK line, then the backup bytes on a blocking thread.
async fn stream_backup(mut stream: UnixStream, backups: Arc<BackupRunner>) -> std::io::Result<()> {
    respond(
        &mut stream,
        &AdminResponse::Ok {
            text: "backup follows".into(),
        },
    )
    .await?;
    let std_stream = stream.into_std()?;
    std_stream.set_nonblocking(false)?;
    let result = tokio::task::spawn_blocking(move || {
        let writer = std::io::BufWriter::new(&std_stream);
        backups.stream(writer, Utc::now())
    })
    .await
    .map_err(std::io::Error::other)?;
    if let Err(e) = result {
        tracing::error!(error = %e, "backup over the admin socket failed");
    }
    Ok(())
}

use tokio::io::AsyncReadExt as _;
