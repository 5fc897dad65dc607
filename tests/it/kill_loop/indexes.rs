//! A walk over a stopped data directory with `baton::store::Store::open`: every
//! unique (`ix/…`) and non-unique (`mx/…`) index entry must be one that a stored
//! record's own `unique_keys()`/`multi_keys()` produce, pointing at that record, and
//! every entry a record produces must be there; every record decodes, sits under
//! its own id, and the id counter is above every id.
//!
//! The store exposes typed lists but no index iteration, so the entries come from
//! `Store::raw_entries` and the expected keys are built here with the layout of
//! `src/store/keys.rs` (`ix/{index}/{value}` → 8-byte id; `mx/{index}/{value}/{id:016x}`).
//! A record kind missing from [`walk_all`] is reported, so a new kind cannot be
//! skipped silently: add it there.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use baton::store::{index_key, kind_of, Record, Store};

#[derive(Debug, Default)]
pub struct IndexReport {
    pub records: usize,
    pub unique_entries: usize,
    pub multi_entries: usize,
    pub problems: Vec<String>,
}

#[derive(Default)]
struct Expected {
    /// Unique index key → (record id, kind).
    unique: BTreeMap<Vec<u8>, (u64, &'static str)>,
    /// Non-unique index key → kind.
    multi: BTreeMap<Vec<u8>, &'static str>,
    /// (kind, id) of every record as decoded.
    records: BTreeSet<(String, u64)>,
    kinds: BTreeSet<&'static str>,
    /// Kinds whose ids are not the id counter's (`Record::COUNTED_IDS`).
    uncounted: BTreeSet<&'static str>,
    problems: Vec<String>,
}

impl Expected {
    fn add<R: Record>(&mut self, store: &Store) {
        self.kinds.insert(R::KIND);
        if !R::COUNTED_IDS {
            self.uncounted.insert(R::KIND);
        }
        let records = match store.list::<R>() {
            Ok(r) => r,
            Err(e) => {
                self.problems
                    .push(format!("{} records do not decode: {e}", R::KIND));
                return;
            }
        };
        for r in records {
            let id = r.id();
            self.records.insert((R::KIND.to_string(), id));
            for (index, value) in r.unique_keys() {
                if let Some((other, kind)) =
                    self.unique.insert(index_key(index, &value), (id, R::KIND))
                {
                    self.problems.push(format!(
                        "unique {index}/{value} claimed by {} {id} and {kind} {other}",
                        R::KIND
                    ));
                }
            }
            for (index, value) in r.multi_keys() {
                let key = format!("mx/{index}/{value}/{id:016x}").into_bytes();
                self.multi.insert(key, R::KIND);
            }
        }
    }
}

/// Every record kind Baton stores.
fn walk_all(store: &Store, e: &mut Expected) {
    use baton::{
        audit, auth, board, delivery, erp, flow, inbox, org, personal, projects, scenarios, stats,
        tasks,
    };
    e.add::<board::announce::Announcement>(store);
    e.add::<board::announce::AnnouncementRead>(store);
    e.add::<board::feedback::Feedback>(store);
    e.add::<board::news::Feed>(store);
    e.add::<board::news::NewsItem>(store);
    e.add::<flow::Task>(store);
    e.add::<projects::Project>(store);
    e.add::<auth::token::ApiToken>(store);
    e.add::<stats::record::StatCounter>(store);
    e.add::<stats::counters::MemberMonth>(store);
    e.add::<stats::record::TallyRecord>(store);
    e.add::<stats::record::DueMark>(store);
    e.add::<stats::record::StatsMeta>(store);
    e.add::<delivery::model::DeliverySettings>(store);
    e.add::<delivery::model::ProjectWebhook>(store);
    e.add::<delivery::model::UserWebhook>(store);
    e.add::<delivery::write_back::WriteBackTarget>(store);
    e.add::<delivery::write_back::ProjectWriteBack>(store);
    e.add::<delivery::OutboxItem>(store);
    e.add::<tasks::templates::Template>(store);
    e.add::<tasks::log::LogEntry>(store);
    e.add::<tasks::log::TaskLog>(store);
    e.add::<tasks::comments::Comment>(store);
    e.add::<org::User>(store);
    e.add::<org::Department>(store);
    e.add::<scenarios::Scenario>(store);
    e.add::<scenarios::versions::ScenarioVersion>(store);
    e.add::<scenarios::case_store::ScenarioCase>(store);
    e.add::<scenarios::ScenarioState>(store);
    e.add::<scenarios::states::RecordStates>(store);
    e.add::<audit::AuditEvent>(store);
    e.add::<personal::PreferenceRecord>(store);
    e.add::<inbox::Message>(store);
    e.add::<erp::ErpRecord>(store);
    e.add::<erp::ErpVersion>(store);
    e.add::<delivery::push::model::PushDevices>(store);
    e.add::<delivery::push::model::VapidKey>(store);
    e.add::<delivery::apps::model::ChatAppSettings>(store);
    e.add::<delivery::apps::model::ChatLinks>(store);
    e.add::<baton::hooks::model::HookDelivery>(store);
    e.add::<baton::hooks::model::InboundHook>(store);
    e.add::<baton::connectors::Connector>(store);
    e.add::<baton::stats::scenario_days::ScenarioDay>(store);
    e.add::<org::two_factor::model::TwoFactor>(store);
    e.add::<org::two_factor::model::TwoFactorPolicy>(store);
}

fn show(key: &[u8]) -> String {
    String::from_utf8_lossy(key).into_owned()
}

fn id_of(value: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(value.try_into().ok()?))
}

/// Opens the stopped data directory's database (`DATA/db`) and checks every index
/// entry both ways. `Err` when it does not open at all.
pub fn check_indexes(db_dir: &Path) -> Result<IndexReport, String> {
    let store =
        Store::open(db_dir, 4 << 20).map_err(|e| format!("the database does not open: {e}"))?;
    let mut e = Expected::default();
    walk_all(&store, &mut e);
    let mut report = IndexReport {
        records: e.records.len(),
        ..IndexReport::default()
    };
    let mut stored = BTreeSet::new();
    let mut next_id = None;
    for item in store.raw_entries() {
        let (key, value) = match item {
            Ok(kv) => kv,
            Err(err) => {
                report.problems.push(format!("reading the tree: {err}"));
                break;
            }
        };
        if key.starts_with(b"ix/") {
            report.unique_entries += 1;
            match (e.unique.remove(&key), id_of(&value)) {
                (Some((want, _)), Some(got)) if want == got => {}
                (Some((want, kind)), got) => report.problems.push(format!(
                    "{} points to {got:?}, but {kind} {want} claims it",
                    show(&key)
                )),
                (None, got) => report.problems.push(format!(
                    "{} points to {got:?}, but no record claims it",
                    show(&key)
                )),
            }
        } else if key.starts_with(b"mx/") {
            report.multi_entries += 1;
            if e.multi.remove(&key).is_none() {
                report
                    .problems
                    .push(format!("{} belongs to no record", show(&key)));
            }
        } else if key == b"meta/next_id" {
            next_id = id_of(&value);
        } else if !key.starts_with(b"meta/") {
            let kind = kind_of(&key);
            let id = show(&key)
                .rsplit('/')
                .next()
                .and_then(|h| u64::from_str_radix(h, 16).ok());
            match id {
                Some(id) => {
                    stored.insert((kind, id));
                }
                None => report
                    .problems
                    .push(format!("unexpected key {}", show(&key))),
            }
        }
    }
    for (key, (id, kind)) in &e.unique {
        report.problems.push(format!(
            "{kind} {id} claims {} but the entry is missing",
            show(key)
        ));
    }
    for (key, kind) in &e.multi {
        report.problems.push(format!(
            "a {kind} record claims {} but the entry is missing",
            show(key)
        ));
    }
    for (kind, id) in stored.difference(&e.records) {
        if e.kinds.contains(kind.as_str()) {
            report
                .problems
                .push(format!("{kind} {id}: stored under another id than its own"));
        } else {
            report.problems.push(format!(
                "{kind} {id}: a record kind this walk does not know; add its type to walk_all in tests/it/kill_loop/indexes.rs"
            ));
        }
    }
    for (kind, id) in e.records.difference(&stored) {
        report
            .problems
            .push(format!("{kind} {id}: decoded but not under its key"));
    }
    let max_id = e
        .records
        .iter()
        .filter(|(kind, _)| !e.uncounted.contains(kind.as_str()))
        .map(|(_, id)| *id)
        .max()
        .unwrap_or(0);
    match next_id {
        Some(n) if n > max_id => {}
        other => report.problems.push(format!(
            "meta/next_id is {other:?} but a record has id {max_id}: ids would be reused"
        )),
    }
    Ok(report)
}
