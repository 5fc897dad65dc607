//! Node kinds through the API (issue 16): countersign (all), any-sign (any), claim
//! with its race, add-sign before and after, templates with kinds; the lists, inbox
//! and statistics every share's handler sees.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::flow_api::{op, team, Team};
use crate::harness::*;

// team(): cs 0, lead 1, fin 2, lead2 3, mia 4 (creates), watcher 5, outsider 6

async fn create(tm: &Team, nodes: Value) -> Value {
    let (st, t) = tm
        .c(4)
        .call(
            Method::POST,
            &format!("/api/projects/{}/tasks", tm.project),
            Some(json!({"kind": "workflow", "title": "Order SO-7", "nodes": nodes})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{t}");
    t
}

async fn ok(c: &Client, task: &Value, name: &str, extra: Value) -> Value {
    let (st, t) = op(c, task, name, extra).await;
    assert_eq!(st, StatusCode::OK, "{name}: {t}");
    t
}

fn share_states(t: &Value, node: usize) -> Vec<String> {
    t["nodes"][node]["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"].as_str().unwrap().to_string())
        .collect()
}

/// Task ids in one of my todo groups (`new`/`started`) or personal lists.
async fn todo_ids(c: &Client) -> Vec<u64> {
    let todo = c.get("/api/my/todo").await;
    ["overdue", "new", "started"]
        .iter()
        .flat_map(|g| todo[*g].as_array().unwrap().clone())
        .map(|t| t["id"].as_u64().unwrap())
        .collect()
}

async fn to_claim(c: &Client) -> Vec<u64> {
    c.get("/api/my/to_claim").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_u64().unwrap())
        .collect()
}

fn row(t: &Value, user: u64) -> Value {
    t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["user_id"] == user)
        .cloned()
        .unwrap_or_else(|| panic!("no row for {user} in {t}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_countersign_of_three_where_one_returns() {
    let tm = team().await;
    let (cs, lead, fin, lead2) = (tm.id(0), tm.id(1), tm.id(2), tm.id(3));
    let t = create(
        &tm,
        json!([
            {"handler_id": cs, "action": "pack"},
            {"kind": "all", "handlers": [lead, fin, lead2], "action": "sign off"}
        ]),
    )
    .await;
    assert_eq!(t["nodes"][1]["kind"], "all");
    assert_eq!(share_states(&t, 1), vec!["waiting"; 3]);
    let t = ok(tm.c(0), &t, "complete", json!({})).await;
    assert_eq!(share_states(&t, 1), vec!["active"; 3]);
    let id = t["id"].as_u64().unwrap();
    for i in 1..=3 {
        assert!(todo_ids(tm.c(i)).await.contains(&id), "share {i} in todo");
        assert!(tm
            .c(i)
            .inbox_kinds()
            .await
            .contains(&"assigned".to_string()));
    }
    // lead signs; the step stays current for the other two
    let t = ok(tm.c(1), &t, "complete", json!({})).await;
    assert_eq!(t["current_node"], 1);
    assert_eq!(share_states(&t, 1), vec!["done", "active", "active"]);
    assert!(!todo_ids(tm.c(1)).await.contains(&id));
    // lead, done, may no longer act on it
    let (st, _) = op(tm.c(1), &t, "return", json!({"reason": "x"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // fin returns the whole step: every share resets, cs has it again
    let (st, body) = op(tm.c(2), &t, "return", json!({})).await;
    assert_error(st, &body, 400, "invalid");
    let t = ok(tm.c(2), &t, "return", json!({"reason": "wrong weight"})).await;
    assert_eq!(t["current_node"], 0);
    assert_eq!(share_states(&t, 1), vec!["waiting"; 3]);
    assert!(todo_ids(tm.c(0)).await.contains(&id));
    // round two: all three sign, the task finishes
    let mut t = ok(tm.c(0), &t, "complete", json!({})).await;
    for i in 1..=3 {
        t = ok(tm.c(i), &t, "complete", json!({})).await;
    }
    assert_eq!(t["status"], "done");
    // each share counts as its handler's receipt and completion
    let stats = tm.admin.get("/api/stats").await;
    for u in [lead, fin, lead2] {
        let r = row(&stats, u);
        assert_eq!(
            (r["received"].as_i64(), r["completed"].as_i64()),
            (Some(1), Some(1)),
            "{u}"
        );
    }
    // everyone who handled a share lists it as done
    let done = tm.c(3).get("/api/my/done").await;
    assert_eq!(done["items"][0]["id"], id);
    tm.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_sign_completes_with_the_first_and_tells_the_others() {
    let tm = team().await;
    let (lead, fin, cs) = (tm.id(1), tm.id(2), tm.id(0));
    let t = create(
        &tm,
        json!([
            {"kind": "any", "handlers": [lead, fin], "action": "approve"},
            {"handler_id": cs, "action": "ship"}
        ]),
    )
    .await;
    assert_eq!(share_states(&t, 0), vec!["active", "active"]);
    let t = ok(tm.c(2), &t, "start", json!({})).await;
    let t = ok(tm.c(1), &t, "complete", json!({})).await;
    assert_eq!(t["current_node"], 1);
    assert_eq!(share_states(&t, 0), vec!["done", "closed"]);
    let id = t["id"].as_u64().unwrap();
    assert!(!todo_ids(tm.c(2)).await.contains(&id), "fin's share closed");
    let inbox = tm.c(2).get("/api/inbox").await;
    assert!(
        inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["text"].as_str().unwrap().contains("your share is closed")),
        "{inbox}"
    );
    // both handlers of the done any step may urge the next
    ok(tm.c(2), &t, "urge", json!({})).await;
    let log = tm.c(4).get(&format!("/api/tasks/{id}/log")).await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["create", "start", "complete", "urge"]);
    tm.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_step_is_claimed_once_even_by_two_at_the_same_time() {
    let tm = team().await;
    let (cs, lead, fin) = (tm.id(0), tm.id(1), tm.id(2));
    let t = create(
        &tm,
        json!([
            {"handler_id": cs, "action": "pack"},
            {"kind": "claim", "claim_from": {"users": [lead, fin]}, "action": "ship"}
        ]),
    )
    .await;
    assert_eq!(t["nodes"][1]["candidates"], json!([lead, fin]));
    let id = t["id"].as_u64().unwrap();
    // candidates see the task (they are part of the flow), but nothing to claim yet
    assert!(to_claim(tm.c(1)).await.is_empty());
    let t = ok(tm.c(0), &t, "complete", json!({})).await;
    assert_eq!(t["nodes"][1]["handler_id"], 0, "nobody yet");
    for i in [1, 2] {
        assert_eq!(to_claim(tm.c(i)).await, vec![id]);
        assert!(!todo_ids(tm.c(i)).await.contains(&id));
    }
    // not a candidate: refused (someone outside the task does not even see it)
    let (st, _) = op(tm.c(0), &t, "claim", json!({})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = op(tm.c(3), &t, "claim", json!({})).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // nobody may complete an unclaimed step
    let (st, _) = op(tm.c(1), &t, "complete", json!({})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // two claims on the same revision at once: one wins, the other gets 409
    let (a, b) = tokio::join!(
        op(tm.c(1), &t, "claim", json!({})),
        op(tm.c(2), &t, "claim", json!({}))
    );
    let mut statuses = vec![a.0, b.0];
    statuses.sort();
    assert_eq!(
        statuses,
        vec![StatusCode::OK, StatusCode::CONFLICT],
        "{a:?} {b:?}"
    );
    let (winner, loser) = if a.0 == StatusCode::OK {
        (1, 2)
    } else {
        (2, 1)
    };
    let t = tm.c(winner).get(&format!("/api/tasks/{id}")).await;
    assert_eq!(t["nodes"][1]["handler_id"], tm.id(winner));
    assert!(todo_ids(tm.c(winner)).await.contains(&id));
    assert!(to_claim(tm.c(loser)).await.is_empty());
    // a late claim on the current revision: taken, 409 as well
    let (st, body) = op(tm.c(loser), &t, "claim", json!({})).await;
    assert_error(st, &body, 409, "conflict");
    // the previous handler may no longer withdraw a claimed step
    let (st, _) = op(tm.c(0), &t, "withdraw", json!({})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // the winner releases it before starting; the loser claims it now
    let t = ok(tm.c(winner), &t, "release", json!({})).await;
    assert_eq!(to_claim(tm.c(loser)).await, vec![id]);
    let t = ok(tm.c(loser), &t, "claim", json!({})).await;
    let t = ok(tm.c(loser), &t, "start", json!({})).await;
    let (st, _) = op(tm.c(loser), &t, "release", json!({})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "started: no release");
    let t = ok(tm.c(loser), &t, "complete", json!({})).await;
    assert_eq!(t["status"], "done");
    // the release took back the winner's receipt; the claimer's counts
    let stats = tm.admin.get("/api/stats").await;
    assert_eq!(row(&stats, tm.id(winner))["received"], 0);
    assert_eq!(row(&stats, tm.id(loser))["completed"], 1);
    tm.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claim_candidates_by_role_and_bad_kinds_are_400() {
    let tm = team().await;
    let t = create(
        &tm,
        json!([{"kind": "claim", "claim_from": {"role": "member"}, "action": "grab"}]),
    )
    .await;
    // every project member with the role: the six members of the team
    assert_eq!(t["nodes"][0]["candidates"].as_array().unwrap().len(), 6);
    assert!(to_claim(tm.c(2)).await.contains(&t["id"].as_u64().unwrap()));
    for (nodes, why) in [
        (
            json!([{"kind": "all", "handlers": [tm.id(1)]}]),
            "one handler",
        ),
        (
            json!([{"kind": "any", "handlers": [tm.id(1), tm.id(6)]}]),
            "not a member",
        ),
        (json!([{"kind": "claim"}]), "no candidates"),
        (
            json!([{"kind": "claim", "claim_from": {"role": "boss"}}]),
            "no such role",
        ),
        (
            json!([{"kind": "sometimes", "handler_id": tm.id(1)}]),
            "no such kind",
        ),
    ] {
        let (st, body) = tm
            .c(4)
            .call(
                Method::POST,
                &format!("/api/projects/{}/tasks", tm.project),
                Some(json!({"kind": "workflow", "title": "x", "nodes": nodes})),
            )
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{why}: {body}");
    }
    tm.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_sign_before_and_after_marks_the_added_steps() {
    let tm = team().await;
    let (cs, lead, fin, lead2) = (tm.id(0), tm.id(1), tm.id(2), tm.id(3));
    let t = create(
        &tm,
        json!([{"handler_id": cs, "action": "quote"}, {"handler_id": lead, "action": "approve"}]),
    )
    .await;
    // what the added step needs: a member, what to do, a reason
    for (extra, field) in [
        (json!({"to": tm.id(6), "action": "a", "reason": "r"}), "to"),
        (json!({"to": fin, "reason": "r"}), "action"),
        (json!({"to": fin, "action": "a"}), "reason"),
    ] {
        let (st, body) = op(tm.c(0), &t, "add_before", extra).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{field}: {body}");
    }
    let (st, _) = op(
        tm.c(1),
        &t,
        "add_before",
        json!({"to": fin, "action": "a", "reason": "r"}),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "not lead's step yet");
    let t = ok(
        tm.c(0),
        &t,
        "add_before",
        json!({"to": fin, "action": "check the price", "reason": "large order"}),
    )
    .await;
    assert_eq!(t["nodes"].as_array().unwrap().len(), 3);
    assert_eq!(t["current_node"], 0);
    assert_eq!(t["nodes"][0]["handler_id"], fin);
    assert_eq!(t["nodes"][0]["added"]["by"], cs);
    assert_eq!(t["nodes"][0]["added"]["reason"], "large order");
    assert_eq!(t["nodes"][0]["added"]["before"], true);
    assert_eq!(t["nodes"][1]["state"], "waiting");
    // fin acts first, then it comes back to cs
    let t = ok(tm.c(2), &t, "complete", json!({})).await;
    assert_eq!(
        (t["current_node"].as_u64(), &t["nodes"][1]["handler_id"]),
        (Some(1), &json!(cs))
    );
    let t = ok(
        tm.c(0),
        &t,
        "add_after",
        json!({"to": lead2, "action": "book the courier", "reason": "fragile"}),
    )
    .await;
    assert_eq!(t["nodes"][2]["handler_id"], lead2);
    assert_eq!(t["nodes"][2]["added"]["before"], false);
    let t = ok(tm.c(0), &t, "complete", json!({})).await;
    assert_eq!(
        t["nodes"][t["current_node"].as_u64().unwrap() as usize]["handler_id"],
        lead2
    );
    // the added step is like any other: withdrawn by cs while untouched
    let t = ok(tm.c(0), &t, "withdraw", json!({})).await;
    assert_eq!(t["current_node"], 1);
    let id = t["id"].as_u64().unwrap();
    let log = tm.c(4).get(&format!("/api/tasks/{id}/log")).await;
    let added: Vec<&Value> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["action"].as_str().unwrap().starts_with("add_"))
        .collect();
    assert_eq!(added.len(), 2);
    assert_eq!(added[0]["reason"], "large order");
    assert!(added[0]["detail"]
        .as_str()
        .unwrap()
        .contains("check the price"));
    // the template-free task keeps its own steps; a fresh one has two again
    let t2 = create(&tm, json!([{"handler_id": cs}, {"handler_id": lead}])).await;
    assert_eq!(t2["nodes"].as_array().unwrap().len(), 2);
    tm.s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_and_edits_carry_node_kinds() {
    let tm = team().await;
    let (lead, fin) = (tm.id(1), tm.id(2));
    let tpl = tm
        .admin
        .post(
            "/api/templates",
            json!({"name": "Grab and sign", "nodes": [
                {"kind": "claim", "claim_from": {"users": [lead, fin]}, "action": "grab"},
                {"kind": "all", "handlers": [lead, fin], "action": "sign"}
            ]}),
        )
        .await;
    assert_eq!(tpl["nodes"][0]["kind"], "claim", "{tpl}");
    assert_eq!(tpl["nodes"][1]["handlers"], json!([lead, fin]));
    // an edit turns a step not reached yet into a countersign
    let t = create(
        &tm,
        json!([{"handler_id": tm.id(0)}, {"handler_id": lead, "action": "approve"}]),
    )
    .await;
    let first = &t["nodes"][0];
    let (st, e) = tm
        .c(4)
        .call(
            Method::PATCH,
            &format!("/api/tasks/{}", t["id"]),
            Some(json!({"rev": t["rev"], "nodes": [
                {"id": first["id"], "handler_id": tm.id(0)},
                {"kind": "all", "handlers": [lead, fin], "action": "approve"}
            ]})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{e}");
    assert_eq!(e["nodes"][1]["kind"], "all");
    // a reached step cannot change kind
    let (st, e) = tm
        .c(4)
        .call(
            Method::PATCH,
            &format!("/api/tasks/{}", t["id"]),
            Some(json!({"rev": e["rev"], "nodes": [
                {"id": first["id"], "kind": "any", "handlers": [tm.id(0), fin]},
                {"kind": "all", "handlers": [lead, fin]}
            ]})),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{e}");
    tm.s.stop().await;
}

/// An overdue countersign reminds every handler whose share is still open (and the
/// creator), not only the first; an unclaimed step reminds its candidates.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overdue_countersign_reminds_every_open_share_and_unclaimed_its_candidates() {
    let tm = crate::flow_api::team_with(fast_scheduler()).await;
    let (lead, fin, lead2, cs) = (tm.id(1), tm.id(2), tm.id(3), tm.id(0));
    let past = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    for nodes in [
        json!([{"kind": "all", "handlers": [lead, fin], "action": "sign"}]),
        json!([{"kind": "claim", "claim_from": {"users": [lead2, cs]}, "action": "grab"}]),
    ] {
        let (st, t) = tm
            .c(4)
            .call(
                Method::POST,
                &format!("/api/projects/{}/tasks", tm.project),
                Some(json!({"kind": "workflow", "title": "late", "due_at": past, "nodes": nodes})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{t}");
    }
    for i in [1, 2, 3, 0] {
        tm.c(i).wait_for_message("overdue").await;
    }
    tm.s.stop().await;
}

/// Withdrawing an untouched countersign takes back the receipt of every share's
/// handler (one line holds them all: `received_by` + `received_also`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdrawing_a_countersign_undoes_every_shares_receipt() {
    let tm = team().await;
    let (cs, lead, fin) = (tm.id(0), tm.id(1), tm.id(2));
    let t = create(
        &tm,
        json!([
            {"handler_id": cs, "action": "pack"},
            {"kind": "all", "handlers": [lead, fin], "action": "sign"}
        ]),
    )
    .await;
    let t = ok(tm.c(0), &t, "complete", json!({})).await;
    let stats = tm.admin.get("/api/stats").await;
    assert_eq!(row(&stats, lead)["received"], 1);
    assert_eq!(row(&stats, fin)["received"], 1);
    let t = ok(tm.c(0), &t, "withdraw", json!({})).await;
    assert_eq!(t["current_node"], 0);
    let stats = tm.admin.get("/api/stats").await;
    assert_eq!(row(&stats, lead)["received"], 0);
    assert_eq!(row(&stats, fin)["received"], 0);
    let log = tm.c(4).get(&format!("/api/tasks/{}/log", t["id"])).await;
    let reached = &log["items"][1];
    assert_eq!(
        (
            reached["received_by"].as_u64(),
            reached["received_also"].clone()
        ),
        (Some(fin), json!([lead]))
    );
    tm.s.stop().await;
}
