//! Tools end to end, against the real binary and the OpenAI emulator on 127.0.0.1: the model
//! writes then reads a file, a sandboxed session is not offered `exec` and is refused when it
//! calls it anyway, `exec` does not see the gateway's secrets, a running tool call is visible in
//! `/admin/actors`, and an interrupted turn kills its command. (`tools/more.rs`: sessions_send,
//! web_fetch, `pincer tools list`.)

use std::time::{Duration, Instant};

use crate::support::agent::*;
use crate::support::tools::*;
use crate::support::*;
use pincer_emulators::{Emulator, Reply};
use serde_json::json;

#[test]
fn the_model_writes_then_reads_a_file_in_the_workspace() {
    let emulator = Emulator::openai();
    emulator.push(call(
        "c1",
        "write",
        json!({ "path": "notes/hello.txt", "content": "hi from the model" }),
    ));
    emulator.push(call("c2", "read", json!({ "path": "notes/hello.txt" })));
    emulator.push(call("c3", "read", json!({ "path": "../../gateway.token" })));
    emulator.push(Reply::text(&["done"]));
    let gateway = gateway(&emulator, "", "");

    assert_eq!(
        answer_of(&ask(&gateway, "agent:main:main", "take a note")),
        "done"
    );
    let file = gateway
        .state_dir()
        .join("agents/main/workspace/notes/hello.txt");
    assert_eq!(std::fs::read_to_string(file).unwrap(), "hi from the model");
    let requests = emulator.requests();
    assert_eq!(requests.len(), 4);
    let tools = offered(&requests[0].body);
    for name in [
        "read",
        "write",
        "edit",
        "apply_patch",
        "exec",
        "process",
        "web_fetch",
        "memory_search",
        "sessions_send",
    ] {
        assert!(
            tools.contains(&name.to_string()),
            "{name} offered to main: {tools:?}"
        );
    }
    assert_eq!(
        tool_result(&requests[1].body, "c1"),
        "wrote 17 bytes to notes/hello.txt"
    );
    assert_eq!(tool_result(&requests[2].body, "c2"), "hi from the model");
    let refused = tool_result(&requests[3].body, "c3");
    assert!(refused.contains("`..` is not allowed"), "{refused}");
}

#[test]
fn a_sandboxed_session_is_not_offered_exec_and_cannot_call_it() {
    let emulator = Emulator::openai();
    emulator.push(call("c1", "exec", json!({ "command": "touch ran-exec" })));
    emulator.push(call(
        "c2",
        "write",
        json!({ "path": "group.txt", "content": "mine" }),
    ));
    emulator.push(Reply::text(&["refused"]));
    let gateway = gateway(&emulator, "", "");

    let group = "agent:main:telegram:group:-100";
    assert_eq!(answer_of(&ask(&gateway, group, "run something")), "refused");
    let requests = emulator.requests();
    let tools = offered(&requests[0].body);
    assert_eq!(
        tools,
        [
            "edit",
            "read",
            "sessions_history",
            "sessions_list",
            "sessions_send",
            "write"
        ],
        "the seed's allowlist"
    );
    let result = tool_result(&requests[1].body, "c1");
    assert!(
        result.contains("`exec` is not available in this session")
            && result.contains("not in agents.defaults.sandbox.allowlist"),
        "{result}"
    );
    let state = gateway.state_dir();
    assert!(!state.join("agents/main/workspace/ran-exec").exists());
    // Its files live in a folder of its own, not in the owner's workspace.
    assert!(!state.join("agents/main/workspace/group.txt").exists());
    let sandboxes: Vec<_> = std::fs::read_dir(state.join("sandboxes"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(sandboxes.len(), 1, "{sandboxes:?}");
    assert_eq!(
        std::fs::read_to_string(sandboxes[0].join("group.txt")).unwrap(),
        "mine"
    );
    assert!(!sandboxes[0].join("ran-exec").exists());
}

#[test]
fn exec_does_not_see_the_gateways_secrets() {
    let emulator = Emulator::openai();
    emulator.push(call("c1", "exec", json!({ "command": "env" })));
    emulator.push(Reply::text(&["ok"]));
    let config = format!(
        "{{ agents: {{ defaults: {{ model: 'openai/m' }} }}, models: {{ providers: {{ openai: {{ api: 'openai-completions', baseUrl: '{}', apiKeyEnv: 'TEST_PROVIDER_CREDS' }} }} }} }}",
        emulator.base_url()
    );
    let gateway = Gateway::start_with(
        Some(&config),
        &[
            ("TEST_PROVIDER_CREDS", "creds-secret-1"),
            ("ANTHROPIC_API_KEY", "sk-ant-secret-2"),
            ("SOME_SERVICE_TOKEN", "token-secret-3"),
            ("PINCER_LOG", "info"),
            ("HARMLESS_SETTING", "visible-4"),
        ],
    );
    assert_eq!(
        answer_of(&ask(&gateway, "agent:main:main", "show env")),
        "ok"
    );
    let env = tool_result(&emulator.requests()[1].body, "c1");
    assert!(env.contains("HARMLESS_SETTING=visible-4"), "{env}");
    for leaked in ["secret-1", "secret-2", "secret-3", "PINCER_LOG"] {
        assert!(!env.contains(leaked), "{leaked} leaked: {env}");
    }
}

#[test]
fn a_running_tool_call_is_an_actor_with_a_status() {
    let emulator = Emulator::openai();
    emulator.push(call(
        "c1",
        "exec",
        json!({ "command": "sleep 1.5; echo slept" }),
    ));
    emulator.push(Reply::text(&["awake"]));
    let gateway = gateway(&emulator, "", "");
    let addr = gateway.addr;
    let token = gateway.token();
    let asking = std::thread::spawn(move || {
        let body = json!({ "messages": [{ "role": "user", "content": "sleep" }] });
        let bearer = format!("Bearer {token}");
        http_post(
            addr,
            "/v1/chat/completions",
            &[
                ("Authorization", bearer.as_str()),
                ("x-pincer-session-key", "agent:main:main"),
            ],
            &body,
        )
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let invocation = loop {
        let actors = gateway.get_authed("/admin/actors?flat=1").body;
        let found = actors["actors"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["kind"] == "tool")
            .cloned();
        if let Some(found) = found {
            break found;
        }
        assert!(
            Instant::now() < deadline,
            "no tool actor appeared: {actors}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let path = invocation["path"].as_str().unwrap_or_default();
    assert!(
        path.starts_with("/gateway/tools/agent:main:main#") && path.ends_with("#c1"),
        "{invocation}"
    );
    assert_eq!(invocation["status"], "exec");
    assert_eq!(invocation["state"], "running");
    assert_eq!(answer_of(&asking.join().unwrap()), "awake");
    assert!(tool_result(&emulator.requests()[1].body, "c1").ends_with("slept\n"));
    // A successful call leaves the registry once it is over.
    let actors = gateway.get_authed("/admin/actors?flat=1").body;
    assert!(!actors.to_string().contains("#c1"), "{actors}");
}

#[test]
fn an_interrupted_turn_kills_its_running_command() {
    let emulator = Emulator::openai();
    emulator.push(call(
        "c1",
        "exec",
        json!({ "command": "echo $$ > shell.pid; sleep 60; touch finished", "timeout": 120 }),
    ));
    emulator.push(Reply::text(&["second answer"]));
    let gateway = gateway(&emulator, "", "messages: { queue: { mode: 'interrupt' } },");
    let addr = gateway.addr;
    let token = gateway.token();
    let first = std::thread::spawn(move || {
        let body = json!({ "messages": [{ "role": "user", "content": "long job" }] });
        let bearer = format!("Bearer {token}");
        http_post(
            addr,
            "/v1/chat/completions",
            &[
                ("Authorization", bearer.as_str()),
                ("x-pincer-session-key", "agent:main:main"),
            ],
            &body,
        )
    });
    let pid_file = gateway.state_dir().join("agents/main/workspace/shell.pid");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !pid_file.exists() {
        assert!(Instant::now() < deadline, "the command never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    let pid: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(
        answer_of(&ask(&gateway, "agent:main:main", "never mind")),
        "second answer"
    );
    let interrupted = first.join().unwrap();
    assert_ne!(interrupted.status, 200, "{}", interrupted.text);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let gone = stat.is_empty()
            || stat
                .rsplit(')')
                .next()
                .is_some_and(|r| r.trim_start().starts_with('Z'));
        if gone {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the interrupted command {pid} still runs: {stat}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
