//! Spec → task: builds (validates) the task a scenario's `fn task` asks for, before
//! any write.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::registry::Loaded;
use super::script::Compiled;
use super::spec::TaskSpec;
use crate::actor::Actor;
use crate::erp::ErpRecord;
use crate::flow::model::{Escalation, TaskSource};
use crate::flow::{Priority, Task, TaskKind};
use crate::org::User;
use crate::projects::{Builtin, Project};
use crate::store::Store;
use crate::tasks::context::project_ctx;
use crate::tasks::service::{build, NewTask, NodeInput};

fn priority(p: &Option<String>) -> Result<Option<Priority>, String> {
    match p.as_deref() {
        None => Ok(None),
        Some("low") => Ok(Some(Priority::Low)),
        Some("normal") => Ok(Some(Priority::Normal)),
        Some("high") => Ok(Some(Priority::High)),
        Some("urgent") => Ok(Some(Priority::Urgent)),
        Some(other) => Err(format!(
            "priority '{other}' is not low, normal, high or urgent"
        )),
    }
}

fn user_ids(users: &[User], names: &[String], what: &str) -> Result<Vec<u64>, String> {
    names
        .iter()
        .map(|n| {
            users
                .iter()
                .find(|u| u.username == crate::org::username_key(n) && !u.disabled)
                .map(|u| u.id)
                .ok_or_else(|| format!("{what} '{n}' does not exist"))
        })
        .collect()
}

/// The projects scenario tasks go to, looked up once per batch.
pub struct Projects<'a> {
    store: &'a Store,
    cache:
        std::cell::RefCell<HashMap<Option<String>, std::rc::Rc<crate::tasks::context::ProjectCtx>>>,
}

impl<'a> Projects<'a> {
    pub fn new(store: &'a Store) -> Self {
        Projects {
            store,
            cache: Default::default(),
        }
    }

    fn get(&self, c: &Compiled) -> Result<std::rc::Rc<crate::tasks::context::ProjectCtx>, String> {
        if let Some(ctx) = self.cache.borrow().get(&c.project) {
            return Ok(ctx.clone());
        }
        let projects = self.store.list::<Project>().map_err(|e| e.to_string())?;
        let project = match &c.project {
            Some(name) => projects
                .into_iter()
                .find(|p| &p.name == name)
                .ok_or_else(|| format!("project '{name}' does not exist"))?,
            None => projects
                .into_iter()
                .find(|p| p.builtin == Some(Builtin::Erp))
                .ok_or_else(|| "the ERP Notifications project is missing".to_string())?,
        };
        let ctx = std::rc::Rc::new(
            project_ctx(self.store, &Actor::system(), project.id).map_err(|e| e.to_string())?,
        );
        self.cache
            .borrow_mut()
            .insert(c.project.clone(), ctx.clone());
        Ok(ctx)
    }
}

/// Builds (validates) the task a scenario asks for; nothing is stored here, so an
/// unknown handler leaves no half-made task.
pub fn task_from_spec(
    projects: &Projects<'_>,
    users: &[User],
    l: &Loaded,
    rec: &ErpRecord,
    spec: &TaskSpec,
    now: DateTime<Utc>,
) -> Result<Task, String> {
    let ctx = projects.get(&l.compiled)?;
    let creator = l
        .owner_id
        .or_else(|| {
            users
                .iter()
                .find(|u| u.is_active_company_admin())
                .map(|u| u.id)
        })
        .ok_or("no user to create the task in the name of")?;
    // Out-of-range settings from a script are its run-time error, never a panic.
    let days = |d: f64, what: &str| {
        crate::time::after_seconds(now, d * 86_400.0).ok_or_else(|| {
            format!("{what} {d} days is out of range (the deadline must fall between the years {} and {})", crate::time::MIN_YEAR, crate::time::MAX_YEAR)
        })
    };
    let mut nodes = Vec::new();
    for n in &spec.nodes {
        let h = user_ids(users, std::slice::from_ref(&n.handler), "handler")?[0];
        nodes.push(NodeInput {
            handler_id: h,
            action: n.action.clone(),
            due_at: n
                .due_in_days
                .map(|d| days(d.get(), "node due_in_days"))
                .transpose()?,
            condition: n.condition.clone(),
            cc: user_ids(users, &n.cc, "cc recipient")?,
            cc_on: n.cc_on,
            ..Default::default()
        });
    }
    let due_at = spec
        .due_in_days
        .map(|d| days(d.get(), "due_in_days"))
        .transpose()?;
    let mut escalations = Vec::new();
    for e in &spec.escalation {
        let base = match e.from.as_deref().unwrap_or("due") {
            "due" => due_at.ok_or("an escalation from the due time needs due_in_days")?,
            "created" => now,
            other => return Err(format!("escalation from '{other}' is not due or created")),
        };
        escalations.push(Escalation {
            at: crate::time::after_seconds(base, e.after_hours.get() * 3600.0).ok_or_else(
                || {
                    format!(
                        "escalation after_hours {} is out of range",
                        e.after_hours.get()
                    )
                },
            )?,
            notify: user_ids(users, &e.notify, "escalation recipient")?,
            sent: false,
        });
    }
    let source = TaskSource {
        scenario_id: l.compiled.key.clone(),
        scenario_name: l.compiled.name.clone(),
        scenario_version: l.version,
        fired_at: now,
        record_kind: rec.kind.clone(),
        record_id: rec.record_id.clone(),
        record: rec.data.clone(),
        escalations,
        on_finish: user_ids(users, &spec.on_finish, "on_finish recipient")?,
        auto_close: spec.auto_close,
        write_back: l.compiled.write_back.clone(),
    };
    let new = NewTask {
        kind: if spec.nodes.len() == 1 {
            TaskKind::Simple
        } else {
            TaskKind::Workflow
        },
        title: spec.title.clone(),
        description: spec.description.clone(),
        business_type: spec.business_type.clone(),
        priority: priority(&spec.priority)?,
        due_at,
        nodes,
        checklist: vec![],
        watchers: user_ids(users, &spec.watchers, "watcher")?,
        editors: user_ids(users, &spec.editors, "editor")?,
        template_id: None,
        fields: spec.fields.clone(),
    };
    build(&ctx, creator, new, Some(source), now).map_err(|e| e.to_string())
}
