//! Unit tests of `api.rs`: the requests each app's API is sent and how its answers are
//! read, kept apart so the code stays short.

use super::*;

fn creds() -> AppCredentials {
    AppCredentials {
        key: "corp 1".into(),
        secret: "s&cret".into(),
        agent_id: Some(1000002),
    }
}

#[test]
fn token_requests_carry_the_credentials_encoded() {
    let b = Bases::default();
    let r = token_request(AppKind::Wecom, b.of(AppKind::Wecom), &creds()).unwrap();
    assert!(!r.post);
    assert_eq!(
        r.url,
        "https://qyapi.weixin.qq.com/cgi-bin/gettoken?corpid=corp+1&corpsecret=s%26cret"
    );
    let r = token_request(AppKind::Dingtalk, b.of(AppKind::Dingtalk), &creds()).unwrap();
    assert_eq!(
        r.url,
        "https://oapi.dingtalk.com/gettoken?appkey=corp+1&appsecret=s%26cret"
    );
    let r = token_request(AppKind::Feishu, "http://x/", &creds()).unwrap();
    assert!(r.post);
    assert_eq!(
        r.url,
        "http://x/open-apis/auth/v3/tenant_access_token/internal"
    );
    assert_eq!(
        r.body.unwrap(),
        json!({"app_id": "corp 1", "app_secret": "s&cret"})
    );
}

#[test]
fn answers_by_code_whatever_the_status() {
    use Answer as A;
    assert_eq!(
        read(AppKind::Wecom, 200, r#"{"errcode":0,"errmsg":"ok"}"#),
        A::Ok
    );
    assert!(matches!(
        read(
            AppKind::Wecom,
            200,
            r#"{"errcode":42001,"errmsg":"access_token expired"}"#
        ),
        A::TokenExpired { code: 42001, .. }
    ));
    assert!(matches!(
        read(AppKind::Wecom, 200, r#"{"errcode":0,"errmsg":"ok","invaliduser":"zhangsan"}"#),
        A::Refused { code: 0, message } if message.contains("zhangsan")
    ));
    assert!(matches!(
        read(
            AppKind::Wecom,
            200,
            r#"{"errcode":45009,"errmsg":"api freq out of limit"}"#
        ),
        A::Busy { code: 45009, .. }
    ));
    assert!(matches!(
        read(
            AppKind::Dingtalk,
            200,
            r#"{"errcode":88,"sub_code":"40014","errmsg":"不合法的access_token"}"#
        ),
        A::TokenExpired { code: 40014, .. }
    ));
    assert!(matches!(
        read(AppKind::Dingtalk, 200, r#"{"errcode":33012,"errmsg":"无效的USERID"}"#),
        A::Refused { code: 33012, message } if message == "无效的USERID"
    ));
    assert!(matches!(
        read(
            AppKind::Feishu,
            400,
            r#"{"code":99991663,"msg":"Invalid access token for authorization."}"#
        ),
        A::TokenExpired { code: 99991663, .. }
    ));
    assert!(matches!(
        read(
            AppKind::Feishu,
            400,
            r#"{"code":99991400,"msg":"request trigger frequency limit"}"#
        ),
        A::Busy { .. }
    ));
    assert!(matches!(
        read(AppKind::Feishu, 429, "slow down"),
        A::Busy { code: 429, .. }
    ));
    assert!(matches!(
        read(AppKind::Feishu, 502, "<html>bad gateway</html>"),
        A::Http { status: 502, .. }
    ));
    // Feishu has `code`, not `errcode`: an `errcode` alone is no answer.
    assert!(matches!(
        read(AppKind::Feishu, 200, r#"{"errcode":0}"#),
        A::Http { status: 200, .. }
    ));
}

#[test]
fn tokens_and_their_lifetimes() {
    assert_eq!(
        read_token(
            AppKind::Wecom,
            200,
            r#"{"errcode":0,"errmsg":"ok","access_token":"T1","expires_in":7200}"#
        ),
        Ok(("T1".into(), 7200))
    );
    assert_eq!(
        read_token(
            AppKind::Feishu,
            200,
            r#"{"code":0,"msg":"ok","tenant_access_token":"t-2","expire":5400}"#
        ),
        Ok(("t-2".into(), 5400))
    );
    assert!(matches!(
        read_token(
            AppKind::Dingtalk,
            200,
            r#"{"errcode":40089,"errmsg":"不合法的corpid或corpsecret"}"#
        ),
        Err(Answer::Refused { code: 40089, .. })
    ));
    assert!(read_token(AppKind::Wecom, 200, r#"{"errcode":0}"#).is_err());
}
