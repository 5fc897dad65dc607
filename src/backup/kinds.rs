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
    /// The id is the id counter's (see `Record::COUNTED_IDS`).
    pub counted: bool,
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
    /// Decodes a stored value of this kind (refusing one that does not decode, is newer
    /// than this build reads, or would take more than [`MAX_DECODE_COST`] to decode)
    /// and lists what it claims.
    pub fn claims(&self, value: &[u8]) -> Result<Claims, StoreError> {
        check_decode_cost(value)?;
        (self.claims)(value)
    }
}

/// The most memory one record may take while it is decoded, as [`decode_cost`]
/// estimates it. A record's decoded form can be many times its JSON text (an object
/// `{"":0}` of 7 bytes becomes a map node of several hundred), so the line length alone
/// does not bound what restore holds; this does.
pub const MAX_DECODE_COST: u64 = 32 << 20;

/// An upper estimate of the bytes decoding the JSON text `value` allocates: the text
/// itself, each value (counted by the brackets, commas and colons outside strings) at
/// what a JSON value in a growing list takes, and each object at one map node.
/// Measured: arrays of 1.4M small values peaked at ~116 bytes a value, 600k small
/// objects at ~750 bytes an object.
pub fn decode_cost(value: &[u8]) -> u64 {
    const PER_VALUE: u64 = 128;
    const PER_OBJECT: u64 = 800;
    let (mut values, mut objects) = (0u64, 0u64);
    let (mut in_string, mut escaped) = (false, false);
    for b in value {
        if in_string {
            match (escaped, *b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match *b {
            b'"' => in_string = true,
            b'{' => {
                objects += 1;
                values += 1;
            }
            b'[' | b',' | b':' => values += 1,
            _ => {}
        }
    }
    (value.len() as u64)
        .saturating_add(values.saturating_mul(PER_VALUE))
        .saturating_add(objects.saturating_mul(PER_OBJECT))
}

/// Refuses a value whose decoding would take more than [`MAX_DECODE_COST`].
pub fn check_decode_cost(value: &[u8]) -> Result<(), StoreError> {
    let cost = decode_cost(value);
    if cost > MAX_DECODE_COST {
        return Err(StoreError::Codec(format!(
            "the record would take about {} MiB to decode, more than the {} MiB a record may take",
            cost >> 20,
            MAX_DECODE_COST >> 20
        )));
    }
    Ok(())
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
        counted: R::COUNTED_IDS,
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
    crate::connectors::model::Connector,
    crate::delivery::model::DeliverySettings,
    crate::delivery::model::OutboxItem,
    crate::delivery::model::ProjectWebhook,
    crate::delivery::model::UserWebhook,
    crate::delivery::write_back::model::ProjectWriteBack,
    crate::delivery::write_back::model::WriteBackTarget,
    crate::delivery::push::model::PushDevices,
    crate::delivery::push::model::VapidKey,
    crate::delivery::apps::model::ChatAppSettings,
    crate::delivery::apps::model::ChatLinks,
    crate::erp::model::ErpRecord,
    crate::erp::model::ErpVersion,
    crate::flow::model::Task,
    crate::hooks::model::HookDelivery,
    crate::hooks::model::InboundHook,
    crate::inbox::model::Message,
    crate::org::model::Department,
    crate::org::model::User,
    crate::org::two_factor::model::TwoFactor,
    crate::org::two_factor::model::TwoFactorPolicy,
    crate::personal::PreferenceRecord,
    crate::projects::model::Project,
    crate::scenarios::model::Scenario,
    crate::scenarios::model::ScenarioState,
    crate::scenarios::versions::ScenarioVersion,
    crate::scenarios::case_store::ScenarioCase,
    crate::scenarios::states::RecordStates,
    crate::stats::scenario_days::ScenarioDay,
    crate::stats::record::DueMark,
    crate::stats::record::StatCounter,
    crate::stats::counters::MemberMonth,
    crate::stats::record::StatsMeta,
    crate::stats::record::TallyRecord,
    crate::tasks::comments::Comment,
    crate::tasks::log::LogEntry,
    crate::tasklog::TaskLog,
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
                    // `impl Record for X`, `impl crate::store::Record for X`, …
                    let line = line.trim();
                    if !line.starts_with("impl") {
                        continue;
                    }
                    let found = line
                        .split_once(" Record for ")
                        .or_else(|| line.split_once("::Record for "));
                    if let Some((_, rest)) = found {
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
        record_impls(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut found,
        );
        assert!(found.len() >= 20, "the scan found too little: {found:?}");
        let registered: BTreeSet<String> = KINDS
            .iter()
            .map(|k| k.type_name.rsplit("::").next().unwrap().trim().to_string())
            .collect();
        let missing: Vec<_> = found.difference(&registered).collect();
        assert!(
            missing.is_empty(),
            "add to backup::kinds::KINDS: {missing:?}"
        );
    }

    #[test]
    fn decode_cost_counts_values_and_objects_outside_strings() {
        assert_eq!(decode_cost(b"12"), 2);
        assert_eq!(decode_cost(br#"[1,2]"#), 5 + 2 * 128);
        assert_eq!(decode_cost(br#"{"a":1}"#), 7 + 2 * 128 + 800);
        // brackets, commas and escaped quotes inside strings count for nothing
        assert_eq!(decode_cost(br#""{[,:\"]}""#), 10);
        let hostile = format!("[{}0]", r#"{"":0},"#.repeat(100_000));
        assert!(check_decode_cost(hostile.as_bytes()).is_err());
        let ordinary = serde_json::json!({"v": 1, "d": {"id": 1, "rev": 1,
            "data": (0..2000).map(|i| serde_json::json!({"sku": format!("S{i}"), "qty": i, "status": "open"})).collect::<Vec<_>>()}});
        assert!(check_decode_cost(ordinary.to_string().as_bytes()).is_ok());
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
