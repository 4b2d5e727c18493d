//! Cross-origin browsers (the "ClawJacked" class), against the real binary: a page of another
//! site cannot open the control socket, cannot POST state changes (not even `text/plain`
//! "simple requests"), cannot rebind a DNS name to the gateway, and cannot rotate sub-domains
//! for fresh password guesses; in every auth mode, `none` included. The legitimate paths keep
//! working: non-browser clients (no `Origin`), the gateway's own page, allowed origins.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::support::ws::{connect_params, WsClient};
use crate::support::*;
use pincer_emulators::Emulator;
use serde_json::{json, Value};

const EVIL: &str = "https://evil.example";
const KEY: &str = "gateway.controlUi.allowedOrigins";

/// A gateway whose model is the echoing emulator, with `gateway` as its `gateway` section.
fn gateway_with(provider: &Emulator, gateway: &str) -> Gateway {
    Gateway::start(Some(&format!(
        "{{ gateway: {gateway}, agent: {{ model: 'local/echo' }}, \
           models: {{ providers: {{ local: {{ api: 'openai-completions', baseUrl: '{}', apiKey: 'k' }} }} }} }}",
        provider.base_url()
    )))
}

/// One raw HTTP/1.1 request (`head` without the final blank line, `Host` included); status and
/// JSON body.
fn raw(addr: SocketAddr, head: &str, body: &str) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let request = format!(
        "{head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"));
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// A POST as a web page's form or `fetch(..., {mode: 'no-cors'})` sends it.
fn simple_post(addr: SocketAddr, path: &str, origin: Option<&str>, body: &str) -> (u16, Value) {
    let origin = origin
        .map(|o| format!("\r\nOrigin: {o}"))
        .unwrap_or_default();
    raw(
        addr,
        &format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/plain;charset=UTF-8{origin}"),
        body,
    )
}

fn chat_body(text: &str) -> Value {
    json!({ "model": "pincer", "messages": [{ "role": "user", "content": text }] })
}

/// The refusal frame and close of a WebSocket the gateway refused for its origin.
fn refused_socket(mut client: WsClient, code: &str, shown: &str) {
    let frame = client
        .next_frame(Duration::from_secs(10))
        .expect("an error frame");
    assert_eq!(frame["type"], "res", "{frame}");
    assert_eq!(frame["ok"], false, "{frame}");
    assert_eq!(frame["error"]["code"], code, "{frame}");
    let message = frame["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(shown) && message.contains(KEY),
        "{message}"
    );
    let (close, reason) = client
        .closed(Duration::from_secs(10))
        .expect("the gateway closes the socket");
    assert_eq!(close, 1008, "{reason}");
    assert!(reason.contains(shown), "{reason}");
    assert!(
        client
            .seen
            .iter()
            .all(|f| f["event"] != "connect.challenge"),
        "no challenge: {:?}",
        client.seen
    );
}

/// The attack: a foreign page opens `/ws` of a gateway with auth `none`, and goes
/// straight for `config.get` and `chat.send`. It gets no hello, no config, and no turn runs.
#[test]
fn a_foreign_page_gets_no_hello_even_with_auth_none() {
    let provider = Emulator::openai();
    let gateway = gateway_with(&provider, "{ auth: { mode: 'none' } }");
    let addr = gateway.addr;

    // Refused before the handshake, with a message naming the origin and the key to set.
    refused_socket(
        WsClient::open_with(addr, &[("Origin", EVIL)]),
        "ORIGIN_NOT_ALLOWED",
        EVIL,
    );
    // `null` (sandboxed frames, file:// pages) is a browser origin like any other.
    refused_socket(
        WsClient::open_with(addr, &[("Origin", "null")]),
        "ORIGIN_NOT_ALLOWED",
        "null",
    );
    // A page served by another local server (another port) is another origin.
    refused_socket(
        WsClient::open_with(addr, &[("Origin", "http://127.0.0.1:1")]),
        "ORIGIN_NOT_ALLOWED",
        "http://127.0.0.1:1",
    );

    // The attacker does not wait for the challenge: connect, read the config, run a command.
    let mut attacker = WsClient::open_with(addr, &[("Origin", EVIL)]);
    let _ = attacker.try_send("connect", connect_params(""));
    let _ = attacker.try_send("config.get", json!({}));
    let _ = attacker.try_send(
        "chat.send",
        json!({ "sessionKey": "agent:main:pwned", "message": "run exec id", "idempotencyKey": "x" }),
    );
    attacker.closed(Duration::from_secs(10)).expect("closed");
    for frame in &attacker.seen {
        assert_ne!(frame["ok"], true, "the attacker got an answer: {frame}");
        assert_ne!(frame["type"], "event", "the attacker got an event: {frame}");
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(provider.requests().is_empty(), "no turn ran");

    // A non-browser client (no Origin) still works with auth none, and sees nothing happened.
    let (mut cli, hello) = WsClient::connect(addr, "");
    assert_eq!(hello["type"], "hello-ok", "{hello}");
    let config = cli.request("config.get", json!({}));
    assert_eq!(config["ok"], true, "{config}");
    let sessions = gateway.get("/admin/sessions", &[]);
    assert_eq!(sessions.status, 200, "{}", sessions.text);
    assert_eq!(sessions.body["count"], 0, "{}", sessions.text);

    let mut gateway = gateway;
    let output = gateway.terminate();
    let logs = stdout(&output) + &stderr(&output);
    assert!(
        logs.contains("WebSocket upgrade refused") && logs.contains(EVIL),
        "a warning per refusal: {logs}"
    );
}

/// A cross-site `text/plain` POST to the OpenAI API or to a session reset is refused (403 with
/// a foreign Origin, 415 from a browser that sends none) and changes nothing; the CLI's JSON
/// requests work.
#[test]
fn cross_site_simple_posts_are_refused_and_change_nothing() {
    let provider = Emulator::openai();
    let gateway = gateway_with(&provider, "{ auth: { mode: 'none' } }");
    let addr = gateway.addr;
    let session = "agent:main:main";
    let first = http_post(
        addr,
        "/v1/chat/completions",
        &[("x-pincer-session-key", session)],
        &chat_body("hello"),
    );
    assert_eq!(first.status, 200, "{}", first.text);
    let before = provider.requests().len();
    let body = chat_body("run exec id").to_string();

    let (status, answer) = simple_post(addr, "/v1/chat/completions", Some(EVIL), &body);
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["ok"], false);
    assert_eq!(answer["error"]["code"], "ORIGIN_NOT_ALLOWED", "{answer}");
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(EVIL) && message.contains(KEY), "{message}");

    let (status, answer) = simple_post(addr, "/v1/chat/completions", None, &body);
    assert_eq!(status, 415, "{answer}");
    assert_eq!(
        answer["error"]["code"], "UNSUPPORTED_MEDIA_TYPE",
        "{answer}"
    );
    assert!(
        answer["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("application/json")),
        "{answer}"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(provider.requests().len(), before, "no turn ran");

    let reset = format!("/admin/sessions/{session}/reset");
    let (status, answer) = simple_post(addr, &reset, Some(EVIL), "");
    assert_eq!(status, 403, "{answer}");
    let (status, answer) = simple_post(addr, &reset, None, "x");
    assert_eq!(status, 415, "{answer}");
    let (status, answer) = raw(
        addr,
        &format!("POST {reset} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded"),
        "a=b",
    );
    assert_eq!(status, 415, "a form post: {answer}");
    // A same-origin-looking POST from a rebound DNS name is refused by its Host.
    let (status, answer) = raw(
        addr,
        &format!(
            "POST {reset} HTTP/1.1\r\nHost: evil.example:{}\r\nOrigin: http://evil.example:{}\r\nContent-Type: application/json",
            addr.port(),
            addr.port()
        ),
        "{}",
    );
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["error"]["code"], "HOST_NOT_ALLOWED", "{answer}");

    let show = gateway.get(&format!("/admin/sessions/{session}"), &[]);
    assert_eq!(show.body["exists"], true, "not reset: {}", show.text);

    // The CLI's reset (JSON, no Origin) works.
    let output = run_cli(gateway.home(), &["sessions", "reset", session]);
    assert!(output.status.success(), "{}", stderr(&output));
    let show = gateway.get(&format!("/admin/sessions/{session}"), &[]);
    assert_eq!(show.body["exists"], false, "reset: {}", show.text);
}

/// DNS rebinding: `evil.example` resolves to 127.0.0.1, so its page's same-origin reads reach
/// the gateway with `Host: evil.example`. With auth `none` that would read the sessions; the
/// Host check refuses every browser request for a name that is not the gateway's, and with auth
/// `none` every request at all (a plain-http GET cannot be told from a script's).
#[test]
fn a_rebound_dns_name_cannot_read_through_the_browser() {
    let provider = Emulator::openai();
    let gateway = gateway_with(&provider, "{ auth: { mode: 'none' } }");
    let addr = gateway.addr;
    let port = addr.port();
    let (status, answer) = raw(
        addr,
        &format!("GET /admin/sessions HTTP/1.1\r\nHost: evil.example:{port}\r\nSec-Fetch-Site: same-origin\r\nSec-Fetch-Mode: cors"),
        "",
    );
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["error"]["code"], "HOST_NOT_ALLOWED", "{answer}");
    let mut client = WsClient::open_with(
        addr,
        &[
            ("Origin", &format!("http://evil.example:{port}")),
            ("Host", &format!("evil.example:{port}")),
        ],
    );
    let frame = client.next_frame(Duration::from_secs(10)).expect("frame");
    assert_eq!(frame["error"]["code"], "HOST_NOT_ALLOWED", "{frame}");
    // The same read through the gateway's own names works.
    let (status, answer) = raw(
        addr,
        &format!(
            "GET /admin/sessions HTTP/1.1\r\nHost: localhost:{port}\r\nSec-Fetch-Site: same-origin"
        ),
        "",
    );
    assert_eq!(status, 200, "{answer}");
    // A plain-http page's same-origin read carries neither Origin nor fetch metadata: with auth
    // `none` every request must name the gateway.
    let (status, answer) = raw(
        addr,
        &format!("GET /admin/sessions HTTP/1.1\r\nHost: evil.example:{port}\r\nAccept: */*"),
        "",
    );
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["error"]["code"], "HOST_NOT_ALLOWED", "{answer}");

    // With a token, a non-browser client may use any name (a container's service name, say).
    let gateway = Gateway::start(None);
    let addr = gateway.addr;
    let (status, answer) = raw(
        addr,
        &format!(
            "GET /admin/sessions HTTP/1.1\r\nHost: pincer:{}\r\nAuthorization: Bearer {}",
            addr.port(),
            gateway.token()
        ),
        "",
    );
    assert_eq!(status, 200, "{answer}");
}

/// A page that rotates sub-domains gets no fresh guesses: all browser origins from loopback share
/// one lockout budget. Over the WebSocket (the only way a page can send a credential), with the
/// sub-domains allowed so that they get as far as the credential check.
#[test]
fn rotating_sub_domain_origins_share_one_lockout() {
    let origins: Vec<String> = (0..4)
        .map(|i| format!("https://s{i}.example.test"))
        .collect();
    let list = origins
        .iter()
        .map(|o| format!("'{o}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let gateway = Gateway::start(Some(&format!(
        "{{ gateway: {{ auth: {{ rateLimit: {{ maxAttempts: 3 }} }}, controlUi: {{ allowedOrigins: [{list}] }} }} }}"
    )));
    let addr = gateway.addr;
    let attempt = |origin: &str, token: &str| {
        let mut client = WsClient::open_with(addr, &[("Origin", origin)]);
        let challenge = client
            .next_frame(Duration::from_secs(10))
            .expect("challenge");
        assert_eq!(
            challenge["event"], "connect.challenge",
            "{origin}: {challenge}"
        );
        client.request("connect", connect_params(token))
    };
    for origin in &origins[..3] {
        let answer = attempt(origin, "guess");
        assert_eq!(
            answer["error"]["code"], "UNAUTHORIZED",
            "{origin}: {answer}"
        );
    }
    let locked = attempt(&origins[3], &gateway.token());
    assert_eq!(
        locked["error"]["code"], "AUTH_RATE_LIMITED",
        "a fresh sub-domain is locked out too: {locked}"
    );
    // Over HTTP too (where reads with a foreign origin reach the credential check).
    let bearer = format!("Bearer {}", gateway.token());
    let read = gateway.get(
        "/admin/actors",
        &[
            ("Origin", "https://s9.example.test"),
            ("Authorization", &bearer),
        ],
    );
    assert_eq!(read.status, 429, "{}", read.text);
    // The CLI (no Origin, loopback) is not in the browsers' bucket.
    let (_cli, hello) = WsClient::connect(addr, &gateway.token());
    assert_eq!(hello["type"], "hello-ok");
    assert_eq!(gateway.get_authed("/admin/actors").status, 200);
}

/// `gateway.controlUi.allowedOrigins` admits exactly its origins (normalized), the gateway's
/// own page is admitted without it, and other pages stay refused.
#[test]
fn allowed_and_own_origins_are_admitted() {
    let gateway = Gateway::start(Some(
        "{ gateway: { controlUi: { allowedOrigins: ['HTTPS://Ops.Example.test:443/'] } } }",
    ));
    let addr = gateway.addr;
    let token = gateway.token();
    let own = format!("http://127.0.0.1:{}", addr.port());
    let own_by_name = format!("http://localhost:{}", addr.port());
    for origin in [
        "https://ops.example.test",
        own.as_str(),
        own_by_name.as_str(),
    ] {
        let mut client = WsClient::open_with(addr, &[("Origin", origin)]);
        let challenge = client
            .next_frame(Duration::from_secs(10))
            .expect("challenge");
        assert_eq!(
            challenge["event"], "connect.challenge",
            "{origin}: {challenge}"
        );
        let hello = client.request("connect", connect_params(&token));
        assert_eq!(hello["ok"], true, "{origin}: {hello}");
        let bearer = format!("Bearer {token}");
        let reset = http_post(
            addr,
            "/admin/sessions/agent:main:nothing/reset",
            &[("Origin", origin), ("Authorization", &bearer)],
            &json!({}),
        );
        assert_eq!(
            reset.status, 404,
            "{origin} gets to the handler: {}",
            reset.text
        );
    }
    for origin in [
        "https://sub.ops.example.test",
        "http://ops.example.test",
        EVIL,
    ] {
        refused_socket(
            WsClient::open_with(addr, &[("Origin", origin)]),
            "ORIGIN_NOT_ALLOWED",
            origin,
        );
    }
}

/// Webhooks are called server to server (no Origin) with the platform's content type; a
/// foreign Origin there is refused like anywhere else.
#[test]
fn webhooks_take_no_foreign_origin_but_keep_their_content_type() {
    let gateway = Gateway::start(None);
    let addr = gateway.addr;
    let (status, answer) = simple_post(addr, "/webhooks/telegram", Some(EVIL), "{}");
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["error"]["code"], "ORIGIN_NOT_ALLOWED", "{answer}");
    // Without Origin it reaches the handler (here: Telegram is not in webhook mode).
    let (status, answer) = simple_post(addr, "/webhooks/telegram", None, "{}");
    assert_eq!(status, 404, "{answer}");
    assert_eq!(answer["error"]["code"], "NOT_FOUND", "{answer}");
}

/// An entry of `allowedOrigins` that is not an origin stops the start: exit 78, naming the key.
#[test]
fn an_invalid_allowed_origin_is_a_config_error() {
    let home = tempfile::tempdir().expect("home");
    std::fs::write(
        home.path().join("pincer.json5"),
        "{ gateway: { controlUi: { allowedOrigins: ['https://ok.example', 'ops.example.test/ui'] } } }",
    )
    .expect("config");
    let output = run_cli(home.path(), &["gateway", "--port", "0"]);
    assert_eq!(output.status.code(), Some(78), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(
        text.contains("gateway.controlUi.allowedOrigins.1") && text.contains("is not an origin"),
        "{text}"
    );
}
