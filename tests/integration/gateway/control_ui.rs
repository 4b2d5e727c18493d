//! The Control UI: how its pages are served (content types, CSP, caching, 404 when disabled), and
//! an operator using it in real headless Chromium against the real gateway with the provider and
//! WhatsApp emulators: sign in (a wrong token first), chat with a streamed answer in two sessions,
//! the session list and a reset, approving a pairing request, the actor tree with non-zero
//! mailbox figures, health, staying signed in across a reload, and signing out. A screenshot of each page is taken; with `PINCER_UPDATE_SCREENSHOTS=1` they are
//! written to `docs/images/` for the README.

use std::path::PathBuf;
use std::time::Duration;

use crate::support::browser::{self, base64_decode, js_string, Page};
use crate::support::channels::{code_in, config, post_text, whatsapp, WA_TOKEN};
use crate::support::{run_cli, stderr, stdout, Gateway};
use pincer_emulators::graph::GraphApi;
use pincer_emulators::{Emulator, Reply};
use serde_json::{json, Value};

pub(super) const WAIT: Duration = Duration::from_secs(20);

#[test]
fn the_pages_are_served_with_a_strict_policy_and_hidden_when_disabled() {
    let gateway = Gateway::start(None);
    let page = gateway.get("/", &[]);
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page
        .text
        .contains("<script type=\"module\" src=\"/ui/js/app.js\">"));
    let csp = page.header("content-security-policy").expect("a CSP");
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "connect-src 'self' ws: wss:",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    assert_eq!(page.header("cache-control"), Some("no-cache"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert!(
        !page.text.contains(&gateway.token()),
        "the page holds no secret"
    );

    let script = gateway.get("/ui/js/app.js", &[]);
    assert_eq!(script.status, 200);
    assert_eq!(
        script.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    let etag = script.header("etag").expect("an ETag").to_string();
    let again = gateway.get("/ui/js/app.js", &[("If-None-Match", &etag)]);
    assert_eq!(again.status, 304, "unchanged assets are not sent again");
    assert_eq!(
        gateway.get("/ui/style.css", &[]).header("content-type"),
        Some("text/css; charset=utf-8")
    );
    for missing in ["/ui/nope.js", "/ui/../Cargo.toml", "/ui/"] {
        assert_eq!(gateway.get(missing, &[]).status, 404, "{missing}");
    }
    drop(gateway);

    let gateway = Gateway::start(Some("{ gateway: { controlUi: { enabled: false } } }"));
    for path in ["/", "/ui/js/app.js"] {
        let response = gateway.get(path, &[]);
        assert_eq!(response.status, 404, "{path} with the UI disabled");
        assert_eq!(response.body["error"]["code"], "NOT_FOUND");
    }
    assert_eq!(gateway.get("/healthz", &[]).status, 200);
}

#[test]
fn base64_of_screenshots_decodes() {
    assert_eq!(base64_decode("aGVsbG8="), b"hello");
    assert_eq!(base64_decode("aGk/Pz4+"), b"hi??>>");
    assert!(base64_decode("").is_empty());
}

/// Where screenshots go: `docs/images/` when asked for, else a scratch directory.
pub(super) fn screenshot_dir() -> (PathBuf, Option<tempfile::TempDir>) {
    if std::env::var_os("PINCER_UPDATE_SCREENSHOTS").is_some() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/images");
        std::fs::create_dir_all(&dir).expect("docs/images");
        (dir, None)
    } else {
        let scratch = tempfile::tempdir().expect("scratch dir");
        (scratch.path().to_path_buf(), Some(scratch))
    }
}

pub(super) fn shoot(page: &mut Page, dir: &std::path::Path, name: &str) {
    // Let the last paint settle; toasts would hide parts of the page (but tell about approvals).
    if name != "pairing" {
        page.eval("document.querySelector('#toasts').replaceChildren()");
    }
    std::thread::sleep(Duration::from_millis(250));
    let png = page.screenshot();
    assert!(png.len() > 4000, "{name}: a blank screenshot?");
    std::fs::write(dir.join(format!("control-ui-{name}.png")), png).expect("write screenshot");
}

/// Types into a field the way a user does (value, then `input`), and submits its form.
pub(super) fn fill_and_submit(page: &mut Page, field: &str, text: &str) {
    page.eval(&format!(
        "(() => {{ const f = document.querySelector({field}); f.value = {text}; \
         f.dispatchEvent(new Event('input', {{ bubbles: true }})); f.form.requestSubmit(); }})()",
        field = js_string(field),
        text = js_string(text)
    ));
}

pub(super) fn go(page: &mut Page, view: &str) {
    page.eval(&format!("window.location.hash = '#/{view}'"));
    page.wait_for(
        &format!("the {view} view"),
        &format!("!document.querySelector('#view-{view}').hidden"),
        WAIT,
    );
}

pub(super) fn cli_json(gateway: &Gateway, args: &[&str]) -> Value {
    let output = run_cli(gateway.home(), args);
    assert!(
        output.status.success(),
        "pincer {args:?}: {}{}",
        stdout(&output),
        stderr(&output)
    );
    serde_json::from_str(&stdout(&output)).unwrap_or_else(|e| panic!("{e}: {}", stdout(&output)))
}

#[test]
fn an_operator_uses_the_control_ui_in_headless_chromium() {
    let Some(chromium) = browser::launch() else {
        return;
    };
    let provider = Emulator::openai();
    provider.push(Reply::text(&[
        "Hello",
        " from",
        " the",
        " gateway",
        ", streamed",
        " in",
        " pieces.",
    ]));
    let graph = GraphApi::start(WA_TOKEN);
    let text = config(&provider, &[whatsapp(&graph, "pairing", "", "")]).replacen(
        '{',
        "{ monitoring: { sampleIntervalMs: 300 }, ",
        1,
    );
    let gateway = Gateway::start(Some(&text));
    let token = gateway.token();
    let (shots, _scratch) = screenshot_dir();
    let mut page = chromium.new_page();
    page.set_viewport(1280, 860);
    page.navigate(&format!("http://{}/", gateway.addr));

    // Sign in: a wrong token is refused and explained, the right one gets in.
    page.wait_for(
        "the sign-in form",
        "!document.querySelector('#view-signin').hidden",
        WAIT,
    );
    shoot(&mut page, &shots, "signin");
    fill_and_submit(&mut page, "#signin-secret", "not-the-token");
    let refusal = page.wait_for(
        "the refusal",
        "!document.querySelector('#signin-error').hidden && document.querySelector('#signin-error').textContent",
        WAIT,
    );
    assert!(
        refusal.as_str().unwrap().contains("UNAUTHORIZED"),
        "{refusal}"
    );
    fill_and_submit(&mut page, "#signin-secret", &token);
    page.wait_for(
        "signed in and connected",
        "document.body.dataset.auth === 'signed-in' && document.body.dataset.conn === 'connected'",
        WAIT,
    );
    let storage = page.eval(
        "({ url: location.href, local: JSON.stringify(localStorage), cookies: document.cookie, \
           field: document.querySelector('#signin-secret').value })",
    );
    assert!(
        !storage["url"].as_str().unwrap().contains(&token),
        "{storage}"
    );
    assert!(
        !storage["local"].as_str().unwrap().contains(&token),
        "never in localStorage"
    );
    assert_eq!(storage["cookies"], "");
    assert_eq!(storage["field"], "", "the form is cleared");
    let kept = page.eval("sessionStorage.getItem('pincer.credential')");
    assert!(
        kept.as_str().is_some_and(|s| s.contains(&token)),
        "kept in this tab's session storage: {kept}"
    );

    // Chat: the answer streams in as deltas, then is final.
    page.wait_for(
        "the history of agent:main:main",
        "document.querySelector('#chat-log').dataset.session === 'agent:main:main'",
        WAIT,
    );
    fill_and_submit(&mut page, "#chat-input", "Hi from Chromium");
    let answer = page.wait_for(
        "the streamed answer",
        "(() => { const m = document.querySelector('#chat-log li.msg.assistant[data-state=final]'); \
         return m && { text: m.querySelector('.text').textContent, deltas: Number(m.dataset.deltas) }; })()",
        WAIT,
    );
    assert_eq!(
        answer["text"], "Hello from the gateway, streamed in pieces.",
        "{answer}"
    );
    assert!(
        answer["deltas"].as_u64().unwrap() >= 1,
        "it arrived as deltas: {answer}"
    );
    let asked = provider.requests();
    assert_eq!(asked.len(), 1);
    assert!(
        asked[0].raw.contains("Hi from Chromium"),
        "{}",
        asked[0].raw
    );
    shoot(&mut page, &shots, "chat");

    // Another session: its own history (the emulator echoes when nothing is scripted).
    fill_and_submit(&mut page, "#chat-session", "agent:main:ops");
    page.wait_for(
        "the empty history of agent:main:ops",
        "document.querySelector('#chat-log').dataset.session === 'agent:main:ops' && \
         document.querySelector('#chat-log .empty')",
        WAIT,
    );
    fill_and_submit(&mut page, "#chat-input", "status?");
    page.wait_for(
        "the echo",
        "document.querySelector('#chat-log li.msg.assistant[data-state=final] .text')?.textContent === 'echo: status?'",
        WAIT,
    );

    // Sessions: both listed; one is reset after a confirmation.
    go(&mut page, "sessions");
    let messages = page.wait_for(
        "both sessions in the list",
        "document.querySelector('#sessions-table tr[data-key=\"agent:main:ops\"]') && \
         document.querySelector('#sessions-table tr[data-key=\"agent:main:main\"] td')?.textContent",
        WAIT,
    );
    assert_eq!(messages, "2");
    shoot(&mut page, &shots, "sessions");
    page.eval(
        "document.querySelector('#sessions-table tr[data-key=\"agent:main:ops\"] button').click()",
    );
    page.wait_for(
        "the confirmation",
        "document.querySelector('#confirm-dialog').open",
        WAIT,
    );
    page.eval("document.querySelector('#confirm-ok').click()");
    page.wait_for(
        "agent:main:ops gone from the list",
        "!document.querySelector('#sessions-table tr[data-key=\"agent:main:ops\"]') && \
         document.querySelector('#sessions-table tr[data-key=\"agent:main:main\"]')",
        WAIT,
    );
    let sessions = cli_json(&gateway, &["sessions", "list", "--json"]);
    assert!(
        !sessions.to_string().contains("agent:main:ops"),
        "{sessions}"
    );
    page.eval(
        "document.querySelector('#sessions-table tr[data-key=\"agent:main:main\"] a').click()",
    );
    page.wait_for(
        "agent:main:main open in the chat",
        "!document.querySelector('#view-chat').hidden && \
         document.querySelector('#chat-log').dataset.session === 'agent:main:main'",
        WAIT,
    );

    // Pairing: two strangers message WhatsApp; one is approved from the UI.
    assert_eq!(
        post_text(&gateway, "15557770001", "wamid.UI1", "hello?"),
        200
    );
    assert_eq!(
        post_text(&gateway, "15557770002", "wamid.UI2", "anyone there?"),
        200
    );
    assert!(graph.wait_for_sends(2, WAIT), "the strangers got codes");
    let sends = graph.sends();
    let first = sends
        .iter()
        .find(|s| s.to == "15557770001")
        .expect("a code");
    let code = code_in(&first.body);
    go(&mut page, "pairing");
    // Quoted: a code may start with a digit, which is not a valid bare CSS identifier.
    let row = format!("#pairing-channels [data-channel=whatsapp] tr[data-code=\"{code}\"]");
    page.wait_for(
        "the pairing request",
        &format!("document.querySelector('{row}')"),
        WAIT,
    );
    page.wait_for(
        "the badge",
        "document.querySelector('#pairing-badge').textContent === '2'",
        WAIT,
    );
    page.eval(&format!("document.querySelector('{row} button').click()"));
    page.wait_for(
        "the approval",
        &format!(
            "!document.querySelector('{row}') && \
             document.querySelector('[data-channel=whatsapp] [data-approved=\"15557770001\"]')"
        ),
        WAIT,
    );
    let listed = cli_json(&gateway, &["pairing", "list", "whatsapp", "--json"]);
    assert!(
        listed["approved"]
            .as_array()
            .unwrap()
            .contains(&json!("15557770001")),
        "{listed:#}"
    );
    assert_eq!(
        listed["requests"].as_array().unwrap().len(),
        1,
        "{listed:#}"
    );
    assert!(
        graph.wait_for_sends(3, WAIT),
        "the approved sender was told"
    );
    page.eval("document.querySelector('[data-channel=whatsapp] details').open = true");
    shoot(&mut page, &shots, "pairing");

    // Actors: this tab's connection actor has served requests through its mailbox.
    go(&mut page, "actors");
    let mine = page.wait_for(
        "this tab's actor with figures and a rate",
        "(() => { const r = document.querySelector('#actors-table tr.mine'); \
         return r && r.dataset.rate !== '' && { path: r.dataset.path, handled: Number(r.dataset.handled), \
         peak: Number(r.dataset.peak), cells: [...r.children].map(c => c.textContent) }; })()",
        WAIT,
    );
    let conn = page.eval("document.body.dataset.connId");
    assert_eq!(
        mine["path"],
        format!("/gateway/clients/{}", conn.as_str().unwrap()),
        "{mine}"
    );
    assert!(mine["handled"].as_u64().unwrap() > 0, "{mine}");
    assert!(mine["peak"].as_u64().unwrap() > 0, "{mine}");
    assert_eq!(
        mine["cells"][5],
        mine["handled"].to_string(),
        "shown: {mine}"
    );
    let rows = page.eval("document.querySelectorAll('#actors-table tbody tr').length");
    assert!(rows.as_u64().unwrap() >= 10, "{rows}");
    shoot(&mut page, &shots, "actors");

    // Health.
    go(&mut page, "health");
    page.wait_for(
        "ready, with the WhatsApp link and a system sample",
        "document.querySelector('#health-cards .status-big[data-status=ready]') && \
         document.querySelector('#health-cards [data-channel=whatsapp]') && \
         document.querySelectorAll('#health-cards meter').length === 3",
        WAIT,
    );
    shoot(&mut page, &shots, "health");

    // A reload stays signed in (session storage); signing out forgets the credential.
    page.reload();
    page.wait_for(
        "signed in again after a reload",
        "document.body.dataset.conn === 'connected' && !document.querySelector('#view-health').hidden",
        WAIT,
    );
    page.color_scheme("dark");
    go(&mut page, "chat");
    page.wait_for(
        "the history after the reload",
        "document.querySelectorAll('#chat-log li.msg').length === 2",
        WAIT,
    );
    shoot(&mut page, &shots, "chat-dark");
    page.color_scheme("light");
    page.eval("document.querySelector('#sign-out').click()");
    page.wait_for(
        "the sign-in form after signing out",
        "!document.querySelector('#view-signin').hidden && document.body.dataset.conn === 'idle'",
        WAIT,
    );
    assert_eq!(
        page.eval("sessionStorage.getItem('pincer.credential')"),
        Value::Null
    );
    let errors: Vec<&String> = page
        .log
        .iter()
        .filter(|l| l.starts_with("exception"))
        .collect();
    assert!(errors.is_empty(), "uncaught exceptions: {errors:#?}");
}

/// A gateway on a fixed port in `home` (the harness picks a new port each start; a browser tab
/// can only reconnect to the same origin).
pub(super) fn gateway_on(home: tempfile::TempDir, port: u16) -> Gateway {
    let child = crate::support::pincer(home.path())
        .args(["gateway", "--port", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn pincer gateway");
    let runtime = home.path().join("state").join("gateway.json");
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let info: Value = std::fs::read(&runtime)
            .ok()
            .and_then(|t| serde_json::from_slice(&t).ok())
            .unwrap_or(Value::Null);
        if info["pid"].as_u64() == Some(u64::from(child.id())) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the gateway did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Gateway {
        state: home.path().join("state"),
        home,
        pid: child.id(),
        child: Some(child),
        addr: ([127, 0, 0, 1], port).into(),
    }
}

#[test]
fn the_ui_reconnects_by_itself_when_the_gateway_comes_back() {
    let Some(chromium) = browser::launch() else {
        return;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut gateway = gateway_on(tempfile::tempdir().expect("home"), port);
    let token = gateway.token();
    let mut page = chromium.new_page();
    page.navigate(&format!("http://{}/", gateway.addr));
    fill_and_submit(&mut page, "#signin-secret", &token);
    page.wait_for(
        "connected",
        "document.body.dataset.conn === 'connected'",
        WAIT,
    );

    // The gateway stops: the tab says so and retries, with the pages still there.
    crate::support::signal(gateway.pid, "TERM");
    let pill = page.wait_for(
        "the reconnecting state",
        "document.body.dataset.conn === 'reconnecting' && document.querySelector('#conn-status').textContent",
        WAIT,
    );
    assert!(
        pill.as_str().unwrap().starts_with("Reconnecting in"),
        "{pill}"
    );
    assert_eq!(page.eval("document.body.dataset.auth"), "signed-in");
    assert!(
        page.eval("document.querySelector('#toasts').textContent")
            .as_str()
            .unwrap()
            .contains("stopping"),
        "the shutdown event was shown"
    );

    // The tab closed its socket on `shutdown`, so the gateway need not wait the 10 s grace for it.
    let stopping = std::time::Instant::now();
    let output = gateway.terminate();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stopping.elapsed() < Duration::from_secs(8),
        "the stop waited {:?} for the tab",
        stopping.elapsed()
    );

    // It comes back on the same port: the tab signs in again without the operator.
    let home = std::mem::replace(&mut gateway.home, tempfile::tempdir().expect("placeholder"));
    let _gateway = gateway_on(home, port);
    page.wait_for(
        "connected again",
        "document.body.dataset.conn === 'connected'",
        Duration::from_secs(40),
    );
    page.wait_for(
        "the chat reloaded",
        "document.querySelector('#chat-log').dataset.session === 'agent:main:main'",
        WAIT,
    );
}
