//! A command's output, bounded: the beginning and the end are kept, the middle is cut.
//!
//! `exec` returns [`Output::render`] (head + tail within `tools.exec.maxOutputBytes`), since the
//! end of a build log usually says what went wrong and the beginning what ran. Background
//! commands are also read incrementally with [`Output::take_unread`]: what arrived since the
//! last read, its oldest part dropped (and counted) beyond the cap.

use std::collections::VecDeque;

/// Output captured so far.
#[derive(Debug)]
pub(crate) struct Output {
    cap: usize,
    head: Vec<u8>,
    tail: VecDeque<u8>,
    total: u64,
    unread: VecDeque<u8>,
    unread_dropped: u64,
}

impl Output {
    /// A buffer returning at most `cap` bytes (at least 2).
    pub(crate) fn new(cap: usize) -> Self {
        Output {
            cap: cap.max(2),
            head: Vec::new(),
            tail: VecDeque::new(),
            total: 0,
            unread: VecDeque::new(),
            unread_dropped: 0,
        }
    }

    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.total += bytes.len() as u64;
        let head_cap = self.cap / 2;
        let room = head_cap.saturating_sub(self.head.len());
        let (to_head, rest) = bytes.split_at(room.min(bytes.len()));
        self.head.extend_from_slice(to_head);
        let tail_cap = self.cap - head_cap;
        push_bounded(&mut self.tail, rest, tail_cap);
        self.unread_dropped += push_bounded(&mut self.unread, bytes, self.cap);
    }

    #[cfg(test)]
    /// Bytes seen in total.
    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    /// Head and tail, with a marker saying how much of the middle was cut.
    pub(crate) fn render(&self) -> String {
        let kept = (self.head.len() + self.tail.len()) as u64;
        let mut out = String::from_utf8_lossy(&self.head).into_owned();
        if self.total > kept {
            out.push_str(&format!(
                "\n[... {} bytes of output cut (tools.exec.maxOutputBytes) ...]\n",
                self.total - kept
            ));
        }
        let tail: Vec<u8> = self.tail.iter().copied().collect();
        out.push_str(&String::from_utf8_lossy(&tail));
        out
    }

    /// What arrived since the last call (its oldest part cut beyond the cap).
    pub(crate) fn take_unread(&mut self) -> String {
        let bytes: Vec<u8> = self.unread.drain(..).collect();
        let mut out = String::new();
        if self.unread_dropped > 0 {
            out.push_str(&format!(
                "[... {} earlier bytes were not read in time and are gone ...]\n",
                self.unread_dropped
            ));
            self.unread_dropped = 0;
        }
        out.push_str(&String::from_utf8_lossy(&bytes));
        out
    }
}

/// Appends `bytes` keeping the last `cap`; returns how many bytes fell off the front.
fn push_bounded(buffer: &mut VecDeque<u8>, bytes: &[u8], cap: usize) -> u64 {
    let skipped_input = bytes.len().saturating_sub(cap) as u64;
    let bytes = &bytes[skipped_input as usize..];
    let overflow = (buffer.len() + bytes.len()).saturating_sub(cap);
    buffer.drain(..overflow);
    buffer.extend(bytes);
    skipped_input + overflow as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_output_is_returned_whole() {
        let mut out = Output::new(100);
        out.push(b"hello ");
        out.push(b"world");
        assert_eq!(out.render(), "hello world");
        assert_eq!(out.take_unread(), "hello world");
        assert_eq!(out.take_unread(), "");
    }

    #[test]
    fn long_output_keeps_head_and_tail_within_the_cap() {
        let mut out = Output::new(10);
        for chunk in [b"0123456789".as_slice(), b"abcdefghij", b"ABCDEFGHIJ"] {
            out.push(chunk);
        }
        let text = out.render();
        assert!(text.starts_with("01234\n[... 20 bytes"), "{text}");
        assert!(text.ends_with("FGHIJ"), "{text}");
        assert_eq!(out.total(), 30);
        let unread = out.take_unread();
        assert!(unread.contains("20 earlier bytes"), "{unread}");
        assert!(unread.ends_with("ABCDEFGHIJ"), "{unread}");
    }
}
