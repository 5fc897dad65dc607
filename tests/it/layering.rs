//! Layering kept by a test: the top-level modules of `src/` import each other without
//! a cycle, and `flow` (the task model and rules) imports nothing of the crate and no
//! outside crate but the standard library, serde and chrono.
//!
//! It reads the source text, not the compiler's view: every `crate::name` path outside
//! comments and outside `#[cfg(test)]` code counts as an edge from the file's top-level
//! module to `name` (including `use crate::{a, b}` groups). Test code may reach across
//! (a test of `flow` builds actors), production code may not.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Outside crates `flow` may name besides std/core/alloc, serde and chrono: derive
/// macros only (`thiserror::Error` for its error enums, `utoipa::ToSchema` so the
/// OpenAPI document describes its types), which add code at compile time but no
/// dependency on I/O. `serde_json` is serde's value type, kept with a task's source
/// record.
const FLOW_MAY_USE: &[&str] = &[
    "std",
    "core",
    "alloc",
    "serde",
    "serde_json",
    "chrono",
    "thiserror",
    "utoipa",
];

/// Imports that still close a cycle, each with why it is not cut yet. The list only
/// shrinks: an entry whose import is gone fails the test until it is removed here.
const KNOWN_BACK_EDGES: &[(&str, &str, &str)] = &[
    (
        "store",
        "stats",
        "schema step 1->2 (stats::backfill) is named in store/migrate.rs; it moves out \
         when opening the store takes its migration steps from the caller",
    ),
    (
        "erp",
        "scenarios",
        "erp/column_types.rs parses amounts and times with the script engine's parsers \
         (scenarios::engine), which return rhai errors; they move to erp with the evaluator rewrite",
    ),
    (
        "store",
        "scenarios",
        "schema step 4->5 (scenarios::states::fold_pair_states) is named in store/migrate.rs, \
         like the stats and tasks steps",
    ),
    (
        "store",
        "tasks",
        "schema step 2->3 (tasks::lists::reindex_todo) is named in store/migrate.rs, like \
         the stats step above",
    ),
    (
        "auth",
        "org",
        "sign-in (auth::identify) reads the user and asks org::policy whether they may push \
         ERP records; token management asks the policy too. They move to org (beside \
         org::login) or the policy moves to a module of its own below both",
    ),
    (
        "audit",
        "org",
        "reading the audit log asks org::policy (company admins only); the same move as \
         auth -> org resolves it",
    ),
    (
        "org",
        "projects",
        "changing a user's `erp` flag asks who administers the ERP project \
         (projects::service::erp_project_department)",
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Source lines that are production code: comments dropped, and everything from a
/// `#[cfg(test)]` inline module on (test modules close their file by convention).
fn production_text(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut keep = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim();
        if t == "#[cfg(test)]" {
            let next = lines.get(i + 1).map(|n| n.trim()).unwrap_or("");
            if next.starts_with("mod ") && next.ends_with('{') {
                break;
            }
        }
        if t.starts_with("//") {
            continue;
        }
        // A trailing comment may name a path in words.
        keep.push(l.split(" // ").next().unwrap_or(l));
    }
    keep.join("\n")
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// Top-level names after `crate::` (a group `crate::{a::x, b}` gives `a` and `b`).
fn crate_paths(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            let mut depth = 1;
            let mut start = true;
            let mut idx = 0;
            let bytes: Vec<char> = group.chars().collect();
            while idx < bytes.len() && depth > 0 {
                let c = bytes[idx];
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 1 => start = true,
                    _ if depth == 1 && start && (c.is_ascii_alphanumeric() || c == '_') => {
                        let word: String = bytes[idx..]
                            .iter()
                            .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
                            .collect();
                        idx += word.len();
                        out.insert(word);
                        start = false;
                        continue;
                    }
                    _ => {}
                }
                idx += 1;
            }
        } else {
            let name = ident_at(after);
            if !name.is_empty() {
                out.insert(name.to_string());
            }
        }
        rest = after;
    }
    out
}

/// Outside crates a file names in its `use` lines (`use serde::…`, `use ::x`).
fn used_crates(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("pub ").unwrap_or(l);
            let path = l.strip_prefix("use ")?;
            let path = path.trim_start_matches("::");
            let name = ident_at(path);
            (!["crate", "self", "super", ""].contains(&name)).then(|| name.to_string())
        })
        .collect()
}

struct Graph {
    /// module -> imported module -> files that import it
    edges: BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
    flow_crates: BTreeMap<String, BTreeSet<String>>,
    /// The known back edges still present.
    known_seen: BTreeSet<(String, String)>,
}

fn read_graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .map(|p| top_module(src, p))
        .filter(|m| m != "lib" && m != "main")
        .collect();
    let mut edges: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    let mut flow_crates: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut known_seen = BTreeSet::new();
    for p in &files {
        let module = top_module(src, p);
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        // `#[cfg(test)] mod tests;` files: test code.
        if module == "lib" || module == "main" || name == "tests.rs" || name.ends_with("_tests.rs")
        {
            continue;
        }
        let rel = p.strip_prefix(src).unwrap().to_string_lossy().to_string();
        let text = production_text(&std::fs::read_to_string(p).unwrap());
        for target in crate_paths(&text) {
            // Macros exported at the crate root (`crate::id_and_rev!`) are no module.
            let known = KNOWN_BACK_EDGES
                .iter()
                .any(|(a, b, _)| *a == module && *b == target);
            if known {
                known_seen.insert((module.clone(), target.clone()));
            }
            if target != module && modules.contains(&target) && !known {
                edges
                    .entry(module.clone())
                    .or_default()
                    .entry(target)
                    .or_default()
                    .insert(rel.clone());
            }
        }
        if module == "flow" {
            // `use model::…` in flow/mod.rs names its own submodule.
            let own = |c: &str| src.join("flow").join(format!("{c}.rs")).exists();
            for c in used_crates(&text).into_iter().filter(|c| !own(c)) {
                flow_crates.entry(c).or_default().insert(rel.clone());
            }
            for target in crate_paths(&text) {
                flow_crates
                    .entry(format!("crate::{target}"))
                    .or_default()
                    .insert(rel.clone());
            }
        }
    }
    Graph {
        edges,
        flow_crates,
        known_seen,
    }
}

fn top_module(src: &Path, p: &Path) -> String {
    let rel = p.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// Strongly connected components with more than one module (Tarjan).
fn cycles(edges: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>) -> Vec<Vec<String>> {
    struct T<'a> {
        edges: &'a BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
        index: BTreeMap<String, usize>,
        low: BTreeMap<String, usize>,
        stack: Vec<String>,
        on: BTreeSet<String>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit(t: &mut T<'_>, v: &str) {
        t.index.insert(v.to_string(), t.next);
        t.low.insert(v.to_string(), t.next);
        t.next += 1;
        t.stack.push(v.to_string());
        t.on.insert(v.to_string());
        let targets: Vec<String> = t
            .edges
            .get(v)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        for w in targets {
            if !t.index.contains_key(&w) {
                visit(t, &w);
                let lw = t.low[&w];
                let lv = t.low[v];
                t.low.insert(v.to_string(), lv.min(lw));
            } else if t.on.contains(&w) {
                let iw = t.index[&w];
                let lv = t.low[v];
                t.low.insert(v.to_string(), lv.min(iw));
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(&w);
                let done = w == v;
                comp.push(w);
                if done {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    let starts: Vec<String> = edges.keys().cloned().collect();
    for v in starts {
        if !t.index.contains_key(&v) {
            visit(&mut t, &v);
        }
    }
    t.out
}

/// The edges inside each cycle, with the files that make them, for the failure message.
fn describe(graph: &Graph, comps: &[Vec<String>]) -> String {
    let mut s = String::new();
    for comp in comps {
        s.push_str(&format!("cycle among {}:\n", comp.join(", ")));
        for a in comp {
            for (b, files) in graph.edges.get(a).into_iter().flatten() {
                if comp.contains(b) {
                    let files: Vec<&str> = files.iter().map(String::as_str).collect();
                    s.push_str(&format!("  {a} -> {b}  ({})\n", files.join(", ")));
                }
            }
        }
    }
    s
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn top_level_modules_import_each_other_without_a_cycle() {
    let graph = read_graph(&src_dir());
    assert!(
        graph.edges.len() > 10,
        "the source tree was not read: {:?}",
        graph.edges.keys()
    );
    let comps = cycles(&graph.edges);
    assert!(
        comps.is_empty(),
        "import cycles between top-level modules:\n{}",
        describe(&graph, &comps)
    );
}

#[test]
fn every_known_back_edge_still_exists() {
    let graph = read_graph(&src_dir());
    for (a, b, why) in KNOWN_BACK_EDGES {
        assert!(
            graph.known_seen.contains(&(a.to_string(), b.to_string())),
            "{a} no longer imports {b}: remove it from KNOWN_BACK_EDGES ({why})"
        );
    }
}

#[test]
fn flow_imports_only_std_serde_and_chrono() {
    let graph = read_graph(&src_dir());
    let bad: Vec<String> = graph
        .flow_crates
        .iter()
        .filter(|(c, _)| !FLOW_MAY_USE.contains(&c.as_str()))
        .map(|(c, files)| {
            format!(
                "{c} (in {})",
                files.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    assert!(bad.is_empty(), "flow must stay pure; it imports: {bad:?}");
}

#[test]
fn the_reader_finds_grouped_paths_and_skips_comments_and_tests() {
    let text = "use crate::{a::X, b};\n// crate::c in a comment\nfn f() { crate::d::g(); }\nlet x = 1; // crate::e\n#[cfg(test)]\nmod tests {\n    use crate::f;\n}\n";
    let prod = production_text(text);
    let found: Vec<String> = crate_paths(&prod).into_iter().collect();
    assert_eq!(found, vec!["a", "b", "d"]);
    let mut edges: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (a, b) in [("x", "y"), ("y", "z"), ("z", "x"), ("z", "w")] {
        edges
            .entry(a.into())
            .or_default()
            .entry(b.into())
            .or_default()
            .insert("f.rs".into());
    }
    assert_eq!(cycles(&edges), vec![vec!["x", "y", "z"]]);
    assert_eq!(
        used_crates("use serde::Serialize;\npub use chrono::Utc;\nuse super::x;\nuse crate::y;"),
        ["chrono", "serde"].iter().map(|s| s.to_string()).collect()
    );
}
