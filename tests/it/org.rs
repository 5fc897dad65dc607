use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn departments_users_and_projects() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let wh = admin
        .post("/api/departments", json!({"name": "Warehouse"}))
        .await;
    let wh_id = wh["id"].as_u64().unwrap();
    let sub = admin
        .post(
            "/api/departments",
            json!({"name": "Returns", "parent_id": wh_id}),
        )
        .await;
    assert_eq!(sub["parent_id"], wh_id);
    let (_, bob) = s.user(&admin, "bob", "member", Some(wh_id)).await;
    let p = admin
        .post("/api/projects", json!({"name": "Restock", "department_id": wh_id, "members": [bob], "business_types": ["补货", "补货", "退货"]}))
        .await;
    assert_eq!(p["business_types"], json!(["补货", "退货"]));
    let pid = p["id"].as_u64().unwrap();
    let renamed = admin
        .call(
            Method::PATCH,
            &format!("/api/projects/{pid}"),
            Some(json!({"name": "Restock EU", "rev": p["rev"]})),
        )
        .await;
    assert_eq!(renamed.0, StatusCode::OK, "{}", renamed.1);
    // a stale revision is refused with 409 and changes nothing
    let (st, body) = admin
        .call(
            Method::PATCH,
            &format!("/api/projects/{pid}"),
            Some(json!({"name": "Lost", "rev": p["rev"]})),
        )
        .await;
    assert_error(st, &body, 409, "conflict");
    assert_eq!(
        admin.get(&format!("/api/projects/{pid}")).await["name"],
        "Restock EU"
    );
    let archived = admin
        .post(&format!("/api/projects/{pid}/archive"), json!({}))
        .await;
    assert_eq!(archived["archived"], true);
    let restored = admin
        .post(&format!("/api/projects/{pid}/restore"), json!({}))
        .await;
    assert_eq!(restored["archived"], false);
    let removed = admin
        .call(
            Method::DELETE,
            &format!("/api/projects/{pid}/members/{bob}"),
            None,
        )
        .await;
    assert_eq!(removed.1["members"], json!([]));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erp_project_exists_and_follows_the_erp_flag() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let erp = admin.erp_project().await;
    assert_eq!(
        erp["name"], "ERP通知",
        "named in the default company language"
    );
    let erp_id = erp["id"].as_u64().unwrap();
    let (bob_client, bob) = s.user(&admin, "bob", "member", None).await;
    assert!(bob_client.get("/api/projects").await["items"]
        .as_array()
        .unwrap()
        .is_empty());
    admin
        .post(
            &format!("/api/projects/{erp_id}/members"),
            json!({"user_id": bob}),
        )
        .await;
    assert_eq!(admin.get(&format!("/api/users/{bob}")).await["erp"], true);
    assert_eq!(
        bob_client.get("/api/projects").await["items"][0]["builtin"],
        "erp"
    );
    let (st, body) = admin
        .call(
            Method::POST,
            &format!("/api/projects/{erp_id}/archive"),
            None,
        )
        .await;
    assert_error(st, &body, 409, "conflict");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn project_visibility_by_role() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let a = admin.post("/api/departments", json!({"name": "A"})).await["id"]
        .as_u64()
        .unwrap();
    let b = admin.post("/api/departments", json!({"name": "B"})).await["id"]
        .as_u64()
        .unwrap();
    let (dadmin, _) = s.user(&admin, "lead", "department_admin", Some(a)).await;
    let (member, mid) = s.user(&admin, "mia", "member", Some(a)).await;
    admin
        .post("/api/projects", json!({"name": "PA", "department_id": a}))
        .await;
    admin
        .post(
            "/api/projects",
            json!({"name": "PB", "department_id": b, "members": [mid]}),
        )
        .await;
    admin
        .post("/api/projects", json!({"name": "PB2", "department_id": b}))
        .await;
    let names = |v: serde_json::Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(admin.get("/api/projects").await).len(), 4);
    assert_eq!(names(dadmin.get("/api/projects").await), vec!["PA"]);
    assert_eq!(names(member.get("/api/projects").await), vec!["PB"]);
    // a department admin manages their department's projects, not others'
    let pb2 = admin.get("/api/projects").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "PB2")
        .unwrap()["id"]
        .as_u64()
        .unwrap();
    let (st, body) = dadmin
        .call(
            Method::PATCH,
            &format!("/api/projects/{pb2}"),
            Some(json!({"name": "mine"})),
        )
        .await;
    assert_error(st, &body, 403, "forbidden");
    let created = dadmin
        .post("/api/projects", json!({"name": "Lead's"}))
        .await;
    assert_eq!(
        created["department_id"], a,
        "defaults to the admin's department"
    );
    // and users of their department only, never company admins
    let (st, _) = dadmin
        .call(
            Method::POST,
            "/api/users",
            Some(json!({"username": "x1", "password": "password-123", "department_id": b})),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = dadmin
        .call(Method::POST, "/api/users", Some(json!({"username": "x2", "password": "password-123", "department_id": a, "role": "company_admin"})))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, body) = dadmin
        .call(
            Method::POST,
            "/api/users",
            Some(json!({"username": "x3", "password": "password-123", "department_id": a})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn member_calling_admin_endpoints_gets_403_and_nothing_changes() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let (member, mid) = s.user(&admin, "mia", "member", None).await;
    let before = admin.get("/api/users").await;
    let cases: Vec<(Method, String, serde_json::Value)> = vec![
        (
            Method::POST,
            "/api/users".into(),
            json!({"username": "evil", "password": "password-123"}),
        ),
        (
            Method::PATCH,
            "/api/users/1".into(),
            json!({"display_name": "pwned"}),
        ),
        (
            Method::PATCH,
            format!("/api/users/{mid}"),
            json!({"role": "company_admin"}),
        ),
        (
            Method::POST,
            "/api/users/1/password".into(),
            json!({"password": "password-999"}),
        ),
        (
            Method::POST,
            "/api/departments".into(),
            json!({"name": "X"}),
        ),
        (Method::POST, "/api/projects".into(), json!({"name": "X"})),
        (
            Method::POST,
            "/api/tokens".into(),
            json!({"name": "t", "scopes": ["read"]}),
        ),
        (Method::GET, "/api/tokens".into(), json!(null)),
        (Method::GET, "/api/audit".into(), json!(null)),
        (Method::POST, "/api/admin/backups".into(), json!(null)),
    ];
    for (m, path, body) in cases {
        let b = if body.is_null() { None } else { Some(body) };
        let (st, resp) = member.call(m.clone(), &path, b).await;
        assert_error(st, &resp, 403, "forbidden");
    }
    assert_eq!(admin.get("/api/users").await, before);
    assert!(admin.get("/api/departments").await["items"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(
        admin.get("/api/projects").await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn language_is_remembered_per_user() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    assert_eq!(admin.get("/api/me").await["user"]["language"], "zh-CN");
    let (st, _) = admin
        .call(Method::PATCH, "/api/me", Some(json!({"language": "en"})))
        .await;
    assert_eq!(st, StatusCode::OK);
    let again = s.admin().await;
    assert_eq!(again.get("/api/me").await["user"]["language"], "en");
    let (st, body) = admin
        .call(Method::PATCH, "/api/me", Some(json!({"language": "fr"})))
        .await;
    assert_error(st, &body, 400, "bad_request");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_changes_are_audited_and_last_admin_is_kept() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let (_, bob) = s.user(&admin, "bob", "member", None).await;
    admin
        .call(
            Method::PATCH,
            &format!("/api/users/{bob}"),
            Some(json!({"role": "department_admin"})),
        )
        .await;
    let audit = admin.get("/api/audit").await.to_string();
    assert!(
        audit.contains("user.role") && audit.contains("member -> department_admin"),
        "{audit}"
    );
    let (st, body) = admin
        .call(
            Method::PATCH,
            "/api/users/1",
            Some(json!({"role": "member"})),
        )
        .await;
    assert_error(st, &body, 403, "forbidden");
    s.stop().await;
}
