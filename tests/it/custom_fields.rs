//! Custom fields, CC and conditional steps through the HTTP API (issue 16).

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::flow_api::{op, team, Team};
use crate::harness::*;

const GM: &str = r#"cents(fields.amount) > cents("20000")"#;

/// The project gets an amount (money, required), a region (choice) and a link.
async fn with_fields(t: &Team) {
    let (st, p) = t
        .admin
        .call(
            Method::PATCH,
            &format!("/api/projects/{}", t.project),
            Some(json!({"fields": [
                {"key": "amount", "label": "Amount", "type": "money", "required": true},
                {"key": "region", "label": "Region", "type": "choice", "options": ["north", "south"]},
                {"key": "site", "label": "Site", "type": "link"}
            ]})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{p}");
    assert_eq!(p["fields"].as_array().unwrap().len(), 3);
}

/// mia creates a task: step 1 cs, step 2 lead (with `second` merged in).
async fn create(t: &Team, fields: Value, second: Value) -> (StatusCode, Value) {
    let mut step2 = json!({"handler_id": t.id(1), "action": "Packed"});
    if let (Some(s), Some(extra)) = (step2.as_object_mut(), second.as_object()) {
        s.extend(extra.clone());
    }
    t.c(4)
        .call(
            Method::POST,
            &format!("/api/projects/{}/tasks", t.project),
            Some(json!({
                "kind": "workflow", "title": "Order SO-7", "fields": fields,
                "nodes": [{"handler_id": t.id(0), "action": "pick"}, step2],
                "watchers": [t.id(5)]
            })),
        )
        .await
}

async fn created(t: &Team, fields: Value, second: Value) -> Value {
    let (st, v) = create(t, fields, second).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    v
}

async fn complete(c: &Client, task: &Value) -> Value {
    let (st, v) = op(c, task, "complete", json!({})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v
}

async fn log_details(c: &Client, id: &Value) -> Vec<String> {
    c.get(&format!("/api/tasks/{id}/log")).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["detail"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fields_are_checked_stored_listed_filtered_and_edited() {
    let t = team().await;
    with_fields(&t).await;
    // wrong values: 400 naming the field
    for (fields, name) in [
        (json!({"amount": "12.345"}), "amount"),
        (json!({"amount": "1", "region": "east"}), "region"),
        (
            json!({"amount": "1", "site": "javascript:alert(1)"}),
            "site",
        ),
        (json!({"amount": "1", "colour": "red"}), "colour"),
        (json!({"region": "north"}), "amount"),
    ] {
        let (st, body) = create(&t, fields.clone(), json!({})).await;
        assert_error(st, &body, 400, "invalid");
        let msg = body["error"]["message"].as_str().unwrap();
        assert!(msg.contains(&format!("'{name}'")), "{fields}: {msg}");
    }
    let a = created(
        &t,
        json!({"amount": "25,000.5", "region": "north"}),
        json!({}),
    )
    .await;
    assert_eq!(
        a["fields"],
        json!({"amount": "25000.50", "region": "north"})
    );
    let b = created(&t, json!({"amount": 150, "region": "south"}), json!({})).await;
    assert_eq!(b["fields"]["amount"], "150.00");
    let detail = t.c(4).get(&format!("/api/tasks/{}", a["id"])).await;
    assert_eq!(detail["field_defs"].as_array().unwrap().len(), 3);
    // listed with their fields, filtered by one
    let list = |q: &str| format!("/api/projects/{}/tasks?{q}", t.project);
    let all = t.admin.get(&list("")).await;
    assert_eq!(all["items"][0]["fields"]["region"], "south");
    let north = t.admin.get(&list("field=region:north")).await;
    assert_eq!(north["total"], 1);
    assert_eq!(north["items"][0]["id"], a["id"]);
    assert_eq!(t.admin.get(&list("field=amount:150")).await["total"], 1);
    assert_eq!(t.admin.get(&list("field=site:")).await["total"], 2);
    let (st, body) = t.admin.call(Method::GET, &list("field=region"), None).await;
    assert_error(st, &body, 400, "invalid");
    // exported with a column per field, and counted by the choice field
    let csv = t
        .admin
        .request(
            Method::GET,
            &format!(
                "/api/projects/{}/tasks/export.csv?field=region:north",
                t.project
            ),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].ends_with("Amount,Region,Site"), "{csv}");
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[1].contains("25000.50,north,"), "{csv}");
    let by = t
        .admin
        .get(&format!(
            "/api/stats/fields?project_id={}&field=region",
            t.project
        ))
        .await;
    assert_eq!(
        by["rows"][0],
        json!({"value": "north", "open": 1, "done": 0, "overdue": 0})
    );
    assert_eq!(by["rows"][1]["open"], 1);
    assert_eq!(by["rows"][2]["value"], Value::Null);
    let (st, body) = t
        .admin
        .call(
            Method::GET,
            &format!("/api/stats/fields?project_id={}&field=amount", t.project),
            None,
        )
        .await;
    assert_error(st, &body, 400, "invalid");
    let (st, _) = t
        .c(6)
        .call(
            Method::GET,
            &format!("/api/stats/fields?project_id={}&field=region", t.project),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "an outsider learns nothing");
    // edited by the creator (checked again), not by a watcher
    let path = format!("/api/tasks/{}", a["id"]);
    let (st, body) = t
        .c(4)
        .call(
            Method::PATCH,
            &path,
            Some(json!({"rev": a["rev"], "fields": {"amount": "x"}})),
        )
        .await;
    assert_error(st, &body, 400, "invalid");
    let (st, body) = t
        .c(5)
        .call(
            Method::PATCH,
            &path,
            Some(json!({"rev": a["rev"], "fields": {"amount": "1"}})),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    let (st, e) = t
        .c(4)
        .call(
            Method::PATCH,
            &path,
            Some(json!({"rev": a["rev"], "fields": {"amount": "99", "region": "south"}})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{e}");
    assert_eq!(e["fields"]["region"], "south");
    // bad definitions are refused
    let (st, body) = t
        .admin
        .call(
            Method::PATCH,
            &format!("/api/projects/{}", t.project),
            Some(json!({"fields": [{"key": "c", "label": "C", "type": "choice"}]})),
        )
        .await;
    assert_error(st, &body, 400, "invalid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conditional_gm_step_is_skipped_under_20000_and_reached_above() {
    let t = team().await;
    with_fields(&t).await;
    // a template's condition is compiled on save: an error names the step
    let (st, body) = t
        .admin
        .call(
            Method::POST,
            "/api/templates",
            Some(json!({"name": "Order", "nodes": [{"handler_id": null}, {"handler_id": null, "condition": "fields.amount >"}]})),
        )
        .await;
    assert_error(st, &body, 400, "invalid");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("step 2"),
        "{body}"
    );
    let tpl = t
        .admin
        .post(
            "/api/templates",
            json!({"name": "Order", "nodes": [{"handler_id": null}, {"handler_id": null, "condition": GM}],
                   "fields": [{"key": "customer", "label": "Customer", "type": "text"}]}),
        )
        .await;
    assert_eq!(tpl["nodes"][1]["condition"], GM);
    // the template's fields apply to the tasks made from it, not to others
    let (st, body) = create(&t, json!({"amount": "1", "customer": "ACME"}), json!({})).await;
    assert_error(st, &body, 400, "invalid");
    let (st, from_tpl) = t
        .c(4)
        .call(
            Method::POST,
            &format!("/api/projects/{}/tasks", t.project),
            Some(json!({
                "kind": "workflow", "title": "From the template", "template_id": tpl["id"],
                "fields": {"amount": "1", "customer": "ACME"},
                "nodes": [{"handler_id": t.id(0)}, {"handler_id": t.id(1), "condition": GM}]
            })),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{from_tpl}");
    assert_eq!(from_tpl["fields"]["customer"], "ACME");
    let small = created(&t, json!({"amount": "15000"}), json!({"condition": GM})).await;
    let done = complete(t.c(0), &small).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["nodes"][1]["skipped"], true);
    assert!(log_details(t.c(4), &small["id"])
        .await
        .iter()
        .any(|d| d == "step 2 skipped: condition not met"));
    assert!(
        !t.c(1).inbox_kinds().await.contains(&"assigned".to_string()),
        "the GM of a skipped step hears nothing"
    );
    // nor did they handle it, nor receive it in the statistics
    let done = t.c(1).get("/api/my/done").await;
    assert!(done["items"].as_array().unwrap().is_empty(), "{done}");
    let stats = t.admin.get("/api/stats").await;
    let gm = stats["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["user_id"] == t.id(1))
        .unwrap()
        .clone();
    assert_eq!(
        (gm["received"].clone(), gm["completed"].clone()),
        (json!(0), json!(0)),
        "{gm}"
    );
    let big = created(&t, json!({"amount": "25000"}), json!({"condition": GM})).await;
    let next = complete(t.c(0), &big).await;
    assert_eq!(next["current_node"], 1, "{next}");
    assert_eq!(next["nodes"][1]["state"], "active");
    t.c(1).wait_for_message("assigned").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_condition_stops_at_its_step_and_tells_the_admins() {
    let t = team().await;
    with_fields(&t).await;
    // no region yet: `().len()` fails
    let cond = json!({"condition": "fields.region.len() > 5"});
    let task = created(&t, json!({"amount": "1"}), cond.clone()).await;
    let at = complete(t.c(0), &task).await;
    assert_eq!(at["current_node"], 1, "never skipped silently: {at}");
    let err = at["nodes"][1]["condition_error"].as_str().unwrap();
    assert!(!err.is_empty());
    t.c(4).wait_for_message("condition_failed").await;
    // and the project's admins (here the company admin)
    t.admin.wait_for_message("condition_failed").await;
    let path = format!("/api/tasks/{}", task["id"]);
    // once the fields make the condition false, the server skips the step
    let (st, e) = t
        .c(4)
        .call(
            Method::PATCH,
            &path,
            Some(json!({"rev": at["rev"], "fields": {"amount": "1", "region": "north"}})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{e}");
    let now = t.c(4).get(&path).await;
    assert_eq!(now["status"], "done", "{now}");
    assert_eq!(now["nodes"][1]["skipped"], true);
    assert!(log_details(t.c(4), &task["id"])
        .await
        .iter()
        .any(|d| d == "step 2 skipped: condition not met"));
    // a condition that does not compile is refused at creation
    let (st, body) = create(
        &t,
        json!({"amount": "1"}),
        json!({"condition": "fields.amount >"}),
    )
    .await;
    assert_error(st, &body, 400, "invalid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cc_recipient_is_told_at_packed_and_may_view_the_task() {
    let t = team().await;
    with_fields(&t).await;
    let finance = t.id(3);
    let task = created(
        &t,
        json!({"amount": "1"}),
        json!({"cc": [finance], "cc_on": "both"}),
    )
    .await;
    let path = format!("/api/tasks/{}", task["id"]);
    // not a CC of a step outside the project
    let (st, body) = create(&t, json!({"amount": "1"}), json!({"cc": [t.id(6)]})).await;
    assert_error(st, &body, 400, "invalid");
    let seen = t.c(3).get(&path).await;
    assert!(seen["allowed"]["ops"].as_array().unwrap().is_empty());
    assert!(!seen["allowed"]["edit"].as_bool().unwrap());
    assert!(t.c(3).inbox_kinds().await.is_empty());
    let at = complete(t.c(0), &task).await;
    t.c(3).wait_for_message("cc").await;
    complete(t.c(1), &at).await;
    for _ in 0..50 {
        let kinds = t.c(3).inbox_kinds().await;
        if kinds.iter().filter(|k| *k == "cc").count() == 2 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no second cc message (step done)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_tasks_set_fields_and_conditions_from_the_record() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let erp = s.erp_client(&admin).await;
    let me = admin.get("/api/me").await["user"]["id"].as_u64().unwrap();
    let (st, p) = admin
        .call(
            Method::POST,
            "/api/projects",
            Some(json!({"name": "Orders", "members": [me], "fields": [
                {"key": "amount", "label": "Amount", "type": "money"},
                {"key": "customer", "label": "Customer", "type": "text"}
            ]})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    let source = r#"
const ID = "big_order";
const NAME = "Big order";
const WATCHES = "order";
const PROJECT = "Orders";
fn condition(r, prev) { r.status == "new" }
fn task(r) { #{ title: `Order ${r.id}`, fields: #{ amount: r.amount, customer: r.buyer },
  nodes: [#{ handler: "admin", action: "pack" },
          #{ handler: "admin", action: "GM approval", condition: `cents(fields.amount) > cents("20000") && r.buyer != ""` }] } }
"#;
    admin
        .post("/api/scenarios", json!({"source": source}))
        .await;
    let (st, r) = erp
        .call(
            Method::POST,
            "/api/erp/records",
            Some(json!({"records": [
                {"kind": "order", "id": "SO-1", "data": {"status": "new", "amount": "25000.00", "buyer": "ACME"}},
                {"kind": "order", "id": "SO-2", "data": {"status": "new", "amount": "900", "buyer": "Bob"}}
            ]})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let path = format!(
        "/api/projects/{}/tasks?status=all&sort=created&order=asc",
        p["id"]
    );
    let mut items = Vec::new();
    for _ in 0..50 {
        items = admin.get(&path).await["items"].as_array().unwrap().clone();
        if items.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(items.len(), 2, "{items:?}");
    let by_title = |t: &str| items.iter().find(|i| i["title"] == t).unwrap().clone();
    let big = by_title("Order SO-1");
    assert_eq!(
        big["fields"],
        json!({"amount": "25000.00", "customer": "ACME"})
    );
    let small = by_title("Order SO-2");
    for (summary, gm_reached) in [(big, true), (small, false)] {
        let task = admin.get(&format!("/api/tasks/{}", summary["id"])).await;
        let (st, after) = op(&admin, &task, "complete", json!({})).await;
        assert_eq!(st, StatusCode::OK, "{after}");
        assert_eq!(after["status"] == "open", gm_reached, "{after}");
    }
    // a field the project does not define: the scenario's task error, no task
    let bad = source
        .replace("big_order", "bad_fields")
        .replace("customer: r.buyer", "colour: r.buyer");
    admin.post("/api/scenarios", json!({"source": bad})).await;
    erp.post(
        "/api/erp/records",
        json!({"records": [{"kind": "order", "id": "SO-3", "data": {"status": "new", "amount": "1", "buyer": "C"}}]}),
    )
    .await;
    for _ in 0..50 {
        let scen = admin.get("/api/scenarios").await;
        let bad = scen["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["key"] == "bad_fields")
            .cloned()
            .unwrap();
        if let Some(m) = bad["last_error"]["message"].as_str() {
            assert!(m.contains("'colour'"), "{m}");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the scenario with an undefined field reported no error");
}
