//! Schema step 1 → 2: gives every completion logged before Baton recorded verdicts
//! its deadline and on-time verdict, once, so no later rebuild judges it against the
//! task's current deadline.
//!
//! What is known about an old completion: the statistics tallies, kept current at
//! each completion with the deadline of that moment (unless a time-zone rebuild
//! re-judged them since, which is still no worse than today's deadline), and the
//! task as it stands now. The verdict comes from the tally
//! ([`TaskTally::inferred_verdict`]), so the upgrade changes no figure anyone has seen;
//! only a completion the tally does not know (a deleted task's, whose figures are gone
//! anyway) is judged against the deadline known now. The deadline stored is the one
//! known now, and the line is marked `inferred`. See `docs/statistics.md`.

use std::collections::HashMap;

use chrono_tz::Tz;

use super::model::TaskTally;
use super::record::{built_zone, deadline_known_now, TallyRecord, DEFAULT_TIMEZONE};
use crate::flow::{Completion, Task};
use crate::store::{Store, StoreError};
use crate::tasklog::LogEntry;

/// Lines per write: a crash in between is harmless, the step skips lines that already
/// carry a verdict when it runs again.
const CHUNK: usize = 1000;

/// Records a verdict on every `complete` line that has none; returns how many.
pub fn record_missing_verdicts(store: &Store) -> Result<usize, StoreError> {
    // The tallies' periods are keys in the zone they were built in.
    let tz = match built_zone(store)? {
        Some(tz) => tz,
        None => DEFAULT_TIMEZONE
            .parse::<Tz>()
            .unwrap_or(chrono_tz::Asia::Shanghai),
    };
    let missing: Vec<LogEntry> = store
        .list::<LogEntry>()?
        .into_iter()
        .filter(|e| e.action == "complete" && e.subject_id.is_some() && e.completion.is_none())
        .collect();
    if missing.is_empty() {
        return Ok(0);
    }
    let tallies: HashMap<u64, TaskTally> = store
        .list::<TallyRecord>()?
        .into_iter()
        .map(|r| (r.task_id, r.tally))
        .collect();
    let mut from_tally = 0usize;
    for chunk in missing.chunks(CHUNK) {
        store.write(|tx| {
            for e in chunk {
                let Some(user) = e.subject_id else { continue };
                let task: Option<Task> = tx.get(e.task_id)?;
                let due_at = deadline_known_now(task.as_ref(), user, e.at);
                let read_back = tallies
                    .get(&e.task_id)
                    .and_then(|t| t.inferred_verdict(user, e.at, tz));
                if read_back.is_some() {
                    from_tally += 1;
                }
                let on_time = read_back.unwrap_or_else(|| Completion::judge(due_at, e.at).on_time);
                let mut line = e.clone();
                line.completion = Some(Completion {
                    due_at,
                    on_time,
                    inferred: true,
                });
                let rev = line.rev;
                tx.update(&mut line, rev)?;
            }
            Ok::<_, StoreError>(())
        })?;
    }
    tracing::info!(
        completions = missing.len(),
        from_counters = from_tally,
        "recorded the on-time verdict of completions logged before verdicts were kept"
    );
    Ok(missing.len())
}

/// The schema step itself (`store::migrate` calls it).
pub fn step(store: &Store) -> Result<(), StoreError> {
    record_missing_verdicts(store).map(|_| ())
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, Utc};

    use super::*;
    use crate::actor::Actor;
    use crate::flow::{NodeState, TaskStatus};
    use crate::org::Role;
    use crate::stats::record::{counter, rebuild};
    use crate::tasks::log;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn actor(id: u64) -> Actor {
        Actor {
            user_id: Some(id),
            name: format!("user {id}"),
            role: Role::Member,
            department_id: None,
        }
    }

    fn task(handler: u64, due: DateTime<Utc>, at: DateTime<Utc>) -> Task {
        let mut t = Task {
            title: "refund".into(),
            due_at: Some(due),
            creator_id: handler,
            ..Task::one_step(handler, at)
        };
        t.nodes[0].action = "do it".into();
        t
    }

    /// Writes a task and its history the way Baton did before verdicts were stored
    /// (completion lines without one, counters judged against the deadline of the
    /// moment), then moves its deadline to `moved_due`. Returns the task id.
    fn old_style_task(
        store: &Store,
        user: u64,
        due: DateTime<Utc>,
        done_at: DateTime<Utc>,
        moved_due: DateTime<Utc>,
    ) -> u64 {
        let received = done_at - Duration::hours(1);
        let a = actor(user);
        store
            .write(|tx| {
                let mut tk = task(user, due, received);
                let id = tx.insert(&mut tk)?;
                crate::effects::log::insert(
                    tx,
                    LogEntry {
                        received_by: Some(user),
                        ..LogEntry::new(id, &a, log::line("create", "step 1"), received)
                    },
                )?;
                Ok::<_, StoreError>(id)
            })
            .and_then(|id| {
                store.write(|tx| {
                    let mut tk: Task = tx.load(id)?;
                    let rev = tk.rev;
                    tk.nodes[0].state = NodeState::Done;
                    tk.nodes[0].done_at = Some(done_at);
                    tk.status = TaskStatus::Done;
                    tx.update(&mut tk, rev)?;
                    log::write_completion(
                        tx,
                        id,
                        &a,
                        log::line("complete", "done"),
                        user,
                        Completion::judge(Some(due), done_at),
                        None,
                        done_at,
                    )?;
                    Ok::<_, StoreError>(())
                })?;
                store.write(|tx| {
                    let mut tk: Task = tx.load(id)?;
                    let rev = tk.rev;
                    tk.due_at = Some(moved_due);
                    tx.update(&mut tk, rev)?;
                    Ok::<_, StoreError>(id)
                })
            })
            .unwrap()
    }

    /// The store as Baton kept it before verdicts were recorded: one record per log
    /// line with a tally per task (the layout before schema 5), completion lines
    /// without their verdict, the counters as they were counted at the time.
    fn make_old(store: &Store, tz: Tz) {
        crate::stats::schema_5::to_legacy_layout(store, tz).unwrap();
        store
            .write(|tx| {
                for mut e in store.list::<LogEntry>()? {
                    if e.completion.take().is_some() {
                        let rev = e.rev;
                        tx.update(&mut e, rev)?;
                    }
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }

    fn on_time(store: &Store, user: u64, period: &str) -> (i64, i64) {
        let c = counter(store, user, period).unwrap().unwrap();
        (c.completed, c.on_time)
    }

    #[test]
    fn old_completions_keep_their_verdict_through_migration_and_rebuilds() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db"), 1 << 20).unwrap();
        let sh: Tz = "Asia/Shanghai".parse().unwrap();
        rebuild(&store, sh).unwrap();
        // Late (due 10:00, done 12:00), then the deadline moved a week later.
        let late = old_style_task(
            &store,
            7,
            t("2026-11-03T10:00:00Z"),
            t("2026-11-03T12:00:00Z"),
            t("2026-11-10T10:00:00Z"),
        );
        // On time (due 14:00, done 12:00), then the deadline moved earlier.
        old_style_task(
            &store,
            8,
            t("2026-11-03T14:00:00Z"),
            t("2026-11-03T12:00:00Z"),
            t("2026-11-01T10:00:00Z"),
        );
        assert_eq!(on_time(&store, 7, "2026-11"), (1, 0));
        assert_eq!(on_time(&store, 8, "2026-11"), (1, 1));
        make_old(&store, sh);

        assert_eq!(record_missing_verdicts(&store).unwrap(), 2);
        // schema 5 then folds the lines into one log per task
        crate::stats::schema_5::fold_task_logs(&store).unwrap();
        let line = log::list(&store, late)
            .unwrap()
            .into_iter()
            .find(|e| e.action == "complete")
            .unwrap();
        let c = line.completion.unwrap();
        assert!(!c.on_time && c.inferred, "{c:?}");
        assert_eq!(
            c.due_at,
            Some(t("2026-11-10T10:00:00Z")),
            "the deadline known now"
        );
        // A second run finds nothing to do.
        assert_eq!(record_missing_verdicts(&store).unwrap(), 0);
        assert_eq!(on_time(&store, 7, "2026-11"), (1, 0), "after the fold");

        // Rebuilds, in the same zone and in another, keep both verdicts.
        for tz in [sh, Tz::UTC, sh] {
            rebuild(&store, tz).unwrap();
            assert_eq!(on_time(&store, 7, "2026-11"), (1, 0), "{tz}");
            assert_eq!(on_time(&store, 8, "2026-11"), (1, 1), "{tz}");
            assert_eq!(on_time(&store, 7, "2026-W45"), (1, 0), "{tz}");
        }
    }

    #[test]
    fn without_counters_the_deadline_known_now_decides() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db"), 1 << 20).unwrap();
        let id = old_style_task(
            &store,
            7,
            t("2026-11-03T10:00:00Z"),
            t("2026-11-03T12:00:00Z"),
            t("2026-11-10T10:00:00Z"),
        );
        make_old(&store, Tz::UTC);
        // The tally is gone (as for a store that never had counters).
        store
            .write(|tx| {
                for r in store.list::<TallyRecord>()? {
                    tx.delete::<TallyRecord>(r.id)?;
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();
        record_missing_verdicts(&store).unwrap();
        crate::stats::schema_5::fold_task_logs(&store).unwrap();
        let line = log::list(&store, id)
            .unwrap()
            .into_iter()
            .find(|e| e.action == "complete")
            .unwrap();
        assert_eq!(
            line.completion.map(|c| (c.on_time, c.inferred)),
            Some((true, true))
        );
    }
}
