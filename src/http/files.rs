//! Receiving uploads and serving stored files, shared by task and feedback
//! attachments.

use std::io::Write;
use std::path::Path;

use axum::body::Body;
use axum::extract::Multipart;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use crate::error::ServiceError;
use crate::flow::model::Attachment;
use crate::tasks::attachments::Upload;

/// Streams the multipart field `file` into a temporary file in `tmp_dir`, refusing
/// (413) as soon as it passes `limit` bytes; the partial file is removed then.
pub async fn receive(mut form: Multipart, limit: u64, tmp_dir: &Path) -> Result<Upload, ApiError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        ApiError::BadRequest(format!("bad upload: {}", e.body_text()))
    };
    let internal = |e: std::io::Error| {
        ApiError::Service(ServiceError::Internal(format!("upload temp file: {e}")))
    };
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("file").to_string();
        let content_type = field
            .content_type()
            .unwrap_or("application/octet-stream")
            .to_string();
        let mut temp = tempfile::NamedTempFile::new_in(tmp_dir).map_err(internal)?;
        let mut size: u64 = 0;
        while let Some(chunk) = field.chunk().await.map_err(bad)? {
            size += chunk.len() as u64;
            if size > limit {
                return Err(ServiceError::TooLarge(format!(
                    "an attachment may have at most {} MiB",
                    limit / (1024 * 1024)
                ))
                .into());
            }
            temp.write_all(&chunk).map_err(internal)?;
        }
        return Ok(Upload {
            temp,
            name,
            content_type,
            size,
        });
    }
    Err(ApiError::BadRequest(
        "send the file in a multipart field named 'file'".into(),
    ))
}

/// Serves a stored attachment as a download, never inline: a hostile upload cannot
/// run in our origin.
pub async fn download(att: &Attachment, path: &Path) -> Result<Response, ApiError> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| ServiceError::Internal(format!("attachment file {}: {e}", path.display())))?;
    let mut resp = Body::from_stream(tokio_util::io::ReaderStream::new(file)).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"download\"; filename*=UTF-8''{}",
        url_escape(&att.name)
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    if let Ok(v) = HeaderValue::from_str(&att.size.to_string()) {
        h.insert(header::CONTENT_LENGTH, v);
    }
    Ok(resp)
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
