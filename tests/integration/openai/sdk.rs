//! The official `openai` Python SDK (pinned in `.ci/run`) against the real gateway: chat
//! completions plain and streamed, a client tool round trip, errors, `responses.create` plain
//! and streamed, the SDK's stream helper, and `previous_response_id` chaining. The checks are
//! in `tests/openai_sdk/check_sdk.py`; this test starts the gateway and runs it with the
//! Python of the venv `.ci/run` makes, named by `PINCER_OPENAI_PYTHON`. Without that variable
//! the test says so and passes, except under CI, where it fails.

use std::process::Command;

use crate::support::agent::gateway_with_root;
use pincer_emulators::{Emulator, Reply};

#[test]
fn the_official_python_sdk_parses_what_the_gateway_sends() {
    let Some(python) = std::env::var_os("PINCER_OPENAI_PYTHON") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "PINCER_OPENAI_PYTHON is not set: .ci/run makes the venv with the openai SDK and exports it"
        );
        eprintln!(
            "skipped: set PINCER_OPENAI_PYTHON to a python with the openai SDK (see .ci/run)"
        );
        return;
    };
    let emulator = Emulator::openai();
    // The script's first two checks: a tool call, then the answer after its result (chat
    // completions, then responses).
    emulator.push(Reply::tool_call(
        "call_1",
        "get_weather",
        &["{\"city\":\"Paris\"}"],
    ));
    emulator.push(Reply::text(&["It is ", "18C."]));
    emulator.push(Reply::tool_call("call_2", "get_time", &["{}"]));
    emulator.push(Reply::text(&["It is noon."]));
    let gateway = gateway_with_root(
        &["gpt/m"],
        &[("gpt", "openai-completions", &emulator)],
        "",
        "gateway: { http: { endpoints: { responses: { enabled: true } } } },",
    );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/openai_sdk/check_sdk.py");
    let output = Command::new(&python)
        .arg(script)
        .env("PINCER_BASE_URL", format!("http://{}/v1", gateway.addr))
        .env("PINCER_TOKEN", gateway.token())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python:?}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the SDK script failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(stdout.contains("every check passed"), "{stdout}\n{stderr}");
    // The chained response carried the stored conversation to the model.
    let requests = emulator.requests();
    let last = requests.last().expect("the model was asked");
    let texts: Vec<&str> = last.body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert!(
        texts.ends_with(&["hi there", "echo: hi there", "second question"]),
        "the chained request continues the stored conversation: {texts:?}"
    );
}
