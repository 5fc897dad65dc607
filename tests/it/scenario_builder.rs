//! The scenario builder over HTTP: render a form, save the script it writes, push
//! records through it, read it back; field suggestions; problems per field.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::harness::*;

fn po_form() -> Value {
    json!({
        "id": "po_built",
        "name": "PO above 5000 (built)",
        "kind": "purchase_order",
        "conditions": [{"field": "amount", "op": "money_above", "value": "5000"}],
        "title": "Approve PO ${r.id}: ${r.amount}",
        "due_in_days": "1",
        "nodes": [
            {"handler": {"by": "field", "value": "buyer"}, "action": "Check"},
            {"handler": {"by": "department_admin", "value": "财务部"}, "action": "Approve"}
        ],
        "watchers": [{"by": "role", "value": "company_admin"}],
        "escalation": [{"after_hours": "24", "notify": [{"by": "role", "value": "company_admin"}]}]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_built_scenario_saves_fires_and_opens_again() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let erp = s.erp_client(&admin).await;
    let out = admin.post("/api/scenarios/builder/render", po_form()).await;
    assert_eq!(out["errors"], json!([]), "{out}");
    let script = out["script"].as_str().unwrap().to_string();
    assert!(
        script.contains("cents(r.amount) > cents(\"5000\")"),
        "{script}"
    );

    // The dry run works from the form before the first save.
    let dry = admin
        .post(
            "/api/scenarios/dry-run",
            json!({"source": script, "record": {"kind": "purchase_order", "id": "D1", "data": {"amount": "6000", "buyer": "admin"}}}),
        )
        .await;
    assert_eq!(dry["matches"], true, "{dry}");

    admin
        .post("/api/scenarios", json!({"source": script}))
        .await;
    let pushed = erp
        .post(
            "/api/erp/records",
            json!({"records": [
                {"kind": "purchase_order", "id": "PO-1", "data": {"amount": "5200.50", "buyer": "admin"}},
                {"kind": "purchase_order", "id": "PO-2", "data": {"amount": "4999.99", "buyer": "admin"}}
            ]}),
        )
        .await;
    assert_eq!(pushed["stored"], 2, "{pushed}");
    let erp_project = admin.erp_project().await["id"].as_u64().unwrap();
    let tasks = admin
        .get(&format!("/api/projects/{erp_project}/tasks?status=all"))
        .await;
    let titles: Vec<&str> = tasks["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["title"].as_str())
        .filter(|t| t.starts_with("Approve PO"))
        .collect();
    assert_eq!(titles, vec!["Approve PO PO-1: 5200.50"]);

    // The saved script opens in the builder with the same form...
    let stored = admin.get("/api/scenarios").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["key"] == "po_built")
        .unwrap()["source"]
        .as_str()
        .unwrap()
        .to_string();
    let back = admin
        .post("/api/scenarios/builder/parse", json!({"source": stored}))
        .await;
    let again = admin
        .post("/api/scenarios/builder/render", back["form"].clone())
        .await;
    assert_eq!(again["script"].as_str(), Some(stored.as_str()));
    // ...and edited by hand, or written by hand, in the code editor with the reason.
    let edited = stored.replace("cents(\"5000\")", "cents(\"6000\")");
    let back = admin
        .post("/api/scenarios/builder/parse", json!({"source": edited}))
        .await;
    assert!(back.get("form").is_none(), "{back}");
    assert!(
        back["reason"].as_str().unwrap().contains("edited by hand"),
        "{back}"
    );
    let shipped = admin
        .post(
            "/api/scenarios/builder/parse",
            json!({"source": "const ID = \"x\";"}),
        )
        .await;
    assert!(shipped["reason"]
        .as_str()
        .unwrap()
        .contains("written by hand"));

    // Field suggestions: the kinds stored, the fields of one with their types.
    let f = admin
        .get("/api/scenarios/builder/fields?kind=purchase_order")
        .await;
    assert!(
        f["kinds"]
            .as_array()
            .unwrap()
            .contains(&json!("purchase_order")),
        "{f}"
    );
    assert_eq!(f["sampled"], 2);
    assert_eq!(
        f["fields"],
        json!([
            {"name": "amount", "types": ["string"], "count": 2},
            {"name": "buyer", "types": ["string"], "count": 2}
        ])
    );
    let none = admin.get("/api/scenarios/builder/fields").await;
    assert_eq!(none["fields"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_forms_answer_problems_or_a_clear_400() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let mut form = po_form();
    form["conditions"][0]["value"] = json!("5000.505");
    form["conditions"][0]["field"] = json!("order amount");
    form["nodes"][1]["handler"]["value"] = json!("");
    let out = admin.post("/api/scenarios/builder/render", form).await;
    let paths: Vec<(&str, &str)> = out["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["path"].as_str().unwrap(), p["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        paths,
        vec![
            ("conditions[0].field", "bad_field"),
            ("conditions[0].value", "not_money"),
            ("nodes[1].handler", "no_handler")
        ]
    );
    // Not a form at all: refused as bad input, not a server error.
    let (st, body) = admin
        .call(
            Method::POST,
            "/api/scenarios/builder/render",
            Some(json!({"conditions": [{"op": "sounds_like"}]})),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["code"].is_string());
}
