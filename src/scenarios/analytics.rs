//! Scenario analytics as answers show them, and the roll-up that keeps a scenario's
//! day counters few (the counters themselves: `stats::scenario_days`).

use chrono::{DateTime, Utc};

use super::model::Scenario;
use crate::error::ServiceResult;
use crate::stats::scenario_days::{day_of, days_before, summary, ScenarioDay, WINDOW_DAYS};
use crate::store::{Store, StoreError};

/// Days kept as separate values: the window and a few more (a task finishing late in
/// its fire day's value). Older ones are folded into the scenario.
pub const KEEP_DAYS: i64 = WINDOW_DAYS + 5;

/// `s` as answers show it: its last 30 days, and its fired count and last firing
/// from its analytics days (added to what the scenario kept before them).
pub fn with_analytics(
    store: &Store,
    mut s: Scenario,
    now: DateTime<Utc>,
) -> ServiceResult<Scenario> {
    let sum = summary(store, s.id, now)?;
    s.fired_count = s.fired_count.saturating_add(sum.fired_total);
    s.last_fired_at = s.last_fired_at.max(sum.last_fired_at);
    s.analytics = Some(sum);
    Ok(s)
}

/// Folds every scenario's day values older than [`KEEP_DAYS`] into the scenario (its
/// fired count and last firing) and removes them, so a scenario's answer reads at most
/// that many values however long it has run. Housekeeping runs it; a scenario with
/// nothing to fold is not written.
pub fn roll_up(store: &Store, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let before = day_of(now) - KEEP_DAYS;
    let mut folded = 0;
    for s in store.list::<Scenario>()? {
        let old = days_before(store, s.id, before)?;
        if old.is_empty() {
            continue;
        }
        folded += old.len();
        store.write(|tx| {
            let Some(mut sc) = tx.get::<Scenario>(s.id)? else {
                return Ok(());
            };
            let rev = sc.rev;
            for d in &old {
                // Read again in the write: a late finish may have counted meanwhile.
                if let Some(d) = tx.get::<ScenarioDay>(d.id)? {
                    sc.fired_count = sc.fired_count.saturating_add(d.fired);
                    sc.last_fired_at = sc.last_fired_at.max(d.last_fired_at);
                    tx.delete::<ScenarioDay>(d.id)?;
                }
            }
            tx.update(&mut sc, rev)
        })?;
    }
    Ok(folded)
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::actor::Actor;
    use crate::scenarios::admin::save;
    use crate::scenarios::registry::Scenarios;
    use crate::stats::scenario_days::{bump, days_of};

    /// Old days fold into the scenario; the figures shown stay the same.
    #[test]
    fn old_days_fold_into_the_scenario() {
        let store = Store::memory();
        let now = Utc::now();
        let src = r#"const ID = "x"; const WATCHES = "order";
            fn condition(r, prev) { true } fn task(r) { #{ title: "t", nodes: [] } }"#;
        let s = save(&store, &Scenarios::new(), &Actor::system(), src, now).unwrap();
        store
            .write(|tx| {
                for ago in [0, 3, 40, 400] {
                    let at = now - Duration::days(ago);
                    bump(tx, s.id, at, |d| {
                        d.fired += 2;
                        d.last_fired_at = Some(at);
                    })?;
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let shown = |store: &Store| {
            let sc: Scenario = store.load(s.id).unwrap();
            let v = with_analytics(store, sc, now).unwrap();
            (v.fired_count, v.last_fired_at, v.analytics.unwrap().fired)
        };
        let before = shown(&store);
        assert_eq!((before.0, before.2), (8, 4));
        assert_eq!(roll_up(&store, now).unwrap(), 2);
        assert_eq!(days_of(&store, s.id).unwrap().len(), 2);
        assert_eq!(shown(&store), before);
        assert_eq!(roll_up(&store, now).unwrap(), 0, "nothing left to fold");
    }
}
