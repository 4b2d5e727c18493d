//! Headless Chromium driven over the Chrome DevTools Protocol (JSON-RPC over a WebSocket, with
//! the blocking `tungstenite` client): launch it on a temporary profile, open a page, navigate,
//! evaluate JavaScript (awaiting promises), wait for a condition, and take PNG screenshots.
//!
//! Chromium is found at `$CHROMIUM`, `chromium` or `chromium-browser`. Without it, [`launch`]
//! panics when `CI` is set (CI installs Debian's `chromium` package) and otherwise returns `None`
//! so that the test can say why it skipped.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tungstenite::{Message, WebSocket};

/// A running headless Chromium; killed (with its profile removed) when dropped.
pub struct Browser {
    child: Child,
    profile: tempfile::TempDir,
    port: u16,
    browser_path: String,
}

/// One tab, with its own DevTools connection.
pub struct Page {
    socket: WebSocket<TcpStream>,
    next_id: u64,
    /// Console messages and uncaught exceptions, for failure messages.
    pub log: Vec<String>,
}

/// The Chromium binary: `$CHROMIUM`, else `chromium` or `chromium-browser` on `PATH`.
pub fn find_chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// Starts headless Chromium, or explains why it cannot (see the module docs).
pub fn launch() -> Option<Browser> {
    let Some(binary) = find_chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but Chromium was not found (looked at $CHROMIUM, `chromium` and \
             `chromium-browser` on PATH): the Control UI tests need it. `.ci/run` installs \
             Debian's `chromium` package; elsewhere install it or point $CHROMIUM at a binary."
        );
        eprintln!(
            "SKIPPED: no Chromium ($CHROMIUM, `chromium`, `chromium-browser`); install Debian's \
             `chromium` package to run the Control UI browser test"
        );
        return None;
    };
    Some(Browser::start(&binary))
}

impl Browser {
    fn start(binary: &Path) -> Browser {
        let profile = tempfile::tempdir().expect("Chromium profile directory");
        let log = std::fs::File::create(profile.path().join("chromium.log")).expect("log file");
        let child = Command::new(binary)
            .args([
                "--headless=new",
                "--remote-debugging-port=0",
                "--no-sandbox",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--password-store=basic",
                "--hide-scrollbars",
                "--window-size=1280,860",
                // A name that resolves to this machine, as a DNS-rebinding attacker's would.
                "--host-resolver-rules=MAP rebind.pincer.test 127.0.0.1",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let mut browser = Browser {
            child,
            profile,
            port: 0,
            browser_path: String::new(),
        };
        // Chromium writes the port it chose, then the browser target's path.
        let file = browser.profile.path().join("DevToolsActivePort");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(text) = std::fs::read_to_string(&file) {
                let mut lines = text.lines();
                if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                    if let Ok(port) = port.trim().parse() {
                        browser.port = port;
                        browser.browser_path = path.trim().to_string();
                        return browser;
                    }
                }
            }
            if let Ok(Some(status)) = browser.child.try_wait() {
                panic!(
                    "Chromium exited with {status} before listening:\n{}",
                    browser.stderr()
                );
            }
            assert!(
                Instant::now() < deadline,
                "Chromium wrote no {} within 30 s:\n{}",
                file.display(),
                browser.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What Chromium printed (for failure messages).
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.profile.path().join("chromium.log")).unwrap_or_default()
    }

    fn connect(&self, path: &str) -> WebSocket<TcpStream> {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to DevTools");
        // A busy machine may take a while to answer the upgrade; reads poll afterwards.
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        let url = format!("ws://127.0.0.1:{}{path}", self.port);
        let socket = tungstenite::client::client(url.as_str(), stream)
            .unwrap_or_else(|e| panic!("DevTools WebSocket {url}: {e}"))
            .0;
        socket
            .get_ref()
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        socket
    }

    /// Opens a new tab (`Target.createTarget`) and connects to it.
    pub fn new_page(&self) -> Page {
        let mut browser = Page {
            socket: self.connect(&self.browser_path),
            next_id: 1,
            log: Vec::new(),
        };
        let target = browser.call("Target.createTarget", json!({ "url": "about:blank" }));
        let id = target["targetId"].as_str().expect("targetId").to_string();
        let _ = browser.socket.close(None);
        let mut page = Page {
            socket: self.connect(&format!("/devtools/page/{id}")),
            next_id: 1,
            log: Vec::new(),
        };
        page.call("Runtime.enable", json!({}));
        page.call("Page.enable", json!({}));
        page
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Page {
    /// Sends a DevTools command and returns its `result`; panics on a protocol error.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let frame = json!({ "id": id, "method": method, "params": params });
        self.socket
            .send(Message::text(frame.to_string()))
            .unwrap_or_else(|e| panic!("DevTools {method}: {e}"));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            assert!(
                Instant::now() < deadline,
                "DevTools {method}: no answer within 60 s"
            );
            let message = match self.socket.read() {
                Ok(Message::Text(text)) => text,
                Ok(_) => continue,
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    continue
                }
                Err(e) => panic!("DevTools connection failed during {method}: {e}"),
            };
            let frame: Value = serde_json::from_str(message.as_str()).expect("DevTools JSON");
            if frame["id"] == id {
                if let Some(error) = frame.get("error") {
                    panic!("DevTools {method} failed: {error}");
                }
                return frame["result"].clone();
            }
            self.note(&frame);
        }
    }

    /// Keeps console output and exceptions for failure messages.
    fn note(&mut self, frame: &Value) {
        match frame["method"].as_str() {
            Some("Runtime.consoleAPICalled") => {
                let args: Vec<String> = frame["params"]["args"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|a| match &a["value"] {
                        Value::String(s) => s.clone(),
                        Value::Null => a["description"].as_str().unwrap_or("").to_string(),
                        other => other.to_string(),
                    })
                    .collect();
                self.log.push(format!(
                    "console.{}: {}",
                    frame["params"]["type"].as_str().unwrap_or("log"),
                    args.join(" ")
                ));
            }
            Some("Runtime.exceptionThrown") => {
                let details = &frame["params"]["exceptionDetails"];
                self.log.push(format!(
                    "exception: {} {}",
                    details["text"].as_str().unwrap_or(""),
                    details["exception"]["description"].as_str().unwrap_or("")
                ));
            }
            _ => {}
        }
    }

    /// Evaluates `expression` in the page (awaiting a promise): its JSON value, or what it threw.
    pub fn try_eval(&mut self, expression: &str) -> Result<Value, String> {
        let result = self.call(
            "Runtime.evaluate",
            json!({ "expression": expression, "awaitPromise": true, "returnByValue": true }),
        );
        match result.get("exceptionDetails") {
            Some(details) => Err(details["exception"]["description"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| details.to_string())),
            None => Ok(result["result"]["value"].clone()),
        }
    }

    /// Like [`Page::try_eval`]; panics when the script throws.
    pub fn eval(&mut self, expression: &str) -> Value {
        self.try_eval(expression).unwrap_or_else(|error| {
            panic!(
                "page script failed: {error}\n{expression}\npage log: {:#?}",
                self.log
            )
        })
    }

    /// Polls `expression` until it is truthy; its value. Panics after `limit`, saying `what`.
    pub fn wait_for(&mut self, what: &str, expression: &str, limit: Duration) -> Value {
        let deadline = Instant::now() + limit;
        let mut last_error = String::new();
        loop {
            // A script that throws (an element not there yet) counts as "not yet".
            let value = self.try_eval(expression).unwrap_or_else(|error| {
                last_error = error;
                Value::Null
            });
            let truthy = match &value {
                Value::Null | Value::Bool(false) => false,
                Value::String(s) => !s.is_empty(),
                Value::Number(n) => n.as_f64() != Some(0.0),
                _ => true,
            };
            if truthy {
                return value;
            }
            if Instant::now() >= deadline {
                let text = self
                    .try_eval(
                        "document.querySelector('main')?.innerText ?? document.body.innerText",
                    )
                    .unwrap_or_default();
                panic!(
                    "timed out after {limit:?} waiting for {what}\n({expression})\nlast error: {last_error}\n\
                     page text:\n{}\npage log: {:#?}",
                    text.as_str().unwrap_or(""),
                    self.log
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Navigates and waits for the load to complete.
    /// Opens the Control UI at `url` and signs in with `token`, waiting until the socket is
    /// connected: the first steps of every view's browser test.
    pub fn sign_in(&mut self, url: &str, token: &str, limit: Duration) {
        self.navigate(url);
        self.wait_for(
            "the sign-in form",
            "!document.querySelector('#view-signin').hidden",
            limit,
        );
        self.eval(&format!(
            "(() => {{ const f = document.querySelector('#signin-secret'); f.value = {}; \
             f.dispatchEvent(new Event('input', {{ bubbles: true }})); f.form.requestSubmit(); }})()",
            js_string(token)
        ));
        self.wait_for(
            "signed in",
            "document.body.dataset.auth === 'signed-in' && document.body.dataset.conn === 'connected'",
            limit,
        );
    }

    pub fn navigate(&mut self, url: &str) {
        let answer = self.call("Page.navigate", json!({ "url": url }));
        if let Some(error) = answer["errorText"].as_str() {
            panic!("navigating to {url}: {error}");
        }
        let loaded = format!(
            "location.href === {} && document.readyState === 'complete'",
            js_string(url)
        );
        self.wait_for("the page to load", &loaded, Duration::from_secs(20));
    }

    /// Reloads and waits for the load to complete.
    pub fn reload(&mut self) {
        self.call("Page.reload", json!({}));
        std::thread::sleep(Duration::from_millis(200));
        self.wait_for(
            "the page to reload",
            "document.readyState === 'complete'",
            Duration::from_secs(20),
        );
    }

    /// A fixed viewport, so that screenshots look the same everywhere.
    pub fn set_viewport(&mut self, width: u32, height: u32) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false }),
        );
    }

    /// `prefers-color-scheme` as `light` or `dark`.
    pub fn color_scheme(&mut self, scheme: &str) {
        self.call(
            "Emulation.setEmulatedMedia",
            json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] }),
        );
    }

    /// A PNG of the viewport.
    pub fn screenshot(&mut self) -> Vec<u8> {
        let shot = self.call("Page.captureScreenshot", json!({ "format": "png" }));
        let png = base64_decode(shot["data"].as_str().expect("screenshot data"));
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
        png
    }
}

/// Standard base64 (the screenshots), without a dependency for it.
pub fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter_map(value) {
        buffer = (buffer << 6) | c;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    out
}

/// Puts a JavaScript string literal around `text`.
pub fn js_string(text: &str) -> String {
    Value::from(text).to_string()
}
