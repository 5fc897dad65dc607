//! Statistics periods: calendar months and ISO weeks in the company's time zone.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Month,
    Week,
}

/// One month (`2026-11`) or one ISO week (`2026-W47`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    pub kind: PeriodKind,
    /// Calendar year for months, ISO week-numbering year for weeks.
    pub year: i32,
    /// Month 1..=12 or ISO week 1..=53.
    pub num: u32,
}

/// How many months back statistics reach (the current one included). Weeks reach
/// as far: every ISO week that touches one of these months (see [`recent`]).
pub const HISTORY: usize = 6;

/// More ISO weeks than six months can touch (at most 28), so a broken calendar
/// computation cannot loop.
const MAX_WEEKS: usize = 30;

impl Period {
    /// The period containing instant `at`, seen in time zone `tz`.
    pub fn of(kind: PeriodKind, at: DateTime<Utc>, tz: Tz) -> Period {
        let local = at.with_timezone(&tz).date_naive();
        Self::of_date(kind, local)
    }

    fn of_date(kind: PeriodKind, d: NaiveDate) -> Period {
        match kind {
            PeriodKind::Month => Period {
                kind,
                year: d.year(),
                num: d.month(),
            },
            PeriodKind::Week => {
                let w = d.iso_week();
                Period {
                    kind,
                    year: w.year(),
                    num: w.week(),
                }
            }
        }
    }

    /// Both periods (month, week) an instant belongs to.
    pub fn both(at: DateTime<Utc>, tz: Tz) -> [Period; 2] {
        [
            Self::of(PeriodKind::Month, at, tz),
            Self::of(PeriodKind::Week, at, tz),
        ]
    }

    /// `2026-11` or `2026-W47`.
    pub fn key(&self) -> String {
        match self.kind {
            PeriodKind::Month => format!("{:04}-{:02}", self.year, self.num),
            PeriodKind::Week => format!("{:04}-W{:02}", self.year, self.num),
        }
    }

    /// Parses a key of the given kind; the message says what is wrong.
    pub fn parse(kind: PeriodKind, s: &str) -> Result<Period, String> {
        let bad = || match kind {
            PeriodKind::Month => format!("'{s}' is not a month like 2026-11"),
            PeriodKind::Week => format!("'{s}' is not an ISO week like 2026-W47"),
        };
        let (y, rest) = s.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let digits = match kind {
            PeriodKind::Month => rest,
            PeriodKind::Week => rest.strip_prefix('W').ok_or_else(bad)?,
        };
        if digits.len() != 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let num: u32 = digits.parse().map_err(|_| bad())?;
        let ok = match kind {
            PeriodKind::Month => (1..=12).contains(&num),
            PeriodKind::Week => {
                num >= 1 && NaiveDate::from_isoywd_opt(year, num, chrono::Weekday::Mon).is_some()
            }
        };
        if !ok {
            return Err(bad());
        }
        Ok(Period { kind, year, num })
    }

    /// The month whose stored counters hold this period's figures: the month itself,
    /// or for an ISO week the month of its Thursday (the day that decides its year).
    pub fn home_month(&self) -> Option<String> {
        match self.kind {
            PeriodKind::Month => Some(self.key()),
            PeriodKind::Week => {
                NaiveDate::from_isoywd_opt(self.year, self.num, chrono::Weekday::Thu)
                    .map(|d| format!("{:04}-{:02}", d.year(), d.month()))
            }
        }
    }

    /// A month (`2026-11`) or ISO week (`2026-W47`) key of either kind.
    pub fn parse_any(s: &str) -> Result<Period, String> {
        let kind = if s.contains("-W") {
            PeriodKind::Week
        } else {
            PeriodKind::Month
        };
        Self::parse(kind, s)
    }

    /// First local day of the period.
    pub fn first_day(&self) -> Option<NaiveDate> {
        match self.kind {
            PeriodKind::Month => NaiveDate::from_ymd_opt(self.year, self.num, 1),
            PeriodKind::Week => {
                NaiveDate::from_isoywd_opt(self.year, self.num, chrono::Weekday::Mon)
            }
        }
    }

    /// The period before this one.
    pub fn prev(&self) -> Period {
        match self.kind {
            PeriodKind::Month if self.num == 1 => Period {
                kind: self.kind,
                year: self.year - 1,
                num: 12,
            },
            PeriodKind::Month => Period {
                num: self.num - 1,
                ..*self
            },
            PeriodKind::Week => match self.first_day() {
                Some(d) => Self::of_date(PeriodKind::Week, d - Duration::days(7)),
                None => *self,
            },
        }
    }

    /// The period after this one.
    pub fn next(&self) -> Period {
        match self.kind {
            PeriodKind::Month if self.num == 12 => Period {
                kind: self.kind,
                year: self.year + 1,
                num: 1,
            },
            PeriodKind::Month => Period {
                num: self.num + 1,
                ..*self
            },
            PeriodKind::Week => match self.first_day() {
                Some(d) => Self::of_date(PeriodKind::Week, d + Duration::days(7)),
                None => *self,
            },
        }
    }

    /// Start and end (exclusive) of the period as instants, in zone `tz`.
    pub fn bounds(&self, tz: Tz) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let start = local_midnight(self.first_day()?, tz)?;
        let end = local_midnight(self.next().first_day()?, tz)?;
        Some((start, end))
    }
}

fn local_midnight(d: NaiveDate, tz: Tz) -> Option<DateTime<Utc>> {
    let naive = d.and_hms_opt(0, 0, 0)?;
    // A zone may skip midnight (DST); take the earliest valid instant after it.
    tz.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(naive + Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
}

/// The periods statistics offer, newest first. Months: the current one and the five
/// before it. Weeks: the same six months, so from the current ISO week back to the
/// week holding the first day of the oldest of those months (22 to 28 weeks; the
/// original product offers six months of data, weekly as well as monthly).
pub fn recent(kind: PeriodKind, now: DateTime<Utc>, tz: Tz) -> Vec<Period> {
    let mut p = Period::of(PeriodKind::Month, now, tz);
    let mut months = Vec::with_capacity(HISTORY);
    for _ in 0..HISTORY {
        months.push(p);
        p = p.prev();
    }
    if kind == PeriodKind::Month {
        return months;
    }
    let oldest = months.last().and_then(Period::first_day);
    let mut w = Period::of(PeriodKind::Week, now, tz);
    let mut weeks = Vec::with_capacity(MAX_WEEKS);
    while weeks.len() < MAX_WEEKS {
        weeks.push(w);
        match (w.first_day(), oldest) {
            (Some(monday), Some(first)) if monday > first => w = w.prev(),
            _ => break,
        }
    }
    weeks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn months_and_weeks_follow_the_company_zone() {
        let sh: Tz = "Asia/Shanghai".parse().unwrap();
        // 2026-10-31 17:00 UTC is already 1 November in Shanghai (UTC+8).
        let at = t("2026-10-31T17:00:00Z");
        assert_eq!(Period::of(PeriodKind::Month, at, sh).key(), "2026-11");
        assert_eq!(Period::of(PeriodKind::Month, at, Tz::UTC).key(), "2026-10");
        // Sunday 2026-11-22 20:00 UTC is Monday 23 November in Shanghai: week 48.
        let at = t("2026-11-22T20:00:00Z");
        assert_eq!(Period::of(PeriodKind::Week, at, Tz::UTC).key(), "2026-W47");
        assert_eq!(Period::of(PeriodKind::Week, at, sh).key(), "2026-W48");
    }

    #[test]
    fn iso_week_year_differs_from_calendar_year() {
        // 2027-01-01 is a Friday: ISO week 53 of 2026.
        let at = t("2027-01-01T12:00:00Z");
        assert_eq!(Period::of(PeriodKind::Week, at, Tz::UTC).key(), "2026-W53");
        assert_eq!(Period::of(PeriodKind::Month, at, Tz::UTC).key(), "2027-01");
    }

    #[test]
    fn parse_round_trips_and_rejects_junk() {
        for s in ["2026-11", "2026-01", "1999-12"] {
            assert_eq!(Period::parse(PeriodKind::Month, s).unwrap().key(), s);
        }
        for s in ["2026-W47", "2026-W53", "2026-W01"] {
            assert_eq!(Period::parse(PeriodKind::Week, s).unwrap().key(), s);
        }
        for s in [
            "2026-13", "2026-00", "2026-1", "26-11", "2026/11", "", "2026-W47", "x",
        ] {
            assert!(Period::parse(PeriodKind::Month, s).is_err(), "{s}");
        }
        // 2025 has 52 ISO weeks.
        for s in ["2025-W53", "2026-W00", "2026-47", "2026-W7", "2026-11"] {
            assert!(Period::parse(PeriodKind::Week, s).is_err(), "{s}");
        }
    }

    #[test]
    fn recent_lists_six_months_and_their_weeks_across_year_ends() {
        let keys: Vec<String> = recent(PeriodKind::Month, t("2027-02-10T00:00:00Z"), Tz::UTC)
            .iter()
            .map(Period::key)
            .collect();
        assert_eq!(
            keys,
            ["2027-02", "2027-01", "2026-12", "2026-11", "2026-10", "2026-09"]
        );
        let keys: Vec<String> = recent(PeriodKind::Week, t("2027-01-13T00:00:00Z"), Tz::UTC)
            .iter()
            .map(Period::key)
            .collect();
        assert_eq!(
            keys[..6],
            ["2027-W02", "2027-W01", "2026-W53", "2026-W52", "2026-W51", "2026-W50"]
        );
        // Back to the week holding Saturday 1 August 2026, six months ago.
        assert_eq!(keys.last().map(String::as_str), Some("2026-W31"));
    }

    fn keys(kind: PeriodKind, now: &str, tz: Tz) -> Vec<String> {
        recent(kind, t(now), tz).iter().map(Period::key).collect()
    }

    #[test]
    fn weeks_reach_back_over_the_same_six_months() {
        // Saturday 28 Nov 2026: the months are June to November; 1 June is a Monday,
        // so week 23 (1-7 June) is the oldest, week 48 the newest: 26 weeks.
        let w = keys(PeriodKind::Week, "2026-11-28T12:00:00Z", Tz::UTC);
        assert_eq!(w.len(), 26, "{w:?}");
        assert_eq!(w[0], "2026-W48");
        assert_eq!(w[20], "2026-W28", "twenty weeks ago is offered");
        assert_eq!(w.last().map(String::as_str), Some("2026-W23"));
        // Consecutive, newest first, no gaps or repeats.
        for pair in w.windows(2) {
            let a = Period::parse(PeriodKind::Week, &pair[0]).unwrap();
            let b = Period::parse(PeriodKind::Week, &pair[1]).unwrap();
            assert_eq!(a.prev(), b);
        }
        // 1 Sept 2026 is a Tuesday: the week holding it (W36, from 31 Aug) is the
        // oldest in February 2027, across the ISO year end (2026 has 53 weeks).
        let w = keys(PeriodKind::Week, "2027-02-10T00:00:00Z", Tz::UTC);
        assert_eq!(w[0], "2027-W06");
        assert_eq!(w.last().map(String::as_str), Some("2026-W36"));
        assert!(w.contains(&"2026-W53".to_string()));
        assert_eq!(w.len(), 6 + 53 - 36 + 1);
    }

    #[test]
    fn every_day_offers_twenty_weeks_back_and_never_seven_months() {
        let mut now = t("2026-01-01T12:00:00Z");
        while now < t("2029-01-01T00:00:00Z") {
            let w = recent(PeriodKind::Week, now, Tz::UTC);
            assert!((22..=28).contains(&w.len()), "{now}: {}", w.len());
            let of = |d: i64| Period::of(PeriodKind::Week, now - Duration::days(d), Tz::UTC);
            assert!(w.contains(&of(20 * 7)), "{now}: 20 weeks ago");
            assert!(!w.contains(&of(28 * 7)), "{now}: 28 weeks ago");
            // The oldest week holds the first day of the oldest month offered.
            let months = recent(PeriodKind::Month, now, Tz::UTC);
            let first = months[5].first_day().unwrap();
            let oldest = w[w.len() - 1].first_day().unwrap();
            assert!(
                oldest <= first && first < oldest + Duration::days(7),
                "{now}"
            );
            now += Duration::days(1);
        }
    }

    #[test]
    fn the_week_window_follows_the_company_zone() {
        let sh: Tz = "Asia/Shanghai".parse().unwrap();
        // Sunday 31 May 2026 20:00 UTC is Monday 1 June 04:00 in Shanghai, so the
        // months there are January to June and the current week is W23.
        let at = "2026-05-31T20:00:00Z";
        assert_eq!(keys(PeriodKind::Week, at, sh)[0], "2026-W23");
        assert_eq!(keys(PeriodKind::Week, at, Tz::UTC)[0], "2026-W22");
        // 1 Jan 2026 is a Thursday, in 2026-W01 (from Mon 29 Dec 2025).
        assert_eq!(
            keys(PeriodKind::Week, at, sh).last().map(String::as_str),
            Some("2026-W01")
        );
        // In UTC the months are December to May; 1 Dec 2025 is a Monday: W49.
        assert_eq!(
            keys(PeriodKind::Week, at, Tz::UTC)
                .last()
                .map(String::as_str),
            Some("2025-W49")
        );
    }

    #[test]
    fn bounds_are_local_midnights() {
        let sh: Tz = "Asia/Shanghai".parse().unwrap();
        let p = Period::parse(PeriodKind::Month, "2026-11").unwrap();
        let (a, b) = p.bounds(sh).unwrap();
        assert_eq!(a, t("2026-10-31T16:00:00Z"));
        assert_eq!(b, t("2026-11-30T16:00:00Z"));
    }
}
