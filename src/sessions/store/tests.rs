//! The store's tests: transcripts across reopening, torn lines, the in-memory view against the
//! file (reload after a crash, eviction and reload of the tail only), ephemeral sessions,
//! retention.

use std::collections::HashSet;
use std::fs::{self, OpenOptions};
use std::io::Write;

use serde_json::json;

use super::file::read_entries;
use super::*;
use crate::providers::{ChatMessage, ToolCall};

fn message(turn: &str, message: ChatMessage) -> Entry {
    Entry::Message {
        ts_ms: now_ms(),
        turn: turn.into(),
        message,
        usage: None,
        model: None,
        members: Vec::new(),
        source: None,
    }
}

fn user(turn: &str, text: &str) -> Entry {
    message(
        turn,
        ChatMessage::User {
            content: text.into(),
            images: Vec::new(),
        },
    )
}

fn answer(turn: &str, text: &str) -> Entry {
    message(turn, assistant(text))
}

fn assistant(text: &str) -> ChatMessage {
    ChatMessage::Assistant {
        text: text.into(),
        tool_calls: vec![],
    }
}

fn question(text: &str) -> ChatMessage {
    ChatMessage::User {
        content: text.into(),
        images: Vec::new(),
    }
}

fn failed(turn: &str, retryable: bool) -> Entry {
    Entry::TurnFailed {
        ts_ms: 0,
        turn: turn.into(),
        error: "gave up".into(),
        retryable,
    }
}

fn file_of(store: &SessionStore, key: &str) -> PathBuf {
    let id = store.meta(key).expect("meta").session_id;
    store.file_of(&id)
}

#[test]
fn transcripts_survive_reopening_and_a_lost_index_is_rebuilt() {
    let dir = tempfile::tempdir().expect("dir");
    let store = SessionStore::open(dir.path()).expect("open");
    store
        .append("agent:main:main", &[user("t1", "hello")])
        .expect("append");
    store
        .append("agent:main:main", &[user("t2", "again")])
        .expect("append");
    store.flush().expect("flush");
    drop(store);

    let store = SessionStore::open(dir.path()).expect("reopen");
    let entries = store.load("agent:main:main").expect("load");
    assert_eq!(entries.len(), 3, "header + two messages: {entries:?}");
    assert_eq!(store.meta("agent:main:main").map(|m| m.messages), Some(2));

    store
        .append("agent:main:other", &[user("t1", "x")])
        .expect("append");
    drop(store); // crash before the index flush
    let store = SessionStore::open(dir.path()).expect("reopen after crash");
    assert_eq!(
        store.meta("agent:main:other").map(|m| m.messages),
        Some(1),
        "rebuilt from the file"
    );
}

#[test]
fn a_torn_last_line_is_skipped_and_the_next_append_survives_it() {
    let dir = tempfile::tempdir().expect("dir");
    let store = SessionStore::open(dir.path()).expect("open");
    store.append("k", &[user("t1", "whole")]).expect("append");
    let mut file = OpenOptions::new()
        .append(true)
        .open(file_of(&store, "k"))
        .expect("file");
    file.write_all(br#"{"type":"message","ts_ms":1,"turn":"t2","mess"#)
        .expect("torn write");
    let entries = store.load("k").expect("load");
    assert_eq!(
        entries.len(),
        2,
        "header and the whole line survive: {entries:?}"
    );
    store.append("k", &[answer("t1", "after")]).expect("append");
    let entries = store.load("k").expect("load");
    assert_eq!(
        entries.len(),
        3,
        "the append after the torn line: {entries:?}"
    );
    let context = store.turn_context("k", "t3", true).expect("context");
    assert_eq!(
        *context.history,
        vec![question("whole"), assistant("after")]
    );
}

#[test]
fn reset_archives_the_transcript_and_inspect_reports_it() {
    let dir = tempfile::tempdir().expect("dir");
    let store = SessionStore::open(dir.path()).expect("open");
    store.append("k", &[user("t1", "hi")]).expect("append");
    let before = store.inspect("k");
    assert!(
        before.exists && before.size.unwrap_or(0) > 0 && before.message_count == 1,
        "{before:?}"
    );
    assert!(store.reset("k").expect("reset"));
    assert!(!store.inspect("k").exists);
    assert!(store.load("k").expect("load").is_empty());
    let archived = fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .any(|e| e.file_name().to_string_lossy().contains(".jsonl.reset-"));
    assert!(archived, "the old transcript is kept");
    assert!(!store.reset("k").expect("second reset"));
    assert_eq!(store.live_count(), 0, "nothing left in memory");
}

#[test]
fn the_view_serves_appends_without_reading_and_matches_a_reload_from_the_file() {
    let dir = tempfile::tempdir().expect("dir");
    let store = SessionStore::open(dir.path()).expect("open");
    store.append("k", &[user("t1", "one")]).expect("append");
    let first = store.turn_context("k", "t1", true).expect("load");
    assert_eq!(first.mine, vec![question("one")]);
    assert_eq!(first.members, Some(vec!["t1".to_string()]));
    store.append("k", &[answer("t1", "uno")]).expect("append");
    // The file is moved away: what follows comes from memory.
    let path = file_of(&store, "k");
    let aside = path.with_extension("aside");
    fs::rename(&path, &aside).expect("move the file away");
    let second = store.turn_context("k", "t2", true).expect("from memory");
    assert_eq!(*second.history, vec![question("one"), assistant("uno")]);
    assert!(second.mine.is_empty() && second.members.is_none());
    fs::rename(&aside, &path).expect("move it back");

    // A crash between the file's append and the memory's: the next incarnation reads the file.
    let line = serde_json::to_string(&user("t2", "two")).expect("json");
    let mut file = OpenOptions::new().append(true).open(&path).expect("file");
    writeln!(file, "{line}").expect("write behind the view's back");
    store.release("k");
    let reloaded = store.turn_context("k", "t2", true).expect("reload");
    assert_eq!(
        reloaded.mine,
        vec![question("two")],
        "the file is the truth"
    );
    assert_eq!(*reloaded.history, vec![question("one"), assistant("uno")]);
}

#[test]
fn a_panic_while_a_session_is_locked_drops_its_view() {
    let dir = tempfile::tempdir().expect("dir");
    let store = SessionStore::open(dir.path()).expect("open");
    store.append("k", &[user("t1", "one")]).expect("append");
    store.turn_context("k", "t1", true).expect("load");
    let slot = store.slot("k").expect("slot");
    let poisoner = std::thread::spawn({
        let slot = Arc::clone(&slot);
        move || {
            let _held = slot.state.lock();
            panic!("between the file and the memory");
        }
    });
    assert!(poisoner.join().is_err());
    assert!(lock_slot(&slot).view.is_none(), "the suspect view is gone");
    drop(slot);
    let context = store.turn_context("k", "t1", true).expect("reload");
    assert_eq!(context.mine, vec![question("one")]);
}

#[test]
fn an_evicted_session_reloads_only_the_tail_its_prompt_needs() {
    let dir = tempfile::tempdir().expect("dir");
    let store = SessionStore::open(dir.path())
        .expect("open")
        .with_history_turns(3);
    for n in 0..50 {
        let turn = format!("t{n}");
        store
            .append(
                "k",
                &[
                    user(&turn, &format!("q{n}")),
                    answer(&turn, &format!("a{n}")),
                ],
            )
            .expect("append");
    }
    // A turn that failed for a passing reason early on, answered after many others.
    let context = store.turn_context("k", "t51", true).expect("live");
    assert_eq!(
        context.history.len(),
        6,
        "three turns: {:?}",
        context.history
    );
    assert_eq!(context.history[0], question("q47"));
    store.release("k");
    assert_eq!(store.live_count(), 0);

    // The head of the file is made unreadable: a reload that reads only the tail still works.
    let path = file_of(&store, "k");
    let text = fs::read_to_string(&path).expect("read");
    let lines: Vec<&str> = text.lines().collect();
    let mut garbled: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    for line in garbled.iter_mut().take(lines.len() - 8) {
        *line = "x".repeat(line.len());
    }
    fs::write(&path, garbled.join("\n") + "\n").expect("garble the head");
    let (tail, whole) = file::read_tail(&path, 3).expect("tail");
    assert!(!whole && tail.len() == 6, "only three turns read: {tail:?}");
    let context = store.turn_context("k", "t51", true).expect("reload");
    assert_eq!(
        *context.history,
        vec![
            question("q47"),
            assistant("a47"),
            question("q48"),
            assistant("a48"),
            question("q49"),
            assistant("a49")
        ]
    );
    // A replayed turn the tail lacks is looked up in the whole file.
    fs::write(&path, text).expect("restore");
    store.release("k");
    let old = store.turn_context("k", "t5", false).expect("old turn");
    assert_eq!(old.mine, vec![question("q5"), assistant("a5")]);
    let new = store.turn_context("k", "t99", true).expect("new turn");
    assert!(new.mine.is_empty());
}

#[test]
fn a_tail_read_across_many_chunks_equals_the_whole_file() {
    let dir = tempfile::tempdir().expect("dir");
    let bounded = SessionStore::open(dir.path())
        .expect("open")
        .with_history_turns(120);
    // About 400 KB: the tail is read in several 64 KB chunks, lines straddling their edges.
    for n in 0..200 {
        let turn = format!("t{n}");
        let long = format!("{n}:{}", "é".repeat(500 + n * 7));
        bounded
            .append("k", &[user(&turn, &long), answer(&turn, &format!("a{n}"))])
            .expect("append");
    }
    let path = file_of(&bounded, "k");
    let (tail, whole) = file::read_tail(&path, 120).expect("tail");
    assert!(!whole);
    let everything = read_entries(&path).expect("whole file");
    assert_eq!(
        tail[..],
        everything[everything.len() - 240..],
        "the last 120 turns, whole"
    );
    let from_tail = bounded.turn_context("k", "t200", true).expect("tail view");
    let whole_store = SessionStore::open(dir.path()).expect("reopen");
    let all = whole_store
        .turn_context("k", "t200", true)
        .expect("whole view");
    assert_eq!(all.history.len(), 400);
    assert_eq!(
        from_tail.history[..],
        all.history[160..],
        "the newest 120 turns"
    );
}

#[test]
fn history_groups_turns_by_id_and_leaves_out_unfinished_and_failed_ones() {
    let dir = tempfile::tempdir().expect("dir");
    let store = SessionStore::open(dir.path()).expect("open");
    let dangling = ChatMessage::Assistant {
        text: String::new(),
        tool_calls: vec![ToolCall {
            id: "c1".into(),
            name: "x".into(),
            arguments: json!({}),
        }],
    };
    let entries = [
        user("t1", "hi"),
        answer("t1", "hello"),
        user("t2", "crashing"),
        message("t2", dangling.clone()),
        failed("t2", false),
        user("t3", "now"),
        message("t3", dangling.clone()),
        user("t4", "are you there?"),
        failed("t4", true),
        user("t5", "second"),
        answer("t5", "two"),
        answer("t4", "yes"),
    ];
    // Once appended under a live view, once read back from the file: the same answers.
    store.turn_context("k", "t0", true).expect("live view");
    store.append("k", &entries).expect("append");
    for round in ["live", "reloaded"] {
        let t3 = store.turn_context("k", "t3", true).expect("t3");
        assert_eq!(
            *t3.history,
            vec![
                question("hi"),
                assistant("hello"),
                question("are you there?"),
                assistant("yes"),
                question("second"),
                assistant("two"),
            ],
            "{round}: a late answer stays with its question"
        );
        assert_eq!(t3.mine, vec![question("now"), dangling.clone()], "{round}");
        assert_eq!(t3.failed, None);
        let t2 = store.turn_context("k", "t2", true).expect("t2");
        assert_eq!(t2.failed.as_deref(), Some("gave up"), "{round}");
        let t4 = store.turn_context("k", "t4", true).expect("t4");
        assert_eq!(
            t4.failed, None,
            "{round}: a retryable failure does not end it"
        );
        store.release("k");
    }
}

#[test]
fn a_collected_turn_keeps_its_members() {
    let dir = tempfile::tempdir().expect("dir");
    let store = SessionStore::open(dir.path()).expect("open");
    let mut collected = user("wa-2", "two\n\nthree");
    if let Entry::Message { members, .. } = &mut collected {
        *members = vec!["wa-2".into(), "wa-3".into()];
    }
    store
        .append("k", &[user("wa-1", "one"), collected])
        .expect("append");
    let members = |id: &str| store.turn_context("k", id, true).expect("context").members;
    assert_eq!(
        members("wa-2"),
        Some(vec!["wa-2".to_string(), "wa-3".to_string()])
    );
    assert_eq!(members("wa-1"), Some(vec!["wa-1".to_string()]));
    assert_eq!(members("wa-9"), None);
}

#[test]
fn an_ephemeral_session_leaves_nothing_on_disk() {
    let dir = tempfile::tempdir().expect("dir");
    let store = SessionStore::open(dir.path()).expect("open");
    let key = crate::sessions::key::ephemeral();
    store.open_ephemeral(&key);
    store.append(&key, &[user("t1", "hi")]).expect("append");
    let context = store.turn_context(&key, "t1", true).expect("context");
    assert_eq!(context.mine, vec![question("hi")]);
    store
        .append(&key, &[answer("t1", "hello")])
        .expect("append");
    store.flush().expect("flush");
    assert!(store.meta(&key).is_none() && store.list().is_empty());
    store.release(&key);
    assert_eq!(store.live_count(), 0, "forgotten");
    assert!(
        store.append(&key, &[failed("t1", false)]).is_err(),
        "a late append to a forgotten session is refused, not stored"
    );
    let files: Vec<_> = fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .filter(|name| name != "sessions.json")
        .collect();
    assert!(files.is_empty(), "{files:?}");
}

#[test]
fn retention_prunes_old_and_surplus_sessions_but_never_live_ones() {
    let dir = tempfile::tempdir().expect("dir");
    let store = SessionStore::open(dir.path())
        .expect("open")
        .with_retention(Retention {
            days: 30,
            max_stored: 2,
        });
    for key in ["old", "older-but-live", "a", "b", "c"] {
        store.append(key, &[user("t1", key)]).expect("append");
    }
    let now = now_ms();
    {
        let mut guard = store.lock();
        for (key, age_days) in [
            ("old", 40),
            ("older-but-live", 50),
            ("a", 3),
            ("b", 2),
            ("c", 1),
        ] {
            if let Some(meta) = guard.0.sessions.get_mut(key) {
                meta.updated_ms = now - age_days * DAY;
            }
        }
    }
    let old_file = file_of(&store, "old");
    let archive = dir
        .path()
        .join(format!("deadbeef.jsonl.reset-{}", now - 31 * DAY));
    fs::write(&archive, "{}\n").expect("archive");
    let live: HashSet<String> = ["older-but-live".to_string()].into();
    let pruned = store.prune(&live, now).expect("prune");
    let mut gone: Vec<(&str, &str)> = pruned.iter().map(|p| (p.key.as_str(), p.why)).collect();
    gone.sort_unstable();
    assert_eq!(
        gone,
        vec![
            ("a", "maxStored"),
            ("b", "maxStored"),
            ("old", "retentionDays")
        ],
        "the live session counts towards the cap"
    );
    assert!(!old_file.exists() && !archive.exists());
    let mut kept: Vec<String> = store.list().into_iter().map(|m| m.key).collect();
    kept.sort();
    assert_eq!(
        kept,
        vec!["c", "older-but-live"],
        "the live one is spared, though older"
    );
    drop(store);
    let store = SessionStore::open(dir.path()).expect("reopen");
    assert_eq!(
        store.list().len(),
        2,
        "the index was written and nothing comes back"
    );
}

const DAY: u64 = 24 * 60 * 60 * 1000;

#[test]
fn views_over_the_memory_budget_are_dropped_least_recent_first_and_reread_when_needed() {
    let dir = tempfile::tempdir().expect("dir");
    let store = SessionStore::open(dir.path())
        .expect("open")
        .with_history_cache(20_000);
    let long = "x".repeat(900);
    for n in 0..20 {
        let key = format!("k{n}");
        store.append(&key, &[user("t1", &long)]).expect("append");
        store.turn_context(&key, "t1", true).expect("load");
        store.append(&key, &[answer("t1", &long)]).expect("append");
        assert!(
            store.view_bytes() <= 20_000,
            "after session {n}: {} bytes of views kept, budget 20,000",
            store.view_bytes()
        );
    }
    // The newest session's view stayed; the oldest was dropped, and is reread from its file.
    let loaded = |key: &str| {
        store
            .live()
            .get(key)
            .is_some_and(|slot| lock_slot(slot).view.is_some())
    };
    assert!(loaded("k19"), "the most recently used view is kept");
    assert!(!loaded("k0"), "the least recently used view was dropped");
    let again = store.turn_context("k0", "t2", true).expect("reread");
    assert_eq!(*again.history, vec![question(&long), assistant(&long)]);
    store.release("k0");
    for n in 1..20 {
        store.release(&format!("k{n}"));
    }
    assert_eq!(
        store.view_bytes(),
        0,
        "released views leave nothing counted"
    );
}
