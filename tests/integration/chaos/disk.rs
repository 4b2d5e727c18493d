//! A full disk. The gateway's state directory is a small tmpfs mounted in a private mount
//! namespace (`unshare --mount`, with `--map-root-user` when not root), kept alive by a holder
//! process so that the gateway can be restarted on the same filesystem (`nsenter`); the test
//! reaches the files through `/proc/<holder>/root`. Nothing is mounted on the host.
//!
//! With the disk full: webhooks are refused with 503 (Meta delivers them again) and the reason is
//! logged, the gateway stays up, a message accepted just before waits instead of being lost;
//! once space is back, everything is answered exactly once, and after a restart the journal and
//! the transcripts read back whole (no torn lines, no corrupt regions, dedup intact).

use std::fs::{self, File};
use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{admin, assert_answered_once, remember, send, sender, wait_until};
use crate::support::channels::{config, post_text, whatsapp, WA_TOKEN};
use crate::support::{pincer_via, stderr, Gateway};
use pincer_emulators::graph::GraphApi;
use pincer_emulators::Emulator;

/// A private mount namespace with a tmpfs on `state`, alive while the holder runs.
struct Namespace {
    holder: Child,
    /// Entering a user namespace too (not root).
    user: bool,
}

impl Namespace {
    /// `None` (with the reason printed) where namespaces or tmpfs mounts are not allowed.
    fn create(state: &Path, size: &str) -> Option<Namespace> {
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0");
        let mut command = Command::new("unshare");
        if !root {
            command.arg("--map-root-user");
        }
        command
            .args(["--mount", "--propagation", "private", "sh", "-c"])
            .arg("mount -t tmpfs -o size=\"$1\" tmpfs \"$2\" && echo mounted && exec sleep 600")
            .args(["sh", size])
            .arg(state)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut holder = match command.spawn() {
            Ok(child) => child,
            Err(error) => {
                eprintln!(
                    "SKIPPED: cannot run unshare ({error}); the full-disk test needs util-linux"
                );
                return None;
            }
        };
        let mut line = String::new();
        let stdout = holder.stdout.take().expect("piped");
        let _ = BufReader::new(stdout).read_line(&mut line);
        if line.trim() != "mounted" {
            let _ = holder.kill();
            let output = holder.wait_with_output().expect("holder output");
            eprintln!(
                "SKIPPED: cannot mount a tmpfs in a private mount namespace here: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            return None;
        }
        Some(Namespace {
            holder,
            user: !root,
        })
    }

    /// `path` as seen inside the namespace.
    fn view(&self, path: &Path) -> PathBuf {
        let inside = path.strip_prefix("/").unwrap_or(path);
        PathBuf::from(format!("/proc/{}/root", self.holder.id())).join(inside)
    }

    /// Starts a gateway on `home` inside the namespace.
    fn gateway(&self, home: tempfile::TempDir) -> Gateway {
        let target = self.holder.id().to_string();
        let mut wrapper = vec!["nsenter", "-t", target.as_str(), "-m"];
        if self.user {
            wrapper.extend(["-U", "--preserve-credentials"]);
        }
        wrapper.push("--");
        let command = pincer_via(home.path(), &wrapper);
        let state = self.view(&home.path().join("state"));
        Gateway::spawn(home, command, state)
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}

/// Writes zeros to `path` until the filesystem is full; the bytes written.
fn fill(path: &Path) -> u64 {
    let mut file = File::create(path).expect("create the filler file");
    let block = vec![0u8; 64 * 1024];
    let mut written = 0u64;
    loop {
        match file.write(&block) {
            Ok(0) => break,
            Ok(n) => written += n as u64,
            Err(error) if error.raw_os_error() == Some(28) => break,
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            Err(error) => panic!("filling the disk: {error}"),
        }
    }
    // Whatever the page cache still holds must hit the (full) filesystem too.
    let _ = file.sync_all();
    written
}

/// Every line of every transcript parses (no torn or glued lines).
fn transcripts_are_whole(state: &Path) {
    let dir = state.join("agents/main/sessions");
    let mut files = 0;
    for entry in fs::read_dir(&dir).expect("sessions dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "jsonl") {
            continue;
        }
        files += 1;
        let text = fs::read_to_string(&path).expect("transcript");
        for (n, line) in text.lines().enumerate() {
            assert!(
                serde_json::from_str::<serde_json::Value>(line).is_ok(),
                "{}:{} is not a whole JSON line: {line:?}",
                path.display(),
                n + 1
            );
        }
    }
    assert!(files > 0, "no transcript in {}", dir.display());
}

#[test]
fn a_full_disk_refuses_new_messages_loses_nothing_and_recovers() {
    let home = tempfile::tempdir().expect("home");
    let state = home.path().join("state");
    fs::create_dir_all(&state).expect("state dir");
    let Some(namespace) = Namespace::create(&state, "16m") else {
        return;
    };
    let provider = Emulator::openai();
    let graph = GraphApi::start(WA_TOKEN);
    let text = config(&provider, &[whatsapp(&graph, "open", "'*'", "")]);
    fs::write(home.path().join("pincer.json5"), text).expect("config");
    let mut gateway = namespace.gateway(home);
    let state_view = gateway.state_dir();

    // Before: answered as usual.
    let mut wamids: Vec<String> = (0..3)
        .map(|n| send(&gateway, &sender("05", n), n, &format!("before {n}")))
        .collect();
    assert_answered_once(&graph, &wamids, Duration::from_secs(20));

    // A message is accepted, then the disk fills up while its turn runs.
    provider.set_delay(Duration::from_millis(1500));
    wamids.push(send(
        &gateway,
        &sender("05", 10),
        10,
        "caught by the full disk",
    ));
    let filler = state_view.join("filler");
    let filled = fill(&filler);
    assert!(filled > 0, "the tmpfs took no filler bytes");
    provider.set_delay(Duration::ZERO);

    // Full: new messages are refused (Meta redelivers them), the gateway stays up. (The journal's
    // last page may still have room for a few: those are acknowledged, and must be answered.)
    let mut refused: Vec<(String, String, String)> = Vec::new();
    for n in 20..220 {
        let (from, text) = (sender("05", n), format!("during {n}"));
        let wamid = format!("wamid.CHAOS-{from}-{n}");
        match post_text(&gateway, &from, &wamid, &text) {
            200 => {
                remember(&wamid, &text);
                wamids.push(wamid)
            }
            503 => {
                refused.push((from, wamid, text));
                if refused.len() == 3 {
                    break;
                }
            }
            other => panic!("a webhook on a full disk got {other}: 200 (stored) or 503 expected"),
        }
    }
    assert_eq!(
        refused.len(),
        3,
        "no webhook was refused although the disk is full"
    );
    assert_eq!(
        gateway.get("/healthz", &[]).status,
        200,
        "the gateway stays up"
    );
    let figures = admin(&gateway, "/admin/channels");
    assert!(
        figures["journal"]["writeErrors"].as_u64().unwrap_or(0) >= 1,
        "{figures:#}"
    );

    // Space comes back; Meta delivers the refused messages again.
    fs::remove_file(&filler).expect("remove the filler");
    for (from, wamid, text) in &refused {
        wait_until(
            "the redelivery to be accepted",
            Duration::from_secs(10),
            || (post_text(&gateway, from, wamid, text) == 200).then_some(()),
        );
        remember(wamid, text);
        wamids.push(wamid.clone());
    }
    assert_answered_once(&graph, &wamids, Duration::from_secs(60));

    // The log said why.
    let output = gateway.terminate();
    assert!(output.status.success(), "clean stop: {}", stderr(&output));
    let log = stderr(&output);
    assert!(
        log.contains("No space left on device"),
        "the log should name the cause; stderr:\n{log}"
    );

    // After a restart on the same filesystem, everything written reads back whole.
    let home = std::mem::replace(&mut gateway.home, tempfile::tempdir().expect("placeholder"));
    let gateway = namespace.gateway(home);
    transcripts_are_whole(&gateway.state_dir());
    let figures = admin(&gateway, "/admin/channels");
    assert_eq!(figures["journal"]["pending"], 0, "{figures:#}");
    assert_eq!(figures["journal"]["corruptSkippedBytes"], 0, "{figures:#}");
    let corrupt: Vec<_> = fs::read_dir(gateway.state_dir().join("channels"))
        .expect("channels dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("corrupt"))
        .collect();
    assert!(corrupt.is_empty(), "corrupt copies: {corrupt:?}");
    // Dedup survived: a redelivery of an answered message is acknowledged and not answered again.
    let sent_before = graph.sends().len();
    assert_eq!(
        post_text(&gateway, &sender("05", 0), &wamids[0], "before 0"),
        200
    );
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        graph.sends().len(),
        sent_before,
        "a redelivery was answered twice"
    );
}
