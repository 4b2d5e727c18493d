//! The file tools through their `Tool` interface: behaviour, limits and refusals.

use serde_json::json;

use super::*;
use crate::agent::tools::test_context;

fn limits() -> Limits {
    Limits {
        max_read: 64,
        max_write: 128,
    }
}

async fn call(
    tool: &dyn Tool,
    cx: &ToolContext,
    args: serde_json::Value,
) -> Result<String, String> {
    tool.call(cx, args).await
}

#[actix::test]
async fn write_then_read_whole_and_in_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let cx = test_context(dir.path());
    let (read, write) = (Read { limits: limits() }, Write { limits: limits() });
    let wrote = call(
        &write,
        &cx,
        json!({ "path": "notes/a.txt", "content": "one\ntwo\nthree\n" }),
    )
    .await;
    assert_eq!(wrote.as_deref(), Ok("wrote 14 bytes to notes/a.txt"));
    assert_eq!(
        call(&read, &cx, json!({ "path": "notes/a.txt" }))
            .await
            .as_deref(),
        Ok("one\ntwo\nthree\n")
    );
    assert_eq!(
        call(
            &read,
            &cx,
            json!({ "path": "notes/a.txt", "offset": 2, "limit": 1 })
        )
        .await
        .as_deref(),
        Ok("two\n")
    );
    let past = call(&read, &cx, json!({ "path": "notes/a.txt", "offset": 9 })).await;
    assert!(past.unwrap_err().contains("only 3 lines"));
}

#[actix::test]
async fn size_limits_apply_to_reads_and_writes() {
    let dir = tempfile::tempdir().unwrap();
    let cx = test_context(dir.path());
    let (read, write) = (Read { limits: limits() }, Write { limits: limits() });
    let big = "x".repeat(200);
    let refused = call(&write, &cx, json!({ "path": "big.txt", "content": big })).await;
    assert!(refused.unwrap_err().contains("maxWriteBytes"));
    std::fs::write(dir.path().join("big.txt"), "line\n".repeat(30)).unwrap();
    let whole = call(&read, &cx, json!({ "path": "big.txt" })).await;
    assert!(whole.unwrap_err().contains("maxReadBytes"));
    let ranged = call(&read, &cx, json!({ "path": "big.txt", "offset": 1 }))
        .await
        .unwrap();
    assert!(
        ranged.contains("64-byte limit; continue with offset 13"),
        "{ranged}"
    );
}

#[actix::test]
async fn escapes_and_special_files_are_refused() {
    let base = tempfile::tempdir().unwrap();
    let ws = base.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::write(base.path().join("secret.txt"), "s3cret").unwrap();
    std::os::unix::fs::symlink(base.path(), ws.join("up")).unwrap();
    let cx = test_context(&ws);
    let read = Read { limits: limits() };
    let write = Write { limits: limits() };
    for path in ["../secret.txt", "up/secret.txt", "/etc/passwd"] {
        let refused = call(&read, &cx, json!({ "path": path })).await.unwrap_err();
        assert!(!refused.contains("s3cret"), "{path}: {refused}");
        assert!(
            refused.contains("`..`") || refused.contains("symlink") || refused.contains("absolute"),
            "{path}: {refused}"
        );
    }
    let outside = base.path().join("planted.txt");
    let refused = call(
        &write,
        &cx,
        json!({ "path": outside.to_str().unwrap(), "content": "x" }),
    )
    .await;
    assert!(refused.is_err());
    assert!(!outside.exists());
    let refused = call(
        &write,
        &cx,
        json!({ "path": "up/planted.txt", "content": "x" }),
    )
    .await;
    assert!(refused.unwrap_err().contains("symlink"));
    assert!(!outside.exists());
    std::fs::create_dir(ws.join("folder")).unwrap();
    let folder = call(&read, &cx, json!({ "path": "folder" })).await;
    assert!(folder.unwrap_err().contains("not a regular file"));
    let missing = call(&read, &cx, json!({})).await;
    assert!(missing.unwrap_err().contains("missing argument `path`"));
}

#[actix::test]
async fn edit_replaces_exactly_one_occurrence() {
    let dir = tempfile::tempdir().unwrap();
    let cx = test_context(dir.path());
    std::fs::write(dir.path().join("c.rs"), "let a = 1;\nlet b = 1;\n").unwrap();
    let edit = Edit { limits: limits() };
    let ambiguous = call(
        &edit,
        &cx,
        json!({ "path": "c.rs", "old_string": "= 1;", "new_string": "= 2;" }),
    )
    .await;
    assert!(ambiguous.unwrap_err().contains("occurs 2 times"));
    let missing = call(
        &edit,
        &cx,
        json!({ "path": "c.rs", "old_string": "let c", "new_string": "x" }),
    )
    .await;
    assert!(missing.unwrap_err().contains("not found"));
    let done = call(
        &edit,
        &cx,
        json!({ "path": "c.rs", "old_string": "let b = 1;", "new_string": "let b = 2;" }),
    )
    .await;
    assert_eq!(done.as_deref(), Ok("edited c.rs"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("c.rs")).unwrap(),
        "let a = 1;\nlet b = 2;\n"
    );
}
