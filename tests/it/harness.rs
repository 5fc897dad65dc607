//! A real server on 127.0.0.1:0 in a temporary data directory, and a client that
//! keeps the session cookie and sends the CSRF header like the web UI does.

use std::path::{Path, PathBuf};

use baton::cli::{GlobalArgs, ServeArgs};
use baton::config::{Config, FileConfig};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::sync::oneshot;

pub const ADMIN_PASSWORD: &str = "admin-password-1";

pub struct TestServer {
    pub url: String,
    pub data: PathBuf,
    /// The server's own store handle, for tests that look at what a request wrote.
    pub store: baton::store::Store,
    _dir: Option<tempfile::TempDir>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// A config whose scheduler ticks every 200 ms, for reminder and wake-time tests.
pub fn fast_scheduler() -> FileConfig {
    toml::from_str("scheduler_interval = \"200ms\"").unwrap()
}

pub fn config_for(data: &Path, file: FileConfig) -> Config {
    let global = GlobalArgs {
        data: Some(data.to_path_buf()),
        config: None,
    };
    let mut c = Config::merge(
        &global,
        &ServeArgs::default(),
        file,
        Some(ADMIN_PASSWORD.into()),
    )
    .unwrap();
    c.cache_bytes = 4 << 20;
    c
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(FileConfig::default()).await
    }

    pub async fn start_with(file: FileConfig) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let mut s = Self::start_in(&data, file).await;
        s._dir = Some(dir);
        s
    }

    /// Starts on an existing (or new) data directory the caller owns.
    pub async fn start_in(data: &Path, file: FileConfig) -> TestServer {
        let config = config_for(data, file);
        let (store, _) = baton::server::prepare(&config).unwrap();
        let handle = store.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            baton::server::serve(config, store, listener, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        TestServer {
            url,
            data: data.to_path_buf(),
            store: handle,
            _dir: None,
            stop: Some(tx),
            task: Some(task),
        }
    }

    /// Stops the server; the returned guard keeps a temporary data dir alive for
    /// tests that start again on it.
    pub async fn stop(mut self) -> Option<tempfile::TempDir> {
        self.shutdown().await;
        self._dir.take()
    }

    async fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap();
        }
    }

    pub fn client(&self) -> Client {
        Client::new(&self.url)
    }

    pub async fn admin(&self) -> Client {
        let mut c = self.client();
        c.login("admin", ADMIN_PASSWORD).await;
        c
    }

    /// A client for the ERP: an `erp:write` API token made by `admin`.
    pub async fn erp_client(&self, admin: &Client) -> Client {
        let t = admin
            .post(
                "/api/tokens",
                json!({"name": "erp", "scopes": ["erp:write"]}),
            )
            .await;
        Client {
            bearer: Some(t["token"].as_str().unwrap().to_string()),
            ..Client::new(&self.url)
        }
    }

    /// Creates a user as admin and returns a logged-in client for them and their id.
    pub async fn user(
        &self,
        admin: &Client,
        name: &str,
        role: &str,
        dept: Option<u64>,
    ) -> (Client, u64) {
        let (s, body) = admin
            .call(Method::POST, "/api/users", Some(json!({"username": name, "password": "password-123", "role": role, "department_id": dept})))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        let mut c = self.client();
        c.login(name, "password-123").await;
        (c, body["id"].as_u64().unwrap())
    }
}

pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub csrf: Option<String>,
    pub bearer: Option<String>,
}

impl Client {
    pub fn new(base: &str) -> Client {
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .build()
                .unwrap(),
            base: base.to_string(),
            csrf: None,
            bearer: None,
        }
    }

    pub async fn login(&mut self, user: &str, password: &str) -> Value {
        let (s, body) = self
            .call(
                Method::POST,
                "/api/login",
                Some(json!({"username": user, "password": password})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "login {user}: {body}");
        self.csrf = body["csrf_token"].as_str().map(String::from);
        body
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut rb = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(c) = &self.csrf {
            rb = rb.header("X-CSRF-Token", c);
        }
        if let Some(b) = &self.bearer {
            rb = rb.bearer_auth(b);
        }
        rb
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let retry_get = method == Method::GET;
        let mut rb = self.request(method.clone(), path);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = match rb.send().await {
            // A pooled connection the server closed a moment ago (after an early 413,
            // say) fails before any answer; a GET is safe to send again, once, as
            // browsers do. A server that is down fails the second try too.
            Err(e) if retry_get && e.is_request() => {
                self.request(method, path).send().await.unwrap()
            }
            other => other.unwrap(),
        };
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    pub async fn get(&self, path: &str) -> Value {
        let (s, v) = self.call(Method::GET, path, None).await;
        assert_eq!(s, StatusCode::OK, "GET {path}: {v}");
        v
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        let (s, v) = self.call(Method::POST, path, Some(body)).await;
        assert!(s.is_success(), "POST {path}: {s} {v}");
        v
    }

    /// The kinds of the messages in this client's inbox, newest first.
    pub async fn inbox_kinds(&self) -> Vec<String> {
        self.get("/api/inbox").await["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["kind"].as_str().unwrap().to_string())
            .collect()
    }

    /// Waits (up to 5 s) for a message of `kind`; returns the inbox's kinds then.
    pub async fn wait_for_message(&self, kind: &str) -> Vec<String> {
        for _ in 0..50 {
            let k = self.inbox_kinds().await;
            if k.iter().any(|x| x == kind) {
                return k;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("no {kind} message arrived");
    }

    /// The built-in ERP Notifications project, as this client's project list shows it.
    pub async fn erp_project(&self) -> Value {
        let projects = self.get("/api/projects").await;
        projects["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["builtin"] == "erp")
            .unwrap()
            .clone()
    }
}

/// Asserts an error envelope with the given status and code.
pub fn assert_error(status: StatusCode, body: &Value, want_status: u16, want_code: &str) {
    assert_eq!(status.as_u16(), want_status, "{body}");
    assert_eq!(body["error"]["code"], want_code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

pub fn baton_bin() -> &'static str {
    env!("CARGO_BIN_EXE_baton")
}

/// Runs the real `baton` binary on `data`; returns success, stdout and stderr.
pub fn baton(data: &std::path::Path, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = std::process::Command::new(baton_bin())
        .arg("--data")
        .arg(data)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
