//! `/sw.js` as served: `web/sw.js` with its shell list and cache version filled in
//! once per process. The worker lives at the root (its scope is the whole UI), is never
//! content-hashed (a browser looks for updates at the same URL) and is `no-cache`, so a
//! new deployment's worker, with a new version, is found on the next visit and drops
//! the old cache.

use std::sync::LazyLock;

use axum::body::Bytes;
use sha2::{Digest, Sha256};

use super::catalogue::{catalogue, Asset};

pub const PATH: &str = "sw.js";

/// What the worker precaches: the page (`/`) and the hashed URL of every file the
/// page's import map may send a module or asset request to. Not the docs, not itself.
pub fn shell() -> Vec<String> {
    let mut urls = vec!["/".to_string()];
    urls.extend(
        catalogue()
            .iter()
            .filter(|a| a.path != "index.html" && a.path != PATH && !a.path.ends_with(".md"))
            .map(|a| format!("/{}", a.hashed_path)),
    );
    urls.sort();
    urls
}

/// Fills the template's placeholders; the version is a hash of the shell list, so it
/// changes exactly when some asset does.
pub fn render(template: &str, shell: &[String]) -> String {
    let list = serde_json::to_string(shell).unwrap_or_else(|_| "[]".into());
    let version = hex::encode(Sha256::digest(list.as_bytes()));
    template
        .replace("['@@SHELL@@']", &list)
        .replace("@@VERSION@@", version.get(..16).unwrap_or(&version))
}

fn build() -> Option<Asset> {
    let source = catalogue().plain(PATH)?;
    let text = std::str::from_utf8(&source.bytes).ok()?;
    let body = render(text, &shell());
    let sha: [u8; 32] = Sha256::digest(body.as_bytes()).into();
    Some(Asset::new(
        PATH.into(),
        Bytes::from(body),
        "application/javascript".into(),
        sha,
    ))
}

static WORKER: LazyLock<Option<Asset>> = LazyLock::new(build);

/// The served worker; `None` only if the binary was built without the UI.
pub fn worker() -> Option<&'static Asset> {
    WORKER.as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worker_lists_the_hashed_shell_and_a_version() {
        let text = std::str::from_utf8(&worker().unwrap().bytes).unwrap();
        assert!(!text.contains("@@"), "placeholders filled");
        let app = catalogue().plain("js/app.js").unwrap();
        assert!(text.contains(&format!("\"/{}\"", app.hashed_path)));
        assert!(text.contains("\"/\""), "the page itself");
        assert!(!text.contains("\"/js/app.js\""), "only hashed URLs");
        assert!(!text.contains("README"));
    }

    #[test]
    fn the_version_follows_the_list() {
        let t = "const CACHE = 'x-@@VERSION@@'; const SHELL = ['@@SHELL@@'];";
        let a = render(t, &["/".into(), "/a.1.js".into()]);
        let b = render(t, &["/".into(), "/a.2.js".into()]);
        assert_ne!(a, b);
        assert!(a.contains("const SHELL = [\"/\",\"/a.1.js\"];"), "{a}");
    }
}
