//! Every saved script of a scenario, kept as its own record (`scenver`) keyed by
//! scenario id and version number: a save adds one and never rewrites an older one, so
//! the list is the scenario's history and a task's `scenario_version` can be opened.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::diff::{self, Diff};
use super::model::Scenario;
use crate::actor::Actor;
use crate::error::{ServiceError, ServiceResult};
use crate::org::policy::{require_company_admin, CompanyArea};
use crate::store::{decode_id, index_key, KeyRange, Record, Store, StoreError, WriteTx};

pub const IX_VERSION: &str = "scenario_version";

/// One saved script of a scenario.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScenarioVersion {
    pub id: u64,
    pub rev: u64,
    pub scenario_id: u64,
    /// The scenario's `version` when this script was saved (1, 2, …).
    pub version: u64,
    pub source: String,
    /// The user who saved it; none for the console (`baton rules load`) and Baton.
    pub author_id: Option<u64>,
    /// Their name, or `cli:<file>` for a file loaded with `baton rules load`.
    pub author: String,
    pub saved_at: DateTime<Utc>,
    #[serde(default)]
    pub comment: String,
}

/// `{scenario id}/{version}`, both zero-padded so the index sorts by number.
fn version_key(scenario_id: u64, version: u64) -> String {
    format!("{scenario_id:020}/{version:020}")
}

fn scenario_prefix(scenario_id: u64) -> String {
    format!("{scenario_id:020}/")
}

impl Record for ScenarioVersion {
    const KIND: &'static str = "scenver";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![(IX_VERSION, version_key(self.scenario_id, self.version))]
    }
}

/// Who saved a version and why.
#[derive(Debug, Clone, Default)]
pub struct Authorship {
    /// Overrides the actor's name (`cli:<file>`).
    pub author: Option<String>,
    pub comment: String,
}

/// Adds the version `s` now holds, inside the write that saved it.
pub fn record(
    tx: &mut WriteTx<'_>,
    s: &Scenario,
    actor: &Actor,
    by: &Authorship,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut v = ScenarioVersion {
        id: 0,
        rev: 0,
        scenario_id: s.id,
        version: s.version,
        source: s.source.clone(),
        author_id: actor.user_id,
        author: by.author.clone().unwrap_or_else(|| actor.name.clone()),
        saved_at: now,
        comment: by.comment.clone(),
    };
    tx.insert(&mut v)?;
    Ok(())
}

/// The ids of a scenario's versions, newest first, below version `before` if given.
fn ids_newest_first(
    store: &Store,
    scenario_id: u64,
    before: Option<u64>,
) -> impl Iterator<Item = Result<u64, StoreError>> + '_ {
    let start = index_key(IX_VERSION, &scenario_prefix(scenario_id));
    let end = match before {
        Some(b) => index_key(IX_VERSION, &version_key(scenario_id, b)),
        None => index_key(IX_VERSION, &format!("{scenario_id:020}0")),
    };
    let range = KeyRange::between(start, end);
    (!range.is_empty())
        .then(|| store.scan(range, true))
        .into_iter()
        .flatten()
        .map(|item| item.and_then(|(_, v)| decode_id(&v)))
}

/// One page of versions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionPage {
    pub items: Vec<ScenarioVersion>,
    /// Pass as `before` for the next page; none on the last.
    pub next_before: Option<u64>,
}

fn scenario(store: &Store, id: u64) -> ServiceResult<Scenario> {
    store
        .get::<Scenario>(id)?
        .ok_or_else(|| ServiceError::not_found(format!("scenario {id} not found")))
}

/// Versions newest first, `limit` at a time, below version `before`.
pub fn list(
    store: &Store,
    actor: &Actor,
    scenario_id: u64,
    before: Option<u64>,
    limit: usize,
) -> ServiceResult<VersionPage> {
    require_company_admin(actor, CompanyArea::Scenarios)?;
    scenario(store, scenario_id)?;
    let mut items = Vec::new();
    for id in ids_newest_first(store, scenario_id, before).take(limit.saturating_add(1)) {
        if let Some(v) = store.get::<ScenarioVersion>(id?)? {
            items.push(v);
        }
    }
    let next_before = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|v| v.version)
    } else {
        None
    };
    Ok(VersionPage { items, next_before })
}

/// One version, by number.
pub fn get(
    store: &Store,
    actor: &Actor,
    scenario_id: u64,
    version: u64,
) -> ServiceResult<ScenarioVersion> {
    require_company_admin(actor, CompanyArea::Scenarios)?;
    scenario(store, scenario_id)?;
    store
        .lookup(IX_VERSION, &version_key(scenario_id, version))?
        .map(|id| store.get::<ScenarioVersion>(id))
        .transpose()?
        .flatten()
        .ok_or_else(|| {
            ServiceError::not_found(format!("scenario {scenario_id} has no version {version}"))
        })
}

/// The line diff from version `from` to version `to` (either may be the older).
pub fn diff(
    store: &Store,
    actor: &Actor,
    scenario_id: u64,
    from: u64,
    to: u64,
) -> ServiceResult<Diff> {
    let old = get(store, actor, scenario_id, from)?;
    let new = get(store, actor, scenario_id, to)?;
    Ok(diff::lines(from, &old.source, to, &new.source))
}

/// The ids of every version of a scenario, to delete with it.
pub fn all_ids(store: &Store, scenario_id: u64) -> Result<Vec<u64>, StoreError> {
    ids_newest_first(store, scenario_id, None).collect()
}

/// Schema step: a scenario saved before versions were kept gets its current source as
/// its current version, so no scenario has an empty history.
pub fn keep_current(store: &Store) -> Result<(), StoreError> {
    for s in store.list::<Scenario>()? {
        if store
            .lookup(IX_VERSION, &version_key(s.id, s.version))?
            .is_some()
        {
            continue;
        }
        store.write(|tx| {
            let mut v = ScenarioVersion {
                id: 0,
                rev: 0,
                scenario_id: s.id,
                version: s.version,
                source: s.source.clone(),
                author_id: s.owner_id,
                author: s.updated_by.clone(),
                saved_at: s.updated_at,
                comment: "kept at upgrade (earlier versions were not stored)".into(),
            };
            tx.insert(&mut v)?;
            Ok::<_, StoreError>(())
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(version: u64) -> Scenario {
        Scenario {
            id: 0,
            rev: 0,
            key: "k".into(),
            name: "n".into(),
            watches: "order".into(),
            source: format!("// v{version}"),
            version,
            enabled: true,
            fired_count: 0,
            last_fired_at: None,
            last_error: None,
            last_error_at: None,
            updated_at: Utc::now(),
            updated_by: "zhang".into(),
            owner_id: Some(7),
            quarantined: None,
            analytics: None,
        }
    }

    #[test]
    fn the_upgrade_keeps_the_current_script_once() {
        let store = Store::memory();
        let s = store
            .write(|tx| {
                let mut s = scenario(3);
                tx.insert(&mut s)?;
                Ok::<_, StoreError>(s)
            })
            .unwrap();
        keep_current(&store).unwrap();
        keep_current(&store).unwrap();
        let page = list(&store, &Actor::system(), s.id, None, 10).unwrap();
        assert_eq!(page.items.len(), 1);
        let v = &page.items[0];
        assert_eq!((v.version, v.source.as_str()), (3, "// v3"));
        assert_eq!((v.author.as_str(), v.author_id), ("zhang", Some(7)));
    }

    #[test]
    fn a_deleted_scenario_leaves_no_versions_or_cases_behind() {
        use crate::scenarios::admin::{delete, save_with, SaveOptions, Saved};
        use crate::scenarios::case_store;
        use crate::scenarios::cases::CasesFile;
        use crate::scenarios::registry::Scenarios;
        use crate::scenarios::shipped::SHIPPED;
        let (store, scenarios, actor) = (Store::memory(), Scenarios::new(), Actor::system());
        let (_, src, cases) = SHIPPED[1];
        // no users here, so `responsible(...)` finds no one and the cases fail
        let opts = SaveOptions {
            cases: Some(CasesFile::parse(cases).unwrap().into_cases()),
            save_anyway: true,
            ..SaveOptions::default()
        };
        save_with(&store, &scenarios, &actor, src, opts, Utc::now()).unwrap();
        let changed = format!("{src}\n// changed\n");
        let opts = SaveOptions {
            save_anyway: true,
            ..SaveOptions::default()
        };
        let Ok(Saved::Saved(s)) = save_with(&store, &scenarios, &actor, &changed, opts, Utc::now())
        else {
            panic!("not saved")
        };
        assert_eq!((s.version, all_ids(&store, s.id).unwrap().len()), (2, 2));
        assert_eq!(case_store::of(&store, s.id).unwrap().len(), 3);
        delete(&store, &scenarios, &actor, s.id, Utc::now()).unwrap();
        assert!(all_ids(&store, s.id).unwrap().is_empty());
        assert!(case_store::of(&store, s.id).unwrap().is_empty());
        assert!(store.list::<ScenarioVersion>().unwrap().is_empty());
    }

    #[test]
    fn pages_go_newest_first_and_stop_at_this_scenario() {
        let store = Store::memory();
        let (a, b) = store
            .write(|tx| {
                let (mut a, mut b) = (scenario(1), scenario(1));
                b.key = "other".into();
                tx.insert(&mut a)?;
                tx.insert(&mut b)?;
                for v in 1..=5 {
                    a.version = v;
                    record(tx, &a, &Actor::system(), &Authorship::default(), Utc::now())?;
                }
                record(tx, &b, &Actor::system(), &Authorship::default(), Utc::now())?;
                Ok::<_, StoreError>((a, b))
            })
            .unwrap();
        let actor = Actor::system();
        let first = list(&store, &actor, a.id, None, 2).unwrap();
        let numbers: Vec<u64> = first.items.iter().map(|v| v.version).collect();
        assert_eq!((numbers, first.next_before), (vec![5, 4], Some(4)));
        let last = list(&store, &actor, a.id, Some(2), 2).unwrap();
        assert_eq!(last.items.len(), 1);
        assert_eq!((last.items[0].version, last.next_before), (1, None));
        assert!(list(&store, &actor, a.id, Some(1), 2)
            .unwrap()
            .items
            .is_empty());
        assert_eq!(all_ids(&store, b.id).unwrap().len(), 1);
        assert!(get(&store, &actor, b.id, 2).is_err());
    }
}
