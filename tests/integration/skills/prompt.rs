//! The skills list of the system prompt, and the `skills.changed` event of a reload.

use super::*;
use crate::support::agent::{answer_of, ask};
use crate::support::*;
use pincer_emulators::{Emulator, Reply};

#[test]
fn eligible_skills_are_in_the_prompt_ineligible_ones_are_not_and_new_ones_appear() {
    let emulator = Emulator::openai();
    let home = tempfile::tempdir().expect("home");
    std::fs::write(home.path().join("pincer.json5"), config(&emulator, "")).expect("config");
    let (managed, workspace) = roots(home.path());
    write_skill(
        &managed,
        "weather",
        "name: weather\ndescription: Forecasts for a city\nmetadata: {\"openclaw\": {\"emoji\": \"🌦\", \"requires\": {\"bins\": [\"sh\"]}}}",
    );
    write_skill(
        &managed,
        "needs-missing",
        "name: needs-missing\ndescription: Needs a tool nobody has\nmetadata: {\"openclaw\": {\"requires\": {\"bins\": [\"pincer-no-such-binary-9f\"]}}}",
    );
    write_skill(
        &workspace,
        "notes",
        "name: notes\ndescription: Keeps the owner's notes tidy",
    );
    let gateway = Gateway::start_in(home, &[]);

    emulator.push(Reply::text(&["hi"]));
    assert_eq!(answer_of(&ask(&gateway, "agent:main:main", "hello")), "hi");
    let system = system_of(&emulator.requests().last().expect("a request").body);
    assert!(system.contains("<available_skills>"), "{system}");
    assert!(
        system.contains("<name>weather</name><description>Forecasts for a city</description>"),
        "{system}"
    );
    let weather_path = gateway.state_dir().join("skills/weather/SKILL.md");
    assert!(
        system.contains(&format!("<location>{}</location>", weather_path.display())),
        "{system}"
    );
    assert!(system.contains("<name>notes</name>"), "{system}");
    assert!(
        !system.contains("needs-missing"),
        "an ineligible skill is not offered: {system}"
    );

    // The operator sees why it is left out.
    let status = gateway.get_authed("/admin/skills?name=needs-missing");
    assert_eq!(status.status, 200, "{}", status.text);
    let entry = &status.body["skills"][0];
    assert_eq!(entry["eligible"], false);
    assert_eq!(entry["reason"], "missing on PATH: pincer-no-such-binary-9f");
    assert_eq!(gateway.get_authed("/admin/skills?name=nope").status, 404);

    // The poller is an actor with its counts.
    let actors = gateway.get_authed("/admin/actors?flat=1");
    let poller = actors.body["actors"]
        .as_array()
        .expect("actors")
        .iter()
        .find(|a| a["path"] == "/gateway/tools/skills")
        .unwrap_or_else(|| panic!("no skills poller in {}", actors.body))
        .clone();
    assert!(
        poller["status"]
            .as_str()
            .unwrap_or("")
            .starts_with("2 eligible of 3 skills"),
        "{poller}"
    );

    // A skill added while the gateway runs is in the next turn's prompt, and operators are told.
    let (mut operator, hello) =
        crate::support::ws::WsClient::connect(gateway.addr, &gateway.token());
    assert!(
        hello["features"]["events"]
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e == "skills.changed")),
        "{hello}"
    );
    let workspace = gateway.state_dir().join("agents/main/workspace/skills");
    write_skill(
        &workspace,
        "late",
        "name: late\ndescription: Arrived while running",
    );
    wait_for_skills(&gateway, "the new skill is loaded", |body| {
        body["skills"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s["name"] == "late"))
    });
    let changed = operator
        .wait(std::time::Duration::from_secs(10), |f| {
            f["event"] == "skills.changed"
        })
        .expect("a skills.changed event");
    assert_eq!(changed["payload"]["version"], 2, "{changed}");
    emulator.push(Reply::text(&["again"]));
    assert_eq!(
        answer_of(&ask(&gateway, "agent:main:main", "hello again")),
        "again"
    );
    let system = system_of(&emulator.requests().last().expect("a request").body);
    assert!(
        system.contains("<name>late</name><description>Arrived while running</description>"),
        "{system}"
    );

    // A sandboxed session is offered no skills.
    emulator.push(Reply::text(&["sandboxed"]));
    assert_eq!(
        answer_of(&ask(&gateway, "agent:main:someone-else", "hi")),
        "sandboxed"
    );
    let system = system_of(&emulator.requests().last().expect("a request").body);
    assert!(!system.contains("available_skills"), "{system}");
}
