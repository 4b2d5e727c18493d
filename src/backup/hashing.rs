//! SHA-256 while bytes stream: into an archive ([`ExactReader`]) or out of it ([`HashingWriter`]).
//!
//! Files are never read twice or buffered whole, so a backup of a large workspace runs in constant
//! memory and the sum in the manifest is the sum of exactly the bytes archived.

use std::io::{self, Read, Write};

use sha2::{Digest, Sha256};

/// Reads exactly `len` bytes of `inner` and hashes them.
///
/// `len` is the file's length when it was opened. An append-only file that grows meanwhile is cut
/// at that length (the appended tail belongs to the next backup); a file that shrank is padded
/// with zeros, since a tar entry's size is written before its data, and [`ExactReader::finish`]
/// reports it so the caller can say so.
#[derive(Debug)]
pub(crate) struct ExactReader<R> {
    inner: R,
    remaining: u64,
    short: bool,
    hasher: Sha256,
}

/// The outcome of an [`ExactReader`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Digested {
    /// Lower-case hex SHA-256 of the bytes produced.
    pub sha256: String,
    /// Whether the source ended early and zeros were produced instead.
    pub short: bool,
}

impl<R: Read> ExactReader<R> {
    pub(crate) fn new(inner: R, len: u64) -> Self {
        ExactReader {
            inner,
            remaining: len,
            short: false,
            hasher: Sha256::new(),
        }
    }

    /// The sum of everything read; call once the reader is exhausted.
    pub(crate) fn finish(self) -> Digested {
        Digested {
            sha256: hex(&self.hasher.finalize()),
            short: self.short,
        }
    }
}

impl<R: Read> Read for ExactReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = usize::try_from(self.remaining)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        if want == 0 {
            return Ok(0);
        }
        let mut got = if self.short {
            0
        } else {
            self.inner.read(&mut buf[..want])?
        };
        if got == 0 {
            self.short = true;
            buf[..want].fill(0);
            got = want;
        }
        self.hasher.update(&buf[..got]);
        self.remaining -= got as u64;
        Ok(got)
    }
}

/// Passes writes through to `inner`, hashing and counting them.
#[derive(Debug)]
pub(crate) struct HashingWriter<W> {
    inner: W,
    written: u64,
    hasher: Sha256,
}

impl<W: Write> HashingWriter<W> {
    pub(crate) fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            written: 0,
            hasher: Sha256::new(),
        }
    }

    /// The inner writer, the byte count and the hex SHA-256.
    pub(crate) fn finish(self) -> (W, u64, String) {
        (self.inner, self.written, hex(&self.hasher.finalize()))
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn reads_exactly_the_length_and_hashes_it() {
        let mut reader = ExactReader::new(&b"abcdef"[..], 3);
        let mut out = Vec::new();
        reader.read_to_end(&mut out).expect("read");
        assert_eq!(out, b"abc");
        assert_eq!(
            reader.finish(),
            Digested {
                sha256: ABC.into(),
                short: false
            }
        );
    }

    #[test]
    fn a_shrunk_source_is_padded_and_reported() {
        let mut reader = ExactReader::new(&b"ab"[..], 4);
        let mut out = Vec::new();
        reader.read_to_end(&mut out).expect("read");
        assert_eq!(out, b"ab\0\0");
        assert!(reader.finish().short);
    }

    #[test]
    fn the_writer_hashes_what_it_passes_on() {
        let mut writer = HashingWriter::new(Vec::new());
        writer.write_all(b"abc").expect("write");
        let (inner, count, sum) = writer.finish();
        assert_eq!(
            (inner.as_slice(), count, sum.as_str()),
            (&b"abc"[..], 3, ABC)
        );
    }
}
