//! Two-factor sign-in through the API and the CLI. Codes are computed here by a small
//! RFC 6238 implementation of the test's own (hmac + sha1, base32 decoded by hand),
//! checked against the RFC's test vectors, not by the server's code.

use baton::config::FileConfig;
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::harness::*;

fn base32_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut value, mut out) = (0u32, 0u32, Vec::new());
    for c in s.trim_end_matches('=').bytes() {
        let v = ALPHABET
            .iter()
            .position(|&a| a == c.to_ascii_uppercase())
            .expect("base32") as u32;
        value = (value << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((value >> bits) as u8);
            value &= (1 << bits) - 1;
        }
    }
    out
}

/// HOTP (RFC 4226) over `counter`, `digits` long.
fn hotp(key: &[u8], counter: u64, digits: u32) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key).unwrap();
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let off = (h[19] & 0x0f) as usize;
    let bin = u32::from_be_bytes([h[off] & 0x7f, h[off + 1], h[off + 2], h[off + 3]]);
    format!(
        "{:0width$}",
        bin % 10u32.pow(digits),
        width = digits as usize
    )
}

fn now_step() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 30
}

/// The six-digit code of `secret` (base32) at time step `step`.
fn code(secret: &str, step: u64) -> String {
    hotp(&base32_decode(secret), step, 6)
}

#[test]
fn own_totp_matches_rfc6238_vectors() {
    let key = b"12345678901234567890";
    for (t, want) in [
        (59u64, "94287082"),
        (1111111109, "07081804"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
    ] {
        assert_eq!(hotp(key, t / 30, 8), want);
    }
    assert_eq!(base32_decode("GEZDGNBVGY3TQOJQ"), b"1234567890");
}

/// Sets up two-factor sign-in for `c`; returns the secret, the step of the code
/// used to confirm, and the recovery codes.
async fn enrol(c: &Client) -> (String, u64, Vec<String>) {
    let e = c.post("/api/me/two-factor/enrol", json!({})).await;
    let secret = e["secret"].as_str().unwrap().to_string();
    assert_eq!(base32_decode(&secret).len(), 20, "{e}");
    let uri = e["uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/Baton:"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    assert!(e["qr_svg"].as_str().unwrap().contains("<svg"), "{e}");
    let step = now_step();
    let done = c
        .post(
            "/api/me/two-factor/confirm",
            json!({"code": code(&secret, step)}),
        )
        .await;
    let codes: Vec<String> = done["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 10);
    (secret, step, codes)
}

/// The password step, which must ask for a code: returns the challenge.
async fn password_step(c: &Client, user: &str, password: &str, want_step: &str) -> Value {
    let (s, body) = c
        .call(
            Method::POST,
            "/api/login",
            Some(json!({"username": user, "password": password})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["step"], want_step, "{body}");
    assert!(body.get("token").is_none(), "no session yet: {body}");
    body
}

async fn code_step(c: &mut Client, challenge: &Value, code: &str) -> (StatusCode, Value) {
    let (s, body) = c
        .call(
            Method::POST,
            "/api/login/code",
            Some(json!({"challenge": challenge, "code": code})),
        )
        .await;
    if s == StatusCode::OK {
        c.csrf = body["csrf_token"].as_str().map(String::from);
    }
    (s, body)
}

/// Asserts that a call is refused with `status` and `code`, naming `field` if given.
async fn refused(
    c: &Client,
    method: Method,
    path: &str,
    body: Value,
    (status, code, field): (u16, &str, Option<&str>),
) {
    let (st, answer) = c.call(method, path, Some(body)).await;
    assert_error(st, &answer, status, code);
    if let Some(f) = field {
        assert_eq!(answer["error"]["field"], f, "{answer}");
    }
}

async fn audit_actions(admin: &Client) -> Vec<String> {
    admin.get("/api/audit").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["action"].as_str().unwrap(),
                e["detail"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrol_then_sign_in_with_a_code_and_with_recovery_codes_once_each() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let (bob, _) = s.user(&admin, "bob", "member", None).await;
    let st = bob.get("/api/me/two-factor").await;
    assert_eq!(st["enabled"], false);
    assert_eq!(st["required"], false);

    // a wrong first code leaves it off (1 in a million: 000000 is the right code); a
    // recovery code cannot confirm a new secret
    bob.post("/api/me/two-factor/enrol", json!({})).await;
    for bad in ["000000", "abcd-efgh-jkmn"] {
        refused(
            &bob,
            Method::POST,
            "/api/me/two-factor/confirm",
            json!({"code": bad}),
            (400, "invalid", Some("code")),
        )
        .await;
    }
    assert_eq!(bob.get("/api/me/two-factor").await["enabled"], false);
    let (secret, step, recovery) = enrol(&bob).await;
    let st = bob.get("/api/me/two-factor").await;
    assert_eq!(st["enabled"], true);
    assert_eq!(st["recovery_codes_left"], 10);
    // on already: a second enrolment is refused
    refused(
        &bob,
        Method::POST,
        "/api/me/two-factor/enrol",
        json!({}),
        (409, "conflict", None),
    )
    .await;

    // password, then code
    let mut c = s.client();
    let first = password_step(&c, "bob", "password-123", "code").await;
    assert!(first.get("enrolment").is_none());
    // the code that confirmed the enrolment was used: refused, with its step
    let (st, body) = code_step(&mut c, &first["challenge"], &code(&secret, step)).await;
    assert_error(st, &body, 401, "invalid_credentials");
    let next = code(&secret, step + 1);
    let (st, body) = code_step(&mut c, &first["challenge"], &next).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert!(body["token"].is_string() && body.get("recovery_codes").is_none());
    assert_eq!(c.get("/api/me").await["user"]["username"], "bob");
    // the challenge is single-use
    let (st, body) = code_step(&mut s.client(), &first["challenge"], &next).await;
    assert_error(st, &body, 400, "invalid");
    assert_eq!(body["error"]["field"], "challenge");
    // and the same code on a fresh challenge is refused: it was used in its window
    let mut c2 = s.client();
    let again = password_step(&c2, "bob", "password-123", "code").await;
    let (st, body) = code_step(&mut c2, &again["challenge"], &next).await;
    assert_error(st, &body, 401, "invalid_credentials");

    // a recovery code works once, typed any way
    let typed = recovery[3].to_uppercase().replace('-', " ");
    let (st, body) = code_step(&mut c2, &again["challenge"], &typed).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(
        bob.get("/api/me/two-factor").await["recovery_codes_left"],
        9
    );
    let mut c3 = s.client();
    let third = password_step(&c3, "bob", "password-123", "code").await;
    let (st, body) = code_step(&mut c3, &third["challenge"], &recovery[3]).await;
    assert_error(st, &body, 401, "invalid_credentials");

    // bad input: malformed codes, unknown challenges, missing fields
    for bad in ["12345", "abc", "1234567", ""] {
        let (st, body) = code_step(&mut c3, &third["challenge"], bad).await;
        assert_error(st, &body, 400, "invalid");
        assert_eq!(body["error"]["field"], "code", "{bad}");
    }
    let (st, body) = code_step(&mut c3, &json!("no-such-challenge"), &next).await;
    assert_error(st, &body, 400, "invalid");
    assert_eq!(body["error"]["field"], "challenge");
    refused(
        &c3,
        Method::POST,
        "/api/login/code",
        json!({"code": "123456"}),
        (400, "bad_request", None),
    )
    .await;

    let audit = audit_actions(&admin).await;
    for want in [
        "2fa.enable user 'bob'",
        "login with a two-factor code",
        "login with a recovery code",
        "2fa.recovery_used 9 recovery codes left",
        "login.failed username 'bob': wrong two-factor code",
    ] {
        assert!(audit.iter().any(|a| a == want), "{want} in {audit:?}");
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_code_step_is_rate_limited_per_account() {
    let s = TestServer::start_with(toml::from_str("login_attempts_per_minute = 3").unwrap()).await;
    let admin = s.admin().await;
    let (bob, _) = s.user(&admin, "bob", "member", None).await;
    let (secret, step, _) = enrol(&bob).await;
    let mut c = s.client();
    let ch = password_step(&c, "bob", "password-123", "code").await;
    // three wrong codes (never the right one: it is a neighbour's step's code plus one)
    let wrong = format!(
        "{:06}",
        (code(&secret, step + 5).parse::<u32>().unwrap() + 1) % 1_000_000
    );
    for _ in 0..3 {
        let (st, body) = code_step(&mut c, &ch["challenge"], &wrong).await;
        assert_error(st, &body, 401, "invalid_credentials");
    }
    let (st, body) = code_step(&mut c, &ch["challenge"], &code(&secret, step + 1)).await;
    assert_error(st, &body, 429, "rate_limited");
    // the same account spelled otherwise at the password step shares the bucket
    let ch2 = password_step(&c, "  BOB ", "password-123", "code").await;
    let (st, body) = code_step(&mut c, &ch2["challenge"], &code(&secret, step + 1)).await;
    assert_error(st, &body, 429, "rate_limited");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_required_policy_leads_to_enrolment_and_binds_sessions_not_tokens() {
    let s = TestServer::start().await;
    let mut admin = s.admin().await;
    let (member, _) = s.user(&admin, "mei", "member", None).await;
    // the admin would be signed out by the policy: refused until they have it
    // a member may not set it; an unknown policy is a bad request
    let policy = "/api/admin/two-factor-policy";
    for (who, require, refusal) in [
        (&admin, "everyone", (400, "invalid", Some("require"))),
        (&member, "off", (403, "forbidden", None)),
        (&admin, "sometimes", (400, "bad_request", None)),
    ] {
        refused(
            who,
            Method::PUT,
            policy,
            json!({"require": require}),
            refusal,
        )
        .await;
    }

    let data = s.data.clone();
    let (ok, out, err) = tokio::task::spawn_blocking(move || {
        baton(
            &data,
            &[
                "token", "create", "--name", "mei", "--scope", "read", "--owner", "mei",
            ],
            None,
        )
    })
    .await
    .unwrap();
    assert!(ok, "{err}");
    let token_client = Client {
        bearer: Some(out.lines().last().unwrap().trim().to_string()),
        ..Client::new(&s.url)
    };

    let (admin_secret, admin_step, _) = enrol(&admin).await;
    let p = admin
        .call(
            Method::PUT,
            "/api/admin/two-factor-policy",
            Some(json!({"require": "admins"})),
        )
        .await;
    assert_eq!(p.0, StatusCode::OK, "{}", p.1);
    // admins only: the member carries on
    member.get("/api/me").await;
    let p = admin
        .call(
            Method::PUT,
            "/api/admin/two-factor-policy",
            Some(json!({"require": "everyone"})),
        )
        .await;
    assert_eq!(p.1["require"], "everyone");
    assert_eq!(
        admin.get("/api/admin/two-factor-policy").await["require"],
        "everyone"
    );

    // the member's session is refused until they set it up; their API token is not
    let (st, body) = member.call(Method::GET, "/api/me", None).await;
    assert_error(st, &body, 401, "two_factor_required");
    token_client.get("/api/projects").await;
    // the admin's own session still works (they have it)
    admin.get("/api/me").await;

    // the login leads to enrolment before any session
    let mut c = s.client();
    let first = password_step(&c, "mei", "password-123", "enrol").await;
    let secret = first["enrolment"]["secret"].as_str().unwrap().to_string();
    assert!(first["enrolment"]["qr_svg"]
        .as_str()
        .unwrap()
        .contains("<svg"));
    assert!(first["enrolment"]["uri"]
        .as_str()
        .unwrap()
        .contains(&format!("secret={secret}")));
    let (st, body) = code_step(&mut c, &first["challenge"], "abcd-efgh-jkmn").await;
    assert_error(st, &body, 401, "invalid_credentials");
    let step = now_step();
    let (st, body) = code_step(&mut c, &first["challenge"], &code(&secret, step)).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["recovery_codes"].as_array().unwrap().len(), 10);
    let st = c.get("/api/me/two-factor").await;
    assert_eq!(
        (st["enabled"].clone(), st["required"].clone()),
        (json!(true), json!(true))
    );
    // required: it cannot be turned off
    refused(
        &c,
        Method::POST,
        "/api/me/two-factor/disable",
        json!({"password": "password-123", "code": code(&secret, step + 1)}),
        (403, "forbidden", None),
    )
    .await;
    // next time the member logs in with a code, like everyone with it on
    password_step(&s.client(), "mei", "password-123", "code").await;

    // the admin logs in with a code too
    let ch = password_step(&admin, "admin", ADMIN_PASSWORD, "code").await;
    let (st, body) = code_step(
        &mut admin,
        &ch["challenge"],
        &code(&admin_secret, admin_step + 1),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let audit = audit_actions(&admin).await;
    assert!(
        audit
            .iter()
            .any(|a| a == "2fa.policy required of: everyone"),
        "{audit:?}"
    );
    assert!(
        audit.iter().any(|a| a == "login set up two-factor sign-in"),
        "{audit:?}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disable_needs_the_password_and_a_code() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let (bob, _) = s.user(&admin, "bob", "member", None).await;
    refused(
        &bob,
        Method::POST,
        "/api/me/two-factor/disable",
        json!({"password": "password-123", "code": "123456"}),
        (409, "conflict", None),
    )
    .await;
    let (secret, step, _) = enrol(&bob).await;
    let cases = [
        (
            json!({"password": "wrong-password", "code": code(&secret, step + 1)}),
            400,
            "password",
        ),
        (
            json!({"password": "password-123", "code": "zzzz-zzzz-zzzz"}),
            400,
            "code",
        ),
        (
            json!({"password": "password-123", "code": code(&secret, step)}),
            400,
            "code",
        ),
    ];
    for (req, want, field) in cases {
        let refusal = (want, "invalid", Some(field));
        refused(
            &bob,
            Method::POST,
            "/api/me/two-factor/disable",
            req,
            refusal,
        )
        .await;
    }
    assert_eq!(bob.get("/api/me/two-factor").await["enabled"], true);
    let (st, body) = bob
        .call(
            Method::POST,
            "/api/me/two-factor/disable",
            Some(json!({"password": "password-123", "code": code(&secret, step + 1)})),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(bob.get("/api/me/two-factor").await["enabled"], false);
    // a plain login again
    let mut c = s.client();
    c.login("bob", "password-123").await;
    assert!(audit_actions(&admin)
        .await
        .iter()
        .any(|a| a == "2fa.disable user 'bob'"));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_2fa_on_the_console_and_the_secret_survives_backup_and_restore() {
    let s = TestServer::start().await;
    let mut admin = s.admin().await;
    let (bob, _) = s.user(&admin, "bob", "member", None).await;
    enrol(&bob).await;
    let (admin_secret, admin_step, _) = enrol(&admin).await;

    let data = s.data.clone();
    let (ok, out, err) = tokio::task::spawn_blocking(move || {
        assert!(!baton(&data, &["user", "reset-2fa", "nobody"], None).0);
        baton(&data, &["user", "reset-2fa", "BOB"], None)
    })
    .await
    .unwrap();
    assert!(ok, "{err}");
    assert!(out.contains("two-factor sign-in of 'bob' removed"), "{out}");
    // bob signs in with the password alone again; the console action is audited
    let mut c = s.client();
    c.login("bob", "password-123").await;
    assert_eq!(c.get("/api/me/two-factor").await["enabled"], false);
    let audit = audit_actions(&admin).await;
    assert!(
        audit.iter().any(|a| a == "2fa.reset user 'bob'"),
        "{audit:?}"
    );

    // the admin's secret is in the backup: after a restore the same app signs in
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("b.baton-backup.gz");
    let (ok, out, err) = baton(&s.data, &["backup", "--out", file.to_str().unwrap()], None);
    assert!(ok, "{err}");
    assert!(out.contains("1 two_factor"), "{out}");
    drop(admin);
    s.stop().await;
    let target = work.path().join("restored");
    let (ok, _, err) = baton(&target, &["restore", file.to_str().unwrap()], None);
    assert!(ok, "{err}");
    let s2 = TestServer::start_in(&target, FileConfig::default()).await;
    admin = s2.client();
    let ch = password_step(&admin, "admin", ADMIN_PASSWORD, "code").await;
    // the step used before the backup stays used
    let (st, _) = code_step(
        &mut admin,
        &ch["challenge"],
        &code(&admin_secret, admin_step),
    )
    .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, body) = code_step(
        &mut admin,
        &ch["challenge"],
        &code(&admin_secret, admin_step + 1),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    s2.stop().await;
}
