//! The Control UI's Sub-agents view in headless Chromium (skipped where there is none): a child
//! spawned by the main session is listed with its parent, label, status and result.

use serde_json::json;

use super::{children, CHILD, WAIT};
use crate::chaos::wait_until;
use crate::support::agent::*;
use crate::support::browser::{self, js_string};
use crate::support::tools::*;
use pincer_emulators::{Emulator, Reply};

#[test]
fn the_control_ui_lists_a_sub_agent_with_its_result() {
    let Some(chromium) = browser::launch() else {
        return;
    };
    let emulator = Emulator::openai();
    emulator.push(call(
        "c1",
        "sessions_spawn",
        json!({ "task": "name a colour", "label": "painter" }),
    ));
    emulator.push(Reply::text(&["asked"]));
    emulator.push(Reply::text(&["the painter chose teal"]));
    emulator.push_for(CHILD, std::time::Duration::ZERO, Reply::text(&["teal"]));
    let gateway = gateway(&emulator, "", "");
    assert_eq!(
        answer_of(&ask(&gateway, "agent:main:main", "a colour?")),
        "asked"
    );
    wait_until("the child to be done", WAIT, || {
        (children(&gateway, "agent:main:main")["subagents"][0]["status"] == "done").then_some(())
    });

    let mut page = chromium.new_page();
    page.navigate(&format!("http://{}/", gateway.addr));
    page.wait_for(
        "the sign-in form",
        "!document.querySelector('#view-signin').hidden",
        WAIT,
    );
    page.eval(&format!(
        "(() => {{ const f = document.querySelector('#signin-secret'); f.value = {}; \
         f.dispatchEvent(new Event('input', {{ bubbles: true }})); f.form.requestSubmit(); }})()",
        js_string(&gateway.token())
    ));
    page.wait_for(
        "signed in and connected",
        "document.body.dataset.auth === 'signed-in' && document.body.dataset.conn === 'connected'",
        WAIT,
    );
    page.eval("window.location.hash = '#/subagents'");
    let row = page.wait_for(
        "the child's row",
        "(() => { const r = document.querySelector('#subagents-table tbody tr[data-run]'); \
           return r && r.textContent.includes('teal') && r.textContent; })()",
        WAIT,
    );
    let row = row.as_str().unwrap_or_default().to_string();
    assert!(
        row.contains("painter") && row.contains("done") && row.contains("agent:main:main"),
        "{row}"
    );
    let summary = page.eval("document.querySelector('#subagents-summary').textContent");
    assert_eq!(summary, "1 sub-agent, 0 running.");
    assert_eq!(page.eval("document.title"), "Sub-agents · Pincer Control");
}
