//! Unit tests of `outbound.rs` (URLs checked before sending, the guarded resolver,
//! connections only to checked addresses), kept apart so the client code stays short.

use super::*;

#[test]
fn urls_checked_before_sending() {
    let p = AddressPolicy::default();
    for u in [
        "http://127.0.0.1:6379/",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://0177.0.0.1/",
        "http://localhost:8080/",
        "https://[::ffff:127.0.0.1]/",
        "http://10.0.0.1/",
    ] {
        assert!(matches!(parse_url(&p, u), Err(UrlError::Refused(_))), "{u}");
    }
    assert!(matches!(
        parse_url(&p, "file:///etc/passwd"),
        Err(UrlError::Scheme(_))
    ));
    assert!(matches!(
        parse_url(&p, "hooks.example/x"),
        Err(UrlError::Invalid(_))
    ));
    assert!(parse_url(&p, "https://hooks.example.com/x").is_ok());
}

#[tokio::test]
async fn names_resolving_to_internal_addresses_are_refused() {
    let p = AddressPolicy::default();
    let e = resolve_allowed(&p, "localhost", 80).await.unwrap_err();
    assert!(matches!(e, ResolveError::Refused(_)), "{e}");
    let lo = AddressPolicy::new(&["127.0.0.1/32".into()]).unwrap();
    let a = resolve_allowed(&lo, "127.0.0.1", 25).await.unwrap();
    assert_eq!(a, vec![SocketAddr::from(([127, 0, 0, 1], 25))]);
    assert!(resolve_allowed(&lo, "::1", 25).await.is_err());
}

#[tokio::test]
async fn the_resolver_hands_out_only_allowed_addresses() {
    let lo = Guarded {
        policy: Arc::new(AddressPolicy::new(&["127.0.0.1/32".into()]).unwrap()),
    };
    let addrs: Vec<SocketAddr> = lo
        .resolve("localhost".parse().unwrap())
        .await
        .unwrap()
        .collect();
    assert!(!addrs.is_empty());
    assert!(
        addrs.iter().all(|a| a.ip().to_string() == "127.0.0.1"),
        "{addrs:?}"
    );
    let strict = Guarded {
        policy: Arc::new(AddressPolicy::default()),
    };
    let e = strict
        .resolve("localhost".parse().unwrap())
        .await
        .err()
        .unwrap();
    assert!(e.downcast_ref::<Refused>().is_some(), "{e}");
}

/// A one-shot HTTP server on 127.0.0.1 that counts connections.
async fn counting_server() -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let h = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut c, _)) = l.accept().await {
            h.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut request = [0u8; 1024];
            let _ = c.read(&mut request).await;
            let _ = c
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                .await;
        }
    });
    (port, hits)
}

fn client(allow: &[&str]) -> Outbound {
    let allow: Vec<String> = allow.iter().map(|s| s.to_string()).collect();
    Outbound::new(
        AddressPolicy::new(&allow).unwrap(),
        Options {
            timeout: Some(Duration::from_secs(2)),
            redirects: 0,
            user_agent: "test",
        },
    )
    .unwrap()
}

#[tokio::test]
async fn connections_go_only_to_checked_addresses() {
    let (port, hits) = counting_server().await;
    let url = format!("http://localhost:{port}/");
    // Allowed: the name is resolved by the guarded resolver and 127.0.0.1 used.
    let r = client(&["127.0.0.1/32"])
        .request(Method::GET, &url)
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 1);
    // Only ::1 allowed: `localhost` passes the name check, but its 127.0.0.1
    // answer is dropped, so the server on 127.0.0.1 is never reached.
    let e = client(&["::1"])
        .request(Method::GET, &url)
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(!matches!(explain(e), Failure::TimedOut));
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 1);
    // Nothing listed: refused before a request is made.
    assert!(matches!(
        client(&[]).request(Method::GET, &url),
        Err(UrlError::Refused(_))
    ));
}

#[test]
fn only_allowed_addresses_of_a_name_are_used() {
    let a = |s: &str| s.parse::<SocketAddr>().unwrap();
    let lo = AddressPolicy::new(&["127.0.0.1/32".into()]).unwrap();
    // A name answering with public and internal addresses: only the allowed ones
    // are connected to (DNS rebinding gets nothing).
    let kept = keep_allowed(
        &lo,
        "mixed.example",
        vec![
            a("[::1]:80"),
            a("93.184.216.34:80"),
            a("127.0.0.1:80"),
            a("10.0.0.1:80"),
        ],
    )
    .unwrap();
    assert_eq!(kept, vec![a("93.184.216.34:80"), a("127.0.0.1:80")]);
    let e = keep_allowed(
        &AddressPolicy::default(),
        "internal.example",
        vec![a("169.254.169.254:80"), a("10.0.0.1:80")],
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("169.254.169.254 is a link-local"),
        "{e}"
    );
    assert!(matches!(
        keep_allowed(&lo, "none.example", vec![]),
        Err(ResolveError::Lookup(_))
    ));
}
