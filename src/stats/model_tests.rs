//! Unit tests of the statistics bookkeeping in `model.rs` (tallies, deltas, folds), kept
//! apart so the model stays short.

use super::*;

const A: u64 = 1;
const B: u64 = 2;
const C: u64 = 3;

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn sh() -> Tz {
    "Asia/Shanghai".parse().unwrap()
}

/// Runs a history of events over several tasks and returns the counters.
fn run(
    tz: Tz,
    tasks: &mut [TaskTally],
    events: &[(usize, Event)],
) -> std::collections::BTreeMap<(u64, String), Counts> {
    let mut all = Vec::new();
    for (i, ev) in events {
        all.extend(tasks[*i].apply(*ev, tz));
    }
    fold(&all)
}

fn counts(m: &std::collections::BTreeMap<(u64, String), Counts>, u: u64, p: &str) -> Counts {
    m.get(&(u, p.to_string())).copied().unwrap_or_default()
}

fn rcv(user: u64, at: &str) -> Event {
    Event::Receive { user, at: t(at) }
}
fn done(user: u64, at: &str, on_time: bool) -> Event {
    Event::Complete {
        user,
        at: t(at),
        on_time,
    }
}

/// A countersign reached at once: every handler received it; a withdrawal before
/// anyone started undoes all those receipts, not only the last.
#[test]
fn a_withdrawal_undoes_every_receipt_of_a_countersign() {
    let also = |user, at: &str| Event::ReceiveAlso { user, at: t(at) };
    let mut ts = vec![TaskTally::default()];
    let m = run(
        Tz::UTC,
        &mut ts,
        &[
            (0, rcv(A, "2026-11-02T09:00:00Z")),
            (0, done(A, "2026-11-02T10:00:00Z", true)),
            (0, rcv(C, "2026-11-02T10:00:00Z")),
            (0, also(B, "2026-11-02T10:00:00Z")),
            (0, Event::Withdraw),
        ],
    );
    assert_eq!(counts(&m, B, "2026-11").received, 0);
    assert_eq!(counts(&m, C, "2026-11").received, 0);
    let mut ts = vec![TaskTally::default()];
    let m = run(
        Tz::UTC,
        &mut ts,
        &[
            (0, rcv(C, "2026-11-02T10:00:00Z")),
            (0, also(B, "2026-11-02T10:00:00Z")),
            (0, done(B, "2026-11-03T10:00:00Z", true)),
        ],
    );
    assert_eq!(counts(&m, B, "2026-11").received, 1, "shares count apart");
    assert_eq!(counts(&m, B, "2026-11").completed, 1);
    assert_eq!(counts(&m, C, "2026-11").completed, 0);
}

#[test]
fn simple_flow_counts_receipt_completion_and_on_time() {
    let mut ts = vec![TaskTally::default(), TaskTally::default()];
    let m = run(
        Tz::UTC,
        &mut ts,
        &[
            (0, rcv(A, "2026-11-02T09:00:00Z")),
            (0, done(A, "2026-11-03T09:00:00Z", true)),
            (0, rcv(B, "2026-11-03T09:00:00Z")),
            (1, rcv(A, "2026-11-04T09:00:00Z")),
            (1, done(A, "2026-11-05T09:00:00Z", false)),
        ],
    );
    let a = counts(&m, A, "2026-11");
    assert_eq!(
        a,
        Counts {
            received: 2,
            completed: 2,
            on_time: 1
        }
    );
    assert_eq!(a.completion_rate(), Some(1.0));
    assert_eq!(a.on_time_rate(), Some(0.5));
    let b = counts(&m, B, "2026-11");
    assert_eq!(
        b,
        Counts {
            received: 1,
            completed: 0,
            on_time: 0
        }
    );
    assert_eq!(b.completion_rate(), Some(0.0));
    assert_eq!(b.on_time_rate(), None, "nothing completed: no on-time rate");
    let c = counts(&m, C, "2026-11");
    assert_eq!(c.completion_rate(), None, "nothing received: no rate");
}

#[test]
fn task_crossing_a_month_boundary_counts_in_each_month_once() {
    let mut ts = vec![TaskTally::default()];
    let m = run(
        Tz::UTC,
        &mut ts,
        &[
            (0, rcv(A, "2026-10-30T09:00:00Z")),
            (0, done(A, "2026-11-02T09:00:00Z", true)),
        ],
    );
    assert_eq!(
        counts(&m, A, "2026-10"),
        Counts {
            received: 1,
            completed: 0,
            on_time: 0
        }
    );
    assert_eq!(
        counts(&m, A, "2026-11"),
        Counts {
            received: 0,
            completed: 1,
            on_time: 1
        }
    );
    // Friday 30 Oct is week 44, Monday 2 Nov week 45.
    assert_eq!(counts(&m, A, "2026-W44").received, 1);
    assert_eq!(counts(&m, A, "2026-W45").completed, 1);
}

#[test]
fn the_company_zone_decides_the_period() {
    // 31 Oct 20:00 UTC is 1 Nov 04:00 in Shanghai.
    let ev = [(0, rcv(A, "2026-10-31T20:00:00Z"))];
    let m = run(sh(), &mut [TaskTally::default()], &ev);
    assert_eq!(counts(&m, A, "2026-11").received, 1);
    assert_eq!(counts(&m, A, "2026-10").received, 0);
    let m = run(Tz::UTC, &mut [TaskTally::default()], &ev);
    assert_eq!(counts(&m, A, "2026-10").received, 1);
    // Sunday 22 Nov 20:00 UTC is Monday in Shanghai: week 48, not 47.
    let ev = [(0, rcv(A, "2026-11-22T20:00:00Z"))];
    let m = run(sh(), &mut [TaskTally::default()], &ev);
    assert_eq!(counts(&m, A, "2026-W48").received, 1);
    assert_eq!(counts(&m, A, "2026-W47").received, 0);
}

#[test]
fn transfer_away_counts_received_not_completed() {
    let mut ts = vec![TaskTally::default()];
    let m = run(
        Tz::UTC,
        &mut ts,
        &[
            (0, rcv(A, "2026-11-02T09:00:00Z")),
            // A transfers to B: B receives.
            (0, rcv(B, "2026-11-02T10:00:00Z")),
            (0, done(B, "2026-11-02T11:00:00Z", true)),
        ],
    );
    assert_eq!(
        counts(&m, A, "2026-11"),
        Counts {
            received: 1,
            completed: 0,
            on_time: 0
        }
    );
    assert_eq!(
        counts(&m, B, "2026-11"),
        Counts {
            received: 1,
            completed: 1,
            on_time: 1
        }
    );
}

#[test]
fn a_return_is_not_a_second_receipt_in_the_same_period() {
    let mut ts = vec![TaskTally::default()];
    let m = run(
        Tz::UTC,
        &mut ts,
        &[
            (0, rcv(A, "2026-11-02T09:00:00Z")),
            (0, done(A, "2026-11-02T10:00:00Z", true)),
            (0, rcv(B, "2026-11-02T10:00:00Z")),
            // B returns to A: A receives again, A completes again (late this time).
            (0, rcv(A, "2026-11-03T10:00:00Z")),
            (0, done(A, "2026-11-04T10:00:00Z", false)),
            (0, rcv(B, "2026-11-04T10:00:00Z")),
        ],
    );
    let a = counts(&m, A, "2026-11");
    assert_eq!(a.received, 1);
    assert_eq!(a.completed, 1);
    assert_eq!(
        a.on_time, 0,
        "one late completion makes the task late for A"
    );
    assert_eq!(counts(&m, B, "2026-11").received, 1);
}

#[test]
fn a_return_in_the_next_period_counts_there() {
    let mut ts = vec![TaskTally::default()];
    let m = run(
        Tz::UTC,
        &mut ts,
        &[
            (0, rcv(A, "2026-11-30T09:00:00Z")),
            (0, done(A, "2026-11-30T10:00:00Z", true)),
            (0, rcv(B, "2026-11-30T10:00:00Z")),
            (0, rcv(A, "2026-12-01T10:00:00Z")),
        ],
    );
    assert_eq!(counts(&m, A, "2026-11").received, 1);
    assert_eq!(counts(&m, A, "2026-12").received, 1);
}

#[test]
fn withdraw_undoes_the_untouched_receipt() {
    let mut ts = vec![TaskTally::default()];
    let m = run(
        Tz::UTC,
        &mut ts,
        &[
            (0, rcv(A, "2026-11-02T09:00:00Z")),
            (0, done(A, "2026-11-02T10:00:00Z", true)),
            (0, rcv(B, "2026-11-02T10:00:00Z")),
            // A withdraws before B started: B's receipt is undone, A receives again.
            (0, Event::Withdraw),
            (0, rcv(A, "2026-11-02T10:05:00Z")),
        ],
    );
    assert_eq!(counts(&m, B, "2026-11"), Counts::default());
    assert_eq!(counts(&m, B, "2026-W45"), Counts::default());
    // A still completed once; the node is open again but that completion happened.
    assert_eq!(
        counts(&m, A, "2026-11"),
        Counts {
            received: 1,
            completed: 1,
            on_time: 1
        }
    );
}

#[test]
fn withdraw_keeps_an_earlier_receipt_of_the_same_period() {
    let mut ts = vec![TaskTally::default()];
    let m = run(
        Tz::UTC,
        &mut ts,
        &[
            (0, rcv(B, "2026-11-02T08:00:00Z")),
            (0, done(B, "2026-11-02T08:30:00Z", true)),
            (0, rcv(A, "2026-11-02T09:00:00Z")),
            (0, done(A, "2026-11-02T10:00:00Z", true)),
            (0, rcv(B, "2026-11-02T10:00:00Z")),
            (0, Event::Withdraw),
        ],
    );
    assert_eq!(
        counts(&m, B, "2026-11").received,
        1,
        "B's first receipt stays"
    );
}

#[test]
fn deleted_tasks_leave_every_statistic_and_ignore_later_events() {
    let mut ts = vec![TaskTally::default(), TaskTally::default()];
    let m = run(
        Tz::UTC,
        &mut ts,
        &[
            (0, rcv(A, "2026-10-30T09:00:00Z")),
            (0, done(A, "2026-11-02T09:00:00Z", true)),
            (1, rcv(A, "2026-11-02T09:00:00Z")),
            (0, Event::Delete),
            (0, rcv(A, "2026-11-03T09:00:00Z")),
        ],
    );
    assert_eq!(counts(&m, A, "2026-10"), Counts::default());
    assert_eq!(
        counts(&m, A, "2026-11"),
        Counts {
            received: 1,
            completed: 0,
            on_time: 0
        }
    );
    assert!(ts[0].contributions.is_empty());
}

#[test]
fn archived_tasks_keep_counting() {
    // Archiving is not a statistics event: nothing happens to the tally.
    let mut ts = vec![TaskTally::default()];
    let m = run(
        Tz::UTC,
        &mut ts,
        &[
            (0, rcv(A, "2026-11-02T09:00:00Z")),
            (0, done(A, "2026-11-02T10:00:00Z", true)),
        ],
    );
    assert_eq!(counts(&m, A, "2026-11").completed, 1);
}

#[test]
fn verdicts_read_back_from_a_tally_keep_every_figure() {
    // A completes in W44 (Fri 30 Oct, late), W45 (Mon 2 Nov, on time) and again
    // in W45 (Tue 3 Nov, late); B on time once; C's task is deleted.
    let history = [
        (A, "2026-10-30T09:00:00Z", false),
        (A, "2026-11-02T09:00:00Z", true),
        (A, "2026-11-03T09:00:00Z", false),
        (B, "2026-11-04T09:00:00Z", true),
    ];
    let mut tally = TaskTally::default();
    let mut deltas = Vec::new();
    for (u, at, ok) in history {
        deltas.extend(tally.apply(rcv(u, at), Tz::UTC));
        deltas.extend(tally.apply(done(u, at, ok), Tz::UTC));
    }
    let v = |u, at| tally.inferred_verdict(u, t(at), Tz::UTC);
    // October holds only the late one, W44 too: late.
    assert_eq!(v(A, "2026-10-30T09:00:00Z"), Some(false));
    // November and W45 both hold a late one: taken as late (ambiguous).
    assert_eq!(v(A, "2026-11-02T09:00:00Z"), Some(false));
    assert_eq!(v(A, "2026-11-03T09:00:00Z"), Some(false));
    assert_eq!(v(B, "2026-11-04T09:00:00Z"), Some(true));
    assert_eq!(v(C, "2026-11-04T09:00:00Z"), None, "unknown completion");
    // Replaying the read-back verdicts gives the same counters.
    let mut again = TaskTally::default();
    let mut replayed = Vec::new();
    for (u, at, _) in history {
        let ok = v(u, at).unwrap();
        replayed.extend(again.apply(rcv(u, at), Tz::UTC));
        replayed.extend(again.apply(done(u, at, ok), Tz::UTC));
    }
    assert_eq!(fold(&replayed), fold(&deltas));
    // One clean period is enough: Sunday 1 Nov (on time) shares W44 with the late
    // Friday 30 Oct, but November holds no late completion.
    let mut mixed = TaskTally::default();
    mixed.apply(done(A, "2026-11-01T09:00:00Z", true), Tz::UTC); // Sun, W44, Nov
    mixed.apply(done(A, "2026-10-30T09:00:00Z", false), Tz::UTC); // Fri, W44, Oct
    assert_eq!(
        mixed.inferred_verdict(A, t("2026-11-01T09:00:00Z"), Tz::UTC),
        Some(true),
        "November has no late completion"
    );
    // A deleted task's tally knows nothing.
    let mut gone = TaskTally::default();
    gone.apply(done(A, "2026-11-02T09:00:00Z", false), Tz::UTC);
    gone.apply(Event::Delete, Tz::UTC);
    assert_eq!(
        gone.inferred_verdict(A, t("2026-11-02T09:00:00Z"), Tz::UTC),
        None
    );
}

#[test]
fn zero_denominators_are_none_not_nan() {
    let c = Counts::default();
    assert_eq!(c.completion_rate(), None);
    assert_eq!(c.on_time_rate(), None);
    assert_eq!(rate(0, 0), None);
    assert_eq!(rate(3, 2), Some(1.5));
}
