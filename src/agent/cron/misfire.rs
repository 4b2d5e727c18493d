//! A job's first firing when the scheduler (re)reads it: after downtime, the misfire policy says
//! whether the firings missed since the job last fired are caught up (`runOnce`: one firing, now,
//! named after the latest missed time) or skipped (the schedule's next time after now).

use crate::config::cron::Misfire;
use crate::config::schedule::Schedule;

/// How many firings of a cron expression a `runOnce` catch-up walks to find the latest.
const CATCH_UP_WALK: usize = 100_000;

/// The first firing to queue for a job that last fired at `last_fired` (`None`: never), at
/// `now`. A job that never fired has missed nothing, except a one-shot whose time has passed
/// (it was meant to run once: `runOnce` fires it late).
pub(crate) fn next_firing(
    schedule: &Schedule,
    policy: Misfire,
    last_fired: Option<u64>,
    now: u64,
) -> Option<u64> {
    let reference = match (schedule, last_fired) {
        (_, Some(fired)) => fired,
        (Schedule::At(_), None) => 0,
        (_, None) => now,
    };
    let missed = schedule.latest_between(reference, now, CATCH_UP_WALK);
    match (policy, missed) {
        (Misfire::RunOnce, Some(missed)) => Some(missed),
        _ => schedule.next_after(now.max(reference)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60_000;

    fn every_minute() -> Schedule {
        Schedule::Every {
            period_ms: MIN,
            anchor_ms: 0,
        }
    }

    #[test]
    fn after_downtime_run_once_fires_the_latest_missed_time_once() {
        let now = 100 * MIN + 30_000;
        // Last fired at minute 90: ten firings were missed; one runs, named minute 100.
        let first = next_firing(&every_minute(), Misfire::RunOnce, Some(90 * MIN), now);
        assert_eq!(first, Some(100 * MIN));
        // After it, the schedule goes on from now.
        assert_eq!(
            every_minute().next_after(now.max(100 * MIN)),
            Some(101 * MIN)
        );
    }

    #[test]
    fn skip_goes_on_with_the_schedule() {
        let now = 100 * MIN + 30_000;
        let first = next_firing(&every_minute(), Misfire::Skip, Some(90 * MIN), now);
        assert_eq!(first, Some(101 * MIN));
    }

    #[test]
    fn nothing_missed_is_the_next_time() {
        let now = 100 * MIN + 30_000;
        for policy in [Misfire::Skip, Misfire::RunOnce] {
            assert_eq!(
                next_firing(&every_minute(), policy, Some(100 * MIN), now),
                Some(101 * MIN)
            );
            // A job never fired has missed nothing.
            assert_eq!(
                next_firing(&every_minute(), policy, None, now),
                Some(101 * MIN)
            );
        }
    }

    #[test]
    fn a_one_shot_whose_time_passed_unfired_runs_once_or_never() {
        let at = Schedule::At(5 * MIN);
        assert_eq!(
            next_firing(&at, Misfire::RunOnce, None, 9 * MIN),
            Some(5 * MIN)
        );
        assert_eq!(next_firing(&at, Misfire::Skip, None, 9 * MIN), None);
        // Once fired, it is done.
        assert_eq!(
            next_firing(&at, Misfire::RunOnce, Some(5 * MIN), 9 * MIN),
            None
        );
        // Still ahead: it waits.
        assert_eq!(next_firing(&at, Misfire::RunOnce, None, MIN), Some(5 * MIN));
    }

    #[test]
    fn a_cron_catch_up_walks_to_the_latest_missed_firing() {
        let spec = crate::config::schedule::ScheduleSpec::Cron {
            expr: "*/5 * * * *".into(),
            tz: None,
        };
        let schedule = Schedule::compile(&spec).unwrap();
        let first = next_firing(&schedule, Misfire::RunOnce, Some(0), 62 * MIN);
        assert_eq!(first, Some(60 * MIN));
    }
}
