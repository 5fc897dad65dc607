//! What a new company trips over in its first hour: the task log says each event once,
//! worded for what happened; the server's own lines are the system's; acting on a task
//! reads its messages; the nominal creator of scenario tasks is not told each finish;
//! feedback reaches the admins.

use std::time::Duration;

use chrono::Utc;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::flow_api::{op, team};
use crate::harness::*;

async fn log_of(c: &Client, task: &Value) -> Vec<Value> {
    c.get(&format!("/api/tasks/{}/log", task["id"])).await["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn step(c: &Client, task: &Value, name: &str, extra: Value) -> Value {
    let (st, t) = op(c, task, name, extra).await;
    assert_eq!(st, StatusCode::OK, "{name}: {t}");
    t
}

async fn unread_about(c: &Client, task: &Value) -> usize {
    c.get("/api/inbox?unread=true").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["task_id"] == task["id"])
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_has_one_line_per_event_naming_who_received_the_step() {
    let tm = team().await;
    let t = tm.refund_task().await;
    let t = step(tm.c(0), &t, "complete", json!({})).await;
    let t = step(tm.c(0), &t, "withdraw", json!({})).await;
    let t = step(tm.c(0), &t, "complete", json!({})).await;
    let t = step(tm.c(1), &t, "return", json!({"reason": "photo missing"})).await;
    let log = log_of(tm.c(4), &t).await;
    let lines: Vec<(&str, Option<u64>)> = log
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["received_by"].as_u64()))
        .collect();
    assert_eq!(
        lines,
        vec![
            ("create", Some(tm.id(0))),
            ("complete", Some(tm.id(1))),
            ("withdraw", Some(tm.id(0))),
            ("complete", Some(tm.id(1))),
            ("return", Some(tm.id(0))),
        ],
        "no separate 'passed on' lines: {log:?}"
    );
    assert_eq!(log[2]["detail"], "withdrew step 2 back to step 1");
    tm.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acting_on_a_task_marks_its_messages_read_for_that_person() {
    let tm = team().await;
    let t = tm.refund_task().await;
    let t = step(tm.c(0), &t, "complete", json!({})).await;
    let t = step(tm.c(0), &t, "urge", json!({"reason": "customer waiting"})).await;
    assert_eq!(unread_about(tm.c(1), &t).await, 2, "assigned + urged");
    // a comment is acting on the task too
    tm.c(1)
        .post(
            &format!("/api/tasks/{}/comments", t["id"]),
            json!({"body": "on it"}),
        )
        .await;
    assert_eq!(unread_about(tm.c(1), &t).await, 0);
    let t = tm.c(1).get(&format!("/api/tasks/{}", t["id"])).await;
    let t = step(tm.c(0), &t, "urge", json!({})).await;
    assert_eq!(unread_about(tm.c(1), &t).await, 1);
    let t = step(tm.c(1), &t, "complete", json!({})).await;
    assert_eq!(unread_about(tm.c(1), &t).await, 0, "completing reads them");
    // fin was assigned and urged; a withdrawal settles those: one unread, the withdrawal
    let t = step(tm.c(1), &t, "urge", json!({})).await;
    assert!(
        unread_about(tm.c(2), &t).await >= 2,
        "assigned and urged, unread"
    );
    step(tm.c(1), &t, "withdraw", json!({})).await;
    let unread = tm.c(2).get("/api/inbox?unread=true").await;
    let kinds: Vec<&str> = unread["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["task_id"] == t["id"])
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["withdrawn"]);
    tm.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminder_lines_are_the_systems_not_the_consoles() {
    let s = TestServer::start_with(fast_scheduler()).await;
    let admin = s.admin().await;
    let (bob, bob_id) = s.user(&admin, "bob", "member", None).await;
    let p = admin
        .post("/api/projects", json!({"name": "P", "members": [bob_id]}))
        .await["id"]
        .as_u64()
        .unwrap();
    let past = (Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let t = admin.post(&format!("/api/projects/{p}/tasks"), json!({"kind": "simple", "title": "late", "due_at": past, "nodes": [{"handler_id": bob_id, "action": "x"}]})).await;
    let mut line = None;
    for _ in 0..50 {
        line = log_of(&bob, &t)
            .await
            .into_iter()
            .find(|e| e["action"] == "overdue");
        if line.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let line = line.expect("an overdue line");
    assert_eq!(line["actor_name"], "system", "{line}");
    assert!(line["actor_id"].is_null());
    s.stop().await;
}

/// A department admin who receives scenario tasks (an ERP user).
async fn erp_user(s: &TestServer, admin: &Client, name: &str, dept: u64) -> (Client, u64) {
    let (st, body) = admin
        .call(Method::POST, "/api/users", Some(json!({"username": name, "password": "password-123", "role": "department_admin", "department_id": dept, "erp": true})))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    let mut c = s.client();
    c.login(name, "password-123").await;
    (c, body["id"].as_u64().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_nominal_creator_of_a_scenario_task_is_not_told_it_finished() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let dept = admin
        .post("/api/departments", json!({"name": "仓库"}))
        .await["id"]
        .as_u64()
        .unwrap();
    let (wh, _) = erp_user(&s, &admin, "wh", dept).await;
    // the scenario's watcher is customer service's admin, not the company admin
    let cs = admin
        .post("/api/departments", json!({"name": "客服部"}))
        .await["id"]
        .as_u64()
        .unwrap();
    erp_user(&s, &admin, "cs", cs).await;
    let erp = s.erp_client(&admin).await;
    let paid = (Utc::now() - chrono::Duration::hours(72)).to_rfc3339();
    let (st, r) = erp
        .call(
            Method::POST,
            "/api/erp/records",
            Some(json!({"records": [{"kind": "order", "id": "SO-1", "data": {"status": "paid", "paid_at": paid}}]})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["scenarios"]["tasks_created"], 1, "{r}");
    let erp_id = admin.erp_project().await["id"].as_u64().unwrap();
    let task_id = admin.get(&format!("/api/projects/{erp_id}/tasks")).await["items"][0]["id"]
        .as_u64()
        .unwrap();
    let task = wh.get(&format!("/api/tasks/{task_id}")).await;
    step(&wh, &task, "complete", json!({})).await;
    let kinds: Vec<String> = admin.get("/api/inbox").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap().to_string())
        .collect();
    assert!(!kinds.contains(&"finished".to_string()), "{kinds:?}");
    // an auto-close is the system's doing, not the console's
    let push = |status: &str| json!({"records": [{"kind": "order", "id": "SO-2", "data": {"status": status, "paid_at": paid}}]});
    let (_, r) = erp
        .call(Method::POST, "/api/erp/records", Some(push("paid")))
        .await;
    assert_eq!(r["scenarios"]["tasks_created"], 1, "{r}");
    let (_, r) = erp
        .call(Method::POST, "/api/erp/records", Some(push("shipped")))
        .await;
    assert_eq!(r["scenarios"]["tasks_closed"], 1, "{r}");
    let closed = admin
        .get(&format!("/api/projects/{erp_id}/tasks?status=done"))
        .await;
    let closed_id = closed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["title"].as_str().unwrap().contains("SO-2"))
        .unwrap()["id"]
        .clone();
    let log = admin.get(&format!("/api/tasks/{closed_id}/log")).await;
    let line = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "auto_close")
        .unwrap()
        .clone();
    assert_eq!(line["actor_name"], "system", "{line}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_feedback_tells_the_admins_and_a_reply_tells_the_author() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let d1 = admin.post("/api/departments", json!({"name": "D1"})).await["id"]
        .as_u64()
        .unwrap();
    let d2 = admin.post("/api/departments", json!({"name": "D2"})).await["id"]
        .as_u64()
        .unwrap();
    let (boss, _) = s.user(&admin, "boss1", "department_admin", Some(d1)).await;
    let (other_boss, _) = s.user(&admin, "boss2", "department_admin", Some(d2)).await;
    let (amy, _) = s.user(&admin, "amy", "member", Some(d1)).await;
    let f = amy
        .post(
            "/api/feedback",
            json!({"kind": "question", "title": "Where is the export?", "body": "?"}),
        )
        .await;
    let first = |v: Value| v["items"][0].clone();
    let m = first(admin.get("/api/inbox").await);
    assert_eq!(m["kind"], "feedback_new", "{m}");
    assert_eq!(m["task_title"], "Where is the export?");
    assert_eq!(first(boss.get("/api/inbox").await)["kind"], "feedback_new");
    assert!(
        other_boss.get("/api/inbox").await["items"]
            .as_array()
            .unwrap()
            .is_empty(),
        "another department's admin is not told"
    );
    assert!(amy.get("/api/inbox").await["items"]
        .as_array()
        .unwrap()
        .is_empty());
    admin
        .post(
            &format!("/api/feedback/{}/replies", f["id"]),
            json!({"body": "Under Statistics"}),
        )
        .await;
    let m = first(amy.get("/api/inbox").await);
    assert_eq!(m["kind"], "feedback");
    assert!(m["text"]
        .as_str()
        .unwrap()
        .contains("replied to your feedback"));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_start_names_the_erp_project_in_the_company_language() {
    let s = TestServer::start_with(toml::from_str("language = \"en\"").unwrap()).await;
    let admin = s.admin().await;
    assert_eq!(admin.erp_project().await["name"], "ERP Notifications");
    assert_eq!(admin.get("/api/me").await["user"]["language"], "en");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_author_of_an_announcement_has_read_it() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let (m, _) = s.user(&admin, "mo", "member", None).await;
    admin
        .post(
            "/api/announcements",
            json!({"title": "Holiday", "body": "closed", "pinned": false}),
        )
        .await;
    assert_eq!(
        admin.get("/api/announcements").await["items"][0]["read"],
        true
    );
    assert!(admin.get("/api/me/dashboard").await["unread_announcements"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(m.get("/api/announcements").await["items"][0]["read"], false);
    s.stop().await;
}
