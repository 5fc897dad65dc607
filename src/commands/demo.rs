//! `baton demo`: a demo company — departments, users with printed passwords, projects,
//! a workflow template, the shipped scenarios, ERP records that trigger them, and a
//! task mid-flow — so a newcomer sees Baton working within a minute.

use chrono::{DateTime, Duration, Utc};

use crate::actor::Actor;
use crate::erp::ingest::validate;
use crate::erp::push::push;
use crate::error::{ServiceError, ServiceResult};
use crate::flow::{Op, TaskKind};
use crate::org::service::{create_department, create_user, find_user, NewDepartment, NewUser};
use crate::org::{Role, User};
use crate::projects::service::{create as create_project, NewProject};
use crate::scenarios::registry::Scenarios;
use crate::store::Store;
use crate::tasks::operate::{operate, OpRequest};
use crate::tasks::service::{create as create_task, NewTask, NodeInput};
use crate::tasks::templates::{self, TemplateInput, TemplateNode};

/// (username, display name, department, role)
const PEOPLE: &[(&str, &str, &str, Role)] = &[
    (
        "buyer",
        "王采购 Wang (Purchasing)",
        "采购部",
        Role::DepartmentAdmin,
    ),
    (
        "cs_lead",
        "李客服 Li (CS lead)",
        "客服部",
        Role::DepartmentAdmin,
    ),
    ("lily", "Lily (Customer service)", "客服部", Role::Member),
    (
        "warehouse",
        "张仓库 Zhang (Warehouse)",
        "仓库",
        Role::DepartmentAdmin,
    ),
    (
        "finance",
        "赵财务 Zhao (Finance)",
        "财务部",
        Role::DepartmentAdmin,
    ),
];

fn password() -> String {
    crate::auth::random_secret()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(10)
        .collect()
}

/// One demo account to print: who logs in how, and what they are in the company.
#[derive(Debug, Clone)]
pub struct Login {
    pub username: String,
    pub password: String,
    /// e.g. "department admin of 采购部", so the newcomer knows whom to try first.
    pub about: String,
}

fn about(role: Role, dept: &str) -> String {
    match role {
        Role::CompanyAdmin => "company admin".into(),
        Role::DepartmentAdmin => format!("department admin of {dept}"),
        Role::Member => format!("member of {dept}"),
    }
}

/// Seeds the demo company once; returns the accounts to print.
pub fn seed(store: &Store, scenarios: &Scenarios, now: DateTime<Utc>) -> ServiceResult<Vec<Login>> {
    if find_user(store, "buyer").is_ok() {
        return Ok(Vec::new());
    }
    let sys = Actor::system();
    let mut dept_ids = std::collections::HashMap::new();
    for name in ["采购部", "客服部", "仓库", "财务部"] {
        let d = create_department(
            store,
            &sys,
            NewDepartment {
                name: name.into(),
                parent_id: None,
            },
            now,
        )?;
        dept_ids.insert(name, d.id);
    }
    let mut logins = Vec::new();
    let mut ids = std::collections::HashMap::new();
    for (username, display, dept, role) in PEOPLE {
        let pw = password();
        let u = create_user(
            store,
            &sys,
            NewUser {
                username: (*username).into(),
                display_name: Some((*display).into()),
                email: None,
                department_id: dept_ids.get(dept).copied(),
                role: *role,
                erp: true,
                language: None,
                password: pw.clone(),
            },
            now,
        )?;
        ids.insert(*username, u.id);
        logins.push(Login {
            username: (*username).to_string(),
            password: pw,
            about: about(*role, dept),
        });
    }
    let admin = find_user(store, "admin")?;
    let id = |n: &str| {
        ids.get(n)
            .copied()
            .ok_or_else(|| ServiceError::Internal(format!("demo user {n} missing")))
    };
    let refunds = create_project(
        store,
        &sys,
        NewProject {
            name: "客户退款 Customer refunds".into(),
            department_id: dept_ids.get("客服部").copied(),
            members: vec![admin.id, id("cs_lead")?, id("lily")?, id("finance")?],
            business_types: vec!["refund".into(), "complaint".into()],
            fields: vec![],
        },
        now,
    )?;
    create_project(
        store,
        &sys,
        NewProject {
            name: "仓库作业 Warehouse ops".into(),
            department_id: dept_ids.get("仓库").copied(),
            members: vec![admin.id, id("warehouse")?, id("buyer")?],
            business_types: vec!["inbound".into(), "stocktake".into()],
            fields: vec![],
        },
        now,
    )?;
    templates::create(
        store,
        &sys,
        TemplateInput {
            name: "退款审批 Refund approval".into(),
            nodes: vec![
                TemplateNode {
                    handler_id: Some(id("lily")?),
                    action: "Check the return and the order".into(),
                    due_in_hours: Some(24),
                    ..Default::default()
                },
                TemplateNode {
                    handler_id: Some(id("cs_lead")?),
                    action: "Approve the refund".into(),
                    due_in_hours: Some(48),
                    ..Default::default()
                },
                TemplateNode {
                    handler_id: Some(id("finance")?),
                    action: "Pay the refund".into(),
                    due_in_hours: Some(72),
                    ..Default::default()
                },
            ],
            fields: vec![],
        },
        now,
    )?;
    // A refund mid-flow: Lily has checked it, the CS lead has it now.
    let lily_user: User = store.load(id("lily")?)?;
    let lily = Actor::from_user(&lily_user);
    let task = create_task(
        store,
        &lily,
        refunds.id,
        NewTask {
            kind: TaskKind::Workflow,
            title: "Refund order SO-0977: mug arrived broken".into(),
            description: "Customer sent **photos** of the broken mug. Amount: 89.00 CNY.".into(),
            business_type: Some("refund".into()),
            priority: None,
            due_at: Some(now + Duration::days(2)),
            nodes: vec![
                NodeInput {
                    handler_id: id("lily")?,
                    action: "Check the return and the order".into(),
                    due_at: None,
                    ..Default::default()
                },
                NodeInput {
                    handler_id: id("cs_lead")?,
                    action: "Approve the refund".into(),
                    due_at: None,
                    ..Default::default()
                },
                NodeInput {
                    handler_id: id("finance")?,
                    action: "Pay the refund".into(),
                    due_at: None,
                    ..Default::default()
                },
            ],
            checklist: vec!["Photos received".into(), "Order found in ERP".into()],
            watchers: vec![admin.id],
            editors: vec![],
            template_id: None,
            fields: Default::default(),
        },
        now,
    )?;
    operate(
        store,
        &lily,
        task.id,
        Op::Complete,
        OpRequest {
            action: None,
            rev: task.rev,
            to: None,
            reason: None,
        },
        now,
    )?;

    // ERP records: some trigger the shipped scenarios, some do not.
    let ago = |d: i64| (now - Duration::hours(d)).to_rfc3339();
    let mut records = serde_json::json!([
        {"kind": "order", "id": "SO-1042", "data": {"status": "out_of_stock", "sku": "MUG-01", "qty": 2, "out_of_stock_since": ago(4 * 24 + 2)}},
        {"kind": "order", "id": "SO-1043", "data": {"status": "out_of_stock", "sku": "LAMP-07", "qty": 1, "out_of_stock_since": ago(26)}},
        {"kind": "order", "id": "SO-2001", "data": {"status": "paid", "sku": "CUP-03", "paid_at": ago(72)}},
        {"kind": "order", "id": "SO-2002", "data": {"status": "paid", "sku": "CUP-03", "paid_at": ago(5)}},
        {"kind": "purchase_order", "id": "PO-7001", "data": {"status": "open", "amount": "7800.00", "currency": "CNY", "supplier": "Yiwu Ceramics"}},
        {"kind": "purchase_order", "id": "PO-7002", "data": {"status": "open", "amount": "1200.00", "currency": "CNY", "supplier": "Ningbo Lamps"}},
        {"kind": "stock", "id": "MUG-01", "data": {"available": 3, "safety_stock": 40, "warehouse": "Shenzhen"}},
        {"kind": "stock", "id": "CUP-03", "data": {"available": 120, "safety_stock": 40, "warehouse": "Shenzhen"}},
        {"kind": "shipment", "id": "YT2318", "data": {"status": "in_transit", "carrier": "YunExpress", "tracking_updated_at": ago(6 * 24)}}
    ]);
    let batch = records
        .as_array_mut()
        .map(|a| {
            a.iter_mut()
                .filter_map(|r| validate(r).ok())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let pushed = push(store, scenarios, batch, None, now)?;
    tracing::info!(
        tasks = pushed.report.tasks_created,
        "demo records pushed through the scenarios"
    );
    Ok(logins)
}
