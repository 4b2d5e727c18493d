//! `openclaw logs`: the last lines of the gateway's log (`--limit`), and `--follow`, which polls
//! `logs.tail` from the cursor it was last given, so each line is printed once.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::cli::{each_way, OpenClaw, Target, Way};
use crate::support::Gateway;

/// The log lines of `openclaw logs` text output (the `Log file:` heading left out).
fn log_lines(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("Log file:"))
        .collect()
}

#[test]
fn logs_limit_prints_exactly_that_many_lines() {
    let Some(cli) = OpenClaw::find() else { return };
    let gateway = Gateway::start(None);
    let target = Target::of(&gateway);
    each_way(&Way::ALL, |way| {
        let run = cli.run(&target, way, &["logs", "--limit", "3"]);
        run.ok();
        assert_eq!(log_lines(&run.stdout).len(), 3, "({way:?}){run}");
    });
}

/// Makes the gateway log a line naming `marker`: a WebSocket upgrade whose Origin is `marker`,
/// not an origin, which the gateway refuses (with an error frame after the upgrade) and logs
/// with the header's value.
fn log_marker(gateway: &Gateway, marker: &str) {
    let mut stream = TcpStream::connect(gateway.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Origin: {marker}\r\n\r\n",
        gateway.addr
    );
    stream.write_all(request.as_bytes()).expect("send upgrade");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.contains("ORIGIN_NOT_ALLOWED"),
        "the upgrade with Origin {marker:?} was not refused: {answer}"
    );
}

/// `openclaw logs --follow` (in the background) prints a line logged after it started, once:
/// after a second marker shows a later poll, the first is still printed once, and no line is
/// printed twice.
#[test]
fn logs_follow_prints_each_new_line_once() {
    let Some(cli) = OpenClaw::find() else { return };
    let gateway = Gateway::start(None);
    let target = Target::of(&gateway);
    let mut follow = cli.spawn(
        &target,
        Way::Flags,
        &["logs", "--follow", "--limit", "5", "--interval", "500"],
    );
    follow.wait_for("the first lines", Duration::from_secs(60), |out| {
        out.contains("Log file:")
    });
    log_marker(&gateway, "oc-follow-marker-one");
    follow.wait_for("the first marker", Duration::from_secs(60), |out| {
        out.contains("oc-follow-marker-one")
    });
    log_marker(&gateway, "oc-follow-marker-two");
    let out = follow.wait_for("the second marker", Duration::from_secs(60), |out| {
        out.contains("oc-follow-marker-two")
    });
    assert_eq!(
        out.matches("oc-follow-marker-one").count(),
        1,
        "the first marker line was printed again by a later poll:\n$ {}\n{out}",
        follow.shown
    );
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for line in log_lines(&out) {
        *seen.entry(line).or_default() += 1;
    }
    let repeated: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        repeated.is_empty(),
        "lines printed more than once: {repeated:#?}\n$ {}\n{out}",
        follow.shown
    );
}
