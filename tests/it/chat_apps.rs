//! Personal messages in WeCom, DingTalk and Feishu, against local stand-ins for each
//! app's API (one module each): request shapes, one token for several sends, one
//! refresh on an expired token, retries on rate limits, failures listed with the
//! app's own code, the CSV mapping and the preferences.

mod dingtalk;
mod feishu;
mod mock;
mod wecom;

use std::time::Duration;

use baton::config::FileConfig;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::delivery::{member, project, task, until};
use crate::harness::*;
use mock::{Mock, Next};

/// The stand-ins listen on 127.0.0.1: `[network]` opens it, `[chat_apps]` points there.
fn config(app: &str, mock: &Mock) -> FileConfig {
    toml::from_str(&format!(
        "public_url = \"http://baton.test/\"\n[network]\nallow_private = [\"127.0.0.1/32\"]\n[delivery]\ninterval = \"100ms\"\ntimeout = \"2s\"\nretry_base = \"200ms\"\nmax_attempts = 3\n[chat_apps]\n{app} = \"{}\"\n",
        mock.url
    ))
    .unwrap()
}

async fn set_up(admin: &Client, app: &str, body: Value) -> Value {
    let (st, v) = admin
        .call(
            Method::PUT,
            &format!("/api/admin/chat-apps/{app}"),
            Some(body),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v
}

async fn link(c: &Client, app: &str, id: &str) {
    let (st, v) = c
        .call(
            Method::PUT,
            &format!("/api/me/chat-apps/{app}"),
            Some(json!({"user_id": id})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
}

async fn outbox(admin: &Client, status: &str) -> Vec<Value> {
    admin
        .get(&format!("/api/admin/outbox?status={status}"))
        .await["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn wait_accepted(m: &Mock, n: usize) -> Vec<Value> {
    until(&format!("{n} accepted sends"), || {
        let a = m.accepted();
        (a.len() >= n).then_some(a)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_apps_wecom_card_one_token_and_one_refresh() {
    let m = wecom::start().await;
    let s = TestServer::start_with(config("wecom", &m)).await;
    let admin = s.admin().await;
    let v = set_up(
        &admin,
        "wecom",
        json!({"key": wecom::CORP_ID, "secret": wecom::SECRET, "agent_id": wecom::AGENT_ID}),
    )
    .await;
    assert!(!v.to_string().contains(wecom::SECRET), "{v}");
    assert_eq!(v["apps"][0]["app"], "wecom");
    assert_eq!(v["apps"][0]["secret_set"], true);
    assert_eq!(v["apps"][0]["key"], wecom::CORP_ID);
    // Saving again without the secret keeps it.
    set_up(
        &admin,
        "wecom",
        json!({"key": wecom::CORP_ID, "agent_id": wecom::AGENT_ID}),
    )
    .await;

    let (bob, bob_id) = member(&s, &admin, "bob", "zh-CN").await;
    link(&bob, "wecom", "bob.app").await;
    let mine = bob.get("/api/me/chat-apps").await;
    assert_eq!(
        mine["links"],
        json!([{"app": "wecom", "user_id": "bob.app"}])
    );
    let p = project(&admin, &[bob_id]).await;
    let t1 = task(&admin, p, "Restock SKU-1", bob_id).await;
    let t2 = task(&admin, p, "Count pallets", bob_id).await;
    let sent = wait_accepted(&m, 2).await;
    assert_eq!(m.token_calls(), 1, "one token for several sends");
    let card = sent
        .iter()
        .find(|b| b["textcard"]["url"] == format!("http://baton.test/tasks/{t1}"))
        .unwrap_or_else(|| panic!("{sent:?}"));
    assert_eq!(card["touser"], "bob.app");
    assert_eq!(card["msgtype"], "textcard");
    assert_eq!(card["agentid"], wecom::AGENT_ID);
    assert_eq!(card["textcard"]["title"], "任务已分配给你: Restock SKU-1");
    assert_eq!(card["textcard"]["btntxt"], "打开任务");
    let desc = card["textcard"]["description"].as_str().unwrap();
    assert!(desc.contains("处理事项: pack"), "{desc}");
    assert!(sent
        .iter()
        .any(|b| b["textcard"]["url"] == format!("http://baton.test/tasks/{t2}")));

    // The server expires the token: one refresh, the send goes through on the retry.
    m.script(Next::ExpireToken);
    task(&admin, p, "Label boxes", bob_id).await;
    wait_accepted(&m, 3).await;
    assert_eq!(m.token_calls(), 2, "refreshed once");
    assert_eq!(m.sends().len(), 4, "three sends and one resend");
    // The stand-in accepts before Baton records the item sent.
    let done = until_status(&admin, "sent", 3).await;
    assert_eq!(done.len(), 3, "{done:?}");
    assert!(done.iter().all(|i| i["attempts"] == 1), "{done:?}");
    assert!(done.iter().all(|i| i["target"]["type"] == "chat_app"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_apps_dingtalk_rate_limit_retried_and_failures_listed_with_the_apps_code() {
    let m = dingtalk::start().await;
    let s = TestServer::start_with(config("dingtalk", &m)).await;
    let admin = s.admin().await;
    set_up(
        &admin,
        "dingtalk",
        json!({"key": dingtalk::APP_KEY, "secret": dingtalk::SECRET, "agent_id": dingtalk::AGENT_ID}),
    )
    .await;
    let (bob, bob_id) = member(&s, &admin, "bob", "en").await;
    link(&bob, "dingtalk", "bob.app").await;
    let p = project(&admin, &[bob_id]).await;
    m.script(Next::RateLimit);
    let t = task(&admin, p, "Restock SKU-1", bob_id).await;
    let sent = wait_accepted(&m, 1).await;
    let body = &sent[0];
    assert_eq!(body["agent_id"], dingtalk::AGENT_ID);
    assert_eq!(body["userid_list"], "bob.app");
    let card = &body["msg"]["action_card"];
    assert_eq!(body["msg"]["msgtype"], "action_card");
    assert_eq!(card["single_url"], format!("http://baton.test/tasks/{t}"));
    assert_eq!(card["single_title"], "Open the task");
    assert!(
        card["markdown"]
            .as_str()
            .unwrap()
            .contains("What to do: pack"),
        "{card}"
    );
    let done = until_status(&admin, "sent", 1).await;
    assert_eq!(
        done[0]["attempts"], 2,
        "rate limited once, then sent: {done:?}"
    );
    assert_eq!(m.token_calls(), 1);

    // A user id the app does not know: tried max_attempts times, then listed failed
    // with DingTalk's own errcode and errmsg.
    let (cat, cat_id) = member(&s, &admin, "cat", "en").await;
    link(&cat, "dingtalk", "nobody.app").await;
    let p2 = project(&admin, &[cat_id]).await;
    task(&admin, p2, "Check stock", cat_id).await;
    let failed = until_status(&admin, "failed", 1).await;
    let err = failed[0]["last_error"].as_str().unwrap();
    assert!(
        err.contains("errcode 33012") && err.contains("无效的USERID"),
        "{err}"
    );
    assert_eq!(failed[0]["attempts"], 3);
}

/// Waits for `n` outbox items of `status`.
async fn until_status(admin: &Client, status: &str, n: usize) -> Vec<Value> {
    for _ in 0..100 {
        let items = outbox(admin, status).await;
        if items.len() >= n {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {n} {status} items: {:?}", outbox(admin, "").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_apps_feishu_card_test_message_and_refresh_on_a_400_answer() {
    let m = feishu::start().await;
    let s = TestServer::start_with(config("feishu", &m)).await;
    let admin = s.admin().await;
    // Feishu needs no agent id; WeCom does.
    let (st, v) = admin
        .call(
            Method::PUT,
            "/api/admin/chat-apps/wecom",
            Some(json!({"key": "ww1", "secret": "x"})),
        )
        .await;
    assert_error(st, &v, 400, "invalid");
    set_up(
        &admin,
        "feishu",
        json!({"key": feishu::APP_ID, "secret": feishu::SECRET}),
    )
    .await;
    let (bob, _) = member(&s, &admin, "bob", "en").await;

    // "Send me a test message" before linking says why it cannot.
    let test = json!({"channel": "chat_app", "app": "feishu"});
    let r = bob.post("/api/admin/delivery/test", test.clone()).await;
    assert_eq!(r["ok"], false, "{r}");
    assert!(
        r["error"].as_str().unwrap().contains("no Feishu user id"),
        "{r}"
    );
    link(&bob, "feishu", "bob.app").await;
    let r = bob.post("/api/admin/delivery/test", test.clone()).await;
    assert_eq!(r["ok"], true, "{r}");
    let sent = m.accepted();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["receive_id"], "bob.app");
    assert_eq!(sent[0]["msg_type"], "interactive");
    let card: Value = serde_json::from_str(sent[0]["content"].as_str().unwrap()).unwrap();
    assert_eq!(
        card["header"]["title"]["content"],
        "Announcement: Baton test notice"
    );
    let (query, bearer, _) = &m.sends()[0];
    assert_eq!(query, "receive_id_type=user_id");
    assert_eq!(bearer.as_deref(), Some("tok-0"));

    // An invalid token comes as HTTP 400 with code 99991663: refreshed once.
    m.script(Next::ExpireToken);
    let r = bob.post("/api/admin/delivery/test", test.clone()).await;
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(m.accepted().len(), 2);
    assert_eq!(m.sends().last().unwrap().1.as_deref(), Some("tok-1"));
    // A rate limit on a test is said as it is (the outbox would retry it).
    m.script(Next::RateLimit);
    let r = bob.post("/api/admin/delivery/test", test).await;
    assert_eq!(r["ok"], false, "{r}");
    assert!(
        r["error"].as_str().unwrap().contains("errcode 99991400"),
        "{r}"
    );

    // Removed: the app leaves the member's list (the link is kept for its return).
    let (st, v) = admin
        .call(Method::DELETE, "/api/admin/chat-apps/feishu", None)
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["apps"][2]["configured"], false, "{v}");
    assert_eq!(v["apps"][2]["linked"], 1, "{v}");
    assert_eq!(bob.get("/api/me/chat-apps").await["links"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_apps_csv_mapping_admin_links_and_preferences() {
    let m = wecom::start().await;
    let s = TestServer::start_with(config("wecom", &m)).await;
    let admin = s.admin().await;
    let (bob, bob_id) = member(&s, &admin, "bob", "en").await;
    let (_ann, ann_id) = member(&s, &admin, "ann", "en").await;
    let csv = json!({"csv": "username,wecom id\nbob,bob.app\n"});
    // Not before the app is set up, and only for company admins.
    let (st, v) = admin
        .call(
            Method::POST,
            "/api/admin/chat-apps/wecom/links",
            Some(csv.clone()),
        )
        .await;
    assert_error(st, &v, 400, "invalid");
    let (st, v) = bob
        .call(
            Method::PUT,
            "/api/me/chat-apps/wecom",
            Some(json!({"user_id": "bob.app"})),
        )
        .await;
    assert_error(st, &v, 400, "invalid");
    set_up(
        &admin,
        "wecom",
        json!({"key": wecom::CORP_ID, "secret": wecom::SECRET, "agent_id": wecom::AGENT_ID}),
    )
    .await;
    let (st, v) = bob.call(Method::GET, "/api/admin/chat-apps", None).await;
    assert_error(st, &v, 403, "forbidden");
    let (st, v) = bob
        .call(Method::POST, "/api/admin/chat-apps/wecom/links", Some(csv))
        .await;
    assert_error(st, &v, 403, "forbidden");
    let (st, v) = bob
        .call(
            Method::PUT,
            &format!("/api/users/{ann_id}/chat-apps/wecom"),
            Some(json!({"user_id": "bob.app"})),
        )
        .await;
    assert_error(st, &v, 403, "forbidden");
    let (st, v) = bob
        .call(
            Method::PUT,
            "/api/me/chat-apps/wecom",
            Some(json!({"user_id": "a|b"})),
        )
        .await;
    assert_error(st, &v, 400, "invalid");

    let r = admin
        .post(
            "/api/admin/chat-apps/wecom/links",
            json!({"csv": "username,wecom id\nbob,bob.app\nghost,g.app\nann,a|b\nbob,again\nann,ann.app,extra\n\nANN , ann.app\n"}),
        )
        .await;
    assert_eq!(r["linked"], 2, "{r}");
    let errors = r["errors"].as_array().unwrap();
    let lines: Vec<u64> = errors.iter().map(|e| e["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, vec![3, 4, 5, 6], "{r}");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("no user 'ghost'"),
        "{r}"
    );
    assert!(
        errors[2]["message"].as_str().unwrap().contains("line 2"),
        "{r}"
    );
    let ann = admin.get(&format!("/api/users/{ann_id}/chat-apps")).await;
    assert_eq!(
        ann["links"],
        json!([{"app": "wecom", "user_id": "ann.app"}])
    );
    let apps = admin.get("/api/admin/chat-apps").await;
    assert_eq!(apps["apps"][0]["linked"], 2, "{apps}");
    // An admin unlinks Ann.
    let (st, _) = admin
        .call(
            Method::PUT,
            &format!("/api/users/{ann_id}/chat-apps/wecom"),
            Some(json!({"user_id": null})),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        admin.get(&format!("/api/users/{ann_id}/chat-apps")).await["links"],
        json!([{"app": "wecom", "user_id": null}])
    );

    // Preferences: the app column is on by default; Bob turns it off for "assigned".
    let prefs = bob.get("/api/me/preferences").await;
    assert_eq!(prefs["events"]["assigned"]["wecom"], true, "{prefs}");
    assert_eq!(prefs["events"]["withdrawn"]["wecom"], true, "{prefs}");
    let (st, v) = bob
        .call(
            Method::PUT,
            "/api/me/preferences",
            Some(json!({"events": {"assigned": {"inbox": true, "email": false, "wecom": false}}})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let p = project(&admin, &[bob_id, ann_id]).await;
    task(&admin, p, "Quiet task", bob_id).await;
    bob.wait_for_message("assigned").await;
    // Nothing is staged for Bob's WeCom; an urge (still on) goes out.
    let two_step = admin
        .post(
            &format!("/api/projects/{p}/tasks"),
            json!({"kind": "workflow", "title": "Two steps", "nodes": [
                {"handler_id": ann_id, "action": "pick"},
                {"handler_id": bob_id, "action": "ship"}]}),
        )
        .await;
    let id = two_step["id"].as_u64().unwrap();
    let ann_c = {
        let mut c = s.client();
        c.login("ann", "password-123").await;
        c
    };
    let done = ann_c
        .post(
            &format!("/api/tasks/{id}/complete"),
            json!({"rev": two_step["rev"]}),
        )
        .await;
    ann_c
        .post(
            &format!("/api/tasks/{id}/urge"),
            json!({"rev": done["rev"]}),
        )
        .await;
    let sent = wait_accepted(&m, 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sent_now = m.accepted();
    assert_eq!(
        sent_now.len(),
        1,
        "assigned is off, urged is on: {sent_now:?}"
    );
    assert!(
        sent[0]["textcard"]["title"]
            .as_str()
            .unwrap()
            .starts_with("You are being urged"),
        "{sent:?}"
    );
}
