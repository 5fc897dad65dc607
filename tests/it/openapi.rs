//! The served OpenAPI document describes the API as it is: every path template
//! parameter is declared `in: path` (and nothing else is), the filters are `in: query`,
//! every operation has responses and every `$ref` resolves. Generated clients and the
//! schemathesis run (`tests/fuzz/run.sh`) build their requests from this document.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::flow_api::{op, team};
use crate::harness::*;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Names between braces in a path template, e.g. `/api/tasks/{id}/{op}` → id, op.
fn template_params(path: &str) -> BTreeSet<String> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(String::from)
        .collect()
}

/// Every `$ref` string anywhere below `v`.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

/// Structural problems of the document, one line each (empty when it is sound).
fn problems(doc: &Value) -> Vec<String> {
    let mut bad = Vec::new();
    if !doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")) {
        bad.push(format!("openapi version {}", doc["openapi"]));
    }
    let Some(paths) = doc["paths"].as_object() else {
        return vec!["no paths".into()];
    };
    let mut op_ids = BTreeSet::new();
    for (path, item) in paths {
        if !path.starts_with("/api/") {
            bad.push(format!("{path}: not under /api/"));
        }
        let want = template_params(path);
        let Some(item) = item.as_object() else {
            bad.push(format!("{path}: not an object"));
            continue;
        };
        for (method, op) in item {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            let at = format!("{} {path}", method.to_uppercase());
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let mut in_path = BTreeSet::new();
            let mut seen = BTreeSet::new();
            for p in &params {
                let (Some(name), Some(place)) = (p["name"].as_str(), p["in"].as_str()) else {
                    bad.push(format!("{at}: parameter without name or in: {p}"));
                    continue;
                };
                if !seen.insert((name.to_string(), place.to_string())) {
                    bad.push(format!("{at}: parameter {name} in {place} declared twice"));
                }
                if !["path", "query", "header", "cookie"].contains(&place) {
                    bad.push(format!("{at}: parameter {name} in {place}"));
                }
                if place == "path" {
                    in_path.insert(name.to_string());
                    if p["required"] != true {
                        bad.push(format!("{at}: path parameter {name} not required"));
                    }
                }
                if p.get("schema").is_none() {
                    bad.push(format!("{at}: parameter {name} has no schema"));
                }
            }
            if in_path != want {
                bad.push(format!(
                    "{at}: template has {want:?}, declared in: path {in_path:?}"
                ));
            }
            if (method == "get" || method == "delete") && op.get("requestBody").is_some() {
                bad.push(format!("{at}: request body on {method}"));
            }
            match op["responses"].as_object() {
                Some(r) if r.keys().any(|s| s.starts_with('2')) => {
                    // Error answers are the one envelope, and the shared ones are there.
                    for (status, resp) in r.iter().filter(|(s, _)| !s.starts_with('2')) {
                        let schema = &resp["content"]["application/json"]["schema"]["$ref"];
                        if schema != "#/components/schemas/ErrorBody" {
                            bad.push(format!("{at}: {status} is not an ErrorBody"));
                        }
                    }
                    let mut need = vec!["401", "403"];
                    if !want.is_empty() {
                        need.push("404");
                    }
                    if !params.is_empty() || op.get("requestBody").is_some() {
                        need.push("400");
                    }
                    for s in need.into_iter().filter(|s| !r.contains_key(*s)) {
                        bad.push(format!("{at}: {s} not documented"));
                    }
                }
                _ => bad.push(format!("{at}: no 2xx response")),
            }
            match op["operationId"].as_str() {
                Some(id) if op_ids.insert(id.to_string()) => {}
                Some(id) => bad.push(format!("{at}: operationId {id} used twice")),
                None => bad.push(format!("{at}: no operationId")),
            }
        }
    }
    let mut all = Vec::new();
    refs(doc, &mut all);
    for r in all {
        let Some(name) = r.strip_prefix("#/components/schemas/") else {
            bad.push(format!("$ref {r} is not a local schema"));
            continue;
        };
        if doc["components"]["schemas"].get(name).is_none() {
            bad.push(format!("$ref {r} does not resolve"));
        }
    }
    bad
}

/// Query parameters each filtering route takes (the fields of its query struct), and
/// whether they are required.
fn query_table() -> BTreeMap<&'static str, Vec<(&'static str, bool)>> {
    let stats = vec![("period", false), ("at", false), ("department_id", false)];
    BTreeMap::from([
        ("/api/scenarios/builder/fields", vec![("kind", false)]),
        (
            "/api/projects/{pid}/tasks",
            vec![
                ("status", false),
                ("business_type", false),
                ("priority", false),
                ("handler", false),
                ("due_from", false),
                ("due_to", false),
                ("q", false),
                ("sort", false),
                ("order", false),
                ("page", false),
                ("per_page", false),
                ("archived", false),
                ("field", false),
            ],
        ),
        (
            "/api/inbox",
            vec![
                ("unread", false),
                ("follow_up", false),
                ("kind", false),
                ("before", false),
                ("limit", false),
            ],
        ),
        ("/api/audit", vec![("limit", false)]),
        (
            "/api/scenarios/{id}/versions",
            vec![("before", false), ("limit", false)],
        ),
        (
            "/api/scenarios/{id}/diff",
            vec![("from", true), ("to", true)],
        ),
        ("/api/admin/hooks/{id}/deliveries", vec![("limit", false)]),
        (
            "/api/erp/records",
            vec![("kind", true), ("q", false), ("limit", false)],
        ),
        (
            "/api/admin/outbox",
            vec![("status", false), ("limit", false)],
        ),
        ("/api/stats", stats.clone()),
        (
            "/api/stats/fields",
            vec![("project_id", true), ("field", true)],
        ),
        (
            "/api/projects/{pid}/tasks/export.csv",
            vec![
                ("status", false),
                ("business_type", false),
                ("priority", false),
                ("handler", false),
                ("due_from", false),
                ("due_to", false),
                ("q", false),
                ("sort", false),
                ("order", false),
                ("page", false),
                ("per_page", false),
                ("archived", false),
                ("field", false),
            ],
        ),
        ("/api/stats/export.csv", stats.clone()),
        ("/api/stats/export.xlsx", stats),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_document_is_structurally_sound() {
    let s = TestServer::start().await;
    let doc = s.client().get("/api/openapi.json").await;
    let bad = problems(&doc);
    assert!(bad.is_empty(), "OpenAPI problems:\n{}", bad.join("\n"));

    for (path, want) in query_table() {
        let params = doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("GET {path} has no parameters"))
            .clone();
        let query: BTreeMap<String, bool> = params
            .iter()
            .filter(|p| p["in"] == "query")
            .map(|p| {
                (
                    p["name"].as_str().unwrap().to_string(),
                    p["required"] == true,
                )
            })
            .collect();
        let want: BTreeMap<String, bool> = want.iter().map(|(n, r)| (n.to_string(), *r)).collect();
        assert_eq!(query, want, "query parameters of GET {path}");
    }
    // The ERP push documents a record, so clients (and the fuzz run) can send one.
    let record = &doc["components"]["schemas"]["RecordInput"];
    assert_eq!(
        record["required"],
        json!(["kind", "id", "data"]),
        "{record}"
    );
    assert_eq!(record["additionalProperties"], false, "{record}");
    assert_eq!(
        doc["components"]["schemas"]["Batch"]["properties"]["records"]["items"]["$ref"],
        "#/components/schemas/RecordInput"
    );
    // Path segments with a fixed set of names say which.
    let op = &doc["paths"]["/api/tasks/{id}/{op}"]["post"]["parameters"][1]["schema"]["$ref"];
    let op = op.as_str().and_then(|r| r.rsplit('/').next()).unwrap();
    assert_eq!(
        doc["components"]["schemas"][op]["enum"],
        json!([
            "complete",
            "start",
            "transfer",
            "return",
            "urge",
            "withdraw",
            "claim",
            "release",
            "add_before",
            "add_after"
        ])
    );
    assert_eq!(
        doc["paths"]["/api/my/{which}"]["get"]["parameters"][0]["schema"]["enum"],
        json!(["done", "created", "watching", "to_claim"])
    );
    // No other route takes query parameters it does not declare, and no route declares
    // query parameters the table above does not know.
    let table = query_table();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let has_query = op["parameters"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
            let expected = method == "get" && table.contains_key(path.as_str());
            assert_eq!(has_query, expected, "{method} {path}: query parameters");
        }
    }
    s.stop().await;
}

/// The checker itself catches the mistake this document used to have: a query filter
/// declared as a required path parameter.
#[test]
fn the_checker_finds_a_query_filter_declared_in_path() {
    let doc = json!({
        "openapi": "3.1.0",
        "paths": {"/api/inbox": {"get": {
            "operationId": "inbox",
            "parameters": [{"name": "unread", "in": "path", "required": true, "schema": {"type": "boolean"}}],
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Missing"}}}}}
        }}},
        "components": {"schemas": {}}
    });
    let bad = problems(&doc);
    assert!(
        bad.iter().any(|b| b.contains("declared in: path")),
        "{bad:?}"
    );
    assert!(
        bad.iter().any(|b| b.contains("does not resolve")),
        "{bad:?}"
    );
}

/// The filters work as query parameters, as the document says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documented_filters_are_honoured_as_query_parameters() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    for path in [
        "/api/inbox?unread=true&limit=5",
        "/api/audit?limit=3",
        "/api/admin/outbox?status=failed&limit=2",
        "/api/erp/records?kind=order&limit=1",
        "/api/stats?period=week",
    ] {
        admin.get(path).await;
    }
    // A query error names the parameter, whether the service (`invalid`) or the
    // parser (`bad_request`) finds it.
    for (path, code, field) in [
        ("/api/inbox?kind=bogus", "invalid", "kind"),
        ("/api/inbox?unread=maybe", "bad_request", "unread"),
        (
            "/api/audit?limit=270609478235815241842688",
            "bad_request",
            "limit",
        ),
        ("/api/erp/records?q=x", "bad_request", "kind"),
        (
            "/api/projects/1/tasks?due_from=yesterday",
            "bad_request",
            "due_from",
        ),
    ] {
        let (st, body) = admin.call(Method::GET, path, None).await;
        assert_error(st, &body, 400, code);
        assert_eq!(body["error"]["field"], field, "{path}: {body}");
    }
    // So does a body the parser refuses: wrong type, unknown or missing field.
    for (body, field) in [
        (json!({"name": 5}), "name"),
        (json!({"name": "x", "colour": "red"}), "colour"),
        (json!({}), "name"),
        (json!({"name": "x", "members": [1, -1]}), "members"),
    ] {
        let (st, answer) = admin
            .call(Method::POST, "/api/projects", Some(body.clone()))
            .await;
        assert_error(st, &answer, 400, "bad_request");
        assert_eq!(answer["error"]["field"], field, "{body}: {answer}");
    }
    s.stop().await;
}

/// A body the parser or the service refuses names the field at fault: a missing or
/// wrong-typed field of a task, a field missing inside a node (the top-level `nodes`),
/// a transfer without `to` (with or without a reason), a flow operation without `rev`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_errors_name_the_field_at_fault() {
    let tm = team().await;
    let path = format!("/api/projects/{}/tasks", tm.project);
    let node = json!({"handler_id": tm.id(0), "action": "check"});
    let task = |extra: Value| {
        let mut body = json!({"kind": "workflow", "title": "Refund", "nodes": [node.clone()]});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        body
    };
    let mut untitled = task(json!({}));
    if let Some(b) = untitled.as_object_mut() {
        b.remove("title");
    }
    for (body, field) in [
        (untitled, "title"),
        (task(json!({"title": 42})), "title"),
        (task(json!({"priority": 5})), "priority"),
        (task(json!({"priority": "urgentest"})), "priority"),
        (task(json!({"due_at": "tomorrow"})), "due_at"),
        (task(json!({"watchers": ["bob"]})), "watchers"),
        (task(json!({"nodes": [{"handler_id": "cs"}]})), "nodes"),
    ] {
        let (st, answer) = tm.c(4).call(Method::POST, &path, Some(body.clone())).await;
        assert_error(st, &answer, 400, "bad_request");
        assert_eq!(answer["error"]["field"], field, "{body}: {answer}");
    }
    // A node without a handler passes the parser (other kinds name theirs
    // differently); the service names the field.
    for (body, field) in [(task(json!({"nodes": [{"action": "check"}]})), "nodes")] {
        let (st, answer) = tm.c(4).call(Method::POST, &path, Some(body.clone())).await;
        assert_error(st, &answer, 400, "invalid");
        assert_eq!(answer["error"]["field"], field, "{body}: {answer}");
    }
    // The service's own check names the field too (a blank title passes the parser).
    let (st, answer) = tm
        .c(4)
        .call(Method::POST, &path, Some(task(json!({"title": "  "}))))
        .await;
    assert_error(st, &answer, 400, "invalid");
    assert_eq!(answer["error"]["field"], "title", "{answer}");

    let t = tm.refund_task().await;
    for (extra, code, field) in [
        (json!({}), "invalid", "to"),
        (json!({"reason": "on leave"}), "invalid", "to"),
        (json!({"to": "lead"}), "bad_request", "to"),
        (
            json!({"to": tm.id(1), "reason": 5}),
            "bad_request",
            "reason",
        ),
    ] {
        let (st, body) = op(tm.c(0), &t, "transfer", extra.clone()).await;
        assert_error(st, &body, 400, code);
        assert_eq!(body["error"]["field"], field, "{extra}: {body}");
    }
    let (st, body) = tm
        .c(0)
        .call(
            Method::POST,
            &format!("/api/tasks/{}/transfer", t["id"]),
            Some(json!({"to": tm.id(1)})),
        )
        .await;
    assert_error(st, &body, 400, "bad_request");
    assert_eq!(body["error"]["field"], "rev", "{body}");
    tm.s.stop().await;
}

/// A validation error names the field that is wrong: a transfer without `to` used to
/// blame `reason`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flow_validation_errors_name_the_wrong_field() {
    let tm = team().await;
    let t = tm.refund_task().await;
    let (st, body) = op(tm.c(0), &t, "transfer", json!({})).await;
    assert_error(st, &body, 400, "invalid");
    assert_eq!(body["error"]["field"], "to", "{body}");
    let (st, body) = op(tm.c(0), &t, "transfer", json!({"to": tm.id(0)})).await;
    assert_error(st, &body, 400, "invalid");
    assert_eq!(body["error"]["field"], "to", "{body}");

    let (st, body) = tm
        .c(0)
        .call(
            Method::POST,
            &format!("/api/tasks/{}/checklist/999", t["id"]),
            Some(json!({"rev": t["rev"], "done": true})),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "item", "{body}");
    tm.s.stop().await;
}
