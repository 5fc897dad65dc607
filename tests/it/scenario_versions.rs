//! Scenario versions (every save kept, diff, rollback) and stored test cases (run on
//! every save, `save_anyway`, `baton rules test DIR`).

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::harness::*;

fn widget_script(threshold: u32) -> String {
    format!(
        r#"const ID = "widget_level";
const NAME = "Widget level";
const WATCHES = "widget";

fn condition(r, prev) {{
    r.level > {threshold}
}}

fn task(r) {{
    #{{ title: `Widget ${{r.id}} at ${{r.level}}`, due_in_days: 2, nodes: [#{{ handler: "admin", action: "look" }}] }}
}}
"#
    )
}

async fn save(admin: &Client, body: Value) -> (StatusCode, Value) {
    admin.call(Method::POST, "/api/scenarios", Some(body)).await
}

async fn versions(admin: &Client, id: u64, query: &str) -> Value {
    admin
        .get(&format!("/api/scenarios/{id}/versions{query}"))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_save_is_a_version_with_a_diff_and_a_rollback() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let erp = s.erp_client(&admin).await;
    let (st, v1) = save(&admin, json!({"source": widget_script(5)})).await;
    assert_eq!(st, StatusCode::OK, "{v1}");
    let id = v1["id"].as_u64().unwrap();
    assert_eq!(v1["version"], 1);
    // a task made by version 1
    let (st, r) = erp
        .call(
            Method::POST,
            "/api/erp/records",
            Some(json!({"records": [{"kind": "widget", "id": "W-1", "data": {"level": 9}}]})),
        )
        .await;
    assert_eq!(
        (st, r["scenarios"]["tasks_created"].as_u64()),
        (StatusCode::OK, Some(1)),
        "{r}"
    );
    let project = admin.erp_project().await["id"].as_u64().unwrap();
    let tasks = admin
        .get(&format!("/api/projects/{project}/tasks?status=all"))
        .await;
    let task_id = tasks["items"][0]["id"].as_u64().unwrap();

    let (st, v2) = save(
        &admin,
        json!({"source": widget_script(7), "comment": "raise the threshold"}),
    )
    .await;
    assert_eq!(
        (st, v2["version"].as_u64()),
        (StatusCode::OK, Some(2)),
        "{v2}"
    );
    // saving the same script again is no new version
    let (_, same) = save(&admin, json!({"source": widget_script(7)})).await;
    assert_eq!(same["version"], 2);

    let list = versions(&admin, id, "").await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    assert_eq!(
        (items[0]["version"].as_u64(), items[1]["version"].as_u64()),
        (Some(2), Some(1)),
        "newest first"
    );
    assert_eq!(items[0]["comment"], "raise the threshold");
    assert_eq!(items[0]["author"], "admin");
    assert!(items[0]["author_id"].as_u64().is_some());
    assert!(list["next_before"].is_null());
    let page = versions(&admin, id, "?limit=1").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["next_before"], 2);
    let rest = versions(&admin, id, "?limit=1&before=2").await;
    assert_eq!(rest["items"][0]["version"], 1);
    assert!(rest["next_before"].is_null());

    let one = admin.get(&format!("/api/scenarios/{id}/versions/1")).await;
    assert_eq!(one["source"], widget_script(5));
    let (st, body) = admin
        .call(
            Method::GET,
            &format!("/api/scenarios/{id}/versions/9"),
            None,
        )
        .await;
    assert_error(st, &body, 404, "not_found");

    let diff = admin
        .get(&format!("/api/scenarios/{id}/diff?from=1&to=2"))
        .await;
    assert_eq!(
        (diff["added"].as_u64(), diff["removed"].as_u64()),
        (Some(1), Some(1)),
        "{diff}"
    );
    let lines = diff["hunks"][0]["lines"].as_array().unwrap();
    let removed = lines.iter().find(|l| l["kind"] == "removed").unwrap();
    let added = lines.iter().find(|l| l["kind"] == "added").unwrap();
    assert_eq!(removed["text"], "    r.level > 5");
    assert_eq!(added["text"], "    r.level > 7");
    assert_eq!(
        (removed["old_line"].as_u64(), added["new_line"].as_u64()),
        (Some(6), Some(6))
    );
    let (st, body) = admin
        .call(
            Method::GET,
            &format!("/api/scenarios/{id}/diff?from=1"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{body}");

    let back = admin
        .post(
            &format!("/api/scenarios/{id}/versions/1/rollback"),
            json!({}),
        )
        .await;
    assert_eq!(
        (back["version"].as_u64(), back["source"].as_str()),
        (Some(3), Some(widget_script(5).as_str()))
    );
    let latest = versions(&admin, id, "?limit=1").await;
    assert_eq!(latest["items"][0]["comment"], "rollback to v1");
    // rolling back to the script that is current already is refused
    let (st, body) = admin
        .call(
            Method::POST,
            &format!("/api/scenarios/{id}/versions/1/rollback"),
            Some(json!({})),
        )
        .await;
    assert_error(st, &body, 409, "conflict");

    let t = admin.get(&format!("/api/tasks/{task_id}")).await;
    assert_eq!(
        t["source"]["scenario_version"], 1,
        "the task keeps the version that made it"
    );
    // deleting the scenario takes its history along; the task stays
    let (st, _) = admin
        .call(Method::DELETE, &format!("/api/scenarios/{id}"), None)
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, body) = admin
        .call(Method::GET, &format!("/api/scenarios/{id}/versions"), None)
        .await;
    assert_error(st, &body, 404, "not_found");
    let t = admin.get(&format!("/api/tasks/{task_id}")).await;
    assert_eq!(t["source"]["scenario_version"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_cases_refuse_a_save_unless_saved_anyway() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let (_, sc) = save(&admin, json!({"source": widget_script(5)})).await;
    let id = sc["id"].as_u64().unwrap();
    let case = admin
        .post(
            &format!("/api/scenarios/{id}/cases"),
            json!({"name": "level 6 fires", "record": {"kind": "widget", "id": "W-6", "data": {"level": 6}},
                   "expect": {"fires": true, "title": "Widget W-6 at 6", "handlers": ["admin"], "due_in_days": 2}}),
        )
        .await;
    assert!(
        case["case"]["now"].is_string(),
        "a case keeps the time it was added: {case}"
    );
    let (st, body) = admin
        .call(
            Method::POST,
            &format!("/api/scenarios/{id}/cases"),
            Some(json!({"name": "level 6 fires", "record": {"kind": "widget", "id": "W-6", "data": {}}, "expect": {"fires": false}})),
        )
        .await;
    assert_error(st, &body, 409, "conflict");
    let (st, body) = admin
        .call(
            Method::POST,
            &format!("/api/scenarios/{id}/cases"),
            Some(json!({"name": "no record", "expect": {"fires": false}})),
        )
        .await;
    assert_error(st, &body, 400, "invalid");

    // a threshold of 7 no longer fires for level 6: refused, with the case named
    let (st, body) = save(&admin, json!({"source": widget_script(7)})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "cases_failed");
    assert_eq!(body["failing"][0]["name"], "level 6 fires");
    assert!(body["failing"][0]["expected"]
        .as_str()
        .unwrap()
        .starts_with("fires"));
    assert_eq!(body["failing"][0]["got"], "does not fire");
    assert_eq!(
        admin.get(&format!("/api/scenarios/{id}/versions")).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "nothing saved"
    );

    // the cases can be run against the editor's script before saving
    let run = admin
        .post(
            &format!("/api/scenarios/{id}/cases/run"),
            json!({"source": widget_script(7)}),
        )
        .await;
    assert_eq!(
        (run["passed"].as_u64(), run["failed"].as_u64()),
        (Some(0), Some(1))
    );
    let run = admin
        .post(&format!("/api/scenarios/{id}/cases/run"), json!({}))
        .await;
    assert_eq!(
        (run["passed"].as_u64(), run["failed"].as_u64()),
        (Some(1), Some(0))
    );

    let (st, saved) = save(
        &admin,
        json!({"source": widget_script(7), "comment": "on purpose", "save_anyway": true}),
    )
    .await;
    assert_eq!(
        (st, saved["version"].as_u64()),
        (StatusCode::OK, Some(2)),
        "{saved}"
    );
    let v = admin
        .get(&format!("/api/scenarios/{id}/versions?limit=1"))
        .await;
    assert_eq!(
        v["items"][0]["comment"],
        "on purpose (saved with 1 failing cases)"
    );

    // a case from a stored record (as the dry run's "keep as a test case" sends it)
    let erp = s.erp_client(&admin).await;
    erp.post(
        "/api/erp/records",
        json!({"records": [{"kind": "widget", "id": "W-9", "data": {"level": 9}}]}),
    )
    .await;
    let kept = admin
        .post(
            &format!("/api/scenarios/{id}/cases"),
            json!({"name": "W-9", "kind": "widget", "id": "W-9", "expect": {"fires": true}}),
        )
        .await;
    assert_eq!(kept["case"]["record"]["data"]["level"], 9);
    let cases = admin.get(&format!("/api/scenarios/{id}/cases")).await;
    assert_eq!(cases["items"].as_array().unwrap().len(), 2);
    let first = case["id"].as_u64().unwrap();
    let (st, _) = admin
        .call(
            Method::DELETE,
            &format!("/api/scenarios/{id}/cases/{first}"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, body) = admin
        .call(
            Method::DELETE,
            &format!("/api/scenarios/{id}/cases/{first}"),
            None,
        )
        .await;
    assert_error(st, &body, 404, "not_found");
    // with the failing case gone, a plain save goes through
    let (st, body) = save(&admin, json!({"source": widget_script(8)})).await;
    assert_eq!(st, StatusCode::OK, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shipped_scenarios_start_with_a_version_and_their_cases() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let list = admin.get("/api/scenarios").await;
    let po = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["key"] == "po_over_5000")
        .unwrap()
        .clone();
    let id = po["id"].as_u64().unwrap();
    let v = admin.get(&format!("/api/scenarios/{id}/versions")).await;
    assert_eq!(v["items"][0]["author"], "cli:po_over_5000.rhai");
    let cases = admin.get(&format!("/api/scenarios/{id}/cases")).await;
    assert_eq!(cases["items"].as_array().unwrap().len(), 3);
    let run = admin
        .post(&format!("/api/scenarios/{id}/cases/run"), json!({}))
        .await;
    assert_eq!(run["failed"], 0, "{run}");
}

fn repo(path: &str) -> String {
    format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn rules_test_runs_every_case_of_a_directory() {
    let data = tempfile::tempdir().unwrap();
    let (ok, out, err) = baton(data.path(), &["rules", "test", &repo("rules")], None);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("pass  PO-7: 5000.01 is above 5000"), "{out}");
    assert!(out.contains(" 0 failed"), "{out}");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("w.rhai"), widget_script(5)).unwrap();
    std::fs::write(
        dir.path().join("w.cases.json"),
        r#"{"cases": [
            {"name": "level 9 fires", "record": {"kind": "widget", "id": "W-9", "data": {"level": 9}}, "expect": {"fires": true}},
            {"name": "level 3 is quiet", "record": {"kind": "widget", "id": "W-3", "data": {"level": 3}}, "expect": {"fires": true}}
        ]}"#,
    )
    .unwrap();
    let (ok, out, err) = baton(
        data.path(),
        &["rules", "test", dir.path().to_str().unwrap()],
        None,
    );
    assert!(!ok, "a failing case exits non-zero: {out}");
    assert!(out.contains("pass  level 9 fires"), "{out}");
    assert!(
        out.contains("FAIL  level 3 is quiet: expected fires; got does not fire"),
        "{out}"
    );
    assert!(out.contains("2 cases: 1 passed, 1 failed"), "{out}");
    assert!(err.contains("1 of 2 cases failed"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_load_keeps_the_file_as_author_and_its_cases() {
    let s = TestServer::start().await;
    let data = s.data.clone();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("w.rhai"), widget_script(5)).unwrap();
    std::fs::write(
        dir.path().join("w.cases.json"),
        r#"{"cases": [{"name": "level 6 fires", "record": {"kind": "widget", "id": "W-6", "data": {"level": 6}}, "expect": {"fires": true}}]}"#,
    )
    .unwrap();
    let (d, p) = (data.clone(), dir.path().to_path_buf());
    let load = tokio::task::spawn_blocking(move || {
        baton(&d, &["rules", "load", p.to_str().unwrap()], None)
    })
    .await
    .unwrap();
    assert!(load.0, "{}\n{}", load.1, load.2);
    let admin = s.admin().await;
    let list = admin.get("/api/scenarios").await;
    let id = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["key"] == "widget_level")
        .unwrap()["id"]
        .as_u64()
        .unwrap();
    let v = admin.get(&format!("/api/scenarios/{id}/versions")).await;
    assert_eq!(v["items"][0]["author"], "cli:w.rhai");
    assert!(v["items"][0]["author_id"].is_null());
    let cases = admin.get(&format!("/api/scenarios/{id}/cases")).await;
    assert_eq!(cases["items"][0]["case"]["name"], "level 6 fires");
    // a script its cases refuse is not loaded, and the case is named
    std::fs::write(dir.path().join("w.rhai"), widget_script(7)).unwrap();
    let (d, p) = (data.clone(), dir.path().to_path_buf());
    let load = tokio::task::spawn_blocking(move || {
        baton(&d, &["rules", "load", p.to_str().unwrap()], None)
    })
    .await
    .unwrap();
    assert!(!load.0);
    assert!(
        load.2.contains("case 'level 6 fires'"),
        "{}\n{}",
        load.1,
        load.2
    );
    let v = admin.get(&format!("/api/scenarios/{id}/versions")).await;
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    // unless loaded with --save-anyway, which the version comment records
    let (d, p) = (data.clone(), dir.path().to_path_buf());
    let load = tokio::task::spawn_blocking(move || {
        baton(
            &d,
            &["rules", "load", "--save-anyway", p.to_str().unwrap()],
            None,
        )
    })
    .await
    .unwrap();
    assert!(load.0, "{}\n{}", load.1, load.2);
    let v = admin
        .get(&format!("/api/scenarios/{id}/versions?limit=1"))
        .await;
    assert_eq!(v["items"][0]["version"], 2);
    assert!(
        v["items"][0]["comment"]
            .as_str()
            .unwrap()
            .ends_with("(saved with 1 failing cases)"),
        "{v}"
    );
}
