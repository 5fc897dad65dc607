//! The embedded UI's static files (issue 18): compressed answers, content-hashed
//! immutable URLs, the rewritten index.html with its import map, and old URLs still
//! working; the API's JSON compressed by its own layer.

use std::io::Read;

use base64::Engine;
use reqwest::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_SECURITY_POLICY,
    ETAG, IF_NONE_MATCH, VARY,
};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::harness::TestServer;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

async fn get(url: &str, accept: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(url);
    if let Some(a) = accept {
        req = req.header(ACCEPT_ENCODING, a);
    }
    req.send().await.unwrap()
}

fn header(res: &reqwest::Response, name: reqwest::header::HeaderName) -> &str {
    res.headers()
        .get(&name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

fn decode(encoding: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        "gzip" => flate2::read::GzDecoder::new(body)
            .read_to_end(&mut out)
            .unwrap(),
        "br" => brotli::Decompressor::new(body, 4096)
            .read_to_end(&mut out)
            .unwrap(),
        "" => return body.to_vec(),
        other => panic!("unexpected encoding {other}"),
    };
    out
}

/// The import map `index.html` carries: plain URL → hashed URL.
fn import_map(page: &str) -> (String, serde_json::Map<String, Value>) {
    let start = page.find("<script type=\"importmap\">").unwrap() + 25;
    let len = page[start..].find("</script>").unwrap();
    let script = page[start..start + len].to_string();
    let map: Value = serde_json::from_str(&script).unwrap();
    (script, map["imports"].as_object().unwrap().clone())
}

#[tokio::test]
async fn gzip_and_brotli_decode_to_the_identity_bytes() {
    let s = TestServer::start().await;
    for path in [
        "/",
        "/js/pages/task.js",
        "/style.css",
        "/i18n/zh-CN.json",
        "/vendor/htm-preact-standalone.mjs",
    ] {
        let url = format!("{}{path}", s.url);
        let plain = get(&url, None).await;
        assert_eq!(plain.status(), StatusCode::OK, "{path}");
        assert_eq!(
            header(&plain, CONTENT_ENCODING),
            "",
            "{path}: no Accept-Encoding"
        );
        assert!(header(&plain, VARY).contains("accept-encoding"), "{path}");
        let identity = plain.bytes().await.unwrap();
        for (accept, want) in [
            ("gzip", "gzip"),
            ("br", "br"),
            ("gzip, deflate, br, zstd", "br"),
            ("br;q=0.5, gzip;q=0.9", "gzip"),
            ("br;q=0, gzip;q=0", ""),
            ("identity;q=0", ""), // nothing we have is acceptable: identity anyway
        ] {
            let res = get(&url, Some(accept)).await;
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(header(&res, CONTENT_ENCODING), want, "{path} with {accept}");
            assert!(header(&res, VARY).contains("accept-encoding"), "{path}");
            let length: usize = header(&res, CONTENT_LENGTH).parse().unwrap();
            let body = res.bytes().await.unwrap();
            assert_eq!(length, body.len(), "{path} {accept}: Content-Length");
            if !want.is_empty() {
                assert!(body.len() < identity.len(), "{path} {accept}: not smaller");
            }
            assert_eq!(decode(want, &body), identity, "{path} with {accept}");
        }
    }
    s.stop().await;
}

#[tokio::test]
async fn api_json_is_compressed_once_and_small_answers_not_at_all() {
    let s = TestServer::start().await;
    let url = format!("{}/api/openapi.json", s.url);
    let identity = get(&url, None).await;
    assert_eq!(header(&identity, CONTENT_ENCODING), "");
    let identity = identity.bytes().await.unwrap();
    assert!(identity.len() > 1024);
    for (accept, want) in [
        ("gzip, br", "br"),
        ("gzip", "gzip"),
        ("br;q=0.1, gzip", "gzip"),
        ("identity", ""),
    ] {
        let res = get(&url, Some(accept)).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(header(&res, CONTENT_ENCODING), want, "{accept}");
        assert!(header(&res, VARY)
            .to_ascii_lowercase()
            .contains("accept-encoding"));
        assert_eq!(
            decode(want, &res.bytes().await.unwrap()),
            identity,
            "{accept}"
        );
    }
    // a small JSON answer (an error envelope) is sent as it is
    let res = get(&format!("{}/api/me", s.url), Some("br")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(header(&res, CONTENT_ENCODING), "");
    // an asset answer is not compressed a second time by the API layer: one decode
    // gives the file (checked for every asset in the test above), and one Vary
    let res = get(&format!("{}/i18n/en.json", s.url), Some("br")).await;
    assert_eq!(res.headers().get_all(VARY).iter().count(), 1);
    s.stop().await;
}

#[tokio::test]
async fn each_encoding_has_its_own_etag_and_revalidates() {
    let s = TestServer::start().await;
    let url = format!("{}/js/api.js", s.url);
    let br = get(&url, Some("br")).await;
    let gz = get(&url, Some("gzip")).await;
    let id = get(&url, None).await;
    let tags = [header(&br, ETAG), header(&gz, ETAG), header(&id, ETAG)];
    assert!(tags.iter().all(|t| t.starts_with('"')));
    assert_ne!(tags[0], tags[1]);
    assert_ne!(tags[1], tags[2]);
    let again = reqwest::Client::new()
        .get(&url)
        .header(ACCEPT_ENCODING, "br")
        .header(IF_NONE_MATCH, tags[0])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&again, CACHE_CONTROL), "no-cache");
    // a br validator does not answer a gzip request with 304
    let other = reqwest::Client::new()
        .get(&url)
        .header(ACCEPT_ENCODING, "gzip")
        .header(IF_NONE_MATCH, tags[0])
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK);
    s.stop().await;
}

#[tokio::test]
async fn index_names_only_hashed_urls_which_are_immutable() {
    let s = TestServer::start().await;
    let res = get(&format!("{}/", s.url), Some("br")).await;
    assert_eq!(header(&res, CACHE_CONTROL), "no-cache");
    let csp = header(&res, CONTENT_SECURITY_POLICY).to_string();
    let page = String::from_utf8(decode("br", &res.bytes().await.unwrap())).unwrap();
    let (script, map) = import_map(&page);

    // the CSP allows exactly this inline script
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script.as_bytes()));
    assert!(
        csp.contains(&format!("script-src 'self' 'sha256-{hash}'")),
        "{csp}"
    );
    // ...which comes before anything that loads a module
    let map_at = page.find("type=\"importmap\"").unwrap();
    assert!(map_at < page.find("rel=\"modulepreload\"").unwrap());
    assert!(map_at < page.find("type=\"module\"").unwrap());

    // every href/src in the page is a hashed URL from the map
    let hashed: Vec<&str> = map.values().map(|v| v.as_str().unwrap()).collect();
    let mut named = Vec::new();
    for attr in ["href=\"", "src=\""] {
        for (at, _) in page.match_indices(attr) {
            let rest = &page[at + attr.len()..];
            named.push(rest[..rest.find('"').unwrap()].to_string());
        }
    }
    assert!(named.len() > 5, "{named:?}");
    for url in &named {
        assert!(hashed.contains(&url.as_str()), "{url} is not a hashed URL");
    }
    // the login page does not preload the task page or the scenario editor
    for heavy in [
        "/js/pages/task.js",
        "/js/pages/scenarios.js",
        "/js/pages/tasks.js",
    ] {
        let h = map[heavy].as_str().unwrap();
        assert!(!named.iter().any(|n| n == h), "{heavy} is preloaded");
    }

    // the map covers modules, i18n and the vendored library; each hashed URL is the same
    // bytes as its plain URL, cached for good, while the plain URL revalidates
    for plain in [
        "/app.js",
        "/js/app.js",
        "/js/pages/task.js",
        "/i18n/en.json",
        "/vendor/htm-preact-standalone.mjs",
        "/style.css",
    ] {
        let hashed = map[plain].as_str().unwrap();
        assert_ne!(hashed, plain);
        let h = get(&format!("{}{hashed}", s.url), None).await;
        assert_eq!(h.status(), StatusCode::OK, "{hashed}");
        assert_eq!(header(&h, CACHE_CONTROL), IMMUTABLE, "{hashed}");
        let p = get(&format!("{}{plain}", s.url), None).await;
        assert_eq!(p.status(), StatusCode::OK, "{plain}");
        assert_eq!(header(&p, CACHE_CONTROL), "no-cache", "{plain}");
        assert_eq!(
            h.bytes().await.unwrap(),
            p.bytes().await.unwrap(),
            "{plain}"
        );
    }
    // the hash is of the content
    let task = get(&format!("{}/js/pages/task.js", s.url), None).await;
    let digest = hex::encode(Sha256::digest(task.bytes().await.unwrap()));
    assert!(map["/js/pages/task.js"]
        .as_str()
        .unwrap()
        .contains(&digest[..10]));
    s.stop().await;
}

#[tokio::test]
async fn unknown_hash_is_404_and_client_routes_get_the_page() {
    let s = TestServer::start().await;
    for path in [
        "/js/app.0000000000.js",
        "/js/pages/task.ffffffffff.js",
        "/js/nothing.js",
        "/index.0123456789.html",
    ] {
        let res = get(&format!("{}{path}", s.url), Some("br")).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    for route in ["/tasks/5", "/admin/users", "/index.html"] {
        let res = get(&format!("{}{route}", s.url), None).await;
        assert_eq!(res.status(), StatusCode::OK, "{route}");
        assert_eq!(header(&res, CACHE_CONTROL), "no-cache");
        assert!(header(&res, CONTENT_SECURITY_POLICY).contains("'sha256-"));
        assert!(res.text().await.unwrap().contains("type=\"importmap\""));
    }
    // HEAD: the length of what a GET would send, no body
    let res = reqwest::Client::new()
        .head(format!("{}/js/ui.js", s.url))
        .header(ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, CONTENT_ENCODING), "gzip");
    let length: usize = header(&res, CONTENT_LENGTH).parse().unwrap();
    let full = get(&format!("{}/js/ui.js", s.url), Some("gzip")).await;
    assert_eq!(full.bytes().await.unwrap().len(), length);
    s.stop().await;
}

/// The installable app (issue 17): the page links the manifest, the manifest names
/// its PNG icons, and `/sw.js` is served at the root, revalidated, listing the hashed
/// shell and no API path.
#[tokio::test]
async fn manifest_icons_and_the_service_worker() {
    let s = TestServer::start().await;
    let page = get(&format!("{}/", s.url), None).await;
    let csp = header(&page, CONTENT_SECURITY_POLICY).to_string();
    assert!(csp.contains("worker-src 'self'"), "{csp}");
    assert!(csp.contains("manifest-src 'self'"), "{csp}");
    let page = page.text().await.unwrap();
    let link = "rel=\"manifest\" href=\"";
    let at = page.find(link).unwrap() + link.len();
    let manifest_url = &page[at..at + page[at..].find('"').unwrap()];
    assert!(manifest_url.starts_with("/manifest."), "{manifest_url}");
    let res = get(&format!("{}{manifest_url}", s.url), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        header(&res, reqwest::header::CONTENT_TYPE),
        "application/manifest+json"
    );
    let m: Value = res.json().await.unwrap();
    assert_eq!(m["start_url"], "/");
    assert_eq!(m["display"], "standalone");
    let icons = m["icons"].as_array().unwrap();
    for (size, purpose) in [
        ("192x192", "any"),
        ("512x512", "any"),
        ("192x192", "maskable"),
        ("512x512", "maskable"),
    ] {
        let icon = icons
            .iter()
            .find(|i| i["sizes"] == size && i["purpose"] == purpose)
            .unwrap_or_else(|| panic!("no {size} {purpose} icon"));
        let res = get(&format!("{}{}", s.url, icon["src"].as_str().unwrap()), None).await;
        assert_eq!(res.status(), StatusCode::OK, "{icon}");
        assert_eq!(header(&res, reqwest::header::CONTENT_TYPE), "image/png");
        let png = res.bytes().await.unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let side: u32 = size.split('x').next().unwrap().parse().unwrap();
        // IHDR: width and height at bytes 16..24
        assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), side);
        assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), side);
    }

    let res = get(&format!("{}/sw.js", s.url), Some("br")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, CACHE_CONTROL), "no-cache");
    assert!(header(&res, reqwest::header::CONTENT_TYPE).contains("javascript"));
    let enc = header(&res, CONTENT_ENCODING).to_string();
    let sw = String::from_utf8(decode(&enc, &res.bytes().await.unwrap())).unwrap();
    assert!(!sw.contains("@@"), "placeholders filled");
    let (_, map) = import_map(&page);
    for hashed in map.values() {
        let hashed = hashed.as_str().unwrap();
        assert!(
            sw.contains(&format!("\"{hashed}\"")),
            "{hashed} not precached"
        );
    }
    assert!(!sw.contains("\"/api/"), "no API URL is precached");
    assert!(
        sw.contains("startsWith('/api/')"),
        "API requests are passed through"
    );
    // Only at its own URL: not under a hash, not in the import map.
    assert!(!map.contains_key("/sw.js"));
}
