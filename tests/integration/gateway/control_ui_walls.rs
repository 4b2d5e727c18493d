//! The Control UI's walls in a real headless Chromium: a locked-out browser told when to retry,
//! a page of another origin that cannot use the gateway, a rebound DNS name that gets nothing.
//! The page helpers are `control_ui.rs`'s.

use std::time::Duration;

use super::control_ui::*;
use crate::support::browser;
use crate::support::{stderr, stdout, Gateway};
use pincer_emulators::Emulator;
use serde_json::json;

#[test]
fn a_locked_out_browser_is_told_when_to_retry() {
    let Some(chromium) = browser::launch() else {
        return;
    };
    let gateway = Gateway::start(Some(
        "{ gateway: { auth: { rateLimit: { maxAttempts: 2, windowMs: 60000, lockoutMs: 90000 } } } }",
    ));
    let mut page = chromium.new_page();
    page.navigate(&format!("http://{}/", gateway.addr));
    let error = "!document.querySelector('#signin-error').hidden && document.querySelector('#signin-error').textContent";
    for attempt in 0..2 {
        fill_and_submit(&mut page, "#signin-secret", &format!("wrong-{attempt}"));
        page.wait_for(
            "the refusal",
            &format!("({error} || '').includes('UNAUTHORIZED') && document.querySelector('#signin-secret').value === 'wrong-{attempt}'"),
            WAIT,
        );
    }
    // Locked out (the browser's Origin counts even on loopback): even the right token waits.
    fill_and_submit(&mut page, "#signin-secret", &gateway.token());
    let message = page.wait_for(
        "the lockout",
        &format!("({error} || '').includes('AUTH_RATE_LIMITED') && {error}"),
        WAIT,
    );
    let message = message.as_str().unwrap();
    assert!(message.contains("Try again in 1 min"), "{message}");
    assert_eq!(
        page.eval("document.querySelector('#signin-submit').disabled"),
        true,
        "no point in trying before then"
    );
    assert_eq!(page.eval("document.body.dataset.auth"), "signed-out");
}

/// Serves one small page on another port of 127.0.0.1 (so another origin) until the test ends:
/// the stand-in for a web site the operator happens to visit.
fn serve_foreign_page() -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let body = "<!doctype html><title>some web site</title><p>nothing to see</p>";
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

/// The ClawJacked attack from a real browser: a page of another origin (another local port)
/// opens the gateway's WebSocket and POSTs a reset and a chat turn, against a gateway with auth
/// `none`. The socket is closed with 1008 and the reason naming the key to set, before any
/// challenge; the POSTs reach the gateway and are refused; nothing is reset, no turn runs.
#[test]
fn a_page_of_another_origin_cannot_use_the_gateway_from_a_real_browser() {
    let Some(chromium) = browser::launch() else {
        return;
    };
    let provider = Emulator::openai();
    let gateway = Gateway::start(Some(&format!(
        "{{ gateway: {{ auth: {{ mode: 'none' }} }}, agent: {{ model: 'local/echo' }}, \
           models: {{ providers: {{ local: {{ api: 'openai-completions', baseUrl: '{}', apiKey: 'k' }} }} }} }}",
        provider.base_url()
    )));
    let session = "agent:main:main";
    let first = crate::support::http_post(
        gateway.addr,
        "/v1/chat/completions",
        &[("x-pincer-session-key", session)],
        &json!({ "messages": [{ "role": "user", "content": "hello" }] }),
    );
    assert_eq!(first.status, 200, "{}", first.text);
    let turns = provider.requests().len();

    let foreign = serve_foreign_page();
    let origin = format!("http://127.0.0.1:{foreign}");
    let mut page = chromium.new_page();
    page.navigate(&format!("{origin}/"));
    let gw = gateway.addr;
    let socket = page.eval(&format!(
        "new Promise((resolve) => {{
           const frames = [];
           const ws = new WebSocket('ws://{gw}/ws');
           ws.onopen = () => {{
             ws.send(JSON.stringify({{ type: 'req', id: 'c1', method: 'connect',
               params: {{ minProtocol: 3, maxProtocol: 3, auth: {{}} }} }}));
             ws.send(JSON.stringify({{ type: 'req', id: 'c2', method: 'config.get', params: {{}} }}));
           }};
           ws.onmessage = (m) => frames.push(JSON.parse(m.data));
           ws.onclose = (e) => resolve({{ code: e.code, reason: e.reason, frames }});
         }})"
    ));
    assert_eq!(socket["code"], 1008, "{socket}");
    assert!(
        socket["reason"]
            .as_str()
            .is_some_and(|r| r.contains(&origin)),
        "{socket}"
    );
    let frames = socket["frames"].as_array().expect("frames");
    assert_eq!(frames.len(), 1, "only the refusal: {socket}");
    assert_eq!(frames[0]["error"]["code"], "ORIGIN_NOT_ALLOWED", "{socket}");
    assert!(
        frames[0]["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("gateway.controlUi.allowedOrigins")),
        "{socket}"
    );

    let posts = page.eval(&format!(
        "(async () => {{
           const reset = 'http://{gw}/admin/sessions/{session}/reset';
           await fetch(reset, {{ method: 'POST', mode: 'no-cors', body: 'x' }});
           await fetch('http://{gw}/v1/chat/completions', {{ method: 'POST', mode: 'no-cors',
             body: JSON.stringify({{ messages: [{{ role: 'user', content: 'run exec id' }}] }}) }});
           try {{
             await fetch(reset, {{ method: 'POST', headers: {{ 'Content-Type': 'application/json' }}, body: '{{}}' }});
             return 'the JSON POST was readable';
           }} catch (error) {{
             return 'blocked';
           }}
         }})()"
    ));
    assert_eq!(
        posts, "blocked",
        "a JSON POST needs a preflight the gateway never grants"
    );
    std::thread::sleep(Duration::from_millis(300));
    let show = gateway.get(&format!("/admin/sessions/{session}"), &[]);
    assert_eq!(show.body["exists"], true, "not reset: {}", show.text);
    assert_eq!(provider.requests().len(), turns, "no turn ran");

    let mut gateway = gateway;
    let output = gateway.terminate();
    let logs = stdout(&output) + &stderr(&output);
    assert!(
        logs.contains("WebSocket upgrade refused") && logs.contains(&origin),
        "{logs}"
    );
    assert!(
        logs.matches("browser request refused").count() >= 2,
        "the two simple POSTs reached the gateway and were refused: {logs}"
    );
}

/// DNS rebinding in a real browser: `rebind.pincer.test` resolves to 127.0.0.1 (as an attacker's
/// name does once rebound), so a page at `http://rebind.pincer.test:<port>` is same-origin with
/// the gateway as far as the browser knows. With auth `none`, its same-origin reads (no `Origin`
/// header) and its WebSocket are refused by the Host check; the gateway's own names still work.
#[test]
fn a_rebound_dns_name_gets_nothing_in_a_real_browser() {
    let Some(chromium) = browser::launch() else {
        return;
    };
    let gateway = Gateway::start(Some("{ gateway: { auth: { mode: 'none' } } }"));
    let port = gateway.addr.port();
    let mut page = chromium.new_page();
    let rebound = format!("http://rebind.pincer.test:{port}");
    page.navigate(&format!("{rebound}/"));
    let text = page.eval("document.body.innerText");
    assert!(
        text.as_str()
            .is_some_and(|t| t.contains("HOST_NOT_ALLOWED")),
        "the Control UI is not served under a rebound name: {text}"
    );
    let read = page.eval(
        "fetch('/admin/sessions').then(async (r) => ({ status: r.status, body: await r.json() }))",
    );
    assert_eq!(read["status"], 403, "{read}");
    assert_eq!(read["body"]["error"]["code"], "HOST_NOT_ALLOWED", "{read}");
    let socket = page.eval(&format!(
        "new Promise((resolve) => {{
           const frames = [];
           const ws = new WebSocket('ws://rebind.pincer.test:{port}/ws');
           ws.onmessage = (m) => frames.push(JSON.parse(m.data));
           ws.onclose = (e) => resolve({{ code: e.code, frames }});
         }})"
    ));
    assert_eq!(socket["code"], 1008, "{socket}");
    assert_eq!(
        socket["frames"][0]["error"]["code"], "HOST_NOT_ALLOWED",
        "{socket}"
    );

    // The same reads through the gateway's own name work in the same browser.
    page.navigate(&format!("http://127.0.0.1:{port}/"));
    let read = page.eval("fetch('/admin/sessions').then((r) => r.status)");
    assert_eq!(read, 200);
}
