//! `index.html` as served: rewritten once per process so every asset it names is a
//! content-hashed URL, with an import map that sends every module import (static or
//! `import()`, and `import.meta.resolve` for the i18n JSON) to its hashed URL. Browsers
//! then cache all assets for a year and only revalidate this small page.
//!
//! The import map is an inline script, so the page's CSP allows exactly that script by
//! its SHA-256 (`script-src 'self' 'sha256-…'`), nothing else inline.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use axum::body::Bytes;
use axum::http::HeaderValue;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::catalogue::{catalogue, Asset};

/// Where the import map goes in `web/index.html`: it must come before anything that
/// loads a module.
const MARKER: &str = "<!-- importmap -->";

pub struct Index {
    pub asset: Asset,
    pub csp: HeaderValue,
}

/// Rewrite `html`: `"/plain"` attribute values become `"/hashed"`, and the import map of
/// `urls` (plain → hashed, both absolute) goes at the marker. Returns the page and the
/// import map script's text (what the CSP hash covers).
pub fn rewrite(html: &str, urls: &BTreeMap<String, String>) -> (String, String) {
    let mut page = html.to_string();
    for (plain, hashed) in urls {
        for quote in ['"', '\''] {
            page = page.replace(
                &format!("{quote}{plain}{quote}"),
                &format!("{quote}{hashed}{quote}"),
            );
        }
    }
    let map = serde_json::json!({ "imports": urls });
    // `</` cannot end the script early however a file is named
    let json = map.to_string().replace("</", "<\\/");
    let script = format!("<script type=\"importmap\">{json}</script>");
    let at = page
        .find(MARKER)
        .or_else(|| page.find("<link rel=\"modulepreload\""))
        .or_else(|| page.find("<script"))
        .or_else(|| page.find("</head>"))
        .unwrap_or(0);
    let end = if page.get(at..).is_some_and(|rest| rest.starts_with(MARKER)) {
        at + MARKER.len()
    } else {
        at
    };
    page.replace_range(at..end, &script);
    (page, json)
}

/// The CSP of `index.html`: the site's policy plus the import map's hash.
pub fn csp(base: &str, script: &str) -> String {
    let digest = Sha256::digest(script.as_bytes());
    let hash = base64::engine::general_purpose::STANDARD.encode(digest);
    base.replacen(
        "script-src 'self'",
        &format!("script-src 'self' 'sha256-{hash}'"),
        1,
    )
}

fn build() -> Option<Index> {
    let cat = catalogue();
    let source = cat.plain("index.html")?;
    let html = std::str::from_utf8(&source.bytes).ok()?;
    let urls: BTreeMap<String, String> = cat
        .iter()
        .filter(|a| a.path != "index.html" && a.path != "sw.js" && !a.path.ends_with(".md"))
        .map(|a| (format!("/{}", a.path), format!("/{}", a.hashed_path)))
        .collect();
    let (page, script) = rewrite(html, &urls);
    let csp = HeaderValue::from_str(&csp(crate::http::CSP, &script)).ok()?;
    let sha: [u8; 32] = Sha256::digest(page.as_bytes()).into();
    Some(Index {
        asset: Asset::new(
            "index.html".into(),
            Bytes::from(page),
            "text/html".into(),
            sha,
        ),
        csp,
    })
}

static INDEX: LazyLock<Option<Index>> = LazyLock::new(build);

/// The served `index.html`; `None` only if the binary was built without the UI.
pub fn index() -> Option<&'static Index> {
    INDEX.as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls() -> BTreeMap<String, String> {
        [("/app.js", "/app.aaa.js"), ("/style.css", "/style.bbb.css")]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn rewrites_urls_and_puts_the_map_at_the_marker() {
        let html = "<head><!-- importmap --><link rel=\"stylesheet\" href=\"/style.css\" />\
                    <script type=\"module\" src=\"/app.js\"></script></head>";
        let (page, script) = rewrite(html, &urls());
        assert!(page.contains("href=\"/style.bbb.css\""));
        assert!(page.contains("src=\"/app.aaa.js\""));
        assert!(!page.contains(MARKER));
        let map_at = page.find("type=\"importmap\"").unwrap();
        assert!(map_at < page.find("type=\"module\"").unwrap());
        let parsed: serde_json::Value = serde_json::from_str(&script).unwrap();
        assert_eq!(parsed["imports"]["/app.js"], "/app.aaa.js");
    }

    #[test]
    fn without_marker_the_map_goes_before_the_first_script() {
        let html = "<head><script type=\"module\" src=\"/app.js\"></script></head>";
        let (page, _) = rewrite(html, &urls());
        assert!(page.starts_with("<head><script type=\"importmap\">"));
    }

    #[test]
    fn a_url_that_only_starts_like_an_asset_is_left_alone() {
        let (page, _) = rewrite("<a href=\"/app.jsx\">", &urls());
        assert!(page.contains("\"/app.jsx\""));
    }

    #[test]
    fn csp_allows_only_the_map() {
        let c = csp(
            "default-src 'self'; script-src 'self'; object-src 'none'",
            "x",
        );
        assert!(c.starts_with("default-src 'self'; script-src 'self' 'sha256-"));
        assert!(c.ends_with("'; object-src 'none'"));
        // sha256("x"), base64
        assert!(c.contains("'sha256-LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE='"));
    }

    #[test]
    fn the_embedded_page_names_only_hashed_assets() {
        let idx = index().unwrap();
        let page = std::str::from_utf8(&idx.asset.bytes).unwrap();
        let mut seen = 0;
        for attr in ["href=\"/", "src=\"/"] {
            for (at, _) in page.match_indices(attr) {
                let rest = &page[at + attr.len()..];
                let url = &rest[..rest.find('"').unwrap()];
                assert!(
                    catalogue().by_hash(url).is_some(),
                    "{url} is not a hashed asset URL"
                );
                seen += 1;
            }
        }
        assert!(seen > 3, "index.html names {seen} assets");
    }
}
