//! "My todo" answers from a kept copy while no task changes (`tasks::todo_cache`):
//! every change a user can make shows in the next answer, for every handler involved,
//! and a deadline passing moves a task to "overdue" without any write.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::flow_api::{op, team};

fn titles(todo: &Value, group: &str) -> Vec<String> {
    todo[group]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_todo_follows_every_change_at_once() {
    let tm = team().await;
    let t = tm.refund_task().await;
    let cs = tm.c(0);
    let todo = cs.get("/api/my/todo").await;
    assert_eq!(titles(&todo, "new"), vec!["Refund order SO-1042"]);
    // asked again: the same answer
    assert_eq!(cs.get("/api/my/todo").await, todo);

    // the creator renames it: the handler's next todo has the new title
    let (st, t) = tm
        .c(4)
        .call(
            Method::PATCH,
            &format!("/api/tasks/{}", t["id"]),
            Some(json!({"rev": t["rev"], "title": "Refund SO-1042 (renamed)"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{t}");
    assert_eq!(
        titles(&cs.get("/api/my/todo").await, "new"),
        vec!["Refund SO-1042 (renamed)"]
    );

    // started: it moves groups
    let (st, t) = op(cs, &t, "start", json!({})).await;
    assert_eq!(st, StatusCode::OK, "{t}");
    let todo = cs.get("/api/my/todo").await;
    assert!(titles(&todo, "new").is_empty());
    assert_eq!(titles(&todo, "started"), vec!["Refund SO-1042 (renamed)"]);

    // the lead's todo, kept while empty, gains it when cs completes
    let lead = tm.c(1);
    assert_eq!(lead.get("/api/my/todo").await["counts"]["new"], 0);
    let (st, _) = op(cs, &t, "complete", json!({})).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        cs.get("/api/my/todo").await["counts"],
        json!({"overdue": 0, "new": 0, "started": 0})
    );
    assert_eq!(
        titles(&lead.get("/api/my/todo").await, "new"),
        vec!["Refund SO-1042 (renamed)"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passing_deadline_moves_a_task_to_overdue_without_a_write() {
    let tm = team().await;
    let due = chrono::Utc::now() + chrono::Duration::seconds(2);
    let (st, t) = tm
        .c(4)
        .call(
            Method::POST,
            &format!("/api/projects/{}/tasks", tm.project),
            Some(
                json!({"kind": "workflow", "title": "Due soon", "due_at": due.to_rfc3339(),
                "nodes": [{"handler_id": tm.id(0), "action": "do it"}]}),
            ),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{t}");
    let todo = tm.c(0).get("/api/my/todo").await;
    assert_eq!(titles(&todo, "new"), vec!["Due soon"]);
    assert_eq!(todo["new"][0]["overdue"], false);
    tokio::time::sleep(
        (due - chrono::Utc::now()).to_std().unwrap_or_default()
            + std::time::Duration::from_millis(1100),
    )
    .await;
    let todo = tm.c(0).get("/api/my/todo").await;
    assert_eq!(titles(&todo, "overdue"), vec!["Due soon"], "{todo}");
    assert_eq!(todo["overdue"][0]["overdue"], true);
    assert_eq!(todo["counts"]["overdue"], 1);
}
