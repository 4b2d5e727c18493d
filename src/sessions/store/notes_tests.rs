//! Notes in the view (`view.rs`): what was said outside the turns reaches the next question once,
//! and an edit or a deletion changes the question it targets, in memory and after a reload.

use super::*;
use crate::providers::ChatMessage;
use crate::sessions::entry::{Note, NoteKind};

const KEY: &str = "agent:main:telegram:group:-100555";

fn question(turn: &str, text: &str, source: &str) -> Entry {
    Entry::Message {
        ts_ms: now_ms(),
        turn: turn.into(),
        message: ChatMessage::user(text),
        usage: None,
        model: None,
        members: Vec::new(),
        source: Some(source.into()),
    }
}

fn answer(turn: &str, text: &str) -> Entry {
    Entry::Message {
        ts_ms: now_ms(),
        turn: turn.into(),
        message: ChatMessage::Assistant {
            text: text.into(),
            tool_calls: vec![],
        },
        usage: None,
        model: None,
        members: Vec::new(),
        source: None,
    }
}

fn note(kind: NoteKind, text: &str, target: &str, for_model: bool) -> Entry {
    Entry::Note {
        ts_ms: now_ms(),
        note: Note {
            kind,
            from: Some("Ana".into()),
            text: text.into(),
            target: Some(target.into()),
            for_model,
        },
    }
}

fn first_question(history: &[ChatMessage]) -> String {
    match history.first() {
        Some(ChatMessage::User { content, .. }) => content.clone(),
        other => panic!("the history starts with a question, not {other:?}"),
    }
}

#[test]
fn context_reaches_the_next_question_once() {
    let dir = tempfile::tempdir().expect("dir");
    let store = SessionStore::open(dir.path()).expect("open");
    store
        .append(
            KEY,
            &[
                note(NoteKind::Context, "who cooks tonight?", "m1", true),
                note(NoteKind::Reaction, "👍", "m0", false),
                note(NoteKind::Reaction, "🎉", "m0", true),
            ],
        )
        .expect("append");
    let context = store.turn_context(KEY, "t1", true).expect("context");
    assert_eq!(
        context.notes,
        vec![
            "Ana: who cooks tonight?".to_string(),
            "Ana reacted 🎉 to a message".to_string()
        ],
        "only the notes for the model, oldest first"
    );
    store
        .append(KEY, &[question("t1", "Ana: @bot dinner?", "m2")])
        .expect("append");
    let context = store.turn_context(KEY, "t1", false).expect("context");
    assert!(context.notes.is_empty(), "the question holds them now");
    store
        .append(KEY, &[answer("t1", "Pasta.")])
        .expect("append");
    assert!(store
        .turn_context(KEY, "t2", true)
        .expect("ctx")
        .notes
        .is_empty());

    // A reload from the file agrees.
    store.flush().expect("flush");
    drop(store);
    let store = SessionStore::open(dir.path()).expect("reopen");
    assert!(store
        .turn_context(KEY, "t2", true)
        .expect("ctx")
        .notes
        .is_empty());
    store
        .append(KEY, &[note(NoteKind::Context, "and dessert?", "m3", true)])
        .expect("append");
    drop(store);
    let store = SessionStore::open(dir.path()).expect("reopen");
    assert_eq!(
        store.turn_context(KEY, "t2", true).expect("ctx").notes,
        vec!["Ana: and dessert?".to_string()]
    );
}

#[test]
fn an_edit_or_a_deletion_changes_the_question_it_targets() {
    let dir = tempfile::tempdir().expect("dir");
    let store = SessionStore::open(dir.path()).expect("open");
    store
        .append(
            KEY,
            &[
                question("t1", "dinner at 7?", "m1"),
                answer("t1", "Fine."),
                question("t2", "my PIN is 1234", "m2"),
                answer("t2", "Noted."),
            ],
        )
        .expect("append");
    store
        .append(KEY, &[note(NoteKind::Edit, "dinner at 8?", "m1", false)])
        .expect("append");
    let history = store.turn_context(KEY, "t3", true).expect("ctx").history;
    assert_eq!(first_question(&history), "dinner at 8?");
    store
        .append(KEY, &[note(NoteKind::Delete, "", "m2", false)])
        .expect("append");
    let history = store.turn_context(KEY, "t3", true).expect("ctx").history;
    let texts: Vec<String> = history
        .iter()
        .filter_map(|m| match m {
            ChatMessage::User { content, .. } => Some(content.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        texts,
        vec!["dinner at 8?".to_string(), view::DELETED.to_string()]
    );
    assert!(
        !format!("{history:?}").contains("1234"),
        "a deleted message is not sent to the model again"
    );
    // The file keeps the original lines; a reload applies the notes again.
    store.flush().expect("flush");
    drop(store);
    let store = SessionStore::open(dir.path()).expect("reopen");
    let history = store.turn_context(KEY, "t3", true).expect("ctx").history;
    assert_eq!(first_question(&history), "dinner at 8?");
    assert!(!format!("{history:?}").contains("1234"));
    // A note about a message the session never had changes nothing.
    store
        .append(KEY, &[note(NoteKind::Edit, "x", "unknown", false)])
        .expect("append");
    let again = store.turn_context(KEY, "t3", true).expect("ctx").history;
    assert_eq!(again, history);
}
