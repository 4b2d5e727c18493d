use super::*;

fn ms(text: &str) -> u64 {
    parse_time_ms(text).unwrap()
}

fn cron(expr: &str, tz: Option<&str>) -> Schedule {
    Schedule::compile(&ScheduleSpec::Cron {
        expr: expr.into(),
        tz: tz.map(String::from),
    })
    .unwrap()
}

#[test]
fn durations_and_times_parse_and_bad_ones_are_refused() {
    assert_eq!(parse_duration_ms("30m"), Some(1_800_000));
    assert_eq!(parse_duration_ms("1s"), Some(1000));
    assert_eq!(parse_duration_ms("2h"), Some(7_200_000));
    assert_eq!(parse_duration_ms("1d"), Some(86_400_000));
    assert_eq!(parse_duration_ms("1500"), Some(1500));
    assert_eq!(parse_duration_ms("5 m"), Some(300_000));
    for bad in ["", "m", "3w", "-1s", "1.5h"] {
        assert_eq!(parse_duration_ms(bad), None, "{bad}");
    }
    assert_eq!(ms("1970-01-01T00:00:01Z"), 1000);
    assert_eq!(ms("2026-12-24T18:00:00+01:00"), ms("2026-12-24T17:00:00Z"));
    assert_eq!(parse_time_ms("tomorrow"), None);
    let every = |text: &str| {
        Schedule::compile(&ScheduleSpec::Every {
            every: text.into(),
            anchor_ms: None,
        })
    };
    assert!(matches!(every("500ms"), Err(ScheduleError::BadDuration(_))));
    assert!(every("1s").is_ok());
    let bad_cron = Schedule::compile(&ScheduleSpec::Cron {
        expr: "61 * * * *".into(),
        tz: None,
    });
    assert!(matches!(bad_cron, Err(ScheduleError::BadCron(..))));
    let bad_zone = Schedule::compile(&ScheduleSpec::Cron {
        expr: "0 8 * * *".into(),
        tz: Some("Mars/Olympus".into()),
    });
    assert_eq!(
        bad_zone.unwrap_err(),
        ScheduleError::BadZone("Mars/Olympus".into())
    );
}

#[test]
fn every_counts_from_its_anchor_strictly_after() {
    let schedule = Schedule::Every {
        period_ms: 1000,
        anchor_ms: 500,
    };
    assert_eq!(schedule.next_after(0), Some(500));
    assert_eq!(schedule.next_after(500), Some(1500));
    assert_eq!(schedule.next_after(1499), Some(1500));
    assert_eq!(schedule.latest_between(500, 10_400, 10), Some(9500));
    assert_eq!(schedule.latest_between(1500, 1600, 10), None);
}

#[test]
fn at_fires_once() {
    let schedule = Schedule::At(5000);
    assert_eq!(schedule.next_after(4999), Some(5000));
    assert_eq!(schedule.next_after(5000), None);
    assert_eq!(schedule.latest_between(0, 9000, 10), Some(5000));
}

#[test]
fn cron_in_utc_and_with_seconds() {
    let daily = cron("0 8 * * *", None);
    let monday = ms("2026-11-30T07:59:59.500Z");
    assert_eq!(daily.next_after(monday), Some(ms("2026-11-30T08:00:00Z")));
    assert_eq!(
        daily.next_after(ms("2026-11-30T08:00:00Z")),
        Some(ms("2026-12-01T08:00:00Z"))
    );
    let every_second = cron("* * * * * *", None);
    let t = ms("2026-11-30T08:00:00.250Z");
    assert_eq!(every_second.next_after(t), Some(ms("2026-11-30T08:00:01Z")));
    assert_eq!(
        every_second.latest_between(t, ms("2026-11-30T08:00:10Z"), 100),
        Some(ms("2026-11-30T08:00:10Z"))
    );
}

#[test]
fn cron_follows_the_zone_across_daylight_saving() {
    // 09:00 in Paris is 08:00Z in winter and 07:00Z in summer (the clocks went forward on
    // 2026-03-29 at 02:00 local).
    let nine = cron("0 9 * * *", Some("Europe/Paris"));
    assert_eq!(
        nine.next_after(ms("2026-03-28T12:00:00Z")),
        Some(ms("2026-03-29T07:00:00Z"))
    );
    assert_eq!(
        nine.next_after(ms("2026-03-27T12:00:00Z")),
        Some(ms("2026-03-28T08:00:00Z"))
    );
    // 02:30 does not exist in Paris on 2026-03-29: the firing is not that day's non-time and
    // the schedule goes on the next day.
    let half_two = cron("30 2 * * *", Some("Europe/Paris"));
    let next = half_two.next_after(ms("2026-03-28T12:00:00Z")).unwrap();
    assert!(next > ms("2026-03-29T00:00:00Z"), "{next}");
    assert_eq!(
        half_two.next_after(ms("2026-03-30T12:00:00Z")),
        Some(ms("2026-03-31T00:30:00Z"))
    );
}

#[test]
fn a_schedule_round_trips_as_openclaw_writes_it() {
    let json = r#"{"kind":"cron","expr":"0 8 * * *","tz":"Europe/Paris"}"#;
    let spec: ScheduleSpec = serde_json::from_str(json).unwrap();
    assert_eq!(serde_json::to_string(&spec).unwrap(), json);
    let every: ScheduleSpec =
        serde_json::from_str(r#"{"kind":"every","every":"30m","anchorMs":5}"#).unwrap();
    assert_eq!(
        every,
        ScheduleSpec::Every {
            every: "30m".into(),
            anchor_ms: Some(5)
        }
    );
    let at: ScheduleSpec = serde_json::from_str(r#"{"kind":"at","at":1700000000000}"#).unwrap();
    assert_eq!(
        at,
        ScheduleSpec::At {
            at: AtTime::Millis(1_700_000_000_000)
        }
    );
    assert!(serde_json::from_str::<ScheduleSpec>(r#"{"kind":"at","at":1,"x":2}"#).is_err());
    assert!(serde_json::from_str::<ScheduleSpec>(r#"{"kind":"weekly"}"#).is_err());
}
