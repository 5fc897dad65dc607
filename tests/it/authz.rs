//! The authorization matrix (issue 11): every route of `/api/openapi.json` × every kind
//! of actor, checked against a table written by hand from `product.md`.
//!
//! The route list comes from the served OpenAPI document, so a new route without a row
//! in the table fails the test. Each row says, per kind of person, whether the call is
//! allowed; API tokens are derived from their owner (a `read` token may do what its
//! owner may do with GET, an `erp:write` token only push records, and only when its
//! owner is a company admin). Allowed means 2xx, or a 4xx that is not 401/403/404 (a
//! validation error: the caller got past the door); refused means 401, 403 or 404, an
//! error envelope, and never the object's data (every object's name carries `MARK`).
//! Allowed answers, lists included, show an object marked `TASK`, `PROJ`, ... only to
//! those who may see it (`may_see`); a person refused on a task they cannot see gets 404;
//! some rows (a step handed to someone else by an edit, ...) never succeed for anyone.
//! A route may have several rows (other objects, other bodies, query filters).
//!
//! One server and one shared setup; rows that change or delete their object get a
//! fresh object per actor, so the order of actors does not matter, and the refused
//! actors go first in every row. `AUTHZ_DUMP=1` prints every call's status.

use std::collections::{BTreeSet, HashMap};

use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::harness::*;

/// In every object's name: a refused answer must never contain it.
const MARK: &str = "ZQX";
/// Marks of objects only some may see; an allowed answer shows each only to them.
const TASK: &str = "ZQXTASK";
const PROJ: &str = "ZQXPROJ";
const OTHER: &str = "ZQXOTHER";
const FEEDBACK: &str = "ZQXFEEDBACK";
const FEEDBACK2: &str = "ZQXFBTWO";
/// The display name of a member of B: in statistics only for those who may see B's.
const BUSER: &str = "ZQXBUSER";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Who {
    Anon,
    /// A member of department A in no project.
    Outsider,
    /// A member of department B in project Q only.
    OtherProject,
    /// A member of P with no part in T.
    Member,
    Watcher,
    Editor,
    /// The handler of T's current node.
    Handler,
    /// The handler of T's node not yet reached.
    Later,
    /// The handler of T's first node, already done (the "handled" of product.md).
    Prev,
    Creator,
    DeptAdminB,
    DeptAdminA,
    CompanyAdmin,
    ReadTokenMember,
    ErpTokenMember,
    ReadTokenAdmin,
    ErpTokenAdmin,
    /// Tokens owned by the department admin of A.
    ReadTokenDeptAdmin,
    ErpTokenDeptAdmin,
    /// A company admin made a member of A (in no project), with the session they had.
    Former,
    /// Tokens Former made while a company admin.
    ReadTokenDemoted,
    ErpTokenDemoted,
    /// A company admin's read token, revoked.
    RevokedToken,
    /// A read token of a company admin who was then disabled.
    DisabledOwnerToken,
    /// The company admin's session cookie without the CSRF header: reads only.
    AdminWithoutCsrf,
}
use Who::*;

const ALL: [Who; 25] = [
    Anon,
    Outsider,
    OtherProject,
    Member,
    Watcher,
    Editor,
    Handler,
    Later,
    Prev,
    Creator,
    DeptAdminB,
    DeptAdminA,
    CompanyAdmin,
    ReadTokenMember,
    ErpTokenMember,
    ReadTokenAdmin,
    ErpTokenAdmin,
    ReadTokenDeptAdmin,
    ErpTokenDeptAdmin,
    Former,
    ReadTokenDemoted,
    ErpTokenDemoted,
    RevokedToken,
    DisabledOwnerToken,
    AdminWithoutCsrf,
];

/// People with a login of their own, their username, role and department (A or B).
const PEOPLE: [(Who, &str, &str, char); 11] = [
    (Outsider, "outsider", "member", 'A'),
    (OtherProject, "otherproj", "member", 'B'),
    (Member, "member", "member", 'A'),
    (Watcher, "watcher", "member", 'A'),
    (Editor, "editor", "member", 'A'),
    (Handler, "handler", "member", 'A'),
    (Later, "later", "member", 'A'),
    (Prev, "prev", "member", 'A'),
    (Creator, "creator", "member", 'A'),
    (DeptAdminB, "dadminb", "department_admin", 'B'),
    (DeptAdminA, "dadmina", "department_admin", 'A'),
];

impl Who {
    fn name(self) -> String {
        format!("{self:?}").to_lowercase()
    }

    /// Whose rights a token carries (a person carries their own).
    fn owner(self) -> Who {
        match self {
            ReadTokenMember | ErpTokenMember => Member,
            ReadTokenDeptAdmin | ErpTokenDeptAdmin => DeptAdminA,
            ReadTokenAdmin | ErpTokenAdmin | RevokedToken | DisabledOwnerToken
            | AdminWithoutCsrf => CompanyAdmin,
            ReadTokenDemoted | ErpTokenDemoted => Former,
            w => w,
        }
    }
}

/// Whether `who` may see the object carrying `mark`.
fn may_see(mark: &str, who: Who) -> bool {
    let w = who.owner();
    match mark {
        TASK => sees_t(w),
        PROJ => sees_p(w),
        OTHER => matches!(w, OtherProject | DeptAdminB | CompanyAdmin),
        FEEDBACK => feedback_party(w),
        FEEDBACK2 => w == Outsider || any_admin(w),
        _ => true,
    }
}

// ---- the rules, per kind of person (tokens are derived in `expected`) ----

type Rule = fn(Who) -> bool;

fn public(_: Who) -> bool {
    true
}
fn nobody(_: Who) -> bool {
    false
}
fn anyone(w: Who) -> bool {
    w != Anon
}
fn company(w: Who) -> bool {
    w == CompanyAdmin
}
/// Company admins, and the department admin of A (P's department).
fn admin_of_a(w: Who) -> bool {
    matches!(w, CompanyAdmin | DeptAdminA)
}
/// Company and department admins alike.
fn any_admin(w: Who) -> bool {
    matches!(w, CompanyAdmin | DeptAdminA | DeptAdminB)
}
fn in_p(w: Who) -> bool {
    matches!(
        w,
        Member | Watcher | Editor | Handler | Later | Prev | Creator
    )
}
/// Sees project P: its members and its admins.
fn sees_p(w: Who) -> bool {
    in_p(w) || admin_of_a(w)
}
/// Sees task T: those with a part in it, and admins of its project.
fn sees_t(w: Who) -> bool {
    matches!(w, Watcher | Editor | Handler | Later | Prev | Creator) || admin_of_a(w)
}
fn edits_t(w: Who) -> bool {
    matches!(w, Creator | Editor) || admin_of_a(w)
}
fn deletes_t(w: Who) -> bool {
    w == Creator || admin_of_a(w)
}
fn current_handler(w: Who) -> bool {
    w == Handler
}
fn previous_handler(w: Who) -> bool {
    w == Prev
}
/// The feedback item's author (Member) and admins.
fn feedback_party(w: Who) -> bool {
    w == Member || any_admin(w)
}
fn admin_of_b(w: Who) -> bool {
    matches!(w, CompanyAdmin | DeptAdminB)
}
/// Statistics of department B: company admins, B's admin, and B's own member (who
/// sees only themselves).
fn stats_of_b(w: Who) -> bool {
    matches!(w, CompanyAdmin | DeptAdminB | OtherProject)
}

/// Objects made afresh for each actor, for rows that change or delete them.
#[derive(Clone, Copy, Debug)]
enum Fresh {
    /// Like T: first node done by Prev, Handler's node current.
    Task,
    /// Like T, all three nodes done.
    DoneTask,
    Project,
    Department,
    Token,
    Scenario,
    /// A test case of the scenario `script("case_host")`.
    ScenarioCase,
    Template,
    Announcement,
    Feed,
    /// An inbound hook (generic preset).
    Hook,
    /// A pull connector (to an address that never resolves).
    Connector,
    /// A write-back target.
    WriteBack,
    /// An attachment on T uploaded by the company admin.
    Attachment,
    /// A member of department A.
    User,
}

enum Body {
    None,
    Json(Value),
    Multipart,
}

struct Case {
    method: Method,
    route: &'static str,
    /// The concrete path; `@ID@` is the fresh object's id, `@WHO@` the actor's name.
    path: String,
    rule: Rule,
    body: Body,
    fresh: Option<Fresh>,
    /// Reached without any credential (login).
    public: bool,
    /// The ERP push, the one thing an `erp:write` token does.
    erp_push: bool,
    /// Runs after every other row (logout).
    last: bool,
    /// A mark this row's answer shows only to those the rule allows.
    hide: Option<(&'static str, Rule)>,
    /// The request must not succeed for anyone (allowed callers get a validation error).
    never_succeeds: bool,
    /// For task routes: who may see the task; anyone else who is refused gets 404
    /// (product.md: "gets 404 for it, never its data").
    task_seer: Option<Rule>,
}

fn row(method: Method, route: &'static str, path: impl Into<String>, rule: Rule) -> Case {
    Case {
        method,
        route,
        path: path.into(),
        rule,
        body: Body::None,
        fresh: None,
        public: false,
        erp_push: false,
        last: false,
        hide: None,
        never_succeeds: false,
        task_seer: None,
    }
}

impl Case {
    fn json(mut self, v: Value) -> Case {
        self.body = Body::Json(v);
        self
    }
    fn multipart(mut self) -> Case {
        self.body = Body::Multipart;
        self
    }
    fn never_succeeds(mut self) -> Case {
        self.never_succeeds = true;
        self
    }
    fn hide(mut self, mark: &'static str, rule: Rule) -> Case {
        self.hide = Some((mark, rule));
        self
    }
    fn fresh(mut self, f: Fresh) -> Case {
        self.fresh = Some(f);
        self
    }
}

/// Whether `who` may make this call.
fn expected(c: &Case, who: Who) -> bool {
    if c.public {
        return true;
    }
    match who {
        ReadTokenMember => c.method == Method::GET && (c.rule)(Member),
        ReadTokenAdmin | AdminWithoutCsrf => c.method == Method::GET && (c.rule)(CompanyAdmin),
        ReadTokenDemoted => c.method == Method::GET && (c.rule)(Former),
        ReadTokenDeptAdmin => c.method == Method::GET && (c.rule)(DeptAdminA),
        ErpTokenMember | ErpTokenDeptAdmin | ErpTokenDemoted | RevokedToken
        | DisabledOwnerToken => false,
        ErpTokenAdmin => c.erp_push,
        w => (c.rule)(w),
    }
}

struct Fx {
    s: TestServer,
    clients: HashMap<Who, Client>,
    ids: HashMap<Who, u64>,
    a: u64,
    b: u64,
    p: u64,
    p2: u64,
    q: u64,
    t: u64,
    /// Makes fresh objects' names unique.
    seq: std::sync::atomic::AtomicU64,
}

impl Fx {
    fn c(&self, w: Who) -> &Client {
        &self.clients[&w]
    }
    fn id(&self, w: Who) -> u64 {
        self.ids[&w]
    }
    fn admin(&self) -> &Client {
        self.c(CompanyAdmin)
    }
    fn p_members(&self) -> Vec<u64> {
        [Member, Watcher, Editor, Handler, Later, Prev, Creator]
            .iter()
            .map(|w| self.id(*w))
            .collect()
    }

    async fn rev(&self, task: u64) -> u64 {
        self.admin().get(&format!("/api/tasks/{task}")).await["rev"]
            .as_u64()
            .unwrap()
    }

    async fn op(&self, who: Who, task: u64, op: &str) {
        let rev = self.rev(task).await;
        let (st, body) = self
            .c(who)
            .call(
                Method::POST,
                &format!("/api/tasks/{task}/{op}"),
                Some(json!({ "rev": rev })),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{op} by {who:?}: {body}");
    }

    /// A task like T: Creator made Prev → Handler → Later, Watcher watches, Editor
    /// edits; Prev has done the first node. `done`: Handler and Later finish too.
    async fn task(&self, done: bool) -> u64 {
        let (st, t) = self
            .c(Creator)
            .call(
                Method::POST,
                &format!("/api/projects/{}/tasks", self.p),
                Some(json!({
                    "kind": "workflow", "title": format!("Refund {TASK}"),
                    "description": format!("customer data {TASK}"),
                    "nodes": [
                        {"handler_id": self.id(Prev), "action": "check"},
                        {"handler_id": self.id(Handler), "action": "approve"},
                        {"handler_id": self.id(Later), "action": "pay"}
                    ],
                    "watchers": [self.id(Watcher)], "editors": [self.id(Editor)],
                    "checklist": ["photo of parcel"]
                })),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{t}");
        let id = t["id"].as_u64().unwrap();
        self.op(Prev, id, "complete").await;
        if done {
            self.op(Handler, id, "complete").await;
            self.op(Later, id, "complete").await;
        }
        id
    }

    /// Uploads a text file whose content carries `mark`.
    async fn upload(&self, who: Who, path: &str, mark: &str) -> Value {
        let form = Form::new().part(
            "file",
            Part::bytes(format!("file {mark}").into_bytes()).file_name("note.txt"),
        );
        let resp = self
            .c(who)
            .request(Method::POST, path)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED, "upload to {path}");
        resp.json().await.unwrap()
    }

    async fn fresh(&self, f: Fresh, who: Who) -> u64 {
        let seq = self.seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let n = format!("{}{seq}", who.name());
        let a = self.admin();
        let v = match f {
            Fresh::Task => return self.task(false).await,
            Fresh::DoneTask => return self.task(true).await,
            Fresh::Attachment => {
                return self
                    .upload(CompanyAdmin, &format!("/api/tasks/{}/attachments", self.t), TASK)
                    .await["id"]
                    .as_u64()
                    .unwrap()
            }
            Fresh::Project => {
                a.post(
                    "/api/projects",
                    json!({"name": format!("fresh {n} {PROJ}"), "department_id": self.a, "members": self.p_members()}),
                )
                .await
            }
            Fresh::Department => {
                a.post(
                    "/api/departments",
                    json!({"name": format!("fresh {n} {MARK}"), "parent_id": self.a}),
                )
                .await
            }
            Fresh::Token => {
                return a
                    .post(
                        "/api/tokens",
                        json!({"name": format!("fresh {n}"), "scopes": ["read"]}),
                    )
                    .await["info"]["id"]
                    .as_u64()
                    .unwrap()
            }
            Fresh::Scenario => {
                a.post("/api/scenarios", json!({ "source": script(&format!("fresh_{n}")) }))
                    .await
            }
            Fresh::ScenarioCase => {
                let host = a
                    .post("/api/scenarios", json!({ "source": script("case_host") }))
                    .await["id"]
                    .as_u64()
                    .unwrap();
                a.post(
                    &format!("/api/scenarios/{host}/cases"),
                    json!({"name": format!("fresh {n}"), "record": {"kind": "authz_none", "id": "X1", "data": {}}, "expect": {"fires": false}}),
                )
                .await
            }
            Fresh::Template => {
                a.post(
                    "/api/templates",
                    json!({"name": format!("fresh {n} {MARK}"), "nodes": [{"handler_id": self.id(Member), "action": "x"}]}),
                )
                .await
            }
            Fresh::Announcement => {
                a.post(
                    "/api/announcements",
                    json!({"title": format!("fresh {n} {MARK}"), "body": "hello"}),
                )
                .await
            }
            Fresh::User => {
                a.post(
                    "/api/users",
                    json!({"username": format!("fresh_{n}"), "password": "password-123", "role": "member", "department_id": self.a}),
                )
                .await
            }
            // `.invalid` never resolves: the fetch fails at once, and no internal
            // address is written out (the outbound guard refuses those)
            Fresh::Feed => {
                a.post(
                    "/api/news/feeds",
                    json!({ "url": format!("http://feed.invalid/{n}.xml") }),
                )
                .await
            }
            Fresh::Hook => {
                a.post(
                    "/api/admin/hooks",
                    json!({ "name": format!("authz-{}", n.to_lowercase()), "preset": "generic", "secret": "authz-secret" }),
                )
                .await
            }
            Fresh::Connector => {
                a.post(
                    "/api/admin/connectors",
                    json!({ "name": format!("authz-{}", n.to_lowercase()), "url": "http://erp.invalid/orders", "enabled": false }),
                )
                .await
            }
            Fresh::WriteBack => {
                a.post(
                    "/api/admin/write-back",
                    json!({ "name": format!("authz-{}", n.to_lowercase()), "url": "http://erp.invalid/baton", "secret": "authz-secret" }),
                )
                .await
            }
        };
        v["id"]
            .as_u64()
            .unwrap_or_else(|| panic!("fresh {f:?}: {v}"))
    }
}

/// A scenario that never matches.
fn script(id: &str) -> String {
    format!(
        "const ID = \"authz_{id}\";\nconst NAME = \"{MARK} {id}\";\nconst WATCHES = \"authz_none\";\nfn condition(r, prev) {{ false }}\nfn task(r) {{ #{{ title: \"x\", nodes: [#{{ handler: \"admin\", action: \"x\" }}] }} }}\n"
    )
}

async fn token_client(url: &str, secret: String) -> Client {
    Client {
        bearer: Some(secret),
        ..Client::new(url)
    }
}

/// A token owned by `owner`, made with the CLI through the admin socket.
async fn cli_token(data: &std::path::Path, owner: &str, scope: &str) -> String {
    let (data, owner, scope) = (data.to_path_buf(), owner.to_string(), scope.to_string());
    let (ok, out, err) = tokio::task::spawn_blocking(move || {
        baton(
            &data,
            &[
                "token", "create", "--name", "authz", "--scope", &scope, "--owner", &owner,
            ],
            None,
        )
    })
    .await
    .unwrap();
    assert!(ok, "{err}");
    out.lines().last().unwrap().trim().to_string()
}

async fn setup() -> Fx {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let dept = |name: &str, parent: Option<u64>| json!({"name": format!("{name} {MARK}"), "parent_id": parent});
    let a = admin.post("/api/departments", dept("A", None)).await["id"]
        .as_u64()
        .unwrap();
    let b = admin.post("/api/departments", dept("B", None)).await["id"]
        .as_u64()
        .unwrap();
    let mut clients = HashMap::new();
    let mut ids = HashMap::new();
    for (who, name, role, d) in PEOPLE {
        let (c, id) = s
            .user(&admin, name, role, Some(if d == 'A' { a } else { b }))
            .await;
        clients.insert(who, c);
        ids.insert(who, id);
    }
    let me = admin.get("/api/me").await;
    ids.insert(CompanyAdmin, me["user"]["id"].as_u64().unwrap());
    let admin_token = |scope: &'static str| {
        let admin = &admin;
        async move {
            admin
                .post(
                    "/api/tokens",
                    json!({"name": format!("admin {scope}"), "scopes": [scope]}),
                )
                .await["token"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let read_admin = admin_token("read").await;
    let erp_admin = admin_token("erp:write").await;
    let read_member = cli_token(&s.data, "member", "read").await;
    let erp_member = cli_token(&s.data, "member", "erp:write").await;
    clients.insert(ReadTokenAdmin, token_client(&s.url, read_admin).await);
    clients.insert(ErpTokenAdmin, token_client(&s.url, erp_admin).await);
    clients.insert(ReadTokenMember, token_client(&s.url, read_member).await);
    let read_dept = cli_token(&s.data, "dadmina", "read").await;
    let erp_dept = cli_token(&s.data, "dadmina", "erp:write").await;
    clients.insert(ReadTokenDeptAdmin, token_client(&s.url, read_dept).await);
    clients.insert(ErpTokenDeptAdmin, token_client(&s.url, erp_dept).await);
    clients.insert(ErpTokenMember, token_client(&s.url, erp_member).await);
    // a company admin makes tokens, then is made a member of A
    let (former, former_id) = s.user(&admin, "former", "company_admin", None).await;
    let mut demoted = Vec::new();
    for scope in ["read", "erp:write"] {
        demoted.push(
            former
                .post("/api/tokens", json!({"name": "former", "scopes": [scope]}))
                .await["token"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let (st, body) = admin
        .call(
            Method::PATCH,
            &format!("/api/users/{former_id}"),
            Some(json!({"role": "member", "department_id": a})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let erp_demoted = demoted.pop().unwrap();
    let read_demoted = demoted.pop().unwrap();
    clients.insert(ReadTokenDemoted, token_client(&s.url, read_demoted).await);
    clients.insert(ErpTokenDemoted, token_client(&s.url, erp_demoted).await);
    clients.insert(Former, former);
    // a revoked token, and a token whose owner was disabled
    let revoked = admin
        .post(
            "/api/tokens",
            json!({"name": "revoked", "scopes": ["read"]}),
        )
        .await;
    let (st, body) = admin
        .call(
            Method::DELETE,
            &format!("/api/tokens/{}", revoked["info"]["id"]),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{body}");
    let revoked = revoked["token"].as_str().unwrap().to_string();
    clients.insert(RevokedToken, token_client(&s.url, revoked).await);
    let (gone, gone_id) = s.user(&admin, "gone", "company_admin", None).await;
    let gone_token = gone
        .post(
            "/api/tokens",
            json!({"name": "gone", "scopes": ["read", "erp:write"]}),
        )
        .await["token"]
        .as_str()
        .unwrap()
        .to_string();
    let (st, body) = admin
        .call(
            Method::PATCH,
            &format!("/api/users/{gone_id}"),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    clients.insert(DisabledOwnerToken, token_client(&s.url, gone_token).await);
    ids.insert(Former, former_id);
    clients.insert(Anon, s.client());
    let mut no_csrf = s.admin().await;
    no_csrf.csrf = None;
    clients.insert(AdminWithoutCsrf, no_csrf);
    clients.insert(CompanyAdmin, admin);
    let mut fx = Fx {
        s,
        clients,
        ids,
        a,
        b,
        p: 0,
        p2: 0,
        q: 0,
        t: 0,
        seq: Default::default(),
    };
    let members = fx.p_members();
    let project = |name: &str, d: u64, members: &[u64]| json!({"name": format!("{name} {MARK}"), "department_id": d, "members": members});
    fx.p = fx
        .admin()
        .post("/api/projects", project(&format!("P {PROJ}"), a, &members))
        .await["id"]
        .as_u64()
        .unwrap();
    fx.p2 = fx
        .admin()
        .post("/api/projects", project(&format!("P2 {PROJ}"), a, &members))
        .await["id"]
        .as_u64()
        .unwrap();
    let other = [fx.id(OtherProject)];
    fx.q = fx
        .admin()
        .post("/api/projects", project(&format!("Q {OTHER}"), b, &other))
        .await["id"]
        .as_u64()
        .unwrap();
    // the handler's own webhook, so that T's assignment leaves an outbox item (a name
    // that never resolves, see Fresh::Feed)
    let (st, body) = fx
        .c(Handler)
        .call(
            Method::PUT,
            "/api/me/webhook",
            Some(json!({"webhook": {"kind": "generic", "url": "http://hooks.invalid/hook"}})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let prefs = json!({"events": {"assigned": {"inbox": true, "email": false, "webhook": true}}});
    let (st, body) = fx
        .c(Handler)
        .call(Method::PUT, "/api/me/preferences", Some(prefs))
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    fx.t = fx.task(false).await;
    fx
}

/// Ids of the objects the rows point at, made once.
struct Objects {
    /// The ids of T's three nodes (the same in every task made like T).
    node_ids: Vec<u64>,
    /// The built-in ERP Notifications project.
    erp: u64,
    /// An archived project like P.
    archived: u64,
    /// A task in Q, made by OtherProject.
    x: u64,
    /// Outsider's own feedback.
    feedback2: u64,
    /// A second company admin and a member of B, whom department admins of A may not manage.
    boss: u64,
    bmember: u64,
    a1: u64,
    item: u64,
    aid: u64,
    msg: u64,
    feedback: u64,
    feedback_aid: u64,
    announcement: u64,
    feed: u64,
    hook: u64,
    hook_name: String,
    connector: u64,
    write_back: u64,
    scenario: u64,
    /// The scenario `script("case_host")`, whose cases `Fresh::ScenarioCase` adds.
    case_host: u64,
    template: u64,
    outbox: u64,
    target: u64,
}

async fn objects(fx: &Fx) -> Objects {
    let admin = fx.admin();
    let a1 = admin
        .post(
            "/api/departments",
            json!({"name": format!("A1 {MARK}"), "parent_id": fx.a}),
        )
        .await["id"]
        .as_u64()
        .unwrap();
    let t = admin.get(&format!("/api/tasks/{}", fx.t)).await;
    let item = t["checklist"][0]["id"].as_u64().unwrap();
    let node_ids = t["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_u64().unwrap())
        .collect();
    let aid = fx
        .upload(Creator, &format!("/api/tasks/{}/attachments", fx.t), TASK)
        .await["id"]
        .as_u64()
        .unwrap();
    let inbox = fx.c(Handler).get("/api/inbox").await;
    let msg = inbox["items"][0]["id"].as_u64().unwrap();
    let feedback = fx
        .c(Member)
        .post(
            "/api/feedback",
            json!({"kind": "question", "title": format!("Why {FEEDBACK}"), "body": format!("private {FEEDBACK}")}),
        )
        .await["id"]
        .as_u64()
        .unwrap();
    let feedback_aid = fx
        .upload(
            Member,
            &format!("/api/feedback/{feedback}/attachments"),
            FEEDBACK,
        )
        .await["id"]
        .as_u64()
        .unwrap();
    let announcement = fx.fresh(Fresh::Announcement, CompanyAdmin).await;
    let feed = fx.fresh(Fresh::Feed, CompanyAdmin).await;
    let hook = fx.fresh(Fresh::Hook, CompanyAdmin).await;
    let hook_name = admin.get(&format!("/api/admin/hooks/{hook}")).await["name"]
        .as_str()
        .unwrap()
        .to_string();
    let connector = fx.fresh(Fresh::Connector, CompanyAdmin).await;
    let write_back = fx.fresh(Fresh::WriteBack, CompanyAdmin).await;
    let scenario = fx.fresh(Fresh::Scenario, CompanyAdmin).await;
    let case_host = admin
        .post("/api/scenarios", json!({ "source": script("case_host") }))
        .await["id"]
        .as_u64()
        .unwrap();
    let template = fx.fresh(Fresh::Template, CompanyAdmin).await;
    let outbox = admin.get("/api/admin/outbox").await["items"][0]["id"]
        .as_u64()
        .expect("T's assignment left an outbox item");
    let (st, body) = fx
        .c(ErpTokenAdmin)
        .call(
            Method::POST,
            "/api/erp/records",
            Some(json!({"records": [{"kind": "order", "id": "SO-AUTHZ", "data": {"status": "allocated", "note": MARK}}]})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    // Member's avatar, for GET /api/users/{id}/avatar
    let st = fx
        .c(Member)
        .request(Method::POST, "/api/me/avatar")
        .multipart(Form::new().part("file", Part::bytes(PNG.to_vec()).file_name("a.png")))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, target) = fx.s.user(admin, "target", "member", Some(fx.a)).await;
    let (st, x) = fx
        .c(OtherProject)
        .call(
            Method::POST,
            &format!("/api/projects/{}/tasks", fx.q),
            Some(json!({"kind": "simple", "title": format!("Q task {OTHER}"), "nodes": [{"handler_id": fx.id(OtherProject)}]})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{x}");
    let x = x["id"].as_u64().unwrap();
    let feedback2 = fx
        .c(Outsider)
        .post(
            "/api/feedback",
            json!({"kind": "problem", "title": format!("Broken {FEEDBACK2}"), "body": format!("mine {FEEDBACK2}")}),
        )
        .await["id"]
        .as_u64()
        .unwrap();
    // a project member with no part in T is mentioned on it: still no part in it
    let (st, body) = fx
        .c(Creator)
        .call(
            Method::POST,
            &format!("/api/tasks/{}/comments", fx.t),
            Some(json!({"body": format!("@member @outsider please look {TASK}")})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    let archived = fx.fresh(Fresh::Project, CompanyAdmin).await;
    admin
        .post(&format!("/api/projects/{archived}/archive"), json!({}))
        .await;
    let (_, boss) = fx.s.user(admin, "boss", "company_admin", None).await;
    let (_, bmember) = fx.s.user(admin, "bmember", "member", Some(fx.b)).await;
    admin
        .call(
            Method::PATCH,
            &format!("/api/users/{bmember}"),
            Some(json!({ "display_name": BUSER })),
        )
        .await;
    let stats = admin.get("/api/stats").await.to_string();
    assert!(
        stats.contains(BUSER),
        "statistics list every member: {stats}"
    );
    let erp = admin.erp_project().await["id"].as_u64().unwrap();
    Objects {
        node_ids,
        erp,
        archived,
        x,
        feedback2,
        boss,
        bmember,
        a1,
        item,
        aid,
        msg,
        feedback,
        feedback_aid,
        announcement,
        feed,
        hook,
        hook_name,
        connector,
        write_back,
        scenario,
        case_host,
        template,
        outbox,
        target,
    }
}

/// The table: one row (or more) per route of the OpenAPI document.
fn table(fx: &Fx, o: &Objects) -> Vec<Case> {
    use Method as M;
    let (p, t, a) = (fx.p, fx.t, fx.a);
    let member = fx.id(Member);
    let mut rows = vec![
        // admin
        row(M::GET, "/api/admin/backups", "/api/admin/backups", company),
        row(M::POST, "/api/admin/backups", "/api/admin/backups", company),
        row(M::GET, "/api/admin/delivery", "/api/admin/delivery", company),
        row(M::PUT, "/api/admin/delivery", "/api/admin/delivery", company).json(json!({})),
        row(M::POST, "/api/admin/delivery/test", "/api/admin/delivery/test", admin_of_a)
            .json(json!({"channel": "project", "project_id": p})),
        row(M::POST, "/api/admin/delivery/test", "/api/admin/delivery/test", anyone)
            .json(json!({"channel": "me"})),
        row(M::GET, "/api/admin/outbox", "/api/admin/outbox", company),
        row(M::POST, "/api/admin/outbox/{id}/retry", format!("/api/admin/outbox/{}/retry", o.outbox), company),
        row(M::GET, "/api/audit", "/api/audit", company),
        // board
        row(M::GET, "/api/announcements", "/api/announcements", anyone),
        row(M::POST, "/api/announcements", "/api/announcements", company)
            .json(json!({"title": "@WHO@ says", "body": "hello"})),
        row(M::GET, "/api/announcements/{id}", format!("/api/announcements/{}", o.announcement), anyone),
        row(M::PUT, "/api/announcements/{id}", format!("/api/announcements/{}", o.announcement), company)
            .json(json!({"title": format!("edited {MARK}"), "body": "hello"})),
        row(M::DELETE, "/api/announcements/{id}", "/api/announcements/@ID@", company)
            .fresh(Fresh::Announcement),
        row(M::POST, "/api/announcements/{id}/read", format!("/api/announcements/{}/read", o.announcement), anyone),
        row(M::GET, "/api/feedback", "/api/feedback", anyone),
        row(M::POST, "/api/feedback", "/api/feedback", anyone)
            .json(json!({"kind": "question", "title": "@WHO@ asks", "body": "why?"})),
        row(M::GET, "/api/feedback/{id}", format!("/api/feedback/{}", o.feedback), feedback_party),
        row(M::POST, "/api/feedback/{id}/attachments", format!("/api/feedback/{}/attachments", o.feedback), feedback_party)
            .multipart(),
        row(M::GET, "/api/feedback/{id}/attachments/{aid}", format!("/api/feedback/{}/attachments/{}", o.feedback, o.feedback_aid), feedback_party),
        row(M::POST, "/api/feedback/{id}/replies", format!("/api/feedback/{}/replies", o.feedback), feedback_party)
            .json(json!({"body": "more"})),
        row(M::PUT, "/api/feedback/{id}/status", format!("/api/feedback/{}/status", o.feedback), feedback_party)
            .json(json!({"status": "closed"})),
        row(M::GET, "/api/news", "/api/news", anyone),
        row(M::GET, "/api/news/feeds", "/api/news/feeds", company),
        row(M::POST, "/api/news/feeds", "/api/news/feeds", company).json(json!({"url": "not a url"})),
        row(M::DELETE, "/api/news/feeds/{id}", "/api/news/feeds/@ID@", company).fresh(Fresh::Feed),
        row(M::POST, "/api/news/feeds/{id}/fetch", format!("/api/news/feeds/{}/fetch", o.feed), company),
        // uploads: company admins upload; an upload is its uploader's alone, so with
        // an id nobody uploaded everyone is refused (admins 404, the others 403)
        row(M::POST, "/api/erp/uploads", "/api/erp/uploads", company).multipart(),
        row(M::DELETE, "/api/erp/uploads/{id}", "/api/erp/uploads/0000", nobody),
        row(M::POST, "/api/erp/uploads/{id}/preview", "/api/erp/uploads/0000/preview", nobody)
            .json(json!({"kind": "order", "id_column": "id"})),
        row(M::POST, "/api/erp/uploads/{id}/import", "/api/erp/uploads/0000/import", nobody)
            .json(json!({"choices": {"kind": "order", "id_column": "id"}, "from": 0, "count": 1})),
        // inbound hooks: set up by company admins; a delivery is judged by its
        // signature alone, which no session or token replaces
        row(M::GET, "/api/admin/hooks", "/api/admin/hooks", company),
        row(M::POST, "/api/admin/hooks", "/api/admin/hooks", company)
            .json(json!({"name": "Not A Name", "preset": "generic", "secret": "authz-secret"})),
        row(M::GET, "/api/admin/hooks/presets", "/api/admin/hooks/presets", company),
        row(M::GET, "/api/admin/hooks/{id}", format!("/api/admin/hooks/{}", o.hook), company),
        row(M::PATCH, "/api/admin/hooks/{id}", format!("/api/admin/hooks/{}", o.hook), company)
            .json(json!({"enabled": true})),
        row(M::DELETE, "/api/admin/hooks/{id}", "/api/admin/hooks/@ID@", company).fresh(Fresh::Hook),
        row(M::GET, "/api/admin/hooks/{id}/deliveries", format!("/api/admin/hooks/{}/deliveries", o.hook), company),
        row(M::POST, "/api/hooks/{name}", format!("/api/hooks/{}", o.hook_name), nobody)
            .json(json!({"kind": "order", "id": "SO-HOOK", "data": {}})),
        // pull connectors: company admins; "run now" of a connector that exists
        row(M::GET, "/api/admin/connectors", "/api/admin/connectors", company),
        row(M::POST, "/api/admin/connectors", "/api/admin/connectors", company)
            .json(json!({"name": "Not A Name", "url": "http://erp.invalid/x"})),
        row(M::GET, "/api/admin/connectors/defaults", "/api/admin/connectors/defaults", company),
        row(M::GET, "/api/admin/connectors/{id}", format!("/api/admin/connectors/{}", o.connector), company),
        row(M::PATCH, "/api/admin/connectors/{id}", format!("/api/admin/connectors/{}", o.connector), company)
            .json(json!({"enabled": false})),
        row(M::DELETE, "/api/admin/connectors/{id}", "/api/admin/connectors/@ID@", company).fresh(Fresh::Connector),
        row(M::POST, "/api/admin/connectors/{id}/run", format!("/api/admin/connectors/{}/run", o.connector), company),
        // write-back targets: company admins; a project's choice: its managers
        row(M::GET, "/api/admin/write-back", "/api/admin/write-back", company),
        row(M::POST, "/api/admin/write-back", "/api/admin/write-back", company)
            .json(json!({"name": "Not A Name!", "url": "http://erp.invalid/x"})),
        row(M::GET, "/api/admin/write-back/{id}", format!("/api/admin/write-back/{}", o.write_back), company),
        row(M::PATCH, "/api/admin/write-back/{id}", format!("/api/admin/write-back/{}", o.write_back), company)
            .json(json!({"enabled": true})),
        row(M::DELETE, "/api/admin/write-back/{id}", "/api/admin/write-back/@ID@", company).fresh(Fresh::WriteBack),
        row(M::GET, "/api/admin/write-back/{id}/deliveries", format!("/api/admin/write-back/{}/deliveries", o.write_back), company),
        row(M::POST, "/api/admin/write-back/{id}/test", format!("/api/admin/write-back/{}/test", o.write_back), company),
        row(M::GET, "/api/projects/{id}/write-back", format!("/api/projects/{p}/write-back"), admin_of_a),
        row(M::PUT, "/api/projects/{id}/write-back", format!("/api/projects/{p}/write-back"), admin_of_a)
            .json(json!({"target": null})),
        // departments
        row(M::GET, "/api/departments", "/api/departments", anyone),
        row(M::POST, "/api/departments", "/api/departments", admin_of_a)
            .json(json!({"name": "@WHO@ team", "parent_id": a})),
        row(M::PATCH, "/api/departments/{id}", format!("/api/departments/{}", o.a1), admin_of_a)
            .json(json!({"name": format!("A1 {MARK} @WHO@")})),
        row(M::DELETE, "/api/departments/{id}", "/api/departments/@ID@", admin_of_a)
            .fresh(Fresh::Department),
        // ERP
        row(M::GET, "/api/erp/records", "/api/erp/records?kind=order", company),
        row(M::GET, "/api/erp/records/{kind}/{id}", "/api/erp/records/order/SO-AUTHZ", company),
        row(M::GET, "/api/erp/records/{kind}/{id}/versions", "/api/erp/records/order/SO-AUTHZ/versions", company),
        row(M::GET, "/api/erp/status", "/api/erp/status", company),
        Case {
            erp_push: true,
            ..row(M::POST, "/api/erp/records", "/api/erp/records", nobody).json(
                json!({"records": [{"kind": "order", "id": "SO-@WHO@", "data": {"status": "allocated"}}]}),
            )
        },
        // inbox
        row(M::GET, "/api/inbox", "/api/inbox", anyone),
        row(M::POST, "/api/inbox/read-all", "/api/inbox/read-all", anyone),
        row(M::GET, "/api/inbox/unread-count", "/api/inbox/unread-count", anyone),
        row(M::POST, "/api/inbox/{id}/follow-up", format!("/api/inbox/{}/follow-up", o.msg), current_handler)
            .json(json!({"follow_up": true})),
        row(M::POST, "/api/inbox/{id}/read", format!("/api/inbox/{}/read", o.msg), current_handler)
            .json(json!({"read": true})),
        // me
        Case {
            public: true,
            ..row(M::POST, "/api/login", "/api/login", public).json(json!({}))
        },
        Case {
            last: true,
            ..row(M::POST, "/api/logout", "/api/logout", anyone)
        },
        row(M::GET, "/api/me", "/api/me", anyone),
        row(M::PATCH, "/api/me", "/api/me", anyone).json(json!({"display_name": "@WHO@"})),
        row(M::POST, "/api/me/avatar", "/api/me/avatar", anyone).multipart(),
        row(M::GET, "/api/me/dashboard", "/api/me/dashboard", anyone),
        row(M::POST, "/api/me/password", "/api/me/password", anyone)
            .json(json!({"current_password": "not-the-password", "new_password": "another-pass-1"})),
        row(M::GET, "/api/me/preferences", "/api/me/preferences", anyone),
        row(M::PUT, "/api/me/preferences", "/api/me/preferences", anyone).json(json!({"events": {}})),
        // Web Push: each member's own devices; a device id nobody has is 404 for all
        row(M::GET, "/api/me/push", "/api/me/push", anyone),
        row(M::POST, "/api/me/push/devices", "/api/me/push/devices", anyone)
            .json(json!({"endpoint": "not a url", "keys": {"p256dh": "x", "auth": "y"}})),
        row(M::DELETE, "/api/me/push/devices/{id}", "/api/me/push/devices/999999", nobody),
        row(M::POST, "/api/me/push/devices/{id}/test", "/api/me/push/devices/999999/test", nobody),
        row(M::GET, "/api/me/webhook", "/api/me/webhook", anyone),
        row(M::PUT, "/api/me/webhook", "/api/me/webhook", anyone).json(json!({"webhook": null})),
        // two-factor sign-in: a made-up challenge is a validation error for anyone; the
        // caller's own set-up for anyone signed in; the policy for company admins
        Case {
            public: true,
            never_succeeds: true,
            ..row(M::POST, "/api/login/code", "/api/login/code", public)
                .json(json!({"challenge": "no-such-challenge", "code": "123456"}))
        },
        row(M::GET, "/api/me/two-factor", "/api/me/two-factor", anyone),
        row(M::POST, "/api/me/two-factor/enrol", "/api/me/two-factor/enrol", anyone),
        Case {
            never_succeeds: true,
            ..row(M::POST, "/api/me/two-factor/confirm", "/api/me/two-factor/confirm", anyone)
                .json(json!({"code": "not-a-code"}))
        },
        Case {
            never_succeeds: true,
            ..row(M::POST, "/api/me/two-factor/disable", "/api/me/two-factor/disable", anyone)
                .json(json!({"password": "not-the-password", "code": "123456"}))
        },
        row(M::GET, "/api/admin/two-factor-policy", "/api/admin/two-factor-policy", company),
        row(M::PUT, "/api/admin/two-factor-policy", "/api/admin/two-factor-policy", company)
            .json(json!({"require": "off"})),
        // chat apps (WeCom, DingTalk, Feishu)
        row(M::GET, "/api/admin/chat-apps", "/api/admin/chat-apps", company),
        row(M::PUT, "/api/admin/chat-apps/{app}", "/api/admin/chat-apps/wecom", company)
            .json(json!({"key": "ww1", "secret": "s", "agent_id": 1})),
        row(M::DELETE, "/api/admin/chat-apps/{app}", "/api/admin/chat-apps/dingtalk", company),
        row(M::POST, "/api/admin/chat-apps/{app}/links", "/api/admin/chat-apps/wecom/links", company)
            .json(json!({"csv": ""})),
        row(M::GET, "/api/me/chat-apps", "/api/me/chat-apps", anyone),
        row(M::PUT, "/api/me/chat-apps/{app}", "/api/me/chat-apps/wecom", anyone).json(json!({"user_id": null})),
        row(M::GET, "/api/users/{id}/chat-apps", format!("/api/users/{}/chat-apps", o.target), company),
        row(M::PUT, "/api/users/{id}/chat-apps/{app}", format!("/api/users/{}/chat-apps/wecom", o.target), company)
            .json(json!({"user_id": null})),
        row(M::GET, "/api/my/todo", "/api/my/todo", anyone),
        row(M::GET, "/api/my/{which}", "/api/my/done", anyone),
        // projects
        row(M::GET, "/api/projects", "/api/projects", anyone),
        row(M::POST, "/api/projects", "/api/projects", admin_of_a)
            .json(json!({"name": "@WHO@ project", "department_id": a})),
        row(M::GET, "/api/projects/{id}", format!("/api/projects/{p}"), sees_p),
        row(M::PATCH, "/api/projects/{id}", format!("/api/projects/{p}"), admin_of_a)
            .json(json!({"name": format!("P {PROJ}")})),
        row(M::POST, "/api/projects/{id}/archive", "/api/projects/@ID@/archive", admin_of_a)
            .fresh(Fresh::Project),
        row(M::POST, "/api/projects/{id}/restore", "/api/projects/@ID@/restore", admin_of_a)
            .fresh(Fresh::Project),
        row(M::POST, "/api/projects/{id}/members", format!("/api/projects/{p}/members"), admin_of_a)
            .json(json!({"user_id": o.target})),
        row(M::DELETE, "/api/projects/{id}/members/{user_id}", format!("/api/projects/{p}/members/{}", o.target), admin_of_a),
        row(M::GET, "/api/projects/{id}/webhook", format!("/api/projects/{p}/webhook"), admin_of_a),
        row(M::PUT, "/api/projects/{id}/webhook", format!("/api/projects/{p}/webhook"), admin_of_a)
            .json(json!({"webhook": null})),
        row(M::POST, "/api/projects/{pid}/archive-finished", format!("/api/projects/{p}/archive-finished"), admin_of_a),
        row(M::GET, "/api/projects/{pid}/tasks", format!("/api/projects/{p}/tasks"), sees_p),
        row(M::GET, "/api/projects/{pid}/tasks/export.csv", format!("/api/projects/{p}/tasks/export.csv?status=all"), sees_p),
        // P has no choice field: those who see P get 400, the others 404
        row(M::GET, "/api/stats/fields", format!("/api/stats/fields?project_id={p}&field=region"), sees_p),
        row(M::POST, "/api/projects/{pid}/tasks", format!("/api/projects/{p}/tasks"), sees_p)
            .json(json!({"kind": "simple", "title": "@WHO@ task", "nodes": [{"handler_id": member}]})),
        // scenarios
        row(M::GET, "/api/scenarios", "/api/scenarios", company),
        row(M::POST, "/api/scenarios", "/api/scenarios", company).json(json!({"source": script("@WHO@")})),
        row(M::POST, "/api/scenarios/dry-run", "/api/scenarios/dry-run", company)
            .json(json!({"source": script("dry"), "kind": "authz_none", "id": "X1", "record": {}})),
        row(M::POST, "/api/scenarios/preview", "/api/scenarios/preview", company)
            .json(json!({"source": script("preview")})),
        row(M::PATCH, "/api/scenarios/{id}", format!("/api/scenarios/{}", o.scenario), company)
            .json(json!({"enabled": true})),
        row(M::DELETE, "/api/scenarios/{id}", "/api/scenarios/@ID@", company).fresh(Fresh::Scenario),
        row(M::POST, "/api/scenarios/builder/render", "/api/scenarios/builder/render", company)
            .json(json!({"id": "b", "title": "@WHO@"})),
        row(M::POST, "/api/scenarios/builder/parse", "/api/scenarios/builder/parse", company)
            .json(json!({"source": script("parse")})),
        row(M::GET, "/api/scenarios/builder/fields", "/api/scenarios/builder/fields?kind=order", company),
        row(M::GET, "/api/scenarios/{id}/versions", format!("/api/scenarios/{}/versions", o.scenario), company),
        row(M::GET, "/api/scenarios/{id}/versions/{version}", format!("/api/scenarios/{}/versions/1", o.scenario), company),
        row(M::GET, "/api/scenarios/{id}/diff", format!("/api/scenarios/{}/diff?from=1&to=1", o.scenario), company),
        // only version 1 exists: allowed callers get 409 (it is the current script)
        row(M::POST, "/api/scenarios/{id}/versions/{version}/rollback", format!("/api/scenarios/{}/versions/1/rollback", o.scenario), company)
            .never_succeeds(),
        row(M::GET, "/api/scenarios/{id}/cases", format!("/api/scenarios/{}/cases", o.case_host), company),
        row(M::POST, "/api/scenarios/{id}/cases", format!("/api/scenarios/{}/cases", o.case_host), company)
            .json(json!({"name": "@WHO@", "record": {"kind": "authz_none", "id": "X1", "data": {}}, "expect": {"fires": false}})),
        row(M::POST, "/api/scenarios/{id}/cases/run", format!("/api/scenarios/{}/cases/run", o.case_host), company)
            .json(json!({})),
        row(M::DELETE, "/api/scenarios/{id}/cases/{case_id}", format!("/api/scenarios/{}/cases/@ID@", o.case_host), company)
            .fresh(Fresh::ScenarioCase),
        // statistics
        row(M::GET, "/api/stats", "/api/stats", anyone).hide(BUSER, admin_of_b),
        row(M::GET, "/api/stats", format!("/api/stats?department_id={}", fx.b), stats_of_b)
            .hide(BUSER, admin_of_b),
        row(M::GET, "/api/stats/export.csv", "/api/stats/export.csv", anyone).hide(BUSER, admin_of_b),
        row(M::GET, "/api/me/dashboard", "/api/me/dashboard", anyone).hide(BUSER, nobody),
        row(M::GET, "/api/stats/export.xlsx", "/api/stats/export.xlsx", anyone),
        row(M::GET, "/api/stats/me/trend", "/api/stats/me/trend", anyone),
        // tasks
        row(M::GET, "/api/tasks/{id}", format!("/api/tasks/{t}"), sees_t),
        row(M::PATCH, "/api/tasks/{id}", format!("/api/tasks/{t}"), edits_t)
            .json(json!({"rev": "@REV@", "description": format!("edited by @WHO@ {TASK}")})),
        row(M::DELETE, "/api/tasks/{id}", "/api/tasks/@ID@", deletes_t).fresh(Fresh::Task),
        row(M::POST, "/api/tasks/{id}/archive", "/api/tasks/@ID@/archive", admin_of_a)
            .fresh(Fresh::DoneTask),
        row(M::POST, "/api/tasks/{id}/attachments", format!("/api/tasks/{t}/attachments"), sees_t)
            .multipart(),
        row(M::GET, "/api/tasks/{id}/attachments/{aid}", format!("/api/tasks/{t}/attachments/{}", o.aid), sees_t),
        row(M::DELETE, "/api/tasks/{id}/attachments/{aid}", format!("/api/tasks/{t}/attachments/@ID@"), edits_t)
            .fresh(Fresh::Attachment),
        row(M::POST, "/api/tasks/{id}/checklist/{item}", format!("/api/tasks/{t}/checklist/{}", o.item), current_handler)
            .json(json!({"rev": "@REV@", "done": true})),
        row(M::GET, "/api/tasks/{id}/comments", format!("/api/tasks/{t}/comments"), sees_t),
        row(M::POST, "/api/tasks/{id}/comments", format!("/api/tasks/{t}/comments"), sees_t)
            .json(json!({"body": "noted by @WHO@"})),
        row(M::POST, "/api/tasks/{id}/copy", format!("/api/tasks/{t}/copy"), sees_t)
            .json(json!({"project_id": p})),
        row(M::GET, "/api/tasks/{id}/log", format!("/api/tasks/{t}/log"), sees_t),
        row(M::POST, "/api/tasks/{id}/move", "/api/tasks/@ID@/move", edits_t)
            .json(json!({"project_id": fx.p2, "rev": "@REV@"}))
            .fresh(Fresh::Task),
        // templates
        row(M::GET, "/api/templates", "/api/templates", anyone),
        row(M::POST, "/api/templates", "/api/templates", any_admin)
            .json(json!({"name": "@WHO@ template", "nodes": [{"handler_id": member, "action": "x"}]})),
        row(M::PATCH, "/api/templates/{id}", format!("/api/templates/{}", o.template), any_admin)
            .json(json!({"name": format!("template {MARK} @WHO@")})),
        row(M::DELETE, "/api/templates/{id}", "/api/templates/@ID@", any_admin).fresh(Fresh::Template),
        // tokens
        row(M::GET, "/api/tokens", "/api/tokens", company),
        row(M::POST, "/api/tokens", "/api/tokens", company).json(json!({"name": "@WHO@", "scopes": ["read"]})),
        row(M::DELETE, "/api/tokens/{id}", "/api/tokens/@ID@", company).fresh(Fresh::Token),
        // users
        row(M::GET, "/api/users", "/api/users", anyone),
        row(M::POST, "/api/users", "/api/users", admin_of_a)
            .json(json!({"username": "new_@WHO@", "password": "password-123", "role": "member", "department_id": a})),
        row(M::GET, "/api/users/{id}", format!("/api/users/{}", o.target), anyone),
        row(M::PATCH, "/api/users/{id}", format!("/api/users/{}", o.target), admin_of_a)
            .json(json!({"display_name": "Target @WHO@"})),
        row(M::GET, "/api/users/{id}/avatar", format!("/api/users/{member}/avatar"), anyone),
        row(M::POST, "/api/users/{id}/password", format!("/api/users/{}/password", o.target), admin_of_a)
            .json(json!({"password": "password-456"})),
    ];
    // another object's id, or a place the caller does not administer
    let (q, b, x) = (fx.q, fx.b, o.x);
    rows.extend([
        row(M::GET, "/api/tasks/{id}/attachments/{aid}", format!("/api/tasks/{x}/attachments/{}", o.aid), nobody),
        row(M::DELETE, "/api/tasks/{id}/attachments/{aid}", format!("/api/tasks/{x}/attachments/{}", o.aid), nobody),
        row(M::GET, "/api/feedback/{id}/attachments/{aid}", format!("/api/feedback/{}/attachments/{}", o.feedback2, o.feedback_aid), nobody),
        row(M::GET, "/api/feedback/{id}", format!("/api/feedback/{}", o.feedback2), |w| w == Outsider || any_admin(w)),
        row(M::POST, "/api/tasks/{id}/copy", format!("/api/tasks/{t}/copy"), company)
            .json(json!({"project_id": q})),
        row(M::GET, "/api/tasks/{id}", format!("/api/tasks/{x}"), |w| matches!(w, OtherProject | DeptAdminB | CompanyAdmin)),
        row(M::POST, "/api/projects/{pid}/tasks", format!("/api/projects/{q}/tasks"), |w| matches!(w, OtherProject | DeptAdminB | CompanyAdmin))
            .json(json!({"kind": "simple", "title": "@WHO@ task", "nodes": [{"handler_id": fx.id(OtherProject)}]})),
        row(M::PATCH, "/api/departments/{id}", "/api/departments/@ID@", company)
            .json(json!({"parent_id": b}))
            .fresh(Fresh::Department),
        row(M::PATCH, "/api/users/{id}", "/api/users/@SELF@", company).json(json!({"role": "company_admin"})),
        // (B's admin is in B already: no change)
        row(M::PATCH, "/api/users/{id}", "/api/users/@SELF@", admin_of_b).json(json!({"department_id": b})),
        row(M::PATCH, "/api/users/{id}", "/api/users/@ID@", company)
            .json(json!({"role": "company_admin"}))
            .fresh(Fresh::User),
        row(M::PATCH, "/api/users/{id}", "/api/users/@ID@", company)
            .json(json!({"department_id": b}))
            .fresh(Fresh::User),
        // the erp flag is membership of ERP Notifications, a company-wide project
        row(M::PATCH, "/api/users/{id}", format!("/api/users/{}", o.target), company)
            .json(json!({"erp": true})),
        row(M::PATCH, "/api/users/{id}", "/api/users/@SELF@", company).json(json!({"erp": true})),
        row(M::POST, "/api/users", "/api/users", company)
            .json(json!({"username": "erp_@WHO@", "password": "password-123", "role": "member", "department_id": a, "erp": true})),
        row(M::POST, "/api/projects/{id}/members", format!("/api/projects/{}/members", o.erp), company)
            .json(json!({"user_id": o.target})),
        row(M::PATCH, "/api/users/{id}", format!("/api/users/{}", o.bmember), admin_of_b)
            .json(json!({"email": "b@example.com"})),
        row(M::POST, "/api/users/{id}/password", format!("/api/users/{}/password", o.boss), company)
            .json(json!({"password": "password-789"})),
        row(M::POST, "/api/users", "/api/users", company)
            .json(json!({"username": "ca_@WHO@", "password": "password-123", "role": "company_admin", "department_id": a})),
        row(M::POST, "/api/users", "/api/users", admin_of_b)
            .json(json!({"username": "b_@WHO@", "password": "password-123", "role": "member", "department_id": b})),
        row(M::POST, "/api/projects", "/api/projects", admin_of_b)
            .json(json!({"name": "@WHO@ b project", "department_id": b})),
        row(M::PATCH, "/api/projects/{id}", "/api/projects/@ID@", company)
            .json(json!({"department_id": b}))
            .fresh(Fresh::Project),
        row(M::POST, "/api/projects/{id}/members", format!("/api/projects/{q}/members"), admin_of_b)
            .json(json!({"user_id": o.bmember})),
        row(M::GET, "/api/projects/{id}", format!("/api/projects/{q}"), |w| matches!(w, OtherProject | DeptAdminB | CompanyAdmin)),
        row(M::GET, "/api/stats", format!("/api/stats?department_id={}", o.a1), admin_of_a),
        row(M::POST, "/api/projects/{pid}/tasks", format!("/api/projects/{}/tasks", o.archived), sees_p)
            .json(json!({"kind": "simple", "title": "@WHO@ task", "nodes": [{"handler_id": member}]})),
        row(M::POST, "/api/tasks/{id}/copy", format!("/api/tasks/{t}/copy"), sees_t)
            .json(json!({"project_id": o.archived})),
        row(M::GET, "/api/projects/{id}", format!("/api/projects/{}", o.archived), sees_p),
        // list filters show only what the caller may see
        row(M::GET, "/api/projects/{pid}/tasks", format!("/api/projects/{p}/tasks?q=Refund"), sees_p),
        row(M::GET, "/api/projects/{pid}/tasks", format!("/api/projects/{p}/tasks?handler={}", fx.id(Handler)), sees_p),
        row(M::GET, "/api/projects/{pid}/tasks", format!("/api/projects/{p}/tasks?status=done"), sees_p),
        row(M::GET, "/api/projects/{pid}/tasks", format!("/api/projects/{p}/tasks?archived=true"), sees_p),
        row(M::GET, "/api/my/{which}", "/api/my/created", anyone),
        row(M::GET, "/api/my/{which}", "/api/my/watching", anyone),
        row(M::GET, "/api/my/{which}", "/api/my/to_claim", anyone),
        row(M::GET, "/api/inbox", "/api/inbox?kind=mentioned", anyone),
    ]);
    // edits that would break the flow rules or reach outside the project: never succeed
    let node = |i: usize, h: Who, action: &str| json!({"id": o.node_ids[i], "handler_id": fx.id(h), "action": action});
    rows.extend([
        row(M::PATCH, "/api/tasks/{id}", "/api/tasks/@ID@", edits_t)
            .json(json!({"rev": "@REV@", "nodes": [node(0, Prev, "check"), node(1, Editor, "approve"), node(2, Later, "pay")]}))
            .fresh(Fresh::Task)
            .never_succeeds(),
        // editors edit fields; the creator and admins choose who else may
        row(M::PATCH, "/api/tasks/{id}", "/api/tasks/@ID@", |w| w == Creator || admin_of_a(w))
            .json(json!({"rev": "@REV@", "editors": [fx.id(Editor), fx.id(Member)]}))
            .fresh(Fresh::Task),
        row(M::PATCH, "/api/tasks/{id}", "/api/tasks/@ID@", edits_t)
            .json(json!({"rev": "@REV@", "editors": [fx.id(Editor)], "watchers": [fx.id(Watcher), fx.id(Member)]}))
            .fresh(Fresh::Task),
        row(M::PATCH, "/api/tasks/{id}", "/api/tasks/@ID@", edits_t)
            .json(json!({"rev": "@REV@", "watchers": [fx.id(Outsider)]}))
            .fresh(Fresh::Task)
            .never_succeeds(),
        row(M::POST, "/api/tasks/{id}/{op}", "/api/tasks/@ID@/transfer", current_handler)
            .json(json!({"rev": "@REV@", "to": fx.id(Outsider)}))
            .fresh(Fresh::Task)
            .never_succeeds(),
        row(M::POST, "/api/tasks/{id}/move", "/api/tasks/@ID@/move", company)
            .json(json!({"project_id": q, "rev": "@REV@"}))
            .fresh(Fresh::Task)
            .never_succeeds(),
    ]);
    // every flow operation: the current handler's four, the previous handler's two
    for (op, rule, extra) in [
        ("start", current_handler as Rule, json!({})),
        ("complete", current_handler as Rule, json!({})),
        ("transfer", current_handler as Rule, json!({"to": member})),
        (
            "return",
            current_handler as Rule,
            json!({"reason": "missing photo"}),
        ),
        ("urge", previous_handler as Rule, json!({})),
        ("withdraw", previous_handler as Rule, json!({})),
        // add-sign: the current handler, naming a member, what to do and why
        (
            "add_before",
            current_handler as Rule,
            json!({"to": member, "action": "check", "reason": "large order"}),
        ),
        (
            "add_after",
            current_handler as Rule,
            json!({"to": member, "action": "check", "reason": "large order"}),
        ),
        // T's steps are single: nobody claims or releases them (the claim kinds'
        // own rules are the flow table test and tests/it/flow_kinds.rs)
        ("claim", nobody as Rule, json!({})),
        ("release", nobody as Rule, json!({})),
    ] {
        let mut body = json!({"rev": "@REV@"});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        rows.push(
            row(
                M::POST,
                "/api/tasks/{id}/{op}",
                format!("/api/tasks/@ID@/{op}"),
                rule,
            )
            .json(body)
            .fresh(Fresh::Task),
        );
    }
    let on_x = format!("/api/tasks/{x}/");
    for r in rows
        .iter_mut()
        .filter(|r| r.route.starts_with("/api/tasks/"))
    {
        let sees_x: Rule = |w| matches!(w, OtherProject | DeptAdminB | CompanyAdmin);
        r.task_seer = Some(
            if r.path.starts_with(&on_x) || r.path == on_x.trim_end_matches('/') {
                sees_x
            } else {
                sees_t
            },
        );
    }
    rows
}

/// Every (METHOD, path template) of the served OpenAPI document.
async fn documented_routes(c: &Client) -> BTreeSet<(String, String)> {
    let doc = c.get("/api/openapi.json").await;
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if [
                "get", "put", "post", "patch", "delete", "head", "options", "trace",
            ]
            .contains(&method.as_str())
            {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

/// Sends one row's request as `who`; returns the status and the body as text.
async fn send(fx: &Fx, c: &Case, who: Who) -> (StatusCode, String) {
    let fresh = match c.fresh {
        Some(f) => Some(fx.fresh(f, who).await),
        None => None,
    };
    let fill = |s: &str| {
        let me = if who == Anon { 0 } else { fx.id(who.owner()) };
        let mut s = s
            .replace("@WHO@", &who.name())
            .replace("@SELF@", &me.to_string());
        if let Some(id) = fresh {
            s = s.replace("@ID@", &id.to_string());
        }
        s
    };
    let path = fill(&c.path);
    let client = fx.c(who);
    let rb = client.request(c.method.clone(), &path);
    let rb = match &c.body {
        Body::None => rb,
        Body::Json(v) => {
            let mut text = fill(&v.to_string());
            if text.contains("\"@REV@\"") {
                let rev = fx.rev(fresh.unwrap_or(fx.t)).await;
                text = text.replace("\"@REV@\"", &rev.to_string());
            }
            rb.header("content-type", "application/json").body(text)
        }
        Body::Multipart => rb.multipart(
            Form::new().part(
                "file",
                Part::bytes(PNG.to_vec())
                    .file_name("a.png")
                    .mime_str("image/png")
                    .unwrap(),
            ),
        ),
    };
    let resp = rb.send().await.unwrap();
    let status = resp.status();
    (status, resp.text().await.unwrap_or_default())
}

/// What is wrong with one answer, if anything.
fn judge(c: &Case, who: Who, status: StatusCode, body: &str) -> Option<String> {
    let want = expected(c, who);
    let refused = matches!(status.as_u16(), 401 | 403 | 404);
    let short: String = body.chars().take(200).collect();
    let at = format!("{} {} as {who:?}", c.method, c.path);
    if status.is_server_error() {
        return Some(format!("{at}: {status} {short}"));
    }
    if want && refused {
        return Some(format!("{at}: should be allowed, got {status} {short}"));
    }
    if c.never_succeeds && status.is_success() {
        return Some(format!("{at}: must not succeed, got {status} {short}"));
    }
    let person = who.owner() == who && who != Anon;
    if let Some(seer) = c.task_seer {
        if refused && person && !seer(who) && status != StatusCode::NOT_FOUND {
            return Some(format!(
                "{at}: a task the caller cannot see must be 404, got {status} {short}"
            ));
        }
    }
    if !want && !refused {
        return Some(format!("{at}: should be refused, got {status} {short}"));
    }
    if let Some((mark, rule)) = c.hide {
        if !refused && body.contains(mark) && !rule(who.owner()) {
            return Some(format!("{at}: the answer shows {mark}: {short}"));
        }
    }
    if !refused {
        for mark in [TASK, PROJ, OTHER, FEEDBACK, FEEDBACK2] {
            if body.contains(mark) && !may_see(mark, who) {
                return Some(format!(
                    "{at}: the answer shows an object marked {mark}: {short}"
                ));
            }
        }
    }
    if refused {
        let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        if !v["error"]["code"].is_string() || !v["error"]["message"].is_string() {
            return Some(format!("{at}: refusal is not an error envelope: {short}"));
        }
        if body.contains(MARK) {
            return Some(format!("{at}: refusal shows the object's data: {short}"));
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_by_every_kind_of_actor() {
    let started = std::time::Instant::now();
    let fx = setup().await;
    let o = objects(&fx).await;
    let rows = table(&fx, &o);

    // the table covers the document exactly
    let documented = documented_routes(fx.admin()).await;
    let tabled: BTreeSet<(String, String)> = rows
        .iter()
        .map(|c| (c.method.to_string(), c.route.to_string()))
        .collect();
    let missing: Vec<_> = documented.difference(&tabled).collect();
    let stale: Vec<_> = tabled.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes in /api/openapi.json with no row in the authorization table: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows for routes not in the document: {stale:?}"
    );

    let mut failures = Vec::new();
    let mut calls = 0;
    // AUTHZ_DUMP=1 prints every call's status
    let dump = std::env::var_os("AUTHZ_DUMP").is_some();
    for last in [false, true] {
        for c in rows.iter().filter(|c| c.last == last) {
            // refused actors first: an allowed one may change the object
            let mut order: Vec<Who> = ALL.to_vec();
            order.sort_by_key(|w| expected(c, *w));
            for who in order {
                let (status, body) = send(&fx, c, who).await;
                calls += 1;
                if dump {
                    eprintln!("{} {} {who:?} -> {status}", c.method, c.path);
                }
                if let Some(f) = judge(c, who, status, &body) {
                    failures.push(f);
                }
            }
        }
    }
    eprintln!(
        "authorization matrix: {} rows, {calls} calls in {:?}",
        rows.len(),
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} authorization failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    fx.s.stop().await;
}
