//! The typed operator API (`src/api/`) against the real binary: every operation answers the same
//! typed payload over HTTP and over the WebSocket (both answers are read into the API's own
//! response struct and compared), the same failure has the same code (and HTTP status) on both,
//! and the CLI commands read the same structs (their `--json` output is read back into them and
//! compared with the gateway's answer).
//!
//! Volatile figures are handled explicitly, never by loosening the comparison as a whole:
//! `uptimeMs` is checked to grow between the two calls and then set aside; actors' uptimes and
//! mailbox counters (the WebSocket connection's own actor handles each request) are set aside,
//! their identity, place, state and restarts compared; the system sample is compared once both
//! answers carry the same one; log tails are compared as prefixes of one append-only file.

mod channels;
mod engine;
mod gateway;

use std::time::{Duration, Instant};

use crate::support::agent::{answer_of, ask};
use crate::support::channels::{code_in, post_text, whatsapp};
use crate::support::ws::WsClient;
use crate::support::{http_request, run_cli, stderr, stdout, Gateway};
use pincer::api::{ErrorBody, ErrorReply};
use pincer_emulators::graph::GraphApi;
use pincer_emulators::Emulator;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub const WAIT: Duration = Duration::from_secs(20);

/// A gateway answering with `provider`, sampling the system every second, with `channels`.
pub fn start(provider: &Emulator, channels: &[String]) -> Gateway {
    Gateway::start(Some(&format!(
        "{{ agent: {{ model: 'local/echo' }}, \
           models: {{ providers: {{ local: {{ api: 'openai-completions', baseUrl: '{}', apiKey: 'k' }} }} }}, \
           monitoring: {{ sampleIntervalMs: 1000 }}, \
           channels: {{ {} }} }}",
        provider.base_url(),
        channels.join(", ")
    )))
}

/// A refusal as one transport told it: the HTTP status (None over WS) and the error object.
#[derive(Debug)]
pub struct Refusal {
    pub status: Option<u16>,
    pub error: ErrorBody,
}

/// One gateway, reached over both transports.
pub struct Both<'a> {
    gateway: &'a Gateway,
    bearer: String,
    ws: WsClient,
}

impl<'a> Both<'a> {
    pub fn new(gateway: &'a Gateway) -> Self {
        let token = gateway.token();
        let (ws, _) = WsClient::connect(gateway.addr, &token);
        Both {
            gateway,
            bearer: format!("Bearer {token}"),
            ws,
        }
    }

    pub fn http<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<T, Refusal> {
        let response = http_request(
            self.gateway.addr,
            method,
            path,
            &[("Authorization", self.bearer.as_str())],
            body.map(|b| b.to_string()),
        );
        if (200..300).contains(&response.status) {
            Ok(
                serde_json::from_value(response.body.clone()).unwrap_or_else(|e| {
                    panic!(
                        "{method} {path}: the answer does not read as the API's struct: {e}\n{}",
                        response.text
                    )
                }),
            )
        } else {
            let reply: ErrorReply =
                serde_json::from_value(response.body.clone()).unwrap_or_else(|e| {
                    panic!(
                        "{method} {path} {}: not an error reply: {e}\n{}",
                        response.status, response.text
                    )
                });
            assert!(!reply.ok, "{}", response.text);
            Err(Refusal {
                status: Some(response.status),
                error: reply.error,
            })
        }
    }

    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Refusal> {
        self.http("GET", path, None)
    }

    pub fn post<T: DeserializeOwned>(&self, path: &str, body: Value) -> Result<T, Refusal> {
        self.http("POST", path, Some(body))
    }

    pub fn call<T: DeserializeOwned>(&mut self, method: &str, params: Value) -> Result<T, Refusal> {
        let frame = self.ws.request(method, params);
        if frame["ok"] == true {
            Ok(
                serde_json::from_value(frame["payload"].clone()).unwrap_or_else(|e| {
                    panic!(
                        "WS {method}: the payload does not read as the API's struct: {e}\n{frame}"
                    )
                }),
            )
        } else {
            let error: ErrorBody = serde_json::from_value(frame["error"].clone())
                .unwrap_or_else(|e| panic!("WS {method}: not an error: {e}\n{frame}"));
            Err(Refusal {
                status: None,
                error,
            })
        }
    }
}

/// Both transports refused with `code` and the same message; HTTP with `status`.
pub fn same_refusal<T: std::fmt::Debug>(
    http: Result<T, Refusal>,
    ws: Result<T, Refusal>,
    code: &str,
    status: u16,
) {
    let http = http.expect_err("HTTP should refuse");
    let ws = ws.expect_err("WS should refuse");
    assert_eq!(http.status, Some(status), "{http:?}");
    assert_eq!(http.error.code, code, "{http:?}");
    assert_eq!(
        ws.error, http.error,
        "the same failure reads the same on both"
    );
}

/// A `pincer` command's stdout read as `T` (it must succeed).
pub fn cli<T: DeserializeOwned>(gateway: &Gateway, args: &[&str]) -> T {
    let output = run_cli(gateway.home(), args);
    assert!(
        output.status.success(),
        "pincer {args:?}: {}{}",
        stdout(&output),
        stderr(&output)
    );
    serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("pincer {args:?}: {e}\n{}", stdout(&output)))
}

/// Checks that `later` was taken after `earlier` and not long after, then sets both aside.
pub fn set_aside_uptime(earlier: &mut u64, later: &mut u64) {
    assert!(
        *earlier > 0 && *later >= *earlier && *later - *earlier < 10_000,
        "uptimes {earlier} then {later}"
    );
    *earlier = 0;
    *later = 0;
}

/// A gateway that answered one message in each of `keys`, and a client on both transports.
pub fn with_sessions(provider: &Emulator, keys: &[&str]) -> Gateway {
    let gateway = start(provider, &[]);
    for key in keys {
        assert_eq!(answer_of(&ask(&gateway, key, "hello")), "echo: hello");
    }
    gateway
}

/// A WhatsApp gateway in `pairing` mode where `strangers` each asked (and got a code).
pub fn with_strangers(provider: &Emulator, graph: &GraphApi, strangers: &[&str]) -> Gateway {
    let gateway = start(provider, &[whatsapp(graph, "pairing", "", "")]);
    for (n, from) in strangers.iter().enumerate() {
        assert_eq!(
            post_text(&gateway, from, &format!("wamid.S{n}"), "hi?"),
            200
        );
        assert!(
            graph.wait_for_sends(n + 1, WAIT),
            "stranger {from} got no code"
        );
    }
    gateway
}

/// The pairing code `graph` sent to `from`.
pub fn code_of(graph: &GraphApi, from: &str) -> String {
    let sends = graph.sends();
    let send = sends.iter().find(|s| s.to == from).expect("a code message");
    code_in(&send.body)
}

pub const STRANGERS: [&str; 3] = ["15550000001", "15550000002", "15550000003"];

/// Polls `read` until two reads 200 ms apart agree (counters settle once messages are handled).
pub fn settled<T: PartialEq + std::fmt::Debug>(mut read: impl FnMut() -> T) -> T {
    let deadline = Instant::now() + WAIT;
    let mut last = read();
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let now = read();
        if now == last {
            return now;
        }
        assert!(Instant::now() < deadline, "never settled: {now:?}");
        last = now;
    }
}
