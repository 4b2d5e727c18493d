//! Parsing and applying unified diffs, and the all-or-nothing rule in the workspace.

use serde_json::json;

use super::*;
use crate::agent::tools::test_context;

const LIMITS: Limits = Limits {
    max_read: 10_000,
    max_write: 10_000,
};

#[test]
fn hunks_apply_at_their_line_or_nearby() {
    let old = "a\nb\nc\nd\ne\n";
    let patch = "--- a/f.txt\n+++ b/f.txt\n@@ -2,3 +2,3 @@\n b\n-c\n+C\n d\n";
    let files = parse(patch).unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].old_path.as_deref(), Some("f.txt"));
    assert_eq!(
        apply(Some(old), &files[0].hunks).unwrap(),
        "a\nb\nC\nd\ne\n"
    );

    // Wrong line numbers and counts (as models write them) still apply by context.
    let drifted = "--- a/f.txt\n+++ b/f.txt\n@@ -40,9 +40,9 @@\n d\n-e\n+E\n+F\n";
    let files = parse(drifted).unwrap();
    assert_eq!(
        apply(Some(old), &files[0].hunks).unwrap(),
        "a\nb\nc\nd\nE\nF\n"
    );

    let wrong = "--- a/f.txt\n+++ b/f.txt\n@@ -1 +1 @@\n-zzz\n+y\n";
    let files = parse(wrong).unwrap();
    assert!(apply(Some(old), &files[0].hunks)
        .unwrap_err()
        .contains("hunk 1"));
}

#[test]
fn new_files_deletions_and_missing_final_newlines() {
    let patch = "diff --git a/new.txt b/new.txt\n--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1,2 @@\n+hello\n+world\n\\ No newline at end of file\n--- a/gone.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n";
    let files = parse(patch).unwrap();
    assert_eq!(files[0].old_path, None);
    assert_eq!(apply(None, &files[0].hunks).unwrap(), "hello\nworld");
    assert_eq!(files[1].new_path, None);
    assert!(parse("just text").unwrap_err().contains("unified diff"));
}

#[actix::test]
async fn a_patch_changes_every_file_or_none() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "one\ntwo\n").unwrap();
    std::fs::write(dir.path().join("b.txt"), "three\n").unwrap();
    let cx = test_context(dir.path());
    let tool = ApplyPatch { limits: LIMITS };

    let half_bad = "--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n one\n-two\n+2\n--- a/b.txt\n+++ b/b.txt\n@@ -1 +1 @@\n-nope\n+x\n";
    let refused = tool
        .call(&cx, json!({ "patch": half_bad }))
        .await
        .unwrap_err();
    assert!(refused.contains("b.txt"), "{refused}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.txt")).unwrap(),
        "one\ntwo\n"
    );

    let good = "--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n one\n-two\n+2\n--- /dev/null\n+++ b/sub/c.txt\n@@ -0,0 +1 @@\n+new\n--- a/b.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-three\n";
    let done = tool.call(&cx, json!({ "patch": good })).await.unwrap();
    assert_eq!(done, "patched a.txt\ncreated sub/c.txt\ndeleted b.txt");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.txt")).unwrap(),
        "one\n2\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("sub/c.txt")).unwrap(),
        "new\n"
    );
    assert!(!dir.path().join("b.txt").exists());

    let escape = "--- /dev/null\n+++ b/../evil.txt\n@@ -0,0 +1 @@\n+x\n";
    assert!(tool
        .call(&cx, json!({ "patch": escape }))
        .await
        .unwrap_err()
        .contains("`..`"));
}
