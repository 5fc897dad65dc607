//! Times that come from outside (requests, scripts, files) are checked here, once.
//!
//! chrono's `DateTime + Duration` panics on overflow. Every time a client sends is
//! confined to a sane range at the request boundary, so the arithmetic inside Baton
//! (reminder leads, escalations, statistics periods) cannot overflow; arithmetic on
//! amounts from scripts uses the `checked_*` helpers below.

use chrono::{DateTime, Datelike, Duration, Utc};
use serde::{Deserialize, Deserializer};

/// Earliest year a client may send.
pub const MIN_YEAR: i32 = 2000;
/// Latest year a client may send.
pub const MAX_YEAR: i32 = 2200;

/// `t` if it lies within years [`MIN_YEAR`]..=[`MAX_YEAR`], else a message saying so.
pub fn in_range(t: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if (MIN_YEAR..=MAX_YEAR).contains(&t.year()) {
        Ok(t)
    } else {
        Err(format!(
            "time {t} is out of range: use a time between the years {MIN_YEAR} and {MAX_YEAR}"
        ))
    }
}

/// `now + seconds`, or `None` when the result would leave the accepted range (or
/// overflow). Scripts' `due_in_days` and escalation hours go through this.
pub fn after_seconds(now: DateTime<Utc>, seconds: f64) -> Option<DateTime<Utc>> {
    if !seconds.is_finite() || seconds.abs() > 1e12 {
        return None;
    }
    // |seconds| <= 1e12 fits an i64 and a chrono Duration (± ~292 billion years in ms).
    let d = Duration::try_milliseconds((seconds * 1000.0).round() as i64)?;
    now.checked_add_signed(d).and_then(|t| in_range(t).ok())
}

fn check<E: serde::de::Error>(t: DateTime<Utc>) -> Result<DateTime<Utc>, E> {
    in_range(t).map_err(E::custom)
}

/// `#[serde(default, deserialize_with = "crate::time::option")]` on an
/// `Option<DateTime<Utc>>` request field.
pub fn option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    Option::<DateTime<Utc>>::deserialize(d)?
        .map(check)
        .transpose()
}

/// Like [`crate::patch::some`] for a PATCH time field: absent, `null`, or a checked time.
pub fn patch<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<DateTime<Utc>>>, D::Error> {
    option(d).map(Some)
}

/// Index value for a time: fixed width so lexical order is time order.
pub fn time_key(t: DateTime<Utc>) -> String {
    format!("{:020}", t.timestamp_millis().max(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "super::option")]
        at: Option<DateTime<Utc>>,
        #[serde(default, deserialize_with = "super::patch")]
        due: Option<Option<DateTime<Utc>>>,
    }

    #[test]
    fn extreme_times_are_refused_ordinary_ones_kept() {
        let p = |s: &str| serde_json::from_str::<Body>(s);
        assert!(p(r#"{"at":"-262143-01-01T00:00:00Z"}"#).is_err());
        assert!(p(r#"{"at":"+262142-12-31T23:59:59Z"}"#).is_err());
        assert!(p(r#"{"at":"1999-12-31T23:59:59Z"}"#).is_err());
        assert!(p(r#"{"at":"2201-01-01T00:00:00Z"}"#).is_err());
        assert!(p(r#"{"due":"9999-01-01T00:00:00Z"}"#).is_err());
        let ok = p(r#"{"at":"2026-11-28T10:00:00Z","due":null}"#).unwrap();
        assert!(ok.at.is_some());
        assert_eq!(ok.due, Some(None));
        let absent = p("{}").unwrap();
        assert!(absent.at.is_none() && absent.due.is_none());
    }

    #[test]
    fn script_offsets_never_overflow() {
        let now = Utc::now();
        assert!(after_seconds(now, 86_400.0).is_some());
        assert!(after_seconds(now, 1e12 * 86_400.0).is_none());
        assert!(after_seconds(now, f64::INFINITY).is_none());
        assert!(after_seconds(now, f64::NAN).is_none());
        assert!(after_seconds(now, -1e18).is_none());
        assert!(after_seconds(now, 500.0 * 365.0 * 86_400.0).is_none());
    }
}
