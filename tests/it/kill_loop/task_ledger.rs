//! Workflow tasks, flow operations, uploads and comments by the admin, and the ledger
//! of what the server acknowledged (`task_check` compares it with the server after a
//! restart). Two workers share the ledger: one creates tasks, moves them along their
//! flow and uploads files, one comments.

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

pub(super) struct TaskRec {
    pub(super) title: String,
    /// The TaskView of the last acknowledged write (or read back after a restart).
    pub(super) view: Value,
    /// Acknowledged flow operations, in order.
    pub(super) ops: Vec<String>,
    /// The operation whose answer was lost; `true` when a 2xx came without its body.
    pub(super) op_in_flight: Option<(String, bool)>,
    /// Acknowledged comments, oldest first.
    pub(super) comments: Vec<String>,
    /// Acknowledged attachments.
    pub(super) files: Vec<File>,
    /// The upload whose answer was lost (with `op_in_flight` "attach").
    pub(super) file_in_flight: Option<(String, Vec<u8>)>,
}

pub(super) struct File {
    pub(super) id: u64,
    pub(super) name: String,
    pub(super) bytes: Vec<u8>,
    /// Downloaded and compared since it was acknowledged.
    pub(super) checked: bool,
}

impl TaskRec {
    pub(super) fn new(title: String, view: Value) -> TaskRec {
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

pub(super) struct Creating {
    pub(super) title: String,
    pub(super) acked: bool,
}

pub(super) struct PendingComment {
    pub(super) task: u64,
    pub(super) body: String,
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
    pub(super) admin_id: u64,
    pub(super) watcher_id: u64,
    pub(super) tasks: BTreeMap<u64, TaskRec>,
    pub(super) creating: Option<Creating>,
    pub(super) comment_in_flight: Option<PendingComment>,
    pub(super) next: u64,
    pub(super) dirty: BTreeSet<u64>,
    pub(super) cursor: u64,
    pub stats: TaskStats,
}

pub type Shared = Arc<Mutex<TaskLedger>>;

pub(super) fn rev(view: &Value) -> u64 {
    view["rev"].as_u64().unwrap_or(0)
}

/// The parts of a TaskView that only a write changes.
pub(super) fn state(view: &Value) -> Value {
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
pub(super) fn attachments(view: &Value) -> Vec<Value> {
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

pub(super) fn lock(l: &Shared) -> std::sync::MutexGuard<'_, TaskLedger> {
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

impl TaskLedger {
    pub fn len(&self) -> usize {
        self.tasks.len()
    }
}
