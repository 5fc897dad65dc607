//! The check after a restart: the task ledger against what the server holds.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::api;
use super::task_ledger::{attachments, lock, rev, state, File, PendingComment, Shared, TaskRec};
use crate::harness::Client;

/// Log lines of writes that bump the task's revision: the flow operations and uploads.
const REV_LINES: [&str; 4] = ["start", "complete", "return", "attach"];
/// Tasks read back whole (view, log, comments) on each restart besides the ones just
/// changed; every task is, at the last restart.
const ROTATION: usize = 6;
/// Up to this many tasks, every other task is opened (`GET /api/tasks/{id}`) on each
/// restart as well; above it (long runs) the list and the rotation cover them.
const OPEN_EACH_UP_TO: usize = 300;

/// Reads the project's task list, opens each task (up to [`OPEN_EACH_UP_TO`]) and, for
/// changed tasks, a rotating few and (`deep`) all, reads the task, its log and its
/// comments; compares them with the ledger, then
/// takes what the server holds. An operation or comment in flight at the kill may be
/// there or not, but wholly: a flow step with its log line, a comment with its line.
pub async fn verify(ledger: &Shared, admin: &Client, deep: bool) -> Vec<String> {
    let mut bad = Vec::new();
    let project = lock(ledger).project;
    let list = match api::all_tasks(admin, project).await {
        Ok(l) => l,
        Err(e) => return vec![e],
    };
    let listed: BTreeMap<u64, Value> = list
        .into_iter()
        .map(|t| (t["id"].as_u64().unwrap_or(0), t))
        .collect();
    // A creation in flight: there (with its id learnt now) or not.
    let creating = lock(ledger).creating.take();
    if let Some(c) = creating {
        let known: BTreeSet<u64> = lock(ledger).tasks.keys().copied().collect();
        let found: Vec<u64> = listed
            .iter()
            .filter(|(id, t)| !known.contains(id) && t["title"] == c.title.as_str())
            .map(|(id, _)| *id)
            .collect();
        match found.as_slice() {
            [] if c.acked => bad.push(format!("acknowledged task '{}' is missing", c.title)),
            [] => lock(ledger).stats.lost_absent += 1,
            [id] => match api::get(admin, &format!("/api/tasks/{id}")).await {
                Ok(view) => {
                    let mut l = lock(ledger);
                    l.stats.lost_applied += 1;
                    l.dirty.insert(*id);
                    l.tasks.insert(*id, TaskRec::new(c.title, view));
                }
                Err(e) => bad.push(e),
            },
            many => bad.push(format!(
                "task '{}' made {} times: {many:?}",
                c.title,
                many.len()
            )),
        }
    }
    let (deep_ids, light, pending_comment) = {
        let mut l = lock(ledger);
        for (id, t) in &l.tasks {
            let Some(s) = listed.get(id) else {
                bad.push(format!(
                    "acknowledged task {id} '{}' is missing from its project's list",
                    t.title
                ));
                continue;
            };
            let same = s["title"] == t.title.as_str()
                && s["status"] == t.view["status"]
                && s["current_index"] == t.view["current_node"];
            if !same && t.op_in_flight.is_none() {
                bad.push(format!(
                    "task {id} listed as {s}, acknowledged as {}",
                    state(&t.view)
                ));
            }
        }
        for id in listed.keys().filter(|id| !l.tasks.contains_key(id)) {
            bad.push(format!(
                "task {id} is listed but was never created by the client"
            ));
        }
        let mut ids: BTreeSet<u64> = std::mem::take(&mut l.dirty);
        ids.extend(
            l.tasks
                .iter()
                .filter(|(_, t)| t.op_in_flight.is_some())
                .map(|(id, _)| *id),
        );
        let pending = l.comment_in_flight.take();
        if let Some(p) = &pending {
            ids.insert(p.task);
        }
        if deep {
            ids.extend(l.tasks.keys().copied());
        } else {
            let cursor = l.cursor;
            let next: Vec<u64> = l
                .tasks
                .keys()
                .copied()
                .filter(|id| *id > cursor)
                .take(ROTATION)
                .collect();
            l.cursor = next.last().copied().unwrap_or(0);
            ids.extend(next);
        }
        ids.retain(|id| l.tasks.contains_key(id));
        // The others are opened one by one too while there are few enough.
        let light: Vec<(u64, Value)> = if l.tasks.len() <= OPEN_EACH_UP_TO {
            l.tasks
                .iter()
                .filter(|(id, _)| !ids.contains(id))
                .map(|(id, t)| (*id, state(&t.view)))
                .collect()
        } else {
            Vec::new()
        };
        (ids, light, pending)
    };
    for (id, want) in light {
        match api::get(admin, &format!("/api/tasks/{id}")).await {
            Ok(view) if state(&view) == want => {}
            Ok(view) => bad.push(format!(
                "task {id}: read back {}, acknowledged {want}",
                state(&view)
            )),
            Err(e) => bad.push(e),
        }
    }
    for id in deep_ids {
        let comment = pending_comment.as_ref().filter(|p| p.task == id);
        bad.extend(verify_task(ledger, admin, id, comment, deep).await);
    }
    bad
}

/// One task read back whole against the ledger; the ledger then takes it.
async fn verify_task(
    ledger: &Shared,
    admin: &Client,
    id: u64,
    comment: Option<&PendingComment>,
    deep: bool,
) -> Vec<String> {
    let fetched = async {
        let view = api::get(admin, &format!("/api/tasks/{id}")).await?;
        let log = api::get(admin, &format!("/api/tasks/{id}/log")).await?;
        let comments = api::get(admin, &format!("/api/tasks/{id}/comments")).await?;
        Ok::<_, String>((view, log, comments))
    };
    let (view, log, comments) = match fetched.await {
        Ok(x) => x,
        Err(e) => return vec![e],
    };
    let (mut bad, downloads) = compare(ledger, id, view, &log, &comments, comment, deep);
    // Each file is whole on disk: written and synced before the task points at it.
    for (aid, bytes) in downloads {
        match api::get_bytes(admin, &format!("/api/tasks/{id}/attachments/{aid}")).await {
            Ok(got) if got == bytes => {
                if let Some(f) = lock(ledger)
                    .tasks
                    .get_mut(&id)
                    .and_then(|t| t.files.iter_mut().find(|f| f.id == aid))
                {
                    f.checked = true;
                }
            }
            Ok(got) => bad.push(format!(
                "task {id}: attachment {aid} has {} bytes, uploaded {} (or other content)",
                got.len(),
                bytes.len()
            )),
            Err(e) => bad.push(e),
        }
    }
    bad
}

/// The read-back task, log and comments against the ledger, which then takes them;
/// returns the problems and the attachments to download and compare.
fn compare(
    ledger: &Shared,
    id: u64,
    view: Value,
    log: &Value,
    comments: &Value,
    comment: Option<&PendingComment>,
    deep: bool,
) -> (Vec<String>, Vec<(u64, Vec<u8>)>) {
    let mut l = lock(ledger);
    let mut bad = Vec::new();
    let Some(t) = l.tasks.get_mut(&id) else {
        return (bad, Vec::new());
    };
    let acked_rev = rev(&t.view);
    let mut ops = t.ops.clone();
    let mut applied_op = None;
    match (&t.op_in_flight, rev(&view)) {
        (None, r) if r == acked_rev => {
            if state(&view) != state(&t.view) {
                bad.push(format!(
                    "task {id}: read back {}, acknowledged {}",
                    state(&view),
                    state(&t.view)
                ));
            }
        }
        (Some((_, true)), r) if r == acked_rev => {
            bad.push(format!(
                "task {id}: an acknowledged operation is missing (rev {r})"
            ));
        }
        (Some(_), r) if r == acked_rev => {}
        (Some((op, _)), r) if r == acked_rev + 1 => {
            ops.push(op.clone());
            applied_op = Some(op.clone());
        }
        (_, r) => bad.push(format!(
            "task {id}: rev {r}, acknowledged {acked_rev}, in flight {:?}",
            t.op_in_flight
        )),
    }
    let stats_applied = t.op_in_flight.as_ref().map(|_| applied_op.is_some());
    // Every flow step is one write: the task and its log line together.
    if rev(&view) != 1 + ops.len() as u64 {
        bad.push(format!(
            "task {id}: rev {} after {} operations",
            rev(&view),
            ops.len()
        ));
    }
    let items = log["items"].as_array().cloned().unwrap_or_default();
    let actions: Vec<&str> = items.iter().filter_map(|i| i["action"].as_str()).collect();
    if actions.first() != Some(&"create") || actions.iter().filter(|a| **a == "create").count() != 1
    {
        bad.push(format!(
            "task {id}: log {actions:?} does not start with one creation line"
        ));
    }
    let logged_ops: Vec<&str> = actions
        .iter()
        .copied()
        .filter(|a| REV_LINES.contains(a))
        .collect();
    if logged_ops != ops.iter().map(String::as_str).collect::<Vec<_>>() {
        bad.push(format!(
            "task {id}: log has operations {logged_ops:?}, expected {ops:?}"
        ));
    }
    let bodies: Vec<String> = comments["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|c| c["body"].as_str().map(String::from))
        .collect();
    let mut want = t.comments.clone();
    if let Some(p) = comment {
        // Answer lost: there or not.
        if bodies.len() == want.len() + 1 {
            want.push(p.body.clone());
        }
    }
    if bodies != want {
        bad.push(format!("task {id}: comments {bodies:?}, expected {want:?}"));
    }
    let logged_comments: Vec<&str> = items
        .iter()
        .filter(|i| i["action"] == "comment")
        .filter_map(|i| i["detail"].as_str())
        .collect();
    if logged_comments != bodies.iter().map(String::as_str).collect::<Vec<_>>() {
        bad.push(format!(
            "task {id}: comment log lines {logged_comments:?} differ from comments {bodies:?}"
        ));
    }
    // An upload in flight that was applied: its attachment is on the task now.
    if let Some((name, bytes)) = t.file_in_flight.take() {
        if applied_op.as_deref() == Some("attach") {
            let placed = view["attachments"]
                .as_array()
                .and_then(|a| a.iter().find(|x| x["name"] == name.as_str()))
                .and_then(|x| x["id"].as_u64());
            match placed {
                Some(aid) => t.files.push(File {
                    id: aid,
                    name,
                    bytes,
                    checked: false,
                }),
                None => bad.push(format!("task {id}: upload {name} logged but not attached")),
            }
        }
    }
    let listed: Vec<Value> = attachments(&view);
    let known: Vec<Value> = t
        .files
        .iter()
        .map(|f| json!([f.id, f.name, f.bytes.len()]))
        .collect();
    if listed != known {
        bad.push(format!(
            "task {id}: attachments {listed:?}, acknowledged {known:?}"
        ));
    }
    let downloads: Vec<(u64, Vec<u8>)> = t
        .files
        .iter()
        .filter(|f| deep || !f.checked)
        .map(|f| (f.id, f.bytes.clone()))
        .collect();
    t.view = view;
    t.ops = ops;
    t.op_in_flight = None;
    t.comments = bodies;
    match stats_applied {
        Some(true) => l.stats.lost_applied += 1,
        Some(false) => l.stats.lost_absent += 1,
        None => {}
    }
    (bad, downloads)
}
