//! Keeps role checks in this module: scans `src/` for code that decides by role
//! anywhere else, so an inline `actor.role == Role::CompanyAdmin` in a handler or
//! service fails the tests instead of drifting from the policy.
//!
//! A line is a role check when it reads an actor's role (`actor.role`), or names a
//! role (`Role::CompanyAdmin`, …) in a comparison (`==`, `!=`), a pattern (`|`,
//! `=>`, `matches!`, `if let`). Building a role (`role: Role::Member`) is not one.
//! Test code (after a file's first `#[cfg(test)]`, and `tests.rs` files) is skipped.

use std::path::{Path, PathBuf};

/// Where role checks belong, and the few other places that branch on a role without
/// deciding what anyone may do, each with its reason.
const ALLOWED: &[(&str, &str)] = &[
    ("src/org/policy/", "the policy itself"),
    (
        "src/actor.rs",
        "where Role is defined (its names in and out)",
    ),
    (
        "src/org/model.rs",
        "the User helpers that name roles without deciding rights",
    ),
    ("src/flow/rules.rs", "the flow's own rules"),
    ("src/flow/access.rs", "the flow's own rules"),
    (
        "src/commands/demo.rs",
        "a label per role for the printed demo accounts",
    ),
];

const ROLES: [&str; 3] = [
    "Role::CompanyAdmin",
    "Role::DepartmentAdmin",
    "Role::Member",
];

/// Why `line` is a role check, if it is one.
fn role_check(line: &str) -> Option<&'static str> {
    let code = line.trim_start();
    if code.starts_with("//") {
        return None;
    }
    if code.contains("actor.role") {
        return Some("reads the actor's role");
    }
    let names_role = ROLES.iter().any(|r| code.contains(r));
    let compares = ["==", "!=", "=>", "matches!(", "if let ", "let Role::"]
        .iter()
        .any(|op| code.contains(op))
        || ROLES
            .iter()
            .any(|r| code.contains(&format!("{r} |")) || code.contains(&format!("| {r}")));
    (names_role && compares).then_some("compares or matches a role")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        panic!("cannot read {}", dir.display());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `file:line: why: code` for every role check outside `ALLOWED`.
fn violations(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    files.sort();
    let mut found = Vec::new();
    for path in files {
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        let is_test_file = path
            .file_stem()
            .is_some_and(|s| s == "tests" || s.to_string_lossy().ends_with("_tests"));
        if is_test_file || ALLOWED.iter().any(|(p, _)| rel.starts_with(p)) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            panic!("cannot read {rel}");
        };
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("#[cfg(test)]") {
                break;
            }
            if let Some(why) = role_check(line) {
                found.push(format!("{rel}:{}: {why}: {}", n + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn role_checks_live_in_the_policy_module() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (p, _) in ALLOWED {
        assert!(root.join(p).exists(), "allowlisted {p} no longer exists");
    }
    let found = violations(root);
    assert!(
        found.is_empty(),
        "role checks outside crate::org::policy: add a function there and call it \
         (or, for a branch that decides nothing about rights, a `User` helper in \
         org/model.rs):\n{}",
        found.join("\n")
    );
}

#[test]
fn what_counts_as_a_role_check() {
    let checks = [
        "    if actor.role == Role::CompanyAdmin {",
        "    if auth.actor.role != Role::CompanyAdmin {",
        "    let admin = matches!(auth.actor.role, Role::CompanyAdmin | Role::DepartmentAdmin);",
        "    match actor.role {",
        "        Role::CompanyAdmin | Role::DepartmentAdmin => Ok(()),",
        "        Role::Member => Err(x),",
        "        .find(|u| u.role == Role::CompanyAdmin && !u.disabled)",
        "                && u.role == Role::DepartmentAdmin",
        "    if let Role::Member = u.role {",
    ];
    for line in checks {
        assert!(role_check(line).is_some(), "{line}");
    }
    let not_checks = [
        "            role: Role::CompanyAdmin,",
        "    let r = Role::parse(s).unwrap_or(Role::Member);",
        "    // if actor.role == Role::CompanyAdmin {",
        "        .filter(|u| u.is_active_company_admin())",
        "    require_company_admin(actor, CompanyArea::Scenarios)?;",
    ];
    for line in not_checks {
        assert!(role_check(line).is_none(), "{line}");
    }
}
