//! The rules of the schedule and the cursor, over plain data: when a connector runs
//! next, which cursor value wins, the URL a fetch asks for, and a CSV answer as the
//! payload its mapping reads.

use std::cmp::Ordering;

use chrono::{DateTime, Duration, Utc};
use reqwest::Url;
use serde_json::{Map, Value};

use super::model::CursorSpec;
use crate::erp::upload::table;

/// The longest wait after failures, however many.
pub const MAX_BACKOFF_SECS: u64 = 6 * 3600;

/// When to run next after a run at `now`, and the failures in a row since the last
/// success. A failure doubles the wait (interval × 2^failures), capped at
/// [`MAX_BACKOFF_SECS`] (or the interval, when that is longer): a server that is down
/// is not hammered, and is tried again within hours at most.
pub fn next_run(
    ok: bool,
    failures: u32,
    interval_secs: u64,
    now: DateTime<Utc>,
) -> (u32, DateTime<Utc>) {
    let failures = if ok { 0 } else { failures.saturating_add(1) };
    let factor = 1u64.checked_shl(failures.min(20)).unwrap_or(u64::MAX);
    let wait = interval_secs
        .saturating_mul(factor)
        .min(MAX_BACKOFF_SECS.max(interval_secs));
    let wait = Duration::try_seconds(i64::try_from(wait).unwrap_or(i64::MAX))
        .unwrap_or(Duration::hours(6));
    (failures, now.checked_add_signed(wait).unwrap_or(now))
}

/// The URL of the next fetch: `url` with the cursor as a query parameter (replacing
/// one of the same name already in the URL).
pub fn fetch_url(url: &str, cursor: Option<(&CursorSpec, &str)>) -> Result<Url, String> {
    let mut u = Url::parse(url).map_err(|e| format!("the URL is not valid: {e}"))?;
    if let Some((spec, value)) = cursor {
        let kept: Vec<(String, String)> = u
            .query_pairs()
            .filter(|(k, _)| *k != spec.param.as_str())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let mut q = u.query_pairs_mut();
        q.clear();
        for (k, v) in &kept {
            q.append_pair(k, v);
        }
        q.append_pair(&spec.param, value);
        drop(q);
    }
    Ok(u)
}

/// The cursor field's value in one mapped record, as written: a string as it is, a
/// number as its JSON text. `id` reads the record's id.
pub fn cursor_of(field: &str, record_id: &str, data: &Value) -> Option<String> {
    match data.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => None,
        None if field == "id" => Some(record_id.to_string()),
        None => None,
    }
}

/// Orders two cursor values the way a user means them: as integers when both are, as
/// times when both are RFC 3339 times, as numbers when both are, else as text.
pub fn compare(a: &str, b: &str) -> Ordering {
    if let (Ok(x), Ok(y)) = (a.parse::<i128>(), b.parse::<i128>()) {
        return x.cmp(&y);
    }
    if let (Ok(x), Ok(y)) = (
        DateTime::parse_from_rfc3339(a),
        DateTime::parse_from_rfc3339(b),
    ) {
        return x.cmp(&y);
    }
    if let (Ok(x), Ok(y)) = (a.parse::<f64>(), b.parse::<f64>()) {
        if x.is_finite() && y.is_finite() {
            return x.total_cmp(&y);
        }
    }
    a.cmp(b)
}

/// The highest of the values seen, starting from the stored one.
pub fn advance<'a>(
    stored: Option<&str>,
    seen: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let mut best = stored.map(str::to_string);
    for v in seen {
        if best
            .as_deref()
            .is_none_or(|b| compare(v, b) == Ordering::Greater)
        {
            best = Some(v.to_string());
        }
    }
    best
}

/// A CSV answer as a list of objects, one per data row, keyed by the header; cells are
/// strings as written (the upload's reader: BOM, UTF-8 or UTF-16, quoted cells).
pub fn csv_payload(bytes: &[u8]) -> Result<Value, String> {
    let t = table::parse("answer.csv", bytes).map_err(|e| format!("the CSV answer: {e}"))?;
    let rows = t
        .rows
        .into_iter()
        .map(|row| {
            let obj: Map<String, Value> = t.columns.iter().cloned().zip(row.cells).collect();
            Value::Object(obj)
        })
        .collect();
    Ok(Value::Array(rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 8, 0, 0).unwrap()
    }

    #[test]
    fn failures_back_off_and_success_resets() {
        let (f, next) = next_run(true, 3, 300, at());
        assert_eq!((f, next), (0, at() + Duration::seconds(300)));
        let (f, next) = next_run(false, 0, 300, at());
        assert_eq!((f, next), (1, at() + Duration::seconds(600)));
        let (f, next) = next_run(false, 2, 300, at());
        assert_eq!((f, next), (3, at() + Duration::seconds(2400)));
        // capped at six hours, whatever the count
        let (f, next) = next_run(false, 60, 300, at());
        assert_eq!((f, next), (61, at() + Duration::hours(6)));
        let (_, next) = next_run(false, u32::MAX, 300, at());
        assert_eq!(next, at() + Duration::hours(6));
        // an interval longer than the cap is never shortened
        let (_, next) = next_run(false, 5, 86_400, at());
        assert_eq!(next, at() + Duration::days(1));
    }

    #[test]
    fn the_cursor_goes_into_the_query() {
        let spec = CursorSpec {
            field: "updated_at".into(),
            param: "since".into(),
        };
        let u = fetch_url("https://erp.example.com/api/orders?limit=100", None).unwrap();
        assert_eq!(u.as_str(), "https://erp.example.com/api/orders?limit=100");
        let u = fetch_url(
            "https://erp.example.com/api/orders?limit=100&since=old",
            Some((&spec, "2026-06-01T08:00:00+08:00")),
        )
        .unwrap();
        assert_eq!(
            u.as_str(),
            "https://erp.example.com/api/orders?limit=100&since=2026-06-01T08%3A00%3A00%2B08%3A00"
        );
        assert!(fetch_url("not a url", None).is_err());
    }

    #[test]
    fn the_highest_value_wins_as_the_user_means_it() {
        assert_eq!(advance(None, ["9", "10", "2"]).as_deref(), Some("10"));
        assert_eq!(advance(Some("11"), ["9", "10"]).as_deref(), Some("11"));
        assert_eq!(
            advance(None, ["2026-06-01T10:00:00+08:00", "2026-06-01T03:00:00Z"]).as_deref(),
            Some("2026-06-01T03:00:00Z")
        );
        assert_eq!(advance(None, ["1.5", "1.25"]).as_deref(), Some("1.5"));
        assert_eq!(advance(None, ["b", "a"]).as_deref(), Some("b"));
        assert_eq!(advance(None, []), None);
        // a value is kept as written: 00123 is not 123
        assert_eq!(advance(None, ["00123"]).as_deref(), Some("00123"));
    }

    #[test]
    fn cursor_values_are_read_as_written() {
        let d = json!({"updated_at": "2026-06-01", "seq": 42, "flag": true, "empty": ""});
        assert_eq!(
            cursor_of("updated_at", "A", &d).as_deref(),
            Some("2026-06-01")
        );
        assert_eq!(cursor_of("seq", "A", &d).as_deref(), Some("42"));
        assert_eq!(cursor_of("flag", "A", &d), None);
        assert_eq!(cursor_of("empty", "A", &d), None);
        assert_eq!(cursor_of("id", "A-7", &d).as_deref(), Some("A-7"));
        assert_eq!(cursor_of("missing", "A", &d), None);
    }

    #[test]
    fn a_csv_answer_is_a_list_of_rows_as_written() {
        let p = csv_payload(b"id,sku,qty\nSO-1,00123,5\nSO-2,,7\n").unwrap();
        assert_eq!(
            p,
            json!([
                {"id": "SO-1", "sku": "00123", "qty": "5"},
                {"id": "SO-2", "sku": "", "qty": "7"}
            ])
        );
        assert!(csv_payload(b"").is_err());
    }
}
