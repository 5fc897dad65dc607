//! Compression of the API's JSON answers (task lists, the todo, statistics) for phones on
//! slow links. Only `application/json` above 1 KiB: the UI's files come pre-compressed
//! from `ui` (a response that has `Content-Encoding` is never compressed again), and
//! downloads, backups and images are sent as they are.

use axum::http::{header, Extensions, HeaderMap, StatusCode, Version};
use tower_http::compression::predicate::{Predicate, SizeAbove};
use tower_http::compression::CompressionLayer;

/// Smaller answers gain less than the compression costs.
const MIN_SIZE: u16 = 1024;

fn is_json(_: StatusCode, _: Version, headers: &HeaderMap, _: &Extensions) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"))
}

/// The layer: brotli or gzip as the client's `Accept-Encoding` prefers (q-values,
/// `Vary: Accept-Encoding` added), at tower-http's default (fast) levels.
pub fn api_json() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .no_deflate()
        .no_zstd()
        .compress_when(SizeAbove::new(MIN_SIZE).and(is_json))
}
