use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::script::ScriptError;
use crate::stats::scenario_days::Summary;
use crate::store::Record;
use crate::time::time_key;

/// A stored scenario: its source and what happened when it ran.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Scenario {
    pub id: u64,
    pub rev: u64,
    /// `const ID` of the script.
    pub key: String,
    pub name: String,
    pub watches: String,
    pub source: String,
    /// +1 on every saved change of the source.
    pub version: u64,
    pub enabled: bool,
    /// Times fired: as stored before analytics, plus the sum of its analytics days
    /// (a firing no longer rewrites the scenario; see `with_analytics`).
    pub fired_count: u64,
    pub last_fired_at: Option<DateTime<Utc>>,
    pub last_error: Option<ScriptError>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
    /// The user tasks are created in the name of (who saved the scenario).
    pub owner_id: Option<u64>,
    /// Why Baton switched the scenario off (it kept running past its limits); cleared
    /// when an admin enables it again.
    #[serde(default)]
    pub quarantined: Option<String>,
    /// The last 30 days (`stats::scenario_days`): filled in for answers, never stored.
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub analytics: Option<Summary>,
}

impl Record for Scenario {
    const KIND: &'static str = "scenario";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![("scenario_key", self.key.clone())]
    }
}

/// Per scenario and record: the last result, the open task, the next time to look.
/// The layout before schema 5 (one record per pair, with a unique index entry), which
/// keeps them per ERP record instead (`scenarios::states`); read only by its step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioState {
    pub id: u64,
    pub rev: u64,
    pub scenario: String,
    pub kind: String,
    pub record_id: String,
    pub active: bool,
    pub open_task: Option<u64>,
    pub wake_at: Option<DateTime<Utc>>,
}

pub fn state_key(scenario: &str, kind: &str, record_id: &str) -> String {
    format!("{scenario}/{kind}/{record_id}")
}

pub const IX_WAKE: &str = "scenario_wake";

impl Record for ScenarioState {
    const KIND: &'static str = "scenstate";
    crate::id_and_rev!();
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        vec![(
            "scenario_state",
            state_key(&self.scenario, &self.kind, &self.record_id),
        )]
    }
    fn multi_keys(&self) -> Vec<(&'static str, String)> {
        self.wake_at
            .map(|w| vec![(IX_WAKE, time_key(w))])
            .unwrap_or_default()
    }
}
