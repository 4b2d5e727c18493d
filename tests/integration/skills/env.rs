//! A skill's env reaches the `exec` calls of the run that read it, and nothing else.

use super::*;
use crate::support::agent::{answer_of, ask};
use crate::support::tools::{call, tool_result};
use crate::support::*;
use pincer_emulators::{Emulator, Reply};
use serde_json::json;

const MARKER: &str = "skill-env-marker-4b1d";
const KEY: &str = "skill-api-key-77ae";

/// Runs `calls` in one turn of the main session; returns each call's result.
fn turn(gateway: &Gateway, emulator: &Emulator, calls: &[(&str, &str, Value)]) -> Vec<String> {
    for (id, name, args) in calls {
        emulator.push(call(id, name, args.clone()));
    }
    emulator.push(Reply::text(&["done"]));
    assert_eq!(answer_of(&ask(gateway, "agent:main:main", "go")), "done");
    let last = emulator.requests().last().expect("requests").body.clone();
    calls
        .iter()
        .map(|(id, _, _)| tool_result(&last, id))
        .collect()
}

#[test]
fn skill_env_reaches_exec_only_in_the_run_that_read_the_skill() {
    let emulator = Emulator::openai();
    let home = tempfile::tempdir().expect("home");
    let entries = format!("deploy: {{ env: {{ DEPLOY_MARKER: '{MARKER}' }}, apiKey: '{KEY}' }}");
    std::fs::write(
        home.path().join("pincer.json5"),
        config(&emulator, &entries),
    )
    .expect("config");
    let (managed, _) = roots(home.path());
    write_skill(
        &managed,
        "deploy",
        "name: deploy\ndescription: Deploys the site\nmetadata: {\"openclaw\": {\"primaryEnv\": \"DEPLOY_API_TOKEN\", \"requires\": {\"env\": [\"DEPLOY_API_TOKEN\"]}}}",
    );
    std::fs::write(
        managed.join("deploy/run.sh"),
        "echo from-the-skill-folder\n",
    )
    .expect("script");
    let gateway = Gateway::start_in(home, &[]);
    let skill_file = gateway.state_dir().join("skills/deploy/SKILL.md");
    let script = gateway.state_dir().join("skills/deploy/run.sh");
    let echo = || json!({ "command": "echo \"[$DEPLOY_MARKER|$DEPLOY_API_TOKEN]\"" });

    let results = turn(
        &gateway,
        &emulator,
        &[
            ("before", "exec", echo()),
            (
                "read",
                "read",
                json!({ "path": skill_file.display().to_string() }),
            ),
            ("after", "exec", echo()),
            (
                "script",
                "exec",
                json!({ "command": format!("sh {}", script.display()) }),
            ),
        ],
    );
    assert!(
        results[0].contains("[|]"),
        "no env before the skill is read: {}",
        results[0]
    );
    assert!(
        results[1].contains("Instructions for deploy."),
        "the read tool opens a managed skill: {}",
        results[1]
    );
    assert!(
        results[2].contains(&format!("[{MARKER}|{KEY}]")),
        "the skill's env and key: {}",
        results[2]
    );
    assert!(
        results[3].contains("from-the-skill-folder"),
        "exec may read the skill's folder: {}",
        results[3]
    );

    // The next run has read no skill: no env.
    let next = turn(&gateway, &emulator, &[("later", "exec", echo())]);
    assert!(
        next[0].contains("[|]"),
        "another run gets nothing: {}",
        next[0]
    );

    // The read tool opens only eligible skills' folders outside the workspace.
    let outside = turn(
        &gateway,
        &emulator,
        &[(
            "token",
            "read",
            json!({ "path": gateway.state_dir().join("gateway.token").display().to_string() }),
        )],
    );
    assert!(!outside[0].contains(&gateway.token()), "{}", outside[0]);

    // The gateway's own environment never had them.
    let environ = std::fs::read(format!("/proc/{}/environ", gateway.pid)).expect("environ");
    let environ = String::from_utf8_lossy(&environ);
    assert!(!environ.contains(MARKER) && !environ.contains(KEY));
}
