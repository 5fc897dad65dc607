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

/// How many periods back statistics reach (the current one included).
pub const HISTORY: usize = 6;

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

/// The current period and the five before it, newest first.
pub fn recent(kind: PeriodKind, now: DateTime<Utc>, tz: Tz) -> Vec<Period> {
    let mut p = Period::of(kind, now, tz);
    let mut out = Vec::with_capacity(HISTORY);
    for _ in 0..HISTORY {
        out.push(p);
        p = p.prev();
    }
    out
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
    fn recent_lists_six_periods_across_year_ends() {
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
            keys,
            ["2027-W02", "2027-W01", "2026-W53", "2026-W52", "2026-W51", "2026-W50"]
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
