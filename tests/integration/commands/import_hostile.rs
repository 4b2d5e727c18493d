//! `pincer import openclaw` on a hostile home (a copy of the fixture with links out of it, a huge
//! file, odd names, malformed lines and files, a path in the session index): each is reported and
//! skipped, the rest imported; and a missing home is a clear error.

use std::fs;

use super::import::{files_under, homes, import, succeeded};
use crate::support::stderr;
use serde_json::{json, Value};

#[test]
fn a_hostile_home_is_reported_and_the_rest_imported() {
    let (user, pincer_home) = homes(None);
    let home = user.path().join(".openclaw");
    let outside = tempfile::tempdir().expect("outside");
    fs::write(outside.path().join("stolen.txt"), "private key material").expect("outside");
    // A workspace file that is a link out of the home.
    fs::remove_file(home.join("workspace/MEMORY.md")).expect("rm");
    std::os::unix::fs::symlink(
        outside.path().join("stolen.txt"),
        home.join("workspace/MEMORY.md"),
    )
    .expect("symlink");
    // A whole folder linked out.
    std::os::unix::fs::symlink(outside.path(), home.join("workspace/skills/elsewhere"))
        .expect("symlink");
    // A huge file (sparse: no disk used).
    let huge = fs::File::create(home.join("workspace/memory/huge.md")).expect("huge");
    huge.set_len(1 << 30).expect("set_len");
    // An odd name.
    fs::write(home.join("workspace/memory/bad\nname.md"), "x").expect("odd name");
    // A malformed line in a transcript, a malformed approvals file, a path in the index.
    let transcript = home.join("agents/main/sessions/8d1e2f3a-4b5c-4d6e-9f70-8192a3b4c5d6.jsonl");
    let mut text = fs::read_to_string(&transcript).expect("transcript");
    text.insert_str(
        text.find('\n').expect("line") + 1,
        "{\"type\":\"message\",\"message\":\n",
    );
    fs::write(&transcript, text).expect("write");
    fs::write(
        home.join("credentials/telegram-allowFrom.json"),
        "{ not json",
    )
    .expect("write");
    let index = home.join("agents/main/sessions/sessions.json");
    let mut sessions: Value =
        serde_json::from_slice(&fs::read(&index).expect("index")).expect("json");
    sessions["agent:main:telegram:direct:5"] = json!({ "sessionId": "../../../../etc/passwd" });
    fs::write(&index, sessions.to_string()).expect("write");

    let out = succeeded(&import(user.path(), pincer_home.path(), &["--json"]));
    let plan: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(plan["applied"], true);
    let problems: String = plan["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| {
            format!(
                "{}: {}\n",
                p["what"].as_str().unwrap_or(""),
                p["reason"].as_str().unwrap_or("")
            )
        })
        .collect();
    for expected in [
        "workspace/\"MEMORY.md\"",
        "workspace/skills/\"elsewhere\"",
        "a symlink that leads out of the OpenClaw folder",
        "huge.md",
        "more than the",
        "not a plain file name",
        "1 malformed line(s), the first at line 2",
        "telegram-allowFrom.json",
        "not valid JSON",
        "agent:main:telegram:direct:5",
    ] {
        assert!(
            problems.contains(expected),
            "{expected:?} not among the problems: {problems}"
        );
    }
    let workspace = pincer_home.path().join("state/agents/main/workspace");
    assert!(
        !workspace.join("MEMORY.md").exists(),
        "the link was followed"
    );
    assert!(!workspace.join("memory/huge.md").exists());
    let copied = files_under(&workspace).join(" ");
    assert!(!copied.contains("stolen"), "{copied}");
    assert!(copied.contains("SOUL.md"), "the rest is imported: {copied}");
    // The damaged transcript still brings its good lines; WhatsApp's approvals still count.
    let whatsapp = plan["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["to"] == "agent:main:whatsapp:direct:15557770002")
        .cloned()
        .expect("the WhatsApp session");
    assert_eq!(whatsapp["detail"], "2 messages, 1 turns", "{whatsapp}");
    let approved = fs::read_to_string(
        pincer_home
            .path()
            .join("state/credentials/whatsapp-allowFrom.json"),
    )
    .expect("approvals");
    assert!(approved.contains("15557770002"), "{approved}");
    assert!(!pincer_home
        .path()
        .join("state/credentials/telegram-allowFrom.json")
        .exists());
}

#[test]
fn a_missing_home_is_a_clear_error() {
    let user = tempfile::tempdir().expect("user");
    let pincer_home = tempfile::tempdir().expect("pincer");
    let output = import(user.path(), pincer_home.path(), &[]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("no OpenClaw home found"),
        "{}",
        stderr(&output)
    );
    let output = import(
        user.path(),
        pincer_home.path(),
        &[user.path().to_str().expect("utf-8")],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("is it an OpenClaw home?"),
        "{}",
        stderr(&output)
    );
}
