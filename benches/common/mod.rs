//! What the latency benchmarks share: timing with percentiles, and a company of
//! members to build tasks for.

// Used by the benchmarks that go through HTTP only.
#[allow(dead_code)]
pub mod server;

use std::time::{Duration, Instant};

use baton::actor::Actor;
use baton::org::service::{create_user, NewUser};
use baton::org::Role;
use baton::store::Store;
use baton::tasks::service::NodeInput;
use chrono::{DateTime, Utc};

pub fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// Runs `f` `runs` times, prints p50 and p99, returns p99.
pub fn time<F: FnMut()>(label: &str, runs: usize, mut f: F) -> Duration {
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f();
        samples.push(t.elapsed());
    }
    let p99 = percentile(samples.clone(), 0.99);
    println!(
        "{label:<48} p50 {:>8.2} ms   p99 {:>8.2} ms",
        percentile(samples, 0.5).as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
    p99
}

/// `n` members `u0`, `u1`, …; their ids.
pub fn members(store: &Store, n: usize, now: DateTime<Utc>) -> Vec<u64> {
    (0..n)
        .map(|i| {
            create_user(
                store,
                &Actor::system(),
                NewUser {
                    username: format!("u{i}"),
                    display_name: None,
                    email: None,
                    department_id: None,
                    role: Role::Member,
                    erp: false,
                    language: None,
                    password: "password-123".into(),
                },
                now,
            )
            .expect("user")
            .id
        })
        .collect()
}

/// The two-step workflow both benches build: `checker` checks, then `approver` approves.
pub fn check_then_approve(checker: u64, approver: u64) -> Vec<NodeInput> {
    [(checker, "check"), (approver, "approve")]
        .into_iter()
        .map(|(handler_id, action)| NodeInput {
            handler_id,
            action: action.into(),
            due_at: None,
            ..Default::default()
        })
        .collect()
}
