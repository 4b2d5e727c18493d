use super::*;
use crate::config::cron::SessionTarget;
use crate::config::schedule::ScheduleSpec;

fn job(id: &str) -> CronJob {
    CronJob {
        id: id.into(),
        name: Some("morning".into()),
        enabled: true,
        schedule: ScheduleSpec::Every {
            every: "30m".into(),
            anchor_ms: Some(7),
        },
        message: "hello".into(),
        session_target: SessionTarget::Isolated,
        deliver: None,
        misfire: None,
    }
}

fn record(run_at_ms: u64, status: RunStatus) -> RunRecord {
    RunRecord {
        job_id: "a".into(),
        run_at_ms,
        ts: run_at_ms + 1,
        status,
        summary: (status == RunStatus::Answered).then(|| "answer".to_string()),
        error: None,
    }
}

#[test]
fn jobs_round_trip_privately_and_a_missing_file_is_no_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let store = CronStore::new(dir.path());
    assert!(store.load_jobs().unwrap().is_empty());
    store.save_jobs(&[job("a"), job("b")]).unwrap();
    assert_eq!(store.load_jobs().unwrap(), vec![job("a"), job("b")]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.path().join("cron/jobs.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn a_corrupt_store_is_a_clear_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("cron")).unwrap();
    fs::write(
        dir.path().join("cron/jobs.json"),
        "{\"version\":1,\"jobs\":[{",
    )
    .unwrap();
    let error = CronStore::new(dir.path()).load_jobs().unwrap_err();
    assert!(matches!(error, CronStoreError::Corrupt { .. }));
    assert!(error.to_string().contains("jobs.json"), "{error}");
}

#[test]
fn firings_fold_to_their_latest_step_and_a_torn_line_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let store = CronStore::new(dir.path());
    for r in [
        record(10, RunStatus::Fired),
        record(10, RunStatus::Answered),
        record(10, RunStatus::Delivering),
        record(20, RunStatus::Fired),
        record(20, RunStatus::Failed),
    ] {
        store.append(&r).unwrap();
    }
    let path = dir.path().join("cron/runs/a.jsonl");
    let mut file = OpenOptions::new().append(true).open(&path).unwrap();
    file.write_all(b"{\"jobId\":\"a\",\"runAt").unwrap();
    let records = store.runs("a").unwrap();
    assert_eq!(records.len(), 5);
    let firings = fold(&records);
    assert_eq!(firings[&10].status, RunStatus::Delivering);
    assert_eq!(firings[&10].summary.as_deref(), Some("answer"));
    assert!(!firings[&10].status.is_final());
    assert!(firings[&20].status.is_final());
}

#[test]
fn pruning_keeps_the_tail_and_every_open_firing() {
    let dir = tempfile::tempdir().unwrap();
    let store = CronStore::new(dir.path());
    let mut records = vec![record(1, RunStatus::Fired)];
    records.extend((2..=MAX_LINES as u64 + 10).map(|t| record(t, RunStatus::Ok)));
    for r in &records {
        store.append(r).unwrap();
    }
    store.prune("a", &records).unwrap();
    let kept = store.runs("a").unwrap();
    assert_eq!(kept.len(), KEEP_LINES + 1);
    assert_eq!(kept[0], record(1, RunStatus::Fired));
    assert_eq!(kept.last(), records.last());
}

#[test]
fn a_status_prints_as_it_is_stored() {
    for status in [
        RunStatus::Fired,
        RunStatus::Answered,
        RunStatus::Delivering,
        RunStatus::Delivered,
        RunStatus::Ok,
        RunStatus::Suppressed,
        RunStatus::Skipped,
        RunStatus::Failed,
    ] {
        let stored = serde_json::to_value(status).expect("a status serialises");
        assert_eq!(stored, serde_json::Value::from(status.as_str()));
    }
}
