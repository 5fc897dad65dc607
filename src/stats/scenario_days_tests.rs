//! Unit tests of `scenario_days.rs` (per scenario and day counters), kept apart so the
//! code stays short.

use super::*;

#[test]
fn day_ids_are_not_the_id_counters() {
    // A day's id is far above the counter; the store check and backups leave such
    // ids out of the counter's bound, so neither calls the store broken nor moves
    // the counter up to them.
    let store = Store::memory();
    let at = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 6, 1, 8, 0, 0).unwrap();
    store.write(|tx| bump(tx, 9, at, |d| d.fired += 1)).unwrap();
    let id = day_id(9, day_of(at)).unwrap();
    assert!(store.get::<ScenarioDay>(id).unwrap().is_some());
    let summary = crate::backup::check::check(&store).unwrap();
    assert!(summary.next_id < id, "{} < {id}", summary.next_id);
    assert_eq!(summary.records.get("scenday"), Some(&1));
}

fn day(day: i64, f: impl FnOnce(&mut ScenarioDay)) -> ScenarioDay {
    let mut d = ScenarioDay {
        day,
        ..Default::default()
    };
    f(&mut d);
    d
}

#[test]
fn ids_are_contiguous_per_scenario() {
    assert_eq!(day_id(3, 0), Some(3 << 20));
    assert_eq!(day_id(3, 20_000), Some((3 << 20) | 20_000));
    assert!(day_id(3, -1).is_none());
    assert!(day_id(3, 1 << 20).is_none());
    assert!(day_id(u64::MAX, 1).is_none());
    assert!(day_id(3, 20_000) < day_id(4, 0));
}

#[test]
fn buckets_double() {
    assert_eq!(bucket(0), 0);
    assert_eq!(bucket(59), 0);
    assert_eq!(bucket(60), 1);
    assert_eq!(bucket(119), 1);
    assert_eq!(bucket(120), 2);
    assert_eq!(bucket(3 * 3600), 8); // 180 min: 128–255
    assert_eq!(bucket(-5), 0);
    assert_eq!(bucket(i64::MAX), (BUCKETS - 1) as u8);
    // the middle lies inside its bucket
    for b in 1..BUCKETS as u8 - 1 {
        assert_eq!(bucket(bucket_middle(b)), b);
    }
}

#[test]
fn window_sums_and_open_tasks() {
    let today = 20_000;
    let mut d1 = day(today, |d| {
        d.evaluated = 10;
        d.fired = 3;
        d.errors = 1;
    });
    d1.ended(
        Ended::Finished {
            late: true,
            commented: true,
        },
        2 * 3600,
    );
    d1.ended(Ended::AutoClosed, 7200);
    let d2 = day(today - 29, |d| d.fired = 2);
    let old = day(today - 30, |d| {
        d.fired = 7;
        d.evaluated = 100;
    });
    let s = Summary::of(&[d1, d2, old], today);
    assert_eq!((s.evaluated, s.fired, s.errors), (10, 5, 1));
    assert_eq!((s.finished, s.auto_closed, s.open), (1, 1, 3));
    assert_eq!(s.late_share, Some(1.0));
    assert_eq!(s.median_finish_secs.map(bucket), Some(bucket(2 * 3600)));
    assert_eq!(s.per_day.len(), 30);
    assert_eq!((s.per_day[0], s.per_day[29]), (2, 3));
    assert_eq!(s.fired_total, 12, "all time");
    assert!(!s.noisy);
}

#[test]
fn median_of_the_histogram() {
    let mut d = day(1, |_| {});
    for secs in [30, 90, 90, 4000, 100_000] {
        d.ended(
            Ended::Finished {
                late: false,
                commented: true,
            },
            secs,
        );
    }
    let s = Summary::of(&[d], 1);
    assert_eq!(s.median_finish_secs.map(bucket), Some(bucket(90)));
    assert_eq!(s.late_share, Some(0.0));
    assert!(Summary::of(&[], 1).median_finish_secs.is_none());
}

#[test]
fn noisy_when_most_close_at_once_or_finish_silently() {
    let quick = day(1, |d| {
        d.fired = 6;
        for _ in 0..4 {
            d.ended(Ended::AutoClosed, 600);
        }
        d.ended(Ended::AutoClosed, 7200);
    });
    assert!(Summary::of(&[quick], 1).noisy);
    let silent = day(1, |d| {
        d.fired = 5;
        for _ in 0..3 {
            d.ended(
                Ended::Finished {
                    late: false,
                    commented: false,
                },
                120,
            );
        }
        d.ended(
            Ended::Finished {
                late: false,
                commented: true,
            },
            120,
        );
        d.ended(
            Ended::Finished {
                late: false,
                commented: false,
            },
            3600,
        );
    });
    assert!(Summary::of(&[silent], 1).noisy);
    let few = day(1, |d| {
        d.fired = 2;
        d.ended(Ended::AutoClosed, 60);
        d.ended(Ended::AutoClosed, 60);
    });
    assert!(!Summary::of(&[few], 1).noisy, "too few to judge");
}
