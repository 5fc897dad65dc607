//! The one registry of stored record kinds.
//!
//! Backups carry records and not their index entries, so restore must know, for every
//! key prefix, which type the value is and which index entries it claims. A kind
//! missing here makes restore refuse backups that hold it; the test beside this file
//! finds every `impl Record for` in the sources so a new kind cannot be forgotten.

use crate::store::{decode, Record, StoreError};

/// What one stored record claims in the indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub id: u64,
    /// Unique index entries `(index, value)`: at most one record per value.
    pub unique: Vec<(&'static str, String)>,
    /// Non-unique index entries `(index, value)`.
    pub multi: Vec<(&'static str, String)>,
}

/// One record kind: its key prefix and how to read the index entries it claims.
pub struct Kind {
    /// The key prefix, `Record::KIND`.
    pub name: &'static str,
    /// The Rust type, for the completeness test.
    pub type_name: &'static str,
    claims: fn(&[u8]) -> Result<Claims, StoreError>,
}

impl Kind {
    /// Decodes a stored value of this kind (refusing one that does not decode or is
    /// newer than this build reads) and lists what it claims.
    pub fn claims(&self, value: &[u8]) -> Result<Claims, StoreError> {
        (self.claims)(value)
    }
}

fn claims_of<R: Record>(value: &[u8]) -> Result<Claims, StoreError> {
    let record: R = decode(value)?;
    let mut unique = record.unique_keys();
    let mut multi = record.multi_keys();
    // The same entry claimed twice is one entry in the store.
    unique.sort();
    unique.dedup();
    multi.sort();
    multi.dedup();
    Ok(Claims {
        id: record.id(),
        unique,
        multi,
    })
}

macro_rules! kinds {
    ($($t:ty),* $(,)?) => {
        /// Every durable record kind.
        pub static KINDS: &[Kind] = &[$(Kind {
            name: <$t as Record>::KIND,
            type_name: stringify!($t),
            claims: claims_of::<$t>,
        }),*];
    };
}

kinds![
    crate::audit::AuditEvent,
    crate::auth::token::ApiToken,
    crate::board::announce::Announcement,
    crate::board::announce::AnnouncementRead,
    crate::board::feedback::Feedback,
    crate::board::news::Feed,
    crate::board::news::NewsItem,
    crate::delivery::model::DeliverySettings,
    crate::delivery::model::OutboxItem,
    crate::delivery::model::ProjectWebhook,
    crate::delivery::model::UserWebhook,
    crate::erp::model::ErpRecord,
    crate::erp::model::ErpVersion,
    crate::flow::model::Task,
    crate::inbox::model::Message,
    crate::org::model::Department,
    crate::org::model::User,
    crate::personal::PreferenceRecord,
    crate::projects::model::Project,
    crate::scenarios::model::Scenario,
    crate::scenarios::model::ScenarioState,
    crate::stats::record::DueMark,
    crate::stats::record::StatCounter,
    crate::stats::record::StatsMeta,
    crate::stats::record::TallyRecord,
    crate::tasks::comments::Comment,
    crate::tasks::log::LogEntry,
    crate::tasks::templates::Template,
];

/// The kind stored under key prefix `name`.
pub fn find(name: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.name == name)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    fn record_impls(dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                // the store's own tests define throwaway kinds
                if !path.ends_with("store") {
                    record_impls(&path, out);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for line in text.lines() {
                    if let Some(rest) = line.trim().strip_prefix("impl Record for ") {
                        let name: String = rest
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        out.insert(name);
                    }
                }
            }
        }
    }

    #[test]
    fn every_record_kind_is_registered() {
        let mut found = BTreeSet::new();
        record_impls(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut found);
        assert!(found.len() >= 20, "the scan found too little: {found:?}");
        let registered: BTreeSet<String> = KINDS
            .iter()
            .map(|k| k.type_name.rsplit("::").next().unwrap().trim().to_string())
            .collect();
        let missing: Vec<_> = found.difference(&registered).collect();
        assert!(missing.is_empty(), "add to backup::kinds::KINDS: {missing:?}");
    }

    #[test]
    fn kind_names_are_distinct_and_not_reserved() {
        let names: BTreeSet<&str> = KINDS.iter().map(|k| k.name).collect();
        assert_eq!(names.len(), KINDS.len());
        for reserved in ["ix", "mx", "meta"] {
            assert!(!names.contains(reserved));
        }
    }
}
