//! Shared by the two SSE targets: the input is `[n][n chunk lengths][body]`. The body is fed to
//! an [`SseParser`] in reads of those lengths (cycled; `n = 0`: one read) and must give the same
//! events as in one read; the events go to the provider's decoder until it finishes or fails.

use std::collections::VecDeque;

use pincer::providers::sse::{Decoder, SseParser};

/// Runs one input through the parser and `decoder` (see the module header).
pub fn run(data: &[u8], mut decoder: impl Decoder) {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let n = usize::from(n).min(rest.len());
    let (lengths, body) = rest.split_at(n);

    let mut whole = SseParser::new();
    let expected = whole.push(body);

    let mut parser = SseParser::new();
    let mut events = Vec::new();
    let mut remaining = body;
    let mut next = lengths.iter().cycle();
    while !remaining.is_empty() {
        let len = match next.next() {
            Some(&len) => usize::from(len).clamp(1, remaining.len()),
            None => remaining.len(),
        };
        let (read, after) = remaining.split_at(len);
        remaining = after;
        match parser.push(read) {
            Ok(mut completed) => events.append(&mut completed),
            Err(_) => return, // too large: both ways agree on that for fuzz-sized inputs
        }
    }
    if let Ok(expected) = &expected {
        assert_eq!(&events, expected, "split reads changed the events");
    }

    let mut out = VecDeque::new();
    for event in events {
        match decoder.decode(event, &mut out) {
            Ok(false) => continue,
            Ok(true) | Err(_) => return,
        }
    }
    std::hint::black_box(decoder.cut_off());
}
