//! The Control UI's Skills view, in headless Chromium (skipped when there is none).

use std::time::Duration;

use super::*;
use crate::support::browser;
use crate::support::*;
use pincer_emulators::Emulator;

const WAIT: Duration = Duration::from_secs(15);

#[test]
fn the_skills_view_lists_skills_and_shows_descriptions_as_text() {
    let Some(chromium) = browser::launch() else {
        return;
    };
    let emulator = Emulator::openai();
    let home = tempfile::tempdir().expect("home");
    std::fs::write(home.path().join("pincer.json5"), config(&emulator, "")).expect("config");
    let (managed, _) = roots(home.path());
    write_skill(
        &managed,
        "shiny",
        "name: shiny\ndescription: \"Polishes <img src=x onerror=window.pwned=1> things\"",
    );
    write_skill(
        &managed,
        "needs-missing",
        "name: needs-missing\ndescription: Needs a tool\nmetadata: {\"openclaw\": {\"requires\": {\"bins\": [\"pincer-no-such-binary-ui\"]}}}",
    );
    let gateway = Gateway::start_in(home, &[]);
    let mut page = chromium.new_page();
    page.sign_in(&format!("http://{}/", gateway.addr), &gateway.token(), WAIT);
    page.eval("window.location.hash = '#/skills'");
    page.wait_for(
        "both skills listed",
        "document.querySelectorAll('#skills-table tbody tr[data-skill]').length === 2",
        WAIT,
    );
    let shown = page.eval(
        "(() => { const row = (n) => document.querySelector(`#skills-table tr[data-skill=\"${n}\"]`); \
         return { shiny: row('shiny').textContent, missing: row('needs-missing').textContent, \
         images: document.querySelectorAll('#view-skills img').length, pwned: window.pwned === 1, \
         summary: document.querySelector('#skills-summary').textContent }; })()",
    );
    assert!(
        shown["shiny"]
            .as_str()
            .unwrap_or("")
            .contains("Polishes <img src=x onerror=window.pwned=1> things"),
        "{shown}"
    );
    assert!(
        shown["shiny"].as_str().unwrap_or("").contains("offered"),
        "{shown}"
    );
    assert!(
        shown["missing"]
            .as_str()
            .unwrap_or("")
            .contains("missing on PATH: pincer-no-such-binary-ui"),
        "{shown}"
    );
    assert_eq!(shown["images"], 0, "markup in a description stays text");
    assert_eq!(shown["pwned"], false);
    assert!(
        shown["summary"]
            .as_str()
            .unwrap_or("")
            .starts_with("2 skills, 1 offered"),
        "{shown}"
    );
    // A skill installed meanwhile appears by itself (the `skills.changed` event).
    write_skill(
        &gateway.state_dir().join("skills"),
        "later",
        "name: later\ndescription: Came later",
    );
    page.wait_for(
        "the new skill listed without a reload",
        "document.querySelectorAll('#skills-table tbody tr[data-skill]').length === 3",
        WAIT,
    );
    let errors: Vec<&String> = page
        .log
        .iter()
        .filter(|l| l.starts_with("exception"))
        .collect();
    assert!(errors.is_empty(), "uncaught exceptions: {errors:#?}");
}
