//! Every file embedded from `web/`, read once per process: its bytes, type, a short
//! content hash and the hashed URL it is also served at (`js/app.<hash>.js`), plus its
//! gzip and brotli forms, compressed the first time anyone asks for them and kept.
//!
//! Hashed names keep the file in its directory, so a module loaded from a hashed URL
//! still resolves its relative imports (`./api.js`) to the plain path, which the import
//! map in `index.html` then sends to the hashed URL (see `index_html`).

use std::collections::HashMap;
use std::io::Write;
use std::sync::{LazyLock, OnceLock};

use axum::body::Bytes;
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "web/"]
struct Files;

/// Hex digits of the SHA-256 of a file's bytes in its hashed URL: 40 bits, plenty to
/// tell two builds of one file apart.
pub const HASH_LEN: usize = 10;

/// Below this, compression saves less than the `Content-Encoding` header costs.
const MIN_COMPRESS: usize = 512;

pub struct Asset {
    /// Path inside `web/`, e.g. `js/pages/task.js`.
    pub path: String,
    /// The same file's content-hashed path, e.g. `js/pages/task.0123456789.js`.
    pub hashed_path: String,
    pub bytes: Bytes,
    pub mime: String,
    /// Strong validator of the identity bytes (the full SHA-256, hex).
    pub etag: String,
    compressible: bool,
    compressed: OnceLock<Compressed>,
}

/// The encoded forms of one asset; `None` where compressing did not make it smaller.
pub struct Compressed {
    pub gzip: Option<Bytes>,
    pub brotli: Option<Bytes>,
}

impl Asset {
    pub(super) fn new(path: String, bytes: Bytes, mime: String, sha256: [u8; 32]) -> Asset {
        let hex = hex::encode(sha256);
        let short = hex.get(..HASH_LEN).unwrap_or(&hex);
        let hashed_path = hashed_name(&path, short);
        // Only text-like types: png, woff2, zip… are compressed already and would only
        // cost CPU for no gain.
        let compressible = bytes.len() >= MIN_COMPRESS
            && (mime.starts_with("text/")
                || mime == "application/javascript"
                || mime == "application/json"
                || mime == "image/svg+xml");
        Asset {
            path,
            hashed_path,
            bytes,
            mime,
            etag: format!("\"{hex}\""),
            compressible,
            compressed: OnceLock::new(),
        }
    }

    /// Whether this asset may be sent compressed (and so varies on `Accept-Encoding`).
    pub fn compressible(&self) -> bool {
        self.compressible
    }

    /// The compressed forms if they were already made (no work on this thread).
    pub fn compressed_if_ready(&self) -> Option<&Compressed> {
        self.compressed.get()
    }

    /// The compressed forms, made now if this is the first time (CPU-bound: call it off
    /// the async workers).
    pub fn compressed(&self) -> &Compressed {
        self.compressed.get_or_init(|| Compressed {
            gzip: smaller(&self.bytes, gzip(&self.bytes)),
            brotli: smaller(&self.bytes, brotli(&self.bytes)),
        })
    }
}

/// `js/app.js` + `0123456789` → `js/app.0123456789.js` (a file without an extension gets
/// the hash appended: `LICENSE.0123456789`).
fn hashed_name(path: &str, hash: &str) -> String {
    let (dir, name) = match path.rsplit_once('/') {
        Some((dir, name)) => (Some(dir), name),
        None => (None, path),
    };
    let name = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem}.{hash}.{ext}"),
        _ => format!("{name}.{hash}"),
    };
    match dir {
        Some(dir) => format!("{dir}/{name}"),
        None => name,
    }
}

fn smaller(original: &[u8], encoded: Option<Vec<u8>>) -> Option<Bytes> {
    encoded
        .filter(|e| e.len() < original.len())
        .map(Bytes::from)
}

fn gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).ok()?;
    enc.finish().ok()
}

fn brotli(bytes: &[u8]) -> Option<Vec<u8>> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        size_hint: bytes.len(),
        ..Default::default()
    };
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).ok()?;
    Some(out)
}

pub struct Catalogue {
    by_path: HashMap<String, Asset>,
    /// hashed path → plain path
    hashed: HashMap<String, String>,
}

impl Catalogue {
    fn load() -> Catalogue {
        let mut by_path = HashMap::new();
        let mut hashed = HashMap::new();
        for path in Files::iter() {
            let Some(file) = Files::get(&path) else {
                continue;
            };
            let mime = file.metadata.mimetype().to_string();
            let sha = file.metadata.sha256_hash();
            let bytes = match file.data {
                std::borrow::Cow::Borrowed(b) => Bytes::from_static(b),
                std::borrow::Cow::Owned(v) => Bytes::from(v),
            };
            let asset = Asset::new(path.to_string(), bytes, mime, sha);
            hashed.insert(asset.hashed_path.clone(), asset.path.clone());
            by_path.insert(asset.path.clone(), asset);
        }
        Catalogue { by_path, hashed }
    }

    /// The file at its plain path (`js/app.js`).
    pub fn plain(&self, path: &str) -> Option<&Asset> {
        self.by_path.get(path)
    }

    /// The file at its hashed path (`js/app.0123456789.js`); a stale or made-up hash
    /// finds nothing.
    pub fn by_hash(&self, path: &str) -> Option<&Asset> {
        self.hashed.get(path).and_then(|p| self.by_path.get(p))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Asset> {
        self.by_path.values()
    }
}

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(Catalogue::load);

pub fn catalogue() -> &'static Catalogue {
    &CATALOGUE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_stay_in_their_directory() {
        assert_eq!(hashed_name("js/app.js", "abc"), "js/app.abc.js");
        assert_eq!(
            hashed_name("js/pages/erp-records.js", "abc"),
            "js/pages/erp-records.abc.js"
        );
        assert_eq!(hashed_name("style.css", "abc"), "style.abc.css");
        assert_eq!(
            hashed_name("vendor/htm.min.mjs", "abc"),
            "vendor/htm.min.abc.mjs"
        );
        assert_eq!(hashed_name("LICENSE", "abc"), "LICENSE.abc");
        assert_eq!(hashed_name("web/.hidden", "abc"), "web/.hidden.abc");
    }

    #[test]
    fn compressed_forms_decode_to_the_original() {
        let text = "export const x = 1;\n".repeat(200);
        let asset = Asset::new(
            "js/x.js".into(),
            Bytes::from(text.clone()),
            "application/javascript".into(),
            [7; 32],
        );
        assert!(asset.compressible());
        let c = asset.compressed();
        let gz = c.gzip.as_ref().unwrap();
        let mut out = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut out)
            .unwrap();
        assert_eq!(out, text);
        let br = c.brotli.as_ref().unwrap();
        let mut out = String::new();
        std::io::Read::read_to_string(&mut brotli::Decompressor::new(&br[..], 4096), &mut out)
            .unwrap();
        assert_eq!(out, text);
        assert_eq!(asset.hashed_path, "js/x.0707070707.js");
    }

    #[test]
    fn already_compressed_types_are_left_alone() {
        let asset = Asset::new(
            "a.png".into(),
            Bytes::from(vec![0u8; 4096]),
            "image/png".into(),
            [0; 32],
        );
        assert!(!asset.compressible());
        let tiny = Asset::new(
            "a.js".into(),
            Bytes::from_static(b"x"),
            "application/javascript".into(),
            [0; 32],
        );
        assert!(!tiny.compressible());
    }

    #[test]
    fn every_embedded_file_has_a_unique_hashed_path() {
        let cat = catalogue();
        assert!(cat.plain("index.html").is_some());
        for a in cat.iter() {
            assert_eq!(cat.by_hash(&a.hashed_path).map(|b| &b.path), Some(&a.path));
        }
    }
}
