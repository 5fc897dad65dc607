//! Workflow tasks, flow operations and comments by the admin, the ledger of what the
//! server acknowledged, and the check after a restart. Two workers share the ledger:
//! one creates tasks and moves them along their flow, one comments.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::Rng;
use reqwest::Method;
use serde_json::{json, Value};

use super::api::{self, Reply};
use crate::harness::Client;

/// Flow operations the worker uses (all on nodes the admin handles).
const OPS: [&str; 3] = ["start", "complete", "return"];
/// Log lines of writes that bump the task's revision: the flow operations and uploads.
const REV_LINES: [&str; 4] = ["start", "complete", "return", "attach"];
/// Tasks read back whole (view, log, comments) on each restart besides the ones just
/// changed; every task is, at the last restart.
const ROTATION: usize = 6;
/// Up to this many tasks, every other task is opened (`GET /api/tasks/{id}`) on each
/// restart as well; above it (long runs) the list and the rotation cover them.
const OPEN_EACH_UP_TO: usize = 300;

struct TaskRec {
    title: String,
    /// The TaskView of the last acknowledged write (or read back after a restart).
    view: Value,
    /// Acknowledged flow operations, in order.
    ops: Vec<String>,
    /// The operation whose answer was lost; `true` when a 2xx came without its body.
    op_in_flight: Option<(String, bool)>,
    /// Acknowledged comments, oldest first.
    comments: Vec<String>,
    /// Acknowledged attachments.
    files: Vec<File>,
    /// The upload whose answer was lost (with `op_in_flight` "attach").
    file_in_flight: Option<(String, Vec<u8>)>,
}

struct File {
    id: u64,
    name: String,
    bytes: Vec<u8>,
    /// Downloaded and compared since it was acknowledged.
    checked: bool,
}

impl TaskRec {
    fn new(title: String, view: Value) -> TaskRec {
        TaskRec {
            title,
            view,
            ops: Vec::new(),
            op_in_flight: None,
            comments: Vec::new(),
            files: Vec::new(),
            file_in_flight: None,
        }
    }
}

struct Creating {
    title: String,
    acked: bool,
}

struct PendingComment {
    task: u64,
    body: String,
}

#[derive(Default, Debug)]
pub struct TaskStats {
    pub created: usize,
    pub ops: usize,
    pub comments: usize,
    pub files: usize,
    pub lost_applied: usize,
    pub lost_absent: usize,
}

pub struct TaskLedger {
    pub project: u64,
    admin_id: u64,
    watcher_id: u64,
    tasks: BTreeMap<u64, TaskRec>,
    creating: Option<Creating>,
    comment_in_flight: Option<PendingComment>,
    next: u64,
    dirty: BTreeSet<u64>,
    cursor: u64,
    pub stats: TaskStats,
}

pub type Shared = Arc<Mutex<TaskLedger>>;

fn rev(view: &Value) -> u64 {
    view["rev"].as_u64().unwrap_or(0)
}

/// The parts of a TaskView that only a write changes.
fn state(view: &Value) -> Value {
    json!([
        view["rev"],
        view["status"],
        view["current_node"],
        view["nodes"],
        view["title"],
        view["watchers"],
        attachments(view)
    ])
}

/// (id, name, size) of each attachment.
fn attachments(view: &Value) -> Vec<Value> {
    view["attachments"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| json!([x["id"], x["name"], x["size"]]))
                .collect()
        })
        .unwrap_or_default()
}

enum Step {
    Create(String),
    Op(u64, &'static str, u64),
    /// Task, revision, file name, content.
    Attach(u64, u64, String, Vec<u8>),
}

impl TaskLedger {
    pub fn new(project: u64, admin_id: u64, watcher_id: u64) -> Shared {
        Arc::new(Mutex::new(TaskLedger {
            project,
            admin_id,
            watcher_id,
            tasks: BTreeMap::new(),
            creating: None,
            comment_in_flight: None,
            next: 0,
            dirty: BTreeSet::new(),
            cursor: 0,
            stats: TaskStats::default(),
        }))
    }

    fn tick(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    fn choose(&mut self, rng: &mut StdRng, cycle: usize) -> Step {
        let open: Vec<(u64, Vec<&'static str>)> = self
            .tasks
            .iter()
            .filter(|(_, t)| t.op_in_flight.is_none())
            .map(|(id, t)| {
                let allowed = t.view["allowed"]["ops"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                (
                    *id,
                    OPS.into_iter()
                        .filter(|o| allowed.iter().any(|a| a == o))
                        .collect::<Vec<_>>(),
                )
            })
            .filter(|(_, ops)| !ops.is_empty())
            .collect();
        if open.len() < 3 || rng.gen_bool(0.25) {
            let n = self.tick();
            return Step::Create(format!("KL c{cycle:04} task {n}"));
        }
        let (id, ops) = &open[rng.gen_range(0..open.len())];
        let r = self.tasks.get(id).map_or(0, |t| rev(&t.view));
        if rng.gen_bool(0.1) {
            let mut bytes = vec![0u8; rng.gen_range(1..48 * 1024)];
            rng.fill(&mut bytes[..]);
            return Step::Attach(*id, r, format!("kl-{}.bin", self.tick()), bytes);
        }
        let op = ops[rng.gen_range(0..ops.len())];
        Step::Op(*id, op, r)
    }
}

fn lock(l: &Shared) -> std::sync::MutexGuard<'_, TaskLedger> {
    l.lock().unwrap()
}

/// Creates tasks and runs flow operations until one answer is lost or `stop`.
pub async fn run_flow(
    ledger: Shared,
    admin: &Client,
    mut rng: StdRng,
    cycle: usize,
    stop: &AtomicBool,
) -> Result<(), String> {
    while !stop.load(Ordering::Relaxed) {
        let step = lock(&ledger).choose(&mut rng, cycle);
        match step {
            Step::Create(title) => {
                let (project, admin_id, watcher) = {
                    let mut l = lock(&ledger);
                    l.creating = Some(Creating {
                        title: title.clone(),
                        acked: false,
                    });
                    (l.project, l.admin_id, l.watcher_id)
                };
                let nodes: Vec<Value> = (0..rng.gen_range(1..=3))
                    .map(|i| json!({"handler_id": admin_id, "action": format!("step {i}")}))
                    .collect();
                let body = json!({"kind": "workflow", "title": title, "description": "made by the kill loop",
                    "priority": "normal", "nodes": nodes, "watchers": [watcher]});
                let path = format!("/api/projects/{project}/tasks");
                match api::send(admin, Method::POST, &path, Some(body)).await {
                    Reply::Acked(v) => {
                        let mut l = lock(&ledger);
                        l.stats.created += 1;
                        let Some(id) = v["id"].as_u64() else {
                            if let Some(c) = l.creating.as_mut() {
                                c.acked = true;
                            }
                            return Ok(());
                        };
                        l.creating = None;
                        l.dirty.insert(id);
                        l.tasks.insert(id, TaskRec::new(title, v));
                    }
                    Reply::Refused(s, v) => return Err(api::refused("create task", s, &v)),
                    Reply::Lost(_) => return Ok(()),
                }
            }
            Step::Op(id, op, r) => {
                if let Some(t) = lock(&ledger).tasks.get_mut(&id) {
                    t.op_in_flight = Some((op.to_string(), false));
                }
                let mut body = json!({"rev": r});
                if op == "return" {
                    body["reason"] = json!("sent back by the kill loop");
                }
                let reply = api::send(
                    admin,
                    Method::POST,
                    &format!("/api/tasks/{id}/{op}"),
                    Some(body),
                )
                .await;
                let mut l = lock(&ledger);
                let Some(t) = l.tasks.get_mut(&id) else {
                    return Err(format!("task {id} left the ledger"));
                };
                match reply {
                    Reply::Acked(v) if v.is_null() => {
                        t.op_in_flight = Some((op.to_string(), true));
                        return Ok(());
                    }
                    Reply::Acked(v) => {
                        t.view = v;
                        t.ops.push(op.to_string());
                        t.op_in_flight = None;
                        l.stats.ops += 1;
                        l.dirty.insert(id);
                    }
                    Reply::Refused(s, v) => {
                        return Err(api::refused(&format!("{op} on task {id}"), s, &v))
                    }
                    Reply::Lost(_) => return Ok(()),
                }
            }
            Step::Attach(id, r, name, bytes) => {
                if let Some(t) = lock(&ledger).tasks.get_mut(&id) {
                    t.op_in_flight = Some(("attach".into(), false));
                    t.file_in_flight = Some((name.clone(), bytes.clone()));
                }
                let path = format!("/api/tasks/{id}/attachments");
                let reply = api::send_file(admin, &path, &name, bytes.clone()).await;
                let mut l = lock(&ledger);
                let Some(t) = l.tasks.get_mut(&id) else {
                    return Err(format!("task {id} left the ledger"));
                };
                match reply {
                    Reply::Acked(v) => {
                        let Some(aid) = v["id"].as_u64() else {
                            t.op_in_flight = Some(("attach".into(), true));
                            return Ok(());
                        };
                        // The answer is the attachment; the task took one revision.
                        t.view["rev"] = json!(r + 1);
                        if let Some(list) = t.view["attachments"].as_array_mut() {
                            list.push(v);
                        }
                        t.ops.push("attach".into());
                        t.files.push(File {
                            id: aid,
                            name,
                            bytes,
                            checked: false,
                        });
                        t.op_in_flight = None;
                        t.file_in_flight = None;
                        l.stats.files += 1;
                        l.dirty.insert(id);
                    }
                    Reply::Refused(s, v) => {
                        return Err(api::refused(&format!("upload to task {id}"), s, &v))
                    }
                    Reply::Lost(_) => return Ok(()),
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..15))).await;
    }
    Ok(())
}

/// Comments on random tasks (some mention the watcher) until one answer is lost.
pub async fn run_comments(
    ledger: Shared,
    admin: &Client,
    mut rng: StdRng,
    cycle: usize,
    stop: &AtomicBool,
) -> Result<(), String> {
    while !stop.load(Ordering::Relaxed) {
        let pick = {
            let mut l = lock(&ledger);
            if l.tasks.is_empty() {
                None
            } else {
                let i = rng.gen_range(0..l.tasks.len());
                let id = l.tasks.keys().nth(i).copied().unwrap_or(0);
                let n = l.tick();
                let mention = if rng.gen_bool(0.2) {
                    " @kl_watcher"
                } else {
                    ""
                };
                let body = format!("comment c{cycle:04}-{n} on {id}{mention}");
                l.comment_in_flight = Some(PendingComment {
                    task: id,
                    body: body.clone(),
                });
                Some((id, body))
            }
        };
        if let Some((id, body)) = pick {
            let reply = api::send(
                admin,
                Method::POST,
                &format!("/api/tasks/{id}/comments"),
                Some(json!({"body": body})),
            )
            .await;
            let mut l = lock(&ledger);
            match reply {
                Reply::Acked(_) => {
                    l.stats.comments += 1;
                    if let Some(t) = l.tasks.get_mut(&id) {
                        t.comments.push(body);
                    }
                    l.comment_in_flight = None;
                    l.dirty.insert(id);
                }
                Reply::Refused(s, v) => {
                    return Err(api::refused(&format!("comment on task {id}"), s, &v))
                }
                Reply::Lost(_) => return Ok(()),
            }
        }
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..15))).await;
    }
    Ok(())
}

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

impl TaskLedger {
    pub fn len(&self) -> usize {
        self.tasks.len()
    }
}
