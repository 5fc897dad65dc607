//! Times and money as scripts see them: the parsers behind `parse_time`, `cents`,
//! `days_since` and friends, each failing with a script error. Apart from
//! `engine.rs` because the ERP columns parse with them too, not only scripts.

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use rhai::{Dynamic, EvalAltResult};

use super::{ctx, err};

/// Seconds since the epoch from RFC 3339, `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DD` (UTC).
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp());
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S") {
        return Some(t.and_utc().timestamp());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp())
}

pub(crate) fn time_of(v: &Dynamic) -> Result<i64, Box<EvalAltResult>> {
    if let Ok(i) = v.as_int() {
        return Ok(i);
    }
    if let Some(s) = v.read_lock::<rhai::ImmutableString>() {
        return time_of_str(&s);
    }
    err(format!(
        "expected a time (string or seconds), got {}",
        v.type_name()
    ))
}

pub(super) fn time_of_str(s: &str) -> Result<i64, Box<EvalAltResult>> {
    parse_time(s).map_or_else(|| err(format!("'{s}' is not a time")), Ok)
}

/// Exact money in minor units (cents/分): "5000.50" → 500050. Floats are rounded.
pub fn cents_of(v: &Dynamic) -> Result<i64, Box<EvalAltResult>> {
    if let Ok(i) = v.as_int() {
        return int_cents(i).map_or_else(|| err(format!("{i} is too large")), Ok);
    }
    if let Ok(f) = v.as_float() {
        return Ok(float_cents(f));
    }
    if let Some(s) = v.read_lock::<rhai::ImmutableString>() {
        return cents_of_str(&s);
    }
    err(format!("expected an amount, got {}", v.type_name()))
}

/// "5,000.50" → 500050 (see [`crate::money::parse_cents`]), as a script error.
pub fn cents_of_str(s: &str) -> Result<i64, Box<EvalAltResult>> {
    use crate::money::{parse_cents, MoneyError};
    match parse_cents(s) {
        Ok(c) => Ok(c),
        Err(MoneyError::Malformed) => {
            err(format!("'{s}' is not an amount with at most two decimals"))
        }
        Err(MoneyError::TooLarge) => err(format!("'{s}' is too large")),
    }
}

pub fn int_cents(i: i64) -> Option<i64> {
    i.checked_mul(100)
}

pub fn float_cents(f: f64) -> i64 {
    (f * 100.0).round() as i64
}

pub const DAY: i64 = 86_400;
pub const HOUR: i64 = 3_600;

/// `unit`s (`DAY`, `HOUR`) from `t` to `now`, both in seconds; `None` on overflow.
pub fn elapsed(now: i64, t: i64, unit: i64) -> Option<f64> {
    now.checked_sub(t).map(|d| d as f64 / unit as f64)
}

pub(super) fn since(t: i64, unit: i64) -> Result<f64, Box<EvalAltResult>> {
    match ctx(|c| elapsed(c.now.timestamp(), t, unit))? {
        Some(d) => Ok(d),
        None => err(format!("{t} is not a time")),
    }
}

pub(super) fn seconds(n: i64, unit: i64) -> Result<i64, Box<EvalAltResult>> {
    n.checked_mul(unit)
        .map_or_else(|| err(format!("{n} is too large")), Ok)
}
