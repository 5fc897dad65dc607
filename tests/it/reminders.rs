//! Reminders come from a scheduler whose state is in the database: after a restart no
//! reminder is lost and none is sent twice.

use std::time::Duration;

use chrono::Utc;
use serde_json::json;

use crate::harness::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overdue_and_due_soon_once_each_across_a_restart() {
    let s = TestServer::start_with(fast_scheduler()).await;
    let admin = s.admin().await;
    let (bob, bob_id) = s.user(&admin, "bob", "member", None).await;
    let p = admin
        .post("/api/projects", json!({"name": "P", "members": [bob_id]}))
        .await["id"]
        .as_u64()
        .unwrap();
    let past = (Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let soon = (Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    admin.post(&format!("/api/projects/{p}/tasks"), json!({"kind": "simple", "title": "late", "due_at": past, "nodes": [{"handler_id": bob_id, "action": "x"}]})).await;
    admin.post(&format!("/api/projects/{p}/tasks"), json!({"kind": "simple", "title": "soon", "due_at": soon, "nodes": [{"handler_id": bob_id, "action": "x"}]})).await;
    bob.wait_for_message("overdue").await;
    let before = bob.wait_for_message("due_soon").await;
    assert!(bob.get("/api/my/todo").await["overdue"][0]["title"] == "late");
    let data = s.data.clone();
    let keep = s.stop().await;

    let s = TestServer::start_in(&data, fast_scheduler()).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut bob = s.client();
    bob.login("bob", "password-123").await;
    let after = bob.inbox_kinds().await;
    assert_eq!(after, before, "nothing sent twice after the restart");
    assert_eq!(after.iter().filter(|k| *k == "overdue").count(), 1);
    assert_eq!(after.iter().filter(|k| *k == "due_soon").count(), 1);
    s.stop().await;
    drop(keep);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_due_while_stopped_goes_out_at_the_next_start() {
    let s = TestServer::start().await; // default one-minute tick: nothing fires in this test's time
    let admin = s.admin().await;
    let (_, bob_id) = s.user(&admin, "bob", "member", None).await;
    let p = admin
        .post("/api/projects", json!({"name": "P", "members": [bob_id]}))
        .await["id"]
        .as_u64()
        .unwrap();
    let due = (Utc::now() + chrono::Duration::milliseconds(300)).to_rfc3339();
    admin.post(&format!("/api/projects/{p}/tasks"), json!({"kind": "simple", "title": "t", "due_at": due, "nodes": [{"handler_id": bob_id, "action": "x"}]})).await;
    let data = s.data.clone();
    let keep = s.stop().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let s = TestServer::start_in(&data, fast_scheduler()).await;
    let mut bob = s.client();
    bob.login("bob", "password-123").await;
    bob.wait_for_message("overdue").await;
    s.stop().await;
    drop(keep);
}
