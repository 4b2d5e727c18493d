//! The Control UI's MCP view in headless Chromium (skipped where there is none): the server's
//! row with its state, and its tools, a hostile tool description shown as text, not markup.

use std::time::Duration;

use super::emu::{mcp_emu, status, wait_for_server};
use crate::support::browser::{self, js_string};
use crate::support::tools::gateway;
use pincer_emulators::Emulator;

const WAIT: Duration = Duration::from_secs(20);
const HOSTILE: &str = "<img src=x onerror=\"document.body.dataset.pwned='1'\">";

#[test]
fn the_mcp_view_lists_servers_and_their_tools_as_text() {
    let Some(chromium) = browser::launch() else {
        return;
    };
    let emulator = Emulator::openai();
    let root = format!(
        "mcp: {{ servers: {{ emu: {{ command: {:?}, args: ['--describe-echo', {}] }} }} }},",
        mcp_emu().display().to_string(),
        js_string(HOSTILE)
    );
    let gateway = gateway(&emulator, "", &root);
    wait_for_server(&gateway, "emu", |a| status(a) == "ready, 6 tools");
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
        "connected",
        "document.body.dataset.conn === 'connected'",
        WAIT,
    );
    page.eval("window.location.hash = '#/mcp'");
    let row = page.wait_for(
        "the server's row",
        "document.querySelector('#mcp-table tbody tr[data-server=\"emu\"]')?.innerText",
        WAIT,
    );
    let row = row.as_str().unwrap_or_default().to_string();
    assert!(
        row.contains("stdio") && row.contains("ready") && row.contains('6'),
        "{row}"
    );
    page.eval("document.querySelector('#mcp-table button').click()");
    let tools = page.wait_for(
        "the tools",
        "document.querySelectorAll('#mcp-tools li').length === 6 && document.querySelector('#mcp-tools').innerText",
        WAIT,
    );
    let tools = tools.as_str().unwrap_or_default().to_string();
    assert!(
        tools.contains("emu__echo") && tools.contains(HOSTILE),
        "{tools}"
    );
    let injected = page.eval("document.querySelectorAll('#mcp-tools img').length + (document.body.dataset.pwned ? 1 : 0)");
    assert_eq!(injected, 0, "the description stayed text");
}
