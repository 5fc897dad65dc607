use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};

use crate::flow_api::team_with;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_download_and_the_size_limit() {
    let file: baton::config::FileConfig = toml::from_str("attachment_max_mb = 1").unwrap();
    let tm = team_with(file).await;
    let t = tm.refund_task().await;
    let url = format!("/api/tasks/{}/attachments", t["id"]);
    let form = Form::new().part(
        "file",
        Part::bytes(b"<html><script>alert(1)</script>".to_vec())
            .file_name("../evil.html")
            .mime_str("text/html")
            .unwrap(),
    );
    let resp = tm
        .c(0)
        .request(Method::POST, &url)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let att: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(att["name"], "evil.html");
    let resp = tm
        .c(5)
        .request(Method::GET, &format!("{url}/{}", att["id"]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/octet-stream");
    assert!(resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(
        resp.text().await.unwrap(),
        "<html><script>alert(1)</script>"
    );
    // an outsider cannot download
    let resp = tm
        .c(6)
        .request(Method::GET, &format!("{url}/{}", att["id"]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    // over the limit: 413 and nothing stored
    let big = vec![7u8; 1024 * 1024 + 10];
    let form = Form::new().part("file", Part::bytes(big).file_name("big.bin"));
    let resp = tm
        .c(0)
        .request(Method::POST, &url)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_large");
    let now = tm.c(0).get(&format!("/api/tasks/{}", t["id"])).await;
    assert_eq!(now["attachments"].as_array().unwrap().len(), 1);
    let stored = std::fs::read_dir(tm.s.data.join("uploads"))
        .unwrap()
        .count();
    assert_eq!(stored, 1);
    let temps = std::fs::read_dir(tm.s.data.join("tmp")).unwrap().count();
    assert_eq!(temps, 0, "the partial upload is gone");
    tm.s.stop().await;
}
