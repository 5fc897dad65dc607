//! Every flow operation through the HTTP API, with the refusals the brief names.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::harness::*;

pub struct Team {
    pub s: TestServer,
    pub admin: Client,
    pub project: u64,
    /// (client, id) for cs, lead, fin, lead2, mia (creator), watcher, outsider
    pub users: Vec<(Client, u64)>,
}

pub async fn team() -> Team {
    team_with(baton::config::FileConfig::default()).await
}

pub async fn team_with(file: baton::config::FileConfig) -> Team {
    let s = TestServer::start_with(file).await;
    let admin = s.admin().await;
    let mut users = Vec::new();
    for name in ["cs", "lead", "fin", "lead2", "mia", "watcher", "outsider"] {
        users.push(s.user(&admin, name, "member", None).await);
    }
    let members: Vec<u64> = users.iter().take(6).map(|u| u.1).collect();
    let project = admin
        .post(
            "/api/projects",
            json!({"name": "Refunds", "members": members, "business_types": ["refund"]}),
        )
        .await["id"]
        .as_u64()
        .unwrap();
    Team {
        s,
        admin,
        project,
        users,
    }
}

impl Team {
    pub fn c(&self, i: usize) -> &Client {
        &self.users[i].0
    }
    pub fn id(&self, i: usize) -> u64 {
        self.users[i].1
    }

    /// mia creates cs → lead → fin with `watcher` watching.
    pub async fn refund_task(&self) -> Value {
        let (st, t) = self
            .c(4)
            .call(
                Method::POST,
                &format!("/api/projects/{}/tasks", self.project),
                Some(json!({
                    "kind": "workflow", "title": "Refund order SO-1042", "description": "Customer **returned** the item",
                    "business_type": "refund", "priority": "high",
                    "nodes": [
                        {"handler_id": self.id(0), "action": "check the return"},
                        {"handler_id": self.id(1), "action": "approve"},
                        {"handler_id": self.id(2), "action": "pay back"}
                    ],
                    "watchers": [self.id(5)], "checklist": ["photo of parcel"]
                })),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{t}");
        t
    }
}

pub async fn op(c: &Client, task: &Value, name: &str, extra: Value) -> (StatusCode, Value) {
    let mut body = json!({"rev": task["rev"]});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    c.call(
        Method::POST,
        &format!("/api/tasks/{}/{name}", task["id"]),
        Some(body),
    )
    .await
}

async fn ok(c: &Client, task: &Value, name: &str, extra: Value) -> Value {
    let (st, t) = op(c, task, name, extra).await;
    assert_eq!(st, StatusCode::OK, "{name}: {t}");
    t
}

async fn inbox_kinds(c: &Client) -> Vec<String> {
    c.get("/api/inbox").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap().to_string())
        .collect()
}

fn ops(t: &Value) -> Vec<String> {
    t["allowed"]["ops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_refund_story_through_the_api() {
    let tm = team().await;
    let t = tm.refund_task().await;
    assert_eq!(
        t["description_html"],
        "<p>Customer <strong>returned</strong> the item</p>\n"
    );
    assert_eq!(t["nodes"][0]["state"], "active");
    assert_eq!(inbox_kinds(tm.c(0)).await, vec!["assigned"]);
    let cs_view = tm.c(0).get(&format!("/api/tasks/{}", t["id"])).await;
    assert_eq!(
        ops(&cs_view),
        vec!["complete", "start", "transfer", "add_before", "add_after"]
    );
    assert!(tm.c(0).get("/api/my/todo").await["new"][0]["id"] == t["id"]);

    // cs completes; lead receives
    let t = ok(tm.c(0), &t, "complete", json!({})).await;
    assert_eq!(t["current_node"], 1);
    assert_eq!(inbox_kinds(tm.c(1)).await, vec!["assigned"]);
    // cs urges, then withdraws while lead has not started
    let t = ok(
        tm.c(0),
        &t,
        "urge",
        json!({"reason": "customer is waiting"}),
    )
    .await;
    assert_eq!(inbox_kinds(tm.c(1)).await[0], "urged");
    let t = ok(tm.c(0), &t, "withdraw", json!({})).await;
    assert_eq!(t["current_node"], 0);
    assert_eq!(inbox_kinds(tm.c(1)).await[0], "withdrawn");
    let t = ok(tm.c(0), &t, "complete", json!({})).await;
    // lead starts: now cs may no longer withdraw, only urge
    let t = ok(tm.c(1), &t, "start", json!({})).await;
    let (st, body) = op(tm.c(0), &t, "withdraw", json!({})).await;
    assert_error(st, &body, 403, "forbidden");
    // transfer to a non-member is refused naming the problem; to a member works
    let (st, body) = op(tm.c(1), &t, "transfer", json!({"to": tm.id(6)})).await;
    assert_error(st, &body, 400, "invalid");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a member"),
        "{body}"
    );
    let t = ok(
        tm.c(1),
        &t,
        "transfer",
        json!({"to": tm.id(3), "reason": "on leave"}),
    )
    .await;
    assert_eq!(t["nodes"][1]["handler_id"], tm.id(3));
    assert_eq!(inbox_kinds(tm.c(3)).await, vec!["transferred"]);
    // lead2 returns: an empty reason is refused, a reason works and reaches cs
    let (st, body) = op(tm.c(3), &t, "return", json!({"reason": "  "})).await;
    assert_error(st, &body, 400, "invalid");
    let t = ok(tm.c(3), &t, "return", json!({"reason": "photo missing"})).await;
    assert_eq!(t["current_node"], 0);
    let msg = &tm.c(0).get("/api/inbox").await["items"][0];
    assert_eq!(
        (msg["kind"].as_str(), msg["reason"].as_str()),
        (Some("returned"), Some("photo missing"))
    );
    // ticking the checklist starts cs's step
    let item = t["checklist"][0]["id"].as_u64().unwrap();
    let (st, t) = tm
        .c(0)
        .call(
            Method::POST,
            &format!("/api/tasks/{}/checklist/{item}", t["id"]),
            Some(json!({"rev": t["rev"], "done": true})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{t}");
    assert_eq!(t["nodes"][0]["state"], "started");
    let t = ok(tm.c(0), &t, "complete", json!({})).await;
    let t = ok(tm.c(3), &t, "complete", json!({})).await;
    // nothing to urge on the first node's handler now; fin finishes
    let t = ok(tm.c(2), &t, "complete", json!({})).await;
    assert_eq!(t["status"], "done");
    let (st, body) = op(tm.c(3), &t, "urge", json!({})).await;
    assert_error(st, &body, 403, "forbidden");
    assert_eq!(inbox_kinds(tm.c(4)).await[0], "finished", "creator told");
    assert_eq!(inbox_kinds(tm.c(5)).await[0], "finished", "watcher told");
    // every step is in the log, with reasons
    let log = tm.c(4).get(&format!("/api/tasks/{}/log", t["id"])).await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .filter(|a| *a != "receive")
        .collect();
    assert_eq!(
        actions,
        vec![
            "create", "complete", "urge", "withdraw", "complete", "start", "transfer", "return",
            "check", "complete", "complete", "complete"
        ]
    );
    assert!(log.to_string().contains("photo missing") && log.to_string().contains("on leave"));
    // done views
    assert!(tm.c(2).get("/api/my/done").await["items"][0]["id"] == t["id"]);
    assert!(tm.c(5).get("/api/my/watching").await["items"][0]["id"] == t["id"]);
    assert!(tm.c(4).get("/api/my/created").await["items"][0]["id"] == t["id"]);
    tm.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_else_may_move_the_flow() {
    let tm = team().await;
    let t = tm.refund_task().await;
    let t = ok(tm.c(0), &t, "complete", json!({})).await;
    // creator, watcher, a later handler and the company admin: all refused, task unchanged
    for (who, c) in [
        ("creator", tm.c(4)),
        ("watcher", tm.c(5)),
        ("fin", tm.c(2)),
        ("admin", &tm.admin),
    ] {
        for name in [
            "complete",
            "start",
            "transfer",
            "return",
            "urge",
            "withdraw",
            "claim",
            "release",
            "add_before",
            "add_after",
        ] {
            let body = json!({"to": tm.id(3), "reason": "x", "action": "y"});
            let (st, body) = op(c, &t, name, body).await;
            assert_error(st, &body, 403, "forbidden");
            let _ = who;
        }
    }
    // a project member who is not on the task cannot even see it
    let (st, body) = op(tm.c(6), &t, "complete", json!({})).await;
    assert_eq!(st.as_u16(), 404, "{body}");
    let now = tm.admin.get(&format!("/api/tasks/{}", t["id"])).await;
    assert_eq!(now["rev"], t["rev"], "nothing changed");
    assert!(ops(&now).is_empty(), "admins get no flow buttons");
    // unknown task, unknown operation
    let (st, body) = tm
        .c(1)
        .call(
            Method::POST,
            "/api/tasks/999999/complete",
            Some(json!({"rev": 1})),
        )
        .await;
    assert_error(st, &body, 404, "not_found");
    let (st, _) = tm
        .c(1)
        .call(
            Method::POST,
            &format!("/api/tasks/{}/explode", t["id"]),
            Some(json!({"rev": 1})),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    tm.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_version_gets_409_and_nothing_of_it() {
    let tm = team().await;
    let t = tm.refund_task().await;
    let fresh = ok(tm.c(0), &t, "start", json!({})).await;
    let (st, body) = op(tm.c(0), &t, "complete", json!({})).await;
    assert_error(st, &body, 409, "conflict");
    let now = tm.c(0).get(&format!("/api/tasks/{}", t["id"])).await;
    assert_eq!(now["rev"], fresh["rev"]);
    assert_eq!(now["current_node"], 0);
    tm.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_operations_cannot_both_succeed() {
    let tm = team().await;
    let t = tm.refund_task().await;
    let t = ok(tm.c(0), &t, "complete", json!({})).await;
    // lead completes while cs withdraws, from the same revision, many times over
    let mut results = Vec::new();
    let a = op(tm.c(1), &t, "complete", json!({}));
    let b = op(tm.c(0), &t, "withdraw", json!({}));
    let (ra, rb) = tokio::join!(a, b);
    results.push(ra.0.as_u16());
    results.push(rb.0.as_u16());
    results.sort();
    assert_eq!(results, vec![200, 409]);
    let now = tm.c(1).get(&format!("/api/tasks/{}", t["id"])).await;
    assert_eq!(
        now["rev"].as_u64(),
        Some(t["rev"].as_u64().unwrap() + 1),
        "exactly one applied"
    );
    tm.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_keep_reached_steps_and_check_members() {
    let tm = team().await;
    let t = tm.refund_task().await;
    let t = ok(tm.c(0), &t, "complete", json!({})).await;
    let nodes = t["nodes"].as_array().unwrap().clone();
    let mut changed = nodes.clone();
    changed[0]["handler_id"] = json!(tm.id(3));
    let edit = |nodes: Vec<Value>| json!({"rev": t["rev"], "nodes": nodes.iter().map(|n| json!({"id": n["id"], "handler_id": n["handler_id"], "action": n["action"], "due_at": n["due_at"]})).collect::<Vec<_>>()});
    let (st, body) = tm
        .c(4)
        .call(
            Method::PATCH,
            &format!("/api/tasks/{}", t["id"]),
            Some(edit(changed)),
        )
        .await;
    assert_error(st, &body, 400, "invalid");
    let mut later = nodes.clone();
    later[2]["handler_id"] = json!(tm.id(3));
    let (st, body) = tm
        .c(4)
        .call(
            Method::PATCH,
            &format!("/api/tasks/{}", t["id"]),
            Some(edit(later)),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["nodes"][2]["handler_id"], tm.id(3));
    // a watcher may not edit
    let (st, body) = tm
        .c(5)
        .call(
            Method::PATCH,
            &format!("/api/tasks/{}", t["id"]),
            Some(json!({"rev": body["rev"], "title": "x"})),
        )
        .await;
    assert_error(st, &body, 403, "forbidden");
    // handlers must be members when creating
    let (st, body) = tm
        .c(4)
        .call(Method::POST, &format!("/api/projects/{}/tasks", tm.project), Some(json!({"kind": "simple", "title": "x", "nodes": [{"handler_id": tm.id(6), "action": "a"}]})))
        .await;
    assert_error(st, &body, 400, "invalid");
    tm.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn visibility_lists_and_filters() {
    let tm = team().await;
    let t = tm.refund_task().await;
    let project = tm.project;
    tm.c(4)
        .post(&format!("/api/projects/{project}/tasks"), json!({"kind": "simple", "title": "Chase carrier", "priority": "low", "nodes": [{"handler_id": tm.id(2), "action": "call"}]}))
        .await;
    assert_eq!(list(&tm.admin, project, "").await["total"], 2);
    assert_eq!(
        list(tm.c(0), project, "").await["total"],
        1,
        "cs sees only the refund"
    );
    assert_eq!(list(tm.c(5), project, "").await["items"][0]["id"], t["id"]);
    assert_eq!(
        list(&tm.admin, project, "?priority=low").await["items"][0]["title"],
        "Chase carrier"
    );
    assert_eq!(list(&tm.admin, project, "?q=so-1042").await["total"], 1);
    assert_eq!(
        list(&tm.admin, project, &format!("?handler={}", tm.id(2))).await["total"],
        1
    );
    assert_eq!(list(&tm.admin, project, "?status=done").await["total"], 0);
    let page = list(
        &tm.admin,
        project,
        "?per_page=1&page=2&sort=priority&order=desc",
    )
    .await;
    assert_eq!(page["items"][0]["title"], "Chase carrier");
    let (st, body) = tm
        .admin
        .call(
            Method::GET,
            &format!("/api/projects/{project}/tasks?status=maybe"),
            None,
        )
        .await;
    assert_error(st, &body, 400, "invalid");
    let (st, _) = tm
        .c(0)
        .call(
            Method::GET,
            &format!("/api/tasks/{}", t["id"].as_u64().unwrap() + 100),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    tm.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_mention_and_inbox_flags() {
    let tm = team().await;
    let t = tm.refund_task().await;
    let (st, c) = tm
        .c(4)
        .call(
            Method::POST,
            &format!("/api/tasks/{}/comments", t["id"]),
            Some(json!({"body": "@fin please prepare <script>x</script>"})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    assert!(!c["body_html"].as_str().unwrap().contains("<script"));
    let fin_inbox = tm.c(2).get("/api/inbox").await;
    assert_eq!(fin_inbox["items"][0]["kind"], "mentioned");
    assert_eq!(fin_inbox["unread"], 1);
    let id = fin_inbox["items"][0]["id"].as_u64().unwrap();
    tm.c(2)
        .post(
            &format!("/api/inbox/{id}/follow-up"),
            json!({"follow_up": true}),
        )
        .await;
    tm.c(2)
        .post(&format!("/api/inbox/{id}/read"), json!({"read": true}))
        .await;
    assert_eq!(tm.c(2).get("/api/inbox/unread-count").await["unread"], 0);
    assert_eq!(
        tm.c(2).get("/api/inbox?follow_up=true").await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(inbox_kinds(tm.c(0)).await[0], "commented");
    let (st, _) = tm
        .c(0)
        .call(Method::POST, "/api/inbox/read-all", None)
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert_eq!(
        tm.c(0).get("/api/inbox?unread=true").await["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // someone else's message is not found
    let (st, _) = tm
        .c(0)
        .call(
            Method::POST,
            &format!("/api/inbox/{id}/read"),
            Some(json!({"read": false})),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    tm.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_copy_move_delete_archive() {
    let tm = team().await;
    let templates = tm.admin.get("/api/templates").await;
    let builtins: Vec<&str> = templates["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["builtin"].as_str())
        .collect();
    assert_eq!(builtins, vec!["simple", "empty_workflow"]);
    let tpl = tm.admin.post("/api/templates", json!({"name": "Refund approval", "nodes": [{"handler_id": tm.id(0), "action": "check"}, {"handler_id": null, "action": "approve", "due_in_hours": 24}]})).await;
    let (st, body) = tm
        .c(0)
        .call(
            Method::POST,
            "/api/templates",
            Some(json!({"name": "mine", "nodes": []})),
        )
        .await;
    assert_error(st, &body, 403, "forbidden");
    let simple_id = templates["items"][0]["id"].as_u64().unwrap();
    let (st, _) = tm
        .admin
        .call(Method::DELETE, &format!("/api/templates/{simple_id}"), None)
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = tm
        .admin
        .call(
            Method::DELETE,
            &format!("/api/templates/{}", tpl["id"]),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);

    let t = tm.refund_task().await;
    let other = tm
        .admin
        .post(
            "/api/projects",
            json!({"name": "Other", "members": [tm.id(0), tm.id(4)]}),
        )
        .await["id"]
        .as_u64()
        .unwrap();
    // copy needs the handlers to be members there
    let (st, body) = tm
        .c(4)
        .call(
            Method::POST,
            &format!("/api/tasks/{}/copy", t["id"]),
            Some(json!({"project_id": other})),
        )
        .await;
    assert_error(st, &body, 400, "invalid");
    let copy = tm
        .c(4)
        .post(
            &format!("/api/tasks/{}/copy", t["id"]),
            json!({"project_id": tm.project}),
        )
        .await;
    assert_ne!(copy["id"], t["id"]);
    assert_eq!(copy["nodes"][0]["state"], "active");
    let (st, body) = tm
        .c(4)
        .call(
            Method::POST,
            &format!("/api/tasks/{}/move", t["id"]),
            Some(json!({"project_id": other, "rev": t["rev"]})),
        )
        .await;
    assert_error(st, &body, 400, "invalid");
    // delete: a watcher may not, the creator may; recorded
    let (st, _) = tm
        .c(5)
        .call(Method::DELETE, &format!("/api/tasks/{}", copy["id"]), None)
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = tm
        .c(4)
        .call(Method::DELETE, &format!("/api/tasks/{}", copy["id"]), None)
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert!(tm
        .admin
        .get("/api/audit")
        .await
        .to_string()
        .contains("task.delete"));
    // archive: only finished tasks, only admins
    let (st, _) = tm
        .admin
        .call(
            Method::POST,
            &format!("/api/tasks/{}/archive", t["id"]),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let mut t = t;
    for i in 0..3 {
        t = ok(tm.c(i), &t, "complete", json!({})).await;
    }
    let (st, _) = tm
        .c(4)
        .call(
            Method::POST,
            &format!("/api/tasks/{}/archive", t["id"]),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let n = tm
        .admin
        .post(
            &format!("/api/projects/{}/archive-finished", tm.project),
            json!(null),
        )
        .await;
    assert_eq!(n["archived"], 1);
    tm.s.stop().await;
}

async fn list(c: &Client, project: u64, q: &str) -> Value {
    c.get(&format!("/api/projects/{project}/tasks{q}")).await
}
