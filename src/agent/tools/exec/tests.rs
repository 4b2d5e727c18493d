//! `exec` and `process` on real processes: output, exit codes, the output cap, the scrubbed
//! environment, group kills on timeout and on cancellation, slots, and Landlock.

use std::ffi::OsString;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::processes::{ProcessTable, ProcessTool};
use super::*;
use crate::agent::tools::test_context;

fn exec(dir: &Path, max_output: usize, slots: u32, confine: bool) -> Exec {
    Exec {
        settings: Arc::new(Settings {
            timeout: Duration::from_secs(1),
            background_timeout: Duration::from_secs(30),
            max_output,
            confine,
            tmp_dir: dir.join("tmp"),
            secret_env: vec!["MY_PROVIDER_CREDS".into()],
            base_env: Some(
                [
                    ("PATH", "/usr/local/bin:/usr/bin:/bin"),
                    ("HOME", "/nonexistent"),
                    ("OPENAI_API_KEY", "sk-leaked"),
                    ("PINCER_GATEWAY_TOKEN", "gw-leaked"),
                    ("MY_PROVIDER_CREDS", "creds-leaked"),
                    ("VISIBLE_SETTING", "shown"),
                ]
                .into_iter()
                .map(|(k, v)| (OsString::from(k), OsString::from(v)))
                .collect(),
            ),
        }),
        table: Arc::new(ProcessTable::new(slots)),
    }
}

/// Whether `pid` is gone (or a zombie nobody reaped yet: it runs no more).
fn dead(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

async fn eventually_dead(pid: i32) -> bool {
    for _ in 0..100 {
        if dead(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[actix::test]
async fn commands_run_in_the_workspace_and_report_their_exit() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    std::fs::create_dir_all(ws.join("sub")).unwrap();
    let cx = test_context(&ws);
    let tool = exec(dir.path(), 4096, 4, false);
    let out = tool
        .call(&cx, json!({ "command": "pwd; echo oops >&2; exit 3" }))
        .await
        .unwrap();
    let real = ws.canonicalize().unwrap();
    assert_eq!(out, format!("[exit code 3]\n{}\noops\n", real.display()));
    let sub = tool
        .call(&cx, json!({ "command": "pwd", "workdir": "sub" }))
        .await
        .unwrap();
    assert!(sub.ends_with("/ws/sub\n"), "{sub}");
    let escape = tool
        .call(&cx, json!({ "command": "pwd", "workdir": "../" }))
        .await;
    assert!(escape.unwrap_err().contains("`..`"));
}

#[actix::test]
async fn secrets_are_not_in_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let cx = test_context(dir.path());
    let out = exec(dir.path(), 8192, 4, false)
        .call(&cx, json!({ "command": "env" }))
        .await
        .unwrap();
    assert!(out.contains("VISIBLE_SETTING=shown"), "{out}");
    assert!(!out.contains("leaked"), "{out}");
}

#[actix::test]
async fn long_output_is_cut_in_the_middle() {
    let dir = tempfile::tempdir().unwrap();
    let cx = test_context(dir.path());
    let out = exec(dir.path(), 1000, 4, false)
        .call(&cx, json!({ "command": "seq 1 100000" }))
        .await
        .unwrap();
    assert!(out.len() < 1200, "{} bytes", out.len());
    assert!(out.starts_with("[exit code 0]\n1\n2\n3\n"), "{out}");
    assert!(
        out.contains("bytes of output cut (tools.exec.maxOutputBytes)"),
        "{out}"
    );
    assert!(out.ends_with("99999\n100000\n"), "{out}");
}

#[actix::test]
async fn a_timeout_kills_the_whole_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let cx = test_context(dir.path());
    let started = std::time::Instant::now();
    let out = exec(dir.path(), 4096, 4, false)
        .call(
            &cx,
            json!({ "command": "sleep 30 & echo $! > child.pid; echo started; sleep 30" }),
        )
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(
        out.contains("timed out after 1 s") && out.contains("started"),
        "{out}"
    );
    let pid: i32 = std::fs::read_to_string(dir.path().join("child.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        eventually_dead(pid).await,
        "the background child {pid} was killed with its group"
    );
}

#[actix::test]
async fn dropping_the_call_kills_the_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let cx = test_context(dir.path());
    let tool = exec(dir.path(), 4096, 4, false);
    let call = tool.call(
        &cx,
        json!({ "command": "echo $$ > shell.pid; sleep 30", "timeout": 60 }),
    );
    assert!(tokio::time::timeout(Duration::from_millis(300), call)
        .await
        .is_err());
    let pid: i32 = std::fs::read_to_string(dir.path().join("shell.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        eventually_dead(pid).await,
        "the cancelled command {pid} was killed"
    );
}

#[actix::test]
async fn background_commands_are_polled_read_and_killed_within_the_slots() {
    let dir = tempfile::tempdir().unwrap();
    let cx = test_context(dir.path());
    let tool = exec(dir.path(), 4096, 1, false);
    let process = ProcessTool {
        table: Arc::clone(&tool.table),
    };
    let started = tool
        .call(
            &cx,
            json!({ "command": "echo first; sleep 30", "background": true }),
        )
        .await
        .unwrap();
    assert!(started.starts_with("started p1 (pid "), "{started}");
    let busy = tool
        .call(&cx, json!({ "command": "true", "background": true }))
        .await;
    assert!(busy.unwrap_err().contains("maxProcesses"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let poll = process
        .call(&cx, json!({ "action": "poll", "id": "p1" }))
        .await
        .unwrap();
    assert!(
        poll.contains("running") && poll.ends_with("first\n"),
        "{poll}"
    );
    let again = process
        .call(&cx, json!({ "action": "poll", "id": "p1" }))
        .await
        .unwrap();
    let new_output: Vec<&str> = again.lines().skip(1).collect();
    assert!(
        new_output.is_empty(),
        "poll returns only new output: {again}"
    );
    let list = process
        .call(&cx, json!({ "action": "list" }))
        .await
        .unwrap();
    assert!(list.contains("p1 pid"), "{list}");

    let mut other = test_context(dir.path());
    other.session_key = Arc::from("agent:main:other");
    let hidden = process
        .call(&other, json!({ "action": "read", "id": "p1" }))
        .await;
    assert!(hidden.unwrap_err().contains("no background process p1"));

    let killed = process
        .call(&cx, json!({ "action": "kill", "id": "p1" }))
        .await
        .unwrap();
    assert_eq!(killed, "p1 stopped (killed by signal 9)");
    let read = process
        .call(&cx, json!({ "action": "read", "id": "p1" }))
        .await
        .unwrap();
    assert!(
        read.contains("finished") && read.contains("first"),
        "{read}"
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    let slot_free = tool
        .call(&cx, json!({ "command": "echo again" }))
        .await
        .unwrap();
    assert_eq!(slot_free, "[exit code 0]\nagain\n");
}

#[actix::test]
async fn landlock_confines_writes_to_the_workspace() {
    if landlock::abi_version().is_none() {
        eprintln!("skipped: this kernel has no Landlock");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    let outside = dir.path().join("outside.txt");
    let cx = test_context(&ws);
    let tool = exec(dir.path(), 4096, 4, true);
    let command = format!(
        "echo in > inside.txt && echo tmp > \"$TMPDIR/t\" && cat /etc/hostname >/dev/null; echo out > {} ; echo done",
        outside.display()
    );
    let out = tool.call(&cx, json!({ "command": command })).await.unwrap();
    assert!(out.contains("Permission denied"), "{out}");
    assert!(out.contains("done"), "{out}");
    assert!(ws.join("inside.txt").exists());
    assert!(
        !outside.exists(),
        "the write outside the workspace was refused"
    );
    assert!(confinement(true).0);
}

#[actix::test]
async fn landlock_hides_pincers_own_files_from_every_command() {
    if landlock::abi_version().is_none() {
        eprintln!("skipped: this kernel has no Landlock");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().canonicalize().unwrap();
    let state = home.join("state");
    let ws = state.join("agents/main/workspace");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::write(state.join("secrets.env"), "OPENAI_API_KEY=sk-unit-secret\n").unwrap();
    std::fs::write(home.join("pincer.json5"), "{ apiKey: 'cfg-unit-secret' }").unwrap();
    std::fs::write(ws.join("mine.txt"), "workspace-text").unwrap();
    let mut cx = test_context(&ws);
    cx.walls = Arc::new(crate::agent::tools::walls::Walls::of(
        &state,
        Some(&home.join("pincer.json5")),
    ));
    for confine in [true, false] {
        let mut tool = exec(&state, 8192, 4, confine);
        tool.settings = Arc::new(Settings {
            tmp_dir: state.join("tmp/exec"),
            ..(*tool.settings).clone()
        });
        let command = format!(
            "cat {state}/secrets.env; cat {home}/pincer.json5; cat mine.txt; echo; \
             ls /usr >/dev/null && echo usr-ok; head -1 /proc/self/status; \
             echo t > \"$TMPDIR/t\" && echo tmp-ok; echo w > new.txt && echo write-ok",
            state = state.display(),
            home = home.display()
        );
        let out = tool.call(&cx, json!({ "command": command })).await.unwrap();
        for secret in ["sk-unit-secret", "cfg-unit-secret"] {
            assert!(!out.contains(secret), "confine={confine}: {out}");
        }
        for fine in ["workspace-text", "usr-ok", "Name:", "tmp-ok", "write-ok"] {
            assert!(
                out.contains(fine),
                "confine={confine}: {fine} missing: {out}"
            );
        }
        assert!(out.contains("Permission denied"), "{out}");
    }
}
