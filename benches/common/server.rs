//! A Baton server in this process, on a temporary data directory with default
//! settings, and its admin's session: what the benchmarks that go through HTTP share.

use serde_json::{json, Value};

pub const PASSWORD: &str = "bench-password-1";

pub struct BenchServer {
    pub url: String,
    /// The admin's session token (`Authorization: Bearer`).
    pub admin: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<Result<(), baton::server::ServeError>>,
    _dir: tempfile::TempDir,
}

impl BenchServer {
    pub async fn start(http: &reqwest::Client) -> BenchServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let global = baton::cli::GlobalArgs {
            data: Some(dir.path().join("data")),
            config: None,
        };
        let config = baton::config::Config::merge(
            &global,
            &Default::default(),
            Default::default(),
            Some(PASSWORD.into()),
        )
        .expect("config");
        let (store, _) = baton::server::prepare(&config).expect("prepare");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(baton::server::serve(config, store, listener, async {
            let _ = stopped.await;
        }));
        let login: Value = http
            .post(format!("{url}/api/login"))
            .json(&json!({"username": "admin", "password": PASSWORD}))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("login body");
        let admin = login["token"].as_str().expect("session").to_string();
        BenchServer {
            url,
            admin,
            stop: Some(stop),
            handle,
            _dir: dir,
        }
    }

    /// Stops the server; the database is flushed before it returns.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.handle).await;
    }
}
