//! The embedded web UI: files from `web/`, and `index.html` for any other path (the UI
//! routes on the client).
//!
//! Each file is served twice: at its plain path (`/js/app.js`, `no-cache`: a tab opened
//! before an upgrade still works) and at a content-hashed path (`/js/app.<hash>.js`,
//! cached for a year as `immutable`), which is what `index.html` and its import map
//! name. Text files go out brotli- or gzip-compressed when the client accepts it.

mod catalogue;
mod index_html;
mod negotiate;
mod service_worker;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use catalogue::{catalogue, Asset};
use negotiate::Coding;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Unhashed URLs and `index.html`: always revalidate, which the ETag makes cheap.
const REVALIDATE: &str = "no-cache";

pub async fn serve(uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().trim_start_matches('/');
    let cat = catalogue();
    if path.is_empty() || path == "index.html" {
        return index(&headers).await;
    }
    if path == service_worker::PATH {
        return match service_worker::worker() {
            Some(w) => respond(w, &headers, REVALIDATE, None).await,
            None => (StatusCode::NOT_FOUND, "not found").into_response(),
        };
    }
    if let Some(asset) = cat.plain(path) {
        return respond(asset, &headers, REVALIDATE, None).await;
    }
    // The page and the worker are only served at their own URLs.
    let own_url = |a: &&Asset| a.path != "index.html" && a.path != service_worker::PATH;
    if let Some(asset) = cat.by_hash(path).filter(own_url) {
        return respond(asset, &headers, IMMUTABLE, None).await;
    }
    // A missing file (its name has an extension, e.g. a hash from an older build) is a
    // 404, so a broken asset shows as one; any other path is a client-side route.
    if path
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
    {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    index(&headers).await
}

async fn index(headers: &HeaderMap) -> Response {
    match index_html::index() {
        Some(idx) => respond(&idx.asset, headers, REVALIDATE, Some(&idx.csp)).await,
        None => (StatusCode::NOT_FOUND, "UI not built into this binary").into_response(),
    }
}

/// The body in the coding the client prefers among those the asset has.
async fn encoded(asset: &'static Asset, headers: &HeaderMap) -> (Coding, Bytes) {
    if !asset.compressible() || !headers.contains_key(header::ACCEPT_ENCODING) {
        return (Coding::Identity, asset.bytes.clone());
    }
    let forms = match asset.compressed_if_ready() {
        Some(forms) => forms,
        // First request for this file: compress it once, off the async workers.
        None => match tokio::task::spawn_blocking(move || asset.compressed()).await {
            Ok(forms) => forms,
            Err(e) => {
                tracing::error!(path = %asset.path, error = %e, "compressing an asset failed");
                return (Coding::Identity, asset.bytes.clone());
            }
        },
    };
    let coding = negotiate::choose(headers, forms.brotli.is_some(), forms.gzip.is_some());
    let body = match coding {
        Coding::Brotli => forms.brotli.clone(),
        Coding::Gzip => forms.gzip.clone(),
        Coding::Identity => None,
    };
    match body {
        Some(body) => (coding, body),
        None => (Coding::Identity, asset.bytes.clone()),
    }
}

/// Whether `If-None-Match` names `etag` (weak comparison, as RFC 9110 asks for it).
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim())
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

async fn respond(
    asset: &'static Asset,
    headers: &HeaderMap,
    cache_control: &'static str,
    csp: Option<&HeaderValue>,
) -> Response {
    let (coding, body) = encoded(asset, headers).await;
    // one validator per encoding: `"<sha256>-br"`
    let etag = format!(
        "{}{}\"",
        asset.etag.trim_end_matches('"'),
        coding.etag_suffix()
    );
    let status = if not_modified(headers, &etag) {
        StatusCode::NOT_MODIFIED
    } else {
        StatusCode::OK
    };
    let mut resp = Response::builder().status(status);
    if let Some(h) = resp.headers_mut() {
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache_control),
        );
        if let Ok(v) = HeaderValue::from_str(&etag) {
            h.insert(header::ETAG, v);
        }
        if asset.compressible() {
            h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
        if let Some(csp) = csp {
            h.insert(header::CONTENT_SECURITY_POLICY, csp.clone());
        }
        if status == StatusCode::OK {
            if let Ok(v) = HeaderValue::from_str(&asset.mime) {
                h.insert(header::CONTENT_TYPE, v);
            }
            if let Some(enc) = coding.header_value() {
                h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(enc));
            }
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        }
    }
    let body = if status == StatusCode::OK {
        Body::from(body)
    } else {
        Body::empty()
    };
    resp.body(body).unwrap_or_else(|e| {
        tracing::error!(path = %asset.path, error = %e, "building an asset response failed");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_lists_and_weak_tags() {
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"a\", W/\"b-br\""),
        );
        assert!(not_modified(&h, "\"b-br\""));
        assert!(not_modified(&h, "\"a\""));
        assert!(!not_modified(&h, "\"b\""));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(not_modified(&h, "\"x\""));
        assert!(!not_modified(&HeaderMap::new(), "\"x\""));
    }
}
