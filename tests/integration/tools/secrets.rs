//! Pincer's own secrets stay out of reach of the agent's tools, against the real binary and the
//! OpenAI emulator: a model (or a prompt injected into it) runs `exec` on the secrets file, the
//! token file, the config file and `/proc/<gateway>/{environ,mem}` (with and without
//! `tools.exec.sandbox`, in the main and in a sandboxed session), and calls the file tools on
//! the same paths directly and through symlinks in the workspace, also with a workspace that
//! contains the state directory. Every secret value the test planted is absent from every tool
//! result, and the legitimate work (the workspace, `/usr`, `/etc`, the command's own `/proc/self`)
//! still works.

use std::path::Path;

use crate::support::agent::*;
use crate::support::tools::*;
use crate::support::*;
use pincer_emulators::{Emulator, Reply};
use serde_json::json;

/// Secret values planted in every place the gateway keeps them.
const FILE_SECRET: &str = "wa-app-secret-in-secrets-file-7f3a";
const FILE_KEY: &str = "sk-file-key-in-secrets-file-91c2";
const CONFIG_SECRET: &str = "cfg-literal-api-key-55d0";
const ENV_SECRET: &str = "env-provider-creds-e81b";

/// A `PINCER_HOME` with a config naming `config_extra`, a secrets file, and a provider whose
/// key comes from the environment.
fn home_with_secrets(emulator: &Emulator, config_extra: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().expect("home");
    prepare(home.path(), emulator, config_extra);
    home
}

fn prepare(home: &Path, emulator: &Emulator, config_extra: &str) {
    let state = home.join("state");
    std::fs::create_dir_all(&state).expect("state");
    std::fs::write(
        state.join("secrets.env"),
        format!("WHATSAPP_APP_SECRET={FILE_SECRET}\nOTHER_API_KEY={FILE_KEY}\n"),
    )
    .expect("secrets file");
    let config = format!(
        "{{ {config_extra} agents: {{ defaults: {{ model: 'openai/m', sandbox: {{ allowlist: \
         ['exec', 'read'] }} }} }}, models: {{ providers: {{ openai: {{ api: \
         'openai-completions', baseUrl: '{}', apiKeyEnv: 'TEST_PROVIDER_CREDS' }}, spare: {{ \
         api: 'openai-completions', baseUrl: 'http://127.0.0.1:9', apiKey: '{CONFIG_SECRET}' }} \
         }} }} }}",
        emulator.base_url()
    );
    std::fs::write(home.join("pincer.json5"), config).expect("config");
}

fn start(home: tempfile::TempDir) -> Gateway {
    Gateway::start_in(
        home,
        &[
            ("TEST_PROVIDER_CREDS", ENV_SECRET),
            ("PINCER_GATEWAY_EXTRA_SECRET", ENV_SECRET),
        ],
    )
}

/// Every secret the gateway holds, the generated token included.
fn secrets(gateway: &Gateway) -> Vec<String> {
    vec![
        FILE_SECRET.into(),
        FILE_KEY.into(),
        CONFIG_SECRET.into(),
        ENV_SECRET.into(),
        gateway.token(),
    ]
}

fn assert_no_secret(gateway: &Gateway, what: &str, text: &str) {
    for secret in secrets(gateway) {
        assert!(!text.contains(&secret), "{what} leaked {secret}:\n{text}");
    }
}

/// Runs `calls` as one turn of `session` and returns each call's result.
fn run_calls(
    gateway: &Gateway,
    emulator: &Emulator,
    session: &str,
    calls: &[(&str, &str, serde_json::Value)],
) -> Vec<(String, String)> {
    let before = emulator.requests().len();
    for (id, name, args) in calls {
        emulator.push(call(id, name, args.clone()));
    }
    emulator.push(Reply::text(&["done"]));
    assert_eq!(answer_of(&ask(gateway, session, "go")), "done");
    let requests = emulator.requests();
    let last = &requests.last().expect("requests").body;
    assert_eq!(requests.len() - before, calls.len() + 1);
    calls
        .iter()
        .map(|(id, _, _)| (id.to_string(), tool_result(last, id)))
        .collect()
}

/// The attacks of issue 14 item 4, as `exec` commands.
fn exec_attacks(gateway: &Gateway) -> Vec<(&'static str, &'static str, serde_json::Value)> {
    let state = gateway.state_dir();
    let home = gateway.home().to_path_buf();
    let pid = gateway.pid;
    let sh = |id: &'static str, command: String| (id, "exec", json!({ "command": command }));
    vec![
        sh("secrets", format!("cat {}/secrets.env", state.display())),
        sh("token", format!("cat {}/gateway.token", state.display())),
        sh("config", format!("cat {}/pincer.json5", home.display())),
        sh(
            "grep",
            format!(
                "grep -r . {} {}/pincer.json5 2>&1 | head -50",
                state.display(),
                home.display()
            ),
        ),
        sh("ppid-env", "tr '\\0' '\\n' < /proc/$PPID/environ".into()),
        sh("pid-env", format!("tr '\\0' '\\n' < /proc/{pid}/environ")),
        sh(
            "mem",
            format!(
                "a=$(grep -m1 heap /proc/{pid}/maps | cut -d- -f1); \
                 dd if=/proc/{pid}/mem bs=65536 iflag=skip_bytes,count_bytes \
                 skip=$((0x${{a:-0}})) count=4194304 2>&1 | tr -c '[:print:]' '\\n' | grep -a . | tail -3"
            ),
        ),
        sh("fd", format!("cat /proc/{pid}/fd/* 2>&1 | head -20")),
        sh("cmdline", format!("tr '\\0' ' ' < /proc/{pid}/cmdline")),
    ]
}

/// Legitimate work in the workspace and the rest of the system.
fn exec_legit() -> (&'static str, &'static str, serde_json::Value) {
    let command = "ls >/dev/null && echo ls-ok; cat mine.txt; echo; echo made > made.txt && \
                   cat made.txt; /bin/sh -c 'echo sh-ok'; \
                   if command -v python3 >/dev/null; then python3 -c 'print(\"py\", 40 + 2)'; \
                   else echo 'py 42'; fi; grep -m1 '^ID=' /etc/os-release; ls /usr | grep -m1 bin; \
                   grep -m1 '^Name:' /proc/self/status";
    ("legit", "exec", json!({ "command": command }))
}

fn check_exec(gateway: &Gateway, results: &[(String, String)], workspace: &Path) {
    for (id, result) in results {
        assert_no_secret(gateway, id, result);
    }
    let result = |id: &str| -> &str {
        &results
            .iter()
            .find(|(name, _)| name == id)
            .unwrap_or_else(|| panic!("no result {id}"))
            .1
    };
    for id in ["secrets", "token", "config", "mem"] {
        assert!(
            result(id).contains("Permission denied"),
            "{id} must be refused by the kernel: {}",
            result(id)
        );
    }
    // The environment of the gateway is readable but erased; the names are still there.
    for id in ["ppid-env", "pid-env"] {
        assert!(
            result(id).contains("TEST_PROVIDER_CREDS=***"),
            "{id}: {}",
            result(id)
        );
    }
    assert!(
        result("cmdline").contains("gateway --port 0"),
        "{}",
        result("cmdline")
    );
    let legit = result("legit");
    for expected in [
        "ls-ok",
        "workspace note",
        "made",
        "sh-ok",
        "py 42",
        "ID=",
        "bin",
        "Name:",
    ] {
        assert!(legit.contains(expected), "{expected} missing from: {legit}");
    }
    assert_eq!(
        std::fs::read_to_string(workspace.join("made.txt")).expect("made.txt"),
        "made\n"
    );
}

fn the_model_cannot_read_secrets_through_exec(exec_sandbox: bool) {
    let emulator = Emulator::openai();
    let extra = format!("tools: {{ exec: {{ sandbox: {exec_sandbox} }} }},");
    let gateway = start(home_with_secrets(&emulator, &extra));
    let workspace = gateway.state_dir().join("agents/main/workspace");
    std::fs::write(workspace.join("mine.txt"), "workspace note").expect("note");
    let mut calls = exec_attacks(&gateway);
    calls.push(exec_legit());
    let results = run_calls(&gateway, &emulator, "agent:main:main", &calls);
    check_exec(&gateway, &results, &workspace);

    // A sandboxed session allowed to use exec (its folder lives inside the state directory).
    let group = "agent:main:telegram:group:-42";
    let mut calls = exec_attacks(&gateway);
    calls.push((
        "prepare",
        "exec",
        json!({ "command": "echo workspace note > mine.txt" }),
    ));
    calls.push(exec_legit());
    let results = run_calls(&gateway, &emulator, group, &calls);
    let sandboxes: Vec<_> = std::fs::read_dir(gateway.state_dir().join("sandboxes"))
        .expect("sandboxes")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(sandboxes.len(), 1, "{sandboxes:?}");
    check_exec(&gateway, &results, &sandboxes[0]);
}

#[test]
fn exec_cannot_read_the_state_dir_config_or_gateway_process_with_the_write_sandbox() {
    the_model_cannot_read_secrets_through_exec(true);
}

#[test]
fn exec_cannot_read_the_state_dir_config_or_gateway_process_without_the_write_sandbox() {
    the_model_cannot_read_secrets_through_exec(false);
}

#[test]
fn the_gateways_own_environ_shows_no_secret_value() {
    let emulator = Emulator::openai();
    let gateway = start(home_with_secrets(&emulator, ""));
    // Read by the (root, unconfined) test itself: the values are gone from the kernel's view.
    let environ = std::fs::read(format!("/proc/{}/environ", gateway.pid)).expect("environ");
    let environ = String::from_utf8_lossy(&environ).replace('\0', "\n");
    assert_no_secret(&gateway, "/proc/<gateway>/environ", &environ);
    assert!(environ.contains("TEST_PROVIDER_CREDS=*"), "{environ}");
    assert!(
        environ.contains("PATH="),
        "harmless variables stay: {environ}"
    );
    // ...and the gateway still has the key it moved to its heap: it sends it to the provider.
    assert_eq!(answer_of_simple(&gateway, &emulator), "hello");
    let sent = emulator.requests();
    let authorization = sent[0]
        .headers
        .iter()
        .find(|(name, _)| name == "authorization")
        .map(|(_, value)| value.as_str());
    assert_eq!(authorization, Some(format!("Bearer {ENV_SECRET}").as_str()));
    let status = std::fs::read_to_string(format!("/proc/{}/status", gateway.pid)).expect("status");
    assert!(status.contains("VmRSS"), "{status}");
}

fn answer_of_simple(gateway: &Gateway, emulator: &Emulator) -> String {
    emulator.push(Reply::text(&["hello"]));
    answer_of(&ask(gateway, "agent:main:main", "hi"))
}

#[test]
fn the_file_tools_cannot_read_secrets_directly_or_through_symlinks() {
    let emulator = Emulator::openai();
    let gateway = start(home_with_secrets(&emulator, ""));
    let state = gateway.state_dir();
    let home = gateway.home().to_path_buf();
    let workspace = state.join("agents/main/workspace");
    std::fs::write(workspace.join("mine.txt"), "workspace note").expect("note");
    let link = |name: &str, target: &Path| {
        std::os::unix::fs::symlink(target, workspace.join(name)).expect("symlink");
    };
    link("secrets-link", &state.join("secrets.env"));
    link("token-link", &state.join("gateway.token"));
    link("config-link", &home.join("pincer.json5"));
    link("state-link", &state);
    std::fs::create_dir_all(workspace.join("memory")).expect("memory");
    link("MEMORY.md", &state.join("secrets.env"));
    let read = |id: &'static str, path: String| (id, "read", json!({ "path": path }));
    let calls = vec![
        read(
            "abs-secrets",
            state.join("secrets.env").display().to_string(),
        ),
        read(
            "abs-token",
            state.join("gateway.token").display().to_string(),
        ),
        read(
            "abs-config",
            home.join("pincer.json5").display().to_string(),
        ),
        read("up", "../../secrets.env".into()),
        read("secrets-link", "secrets-link".into()),
        read("token-link", "token-link".into()),
        read("config-link", "config-link".into()),
        read("state-link", "state-link/secrets.env".into()),
        ("memory", "memory_get", json!({ "path": "MEMORY.md" })),
        (
            "search",
            "memory_search",
            json!({ "query": "WHATSAPP_APP_SECRET" }),
        ),
        (
            "patch",
            "apply_patch",
            json!({ "patch": "--- a/state-link/secrets.env\n+++ b/state-link/secrets.env\n@@ -1 +1 @@\n-x\n+y\n" }),
        ),
        (
            "message-link",
            "message",
            json!({ "channel": "whatsapp", "target": "1", "media": "secrets-link" }),
        ),
        (
            "message-abs",
            "message",
            json!({ "channel": "whatsapp", "target": "1",
                "media": state.join("gateway.token").display().to_string() }),
        ),
        read("mine", "mine.txt".into()),
    ];
    let results = run_calls(&gateway, &emulator, "agent:main:main", &calls);
    for (id, result) in &results {
        assert_no_secret(&gateway, id, result);
        if id != "mine" && id != "search" {
            assert!(
                result.contains("refused") || result.contains("not allowed"),
                "{id} must be refused: {result}"
            );
        }
    }
    assert_eq!(results.last().expect("mine").1, "workspace note");
    assert!(
        std::fs::read_to_string(state.join("secrets.env"))
            .expect("secrets")
            .contains(FILE_SECRET),
        "the patch changed nothing"
    );
}

#[test]
fn a_workspace_around_the_state_dir_cannot_reach_into_it() {
    let emulator = Emulator::openai();
    let home = tempfile::tempdir().expect("home");
    let workspace = home.path().to_path_buf();
    let extra = format!("agent: {{ workspace: '{}' }},", workspace.display());
    prepare(&workspace, &emulator, &extra);
    std::fs::write(workspace.join("project.txt"), "project text").expect("project");
    let gateway = start(home);
    let read = |id: &'static str, path: &str| (id, "read", json!({ "path": path }));
    let calls = vec![
        read("secrets", "state/secrets.env"),
        read("token", "state/gateway.token"),
        read("config", "pincer.json5"),
        read("session", "state/gateway.json"),
        (
            "write",
            "write",
            json!({ "path": "state/secrets.env", "content": "overwritten" }),
        ),
        (
            "edit",
            "edit",
            json!({ "path": "pincer.json5", "old_string": "openai", "new_string": "x" }),
        ),
        (
            "exec",
            "exec",
            json!({ "command": "cat state/secrets.env state/gateway.token pincer.json5; cat project.txt" }),
        ),
        read("project", "project.txt"),
    ];
    let results = run_calls(&gateway, &emulator, "agent:main:main", &calls);
    for (id, result) in &results {
        assert_no_secret(&gateway, id, result);
        if !["exec", "project"].contains(&id.as_str()) {
            assert!(result.contains("refused"), "{id} must be refused: {result}");
        }
    }
    let exec = &results[6].1;
    assert!(
        exec.contains("Permission denied") && exec.contains("project text"),
        "{exec}"
    );
    assert_eq!(results[7].1, "project text");
    assert!(std::fs::read_to_string(workspace.join("state/secrets.env"))
        .expect("secrets")
        .contains(FILE_SECRET));
}

/// A wrapper that runs a program with `landlock_create_ruleset` (444 on every architecture)
/// failing with ENOSYS, as on a kernel without Landlock: a seccomp filter, set up by python3.
const NO_LANDLOCK: &str = r#"
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
ulong = ctypes.c_ulong
code = struct.pack("HBBI" * 4, 0x20, 0, 0, 0, 0x15, 0, 1, 444, 0x06, 0, 0, 0x50026, 0x06, 0, 0, 0x7FFF0000)
program = ctypes.create_string_buffer(code)
class Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
fprog = Fprog(4, ctypes.addressof(program))
assert libc.prctl(ulong(38), ulong(1), ulong(0), ulong(0), ulong(0)) == 0
assert libc.prctl(ulong(22), ulong(2), ctypes.byref(fprog), ulong(0), ulong(0)) == 0
os.execv(sys.argv[1], sys.argv[1:])
"#;

fn check_ids(home: &Path, wrapper: &[&str], args: &[&str], list: &str, key: &str) -> Vec<String> {
    let output = pincer_via(home, wrapper)
        .args(args)
        .output()
        .expect("run pincer");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", stderr(&output)));
    report[list]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item[key].as_str().map(String::from))
        .collect()
}

#[test]
fn without_landlock_doctor_and_audit_say_exec_can_read_the_secrets() {
    if std::process::Command::new("python3")
        .arg("-c")
        .arg("pass")
        .status()
        .map_or(true, |status| !status.success())
    {
        eprintln!("skipped: python3 is needed to hide Landlock with seccomp");
        return;
    }
    let home = tempfile::tempdir().expect("home");
    let wrapper = home.path().join("no-landlock.py");
    std::fs::write(&wrapper, NO_LANDLOCK).expect("wrapper");
    let hidden = ["python3", wrapper.to_str().expect("utf-8 path")];
    let id = "tools.exec_can_read_secrets".to_string();
    let audit = ["security", "audit", "--json"];
    let doctor = ["doctor", "--json"];

    let found = check_ids(home.path(), &hidden, &audit, "findings", "checkId");
    assert!(found.contains(&id), "{found:?}");
    let found = check_ids(home.path(), &hidden, &doctor, "issues", "id");
    assert!(found.contains(&id), "{found:?}");
    // This kernel has Landlock: without the wrapper, nothing to report.
    assert!(!check_ids(home.path(), &[], &audit, "findings", "checkId").contains(&id));
    assert!(!check_ids(home.path(), &[], &doctor, "issues", "id").contains(&id));
    // Denying exec removes the finding: nothing can read through it.
    std::fs::write(
        home.path().join("pincer.json5"),
        "{ tools: { deny: ['group:runtime'] } }",
    )
    .expect("config");
    assert!(!check_ids(home.path(), &hidden, &audit, "findings", "checkId").contains(&id));
}
