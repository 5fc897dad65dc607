//! What the three app stand-ins share: the token they hand out, the requests they
//! saw, and the answers a test scripts for the next sends.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde_json::Value;

/// How the stand-in answers the next send (then it answers normally again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Treat the current token as expired (a new one is handed out on the next fetch).
    ExpireToken,
    /// Answer the app's rate-limit error.
    RateLimit,
}

#[derive(Clone, Default)]
pub struct Mock {
    pub url: String,
    inner: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    token_calls: usize,
    /// Token generation: tokens of older generations are expired.
    generation: usize,
    /// Every send request: (query, bearer, body).
    sends: Vec<(String, Option<String>, Value)>,
    /// Sends that were accepted.
    accepted: Vec<Value>,
    next: VecDeque<Next>,
}

/// The app's known users; any other id is refused with the app's own error.
pub const KNOWN_USERS: [&str; 3] = ["bob.app", "ann.app", "cat.app"];

impl Mock {
    /// The same stand-in, known by the address it listens on.
    pub fn at(self, url: String) -> Mock {
        Mock { url, ..self }
    }

    /// A fresh token (the token request was right).
    pub fn issue(&self) -> String {
        let mut s = self.inner.lock().unwrap();
        s.token_calls += 1;
        format!("tok-{}", s.generation)
    }

    pub fn token_is_current(&self, t: &str) -> bool {
        t == format!("tok-{}", self.inner.lock().unwrap().generation)
    }

    /// Records a send; returns what to do about it (None: check the token, answer ok).
    pub fn record(&self, query: &str, bearer: Option<String>, body: &Value) -> Option<Next> {
        let mut s = self.inner.lock().unwrap();
        s.sends.push((query.to_string(), bearer, body.clone()));
        let n = s.next.pop_front();
        if n == Some(Next::ExpireToken) {
            s.generation += 1;
        }
        n
    }

    pub fn accept(&self, body: &Value) {
        self.inner.lock().unwrap().accepted.push(body.clone());
    }

    pub fn script(&self, n: Next) {
        self.inner.lock().unwrap().next.push_back(n);
    }

    pub fn token_calls(&self) -> usize {
        self.inner.lock().unwrap().token_calls
    }

    pub fn sends(&self) -> Vec<(String, Option<String>, Value)> {
        self.inner.lock().unwrap().sends.clone()
    }

    pub fn accepted(&self) -> Vec<Value> {
        self.inner.lock().unwrap().accepted.clone()
    }
}

/// `a=1&b=2` as pairs, decoded.
pub fn query_pairs(q: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://x/?{q}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn param(q: &str, name: &str) -> Option<String> {
    query_pairs(q)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

pub async fn serve(app: axum::Router) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(l, app).await.unwrap();
    });
    url
}
