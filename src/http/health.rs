/// Liveness for load balancers and systemd: 200 `ok` while the server answers.
pub async fn healthz() -> &'static str {
    "ok"
}
