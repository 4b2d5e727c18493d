use super::*;
use crate::sessions::key::MAIN;
use crate::sessions::subagents::child_key;

fn record(run_id: &str, parent: &str, depth: u32) -> SubagentRecord {
    SubagentRecord {
        run_id: run_id.into(),
        child_session_key: child_key(run_id),
        parent_session_key: parent.into(),
        depth,
        task: format!("task {run_id}"),
        label: None,
        model: None,
        status: SubagentStatus::Running,
        result: None,
        created_ms: crate::clock::now_ms(),
        ended_ms: None,
        timeout_seconds: None,
        announce_to: None,
        announced: false,
    }
}

const LIMITS: Limits = Limits {
    max_spawn_depth: 2,
    max_children_per_agent: 2,
    max_concurrent: 3,
};

#[test]
fn depth_children_and_total_are_limited_by_running_children() {
    let dir = tempfile::tempdir().unwrap();
    let book = SubagentBook::open(dir.path());
    assert_eq!(book.admit(MAIN, LIMITS), Ok(1));
    book.insert(record("a", MAIN, 1)).unwrap();
    book.insert(record("b", MAIN, 1)).unwrap();
    assert_eq!(
        book.admit(MAIN, LIMITS),
        Err(SpawnRefusal::TooManyChildren { max: 2 })
    );
    // A child may spawn one level down, not two.
    let child = child_key("a");
    assert_eq!(book.admit(&child, LIMITS), Ok(2));
    book.insert(record("c", &child, 2)).unwrap();
    assert_eq!(
        book.admit(&child_key("c"), LIMITS),
        Err(SpawnRefusal::TooDeep { depth: 2, max: 2 })
    );
    // Three running in all: another parent is refused for the total.
    assert_eq!(
        book.admit("agent:main:other", LIMITS),
        Err(SpawnRefusal::TooManyRunning { max: 3 })
    );
    // An ended child frees its places.
    book.update("b", |r| r.status = SubagentStatus::Done)
        .unwrap();
    assert_eq!(book.admit(MAIN, LIMITS), Ok(1));
    assert_eq!(book.running(), 2);
    let depth_one = Limits {
        max_spawn_depth: 1,
        ..LIMITS
    };
    assert!(matches!(
        book.admit(&child, depth_one),
        Err(SpawnRefusal::TooDeep { depth: 1, max: 1 })
    ));
    assert!(book
        .admit(&child, depth_one)
        .unwrap_err()
        .to_string()
        .contains("maxSpawnDepth"));
}

#[test]
fn records_survive_a_reopen_and_a_reset_stops_every_descendant() {
    let dir = tempfile::tempdir().unwrap();
    let book = SubagentBook::open(dir.path());
    book.insert(record("a", MAIN, 1)).unwrap();
    book.insert(record("c", &child_key("a"), 2)).unwrap();
    book.insert(record("x", "agent:main:other", 1)).unwrap();
    book.update("a", |r| r.label = Some("research".into()));
    let again = SubagentBook::open(dir.path());
    assert_eq!(again.list(None).len(), 3);
    assert_eq!(again.get("a").unwrap().label.as_deref(), Some("research"));
    assert_eq!(again.by_child(&child_key("c")).unwrap().depth, 2);
    assert_eq!(again.list(Some(MAIN)).len(), 1);

    let stopped = again.stop_descendants(MAIN, "the parent session was reset");
    let ids: Vec<&str> = stopped.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&"a") && ids.contains(&"c"));
    let third = SubagentBook::open(dir.path());
    assert_eq!(third.get("a").unwrap().status, SubagentStatus::Stopped);
    assert!(third.get("c").unwrap().announced);
    assert_eq!(third.get("x").unwrap().status, SubagentStatus::Running);
}

#[test]
fn a_torn_file_is_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("subagents.json"), b"[{\"runId\":").unwrap();
    let book = SubagentBook::open(dir.path());
    assert!(book.list(None).is_empty());
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("subagents.json.corrupt-")),
        "{names:?}"
    );
}

#[test]
fn only_the_newest_ended_records_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let book = SubagentBook::open(dir.path());
    for n in 0..MAX_ENDED_KEPT + 3 {
        let mut ended = record(&format!("e{n:04}"), MAIN, 1);
        ended.created_ms = n as u64;
        ended.status = SubagentStatus::Done;
        ended.announced = true;
        book.insert(ended).unwrap();
    }
    book.insert(record("live", MAIN, 1)).unwrap();
    let list = book.list(None);
    assert_eq!(list.len(), MAX_ENDED_KEPT + 1);
    assert!(book.get("e0000").is_none() && book.get("e0002").is_none());
    assert!(book.get("e0003").is_some() && book.get("live").is_some());
}
