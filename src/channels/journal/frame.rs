//! Framing of journal records on disk, and the scan that reads a journal file back.
//!
//! A frame is `[magic: 2 bytes][len: u32 LE][crc32 of payload: u32 LE][payload: len bytes]`, the
//! payload being a [`JournalRecord`] encoded by [`crate::codec`]. Frames are only ever appended, so
//! a crash can leave a torn frame at the end of the file; disk or operator accidents can damage
//! the middle. [`scan`] never fails on any content: a stretch that is not a valid frame is a
//! [`CorruptRegion`], and reading resumes at the next offset where a whole valid frame starts
//! (magic, sane length, matching checksum, decodable payload).

use crate::codec::{self, CodecError};

use super::record::JournalRecord;
use super::state::State;

/// The first two bytes of every frame.
pub(super) const MAGIC: [u8; 2] = [0xB7, 0x4A];
/// Magic, length and checksum.
pub(super) const HEADER_LEN: usize = 10;

/// A stretch of a journal file that held no valid frame; it was skipped when the file was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorruptRegion {
    /// Byte offset in the file.
    pub offset: u64,
    /// Length in bytes.
    pub length: u64,
}

/// Appends the frame of `record` to `buf`; returns the frame's length.
pub(super) fn append_frame(buf: &mut Vec<u8>, record: &JournalRecord) -> Result<u64, CodecError> {
    let payload = codec::encode(record)?;
    let len =
        u32::try_from(payload.len()).map_err(|_| CodecError::TooLarge { len: payload.len() })?;
    buf.reserve(HEADER_LEN + payload.len());
    buf.extend_from_slice(&MAGIC);
    buf.extend_from_slice(&len.to_le_bytes());
    buf.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    buf.extend_from_slice(&payload);
    Ok((HEADER_LEN + payload.len()) as u64)
}

/// The valid frame at the start of `bytes`, with its total length, if there is one.
fn parse(bytes: &[u8]) -> Option<(JournalRecord, usize)> {
    let header = bytes.get(..HEADER_LEN)?;
    if header[..2] != MAGIC {
        return None;
    }
    let len = u32::from_le_bytes([header[2], header[3], header[4], header[5]]) as usize;
    let crc = u32::from_le_bytes([header[6], header[7], header[8], header[9]]);
    if len == 0 || len > codec::MAX_BYTES {
        return None;
    }
    let payload = bytes.get(HEADER_LEN..HEADER_LEN.checked_add(len)?)?;
    if crc32fast::hash(payload) != crc {
        return None;
    }
    let record = codec::decode::<JournalRecord>(payload).ok()?;
    Some((record, HEADER_LEN + len))
}

/// One valid frame found by [`scan`].
#[derive(Debug)]
pub(super) struct ScannedFrame {
    /// The frame's length on disk.
    pub len: u64,
    pub record: JournalRecord,
}

/// What [`scan`] found in a file.
#[derive(Debug, Default)]
pub(super) struct Scan {
    pub frames: Vec<ScannedFrame>,
    pub corrupt: Vec<CorruptRegion>,
    /// Where the corrupt tail starts (the end of the last valid frame), if the file ends with one.
    pub corrupt_tail: Option<u64>,
}

/// Reads every valid frame of `bytes`, skipping corrupt regions (see the module header).
pub(super) fn scan(bytes: &[u8]) -> Scan {
    let mut out = Scan::default();
    let mut pos = 0usize;
    while pos < bytes.len() {
        if let Some((record, len)) = parse(&bytes[pos..]) {
            out.frames.push(ScannedFrame {
                len: len as u64,
                record,
            });
            pos += len;
            continue;
        }
        let start = pos;
        pos = next_frame(bytes, pos + 1);
        out.corrupt.push(CorruptRegion {
            offset: start as u64,
            length: (pos - start) as u64,
        });
        if pos == bytes.len() {
            out.corrupt_tail = Some(start as u64);
        }
    }
    out
}

/// What [`scan_bytes`] read from a journal file's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanSummary {
    /// Valid records read.
    pub records: usize,
    /// Bytes of the valid frames.
    pub record_bytes: u64,
    /// Entries accepted but not done after replaying the records.
    pub pending: usize,
    /// Stretches that held no valid frame.
    pub corrupt: Vec<CorruptRegion>,
    /// Where the corrupt tail starts, if the bytes end with one.
    pub corrupt_tail: Option<u64>,
}

/// Scans `bytes` as the content of a journal file and replays its records, as
/// [`super::Journal::open`] does, without a file or a writer thread: the fuzzing entry point of the
/// frame scan and the record decoding.
pub fn scan_bytes(bytes: &[u8]) -> ScanSummary {
    let scan = scan(bytes);
    let mut state = State::default();
    let records = scan.frames.len();
    let mut record_bytes = 0;
    for frame in scan.frames {
        record_bytes += frame.len;
        state.replay(frame.record, frame.len);
    }
    ScanSummary {
        records,
        record_bytes,
        pending: state.pending.len(),
        corrupt: scan.corrupt,
        corrupt_tail: scan.corrupt_tail,
    }
}

/// The first offset at or after `from` where a valid frame starts, or `bytes.len()`.
fn next_frame(bytes: &[u8], from: usize) -> usize {
    let mut pos = from;
    while pos + HEADER_LEN <= bytes.len() {
        match bytes[pos..].windows(2).position(|w| w == MAGIC) {
            None => break,
            Some(skip) => {
                pos += skip;
                if parse(&bytes[pos..]).is_some() {
                    return pos;
                }
                pos += 1;
            }
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(id: u64) -> JournalRecord {
        JournalRecord::Done { id, at_ms: 1_000 }
    }

    fn frames(ids: &[u64]) -> Vec<u8> {
        let mut buf = Vec::new();
        for id in ids {
            append_frame(&mut buf, &done(*id)).unwrap();
        }
        buf
    }

    fn ids(scan: &Scan) -> Vec<u64> {
        scan.frames
            .iter()
            .map(|f| match f.record {
                JournalRecord::Done { id, .. } => id,
                _ => u64::MAX,
            })
            .collect()
    }

    #[test]
    fn clean_frames_are_read_back() {
        let buf = frames(&[1, 2, 3]);
        let scan = scan(&buf);
        assert_eq!(ids(&scan), vec![1, 2, 3]);
        assert!(scan.corrupt.is_empty());
        assert_eq!(scan.corrupt_tail, None);
        let total: u64 = scan.frames.iter().map(|f| f.len).sum();
        assert_eq!(total, buf.len() as u64);
    }

    #[test]
    fn a_torn_tail_is_reported_as_the_corrupt_tail() {
        let buf = frames(&[1, 2]);
        let first = scan(&buf).frames[0].len;
        let torn = &buf[..buf.len() - 1];
        let scan = scan(torn);
        assert_eq!(ids(&scan), vec![1]);
        assert_eq!(scan.corrupt_tail, Some(first));
        assert_eq!(
            scan.corrupt,
            vec![CorruptRegion {
                offset: first,
                length: torn.len() as u64 - first
            }]
        );
    }

    #[test]
    fn garbage_in_the_middle_is_skipped() {
        let mut buf = frames(&[1]);
        let at = buf.len() as u64;
        // Garbage that even starts with the magic and contains it again.
        buf.extend_from_slice(&[0xB7, 0x4A, 9, 9, 9, 0xB7, 0x4A, 0, 0, 0, 0, 1, 2]);
        buf.extend_from_slice(&frames(&[2, 3]));
        let scan = scan(&buf);
        assert_eq!(ids(&scan), vec![1, 2, 3]);
        assert_eq!(
            scan.corrupt,
            vec![CorruptRegion {
                offset: at,
                length: 13
            }]
        );
        assert_eq!(scan.corrupt_tail, None);
    }

    #[test]
    fn a_flipped_payload_bit_fails_the_checksum() {
        let mut buf = frames(&[1, 2]);
        buf[HEADER_LEN] ^= 1;
        let scan = scan(&buf);
        assert_eq!(ids(&scan), vec![2]);
        assert_eq!(scan.corrupt[0].offset, 0);
    }

    /// Three frames as the journal has written them since the channel ids were strings
    /// (`whatsapp`, `telegram`: the plug-ins' names), byte for byte: files already on disk must
    /// keep loading, and the same records must keep being written the same way.
    const STORED: &str = concat!(
        "b74a4d0000001cfe0c0c00070877686174736170700f31303635343033353232",
        "34323932320777616d69642e310b31353535313233343536370103416e6e0b31",
        "3535353132333435363700026869fd0068e5cf8b010000b74a030000006dd1a8",
        "c1010705b74a25000000be20b79900080874656c656772616d02343201370239",
        "39000239390107737469636b6572fc00f15365",
    );

    #[test]
    fn frames_written_before_the_channel_plugins_still_read() {
        use crate::channels::journal::record::{InboundRecord, MessageBody};
        let bytes: Vec<u8> = (0..STORED.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&STORED[i..i + 2], 16).expect("hex"))
            .collect();
        let expected = [
            JournalRecord::Accepted {
                id: 7,
                record: InboundRecord {
                    channel: "whatsapp".into(),
                    account: "106540352242922".into(),
                    platform_id: "wamid.1".into(),
                    sender: "15551234567".into(),
                    sender_name: Some("Ann".into()),
                    chat: "15551234567".into(),
                    body: MessageBody::Text("hi".into()),
                    received_ms: 1_700_000_000_000,
                },
            },
            JournalRecord::Done { id: 7, at_ms: 5 },
            JournalRecord::Accepted {
                id: 8,
                record: InboundRecord {
                    channel: "telegram".into(),
                    account: "42".into(),
                    platform_id: "7".into(),
                    sender: "99".into(),
                    sender_name: None,
                    chat: "99".into(),
                    body: MessageBody::Unsupported {
                        kind: "sticker".into(),
                    },
                    received_ms: 1_700_000_000,
                },
            },
        ];
        let scanned = scan(&bytes);
        assert!(scanned.corrupt.is_empty(), "{:?}", scanned.corrupt);
        let read: Vec<&JournalRecord> = scanned.frames.iter().map(|f| &f.record).collect();
        assert_eq!(read, expected.iter().collect::<Vec<_>>());
        let mut written = Vec::new();
        for record in &expected {
            append_frame(&mut written, record).expect("encode");
        }
        assert_eq!(written, bytes, "the stored form changed");
    }

    mod properties {
        //! Any bytes scan without panicking, and garbage after valid frames never costs them.

        use proptest::collection::vec;
        use proptest::prelude::*;

        use super::super::*;
        use crate::channels::journal::record::{InboundRecord, MessageBody};

        fn text() -> impl Strategy<Value = String> {
            "[a-z0-9.:+]{0,12}"
        }

        fn record() -> impl Strategy<Value = JournalRecord> {
            let inbound = (
                text(),
                text(),
                proptest::option::of(text()),
                any::<bool>(),
                any::<u64>(),
            )
                .prop_map(
                    |(platform_id, sender, sender_name, is_text, received_ms)| InboundRecord {
                        channel: "whatsapp".into(),
                        account: "pn".into(),
                        platform_id,
                        chat: sender.clone(),
                        sender,
                        sender_name,
                        body: if is_text {
                            MessageBody::Text("hi".into())
                        } else {
                            MessageBody::Unsupported {
                                kind: "image".into(),
                            }
                        },
                        received_ms,
                    },
                );
            prop_oneof![
                (any::<u64>(), inbound)
                    .prop_map(|(id, record)| JournalRecord::Accepted { id, record }),
                (any::<u64>(), any::<u64>())
                    .prop_map(|(id, at_ms)| JournalRecord::Done { id, at_ms }),
                (any::<u64>(), any::<u64>())
                    .prop_map(|(id, at_ms)| JournalRecord::Sending { id, at_ms }),
                any::<u64>().prop_map(|next_id| JournalRecord::IdFloor { next_id }),
                (text(), any::<u64>()).prop_map(|(platform_id, at_ms)| JournalRecord::Seen {
                    channel: "telegram".into(),
                    account: "1".into(),
                    platform_id,
                    at_ms,
                }),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig {
                cases: 256,
                failure_persistence: None,
                ..ProptestConfig::default()
            })]

            #[test]
            fn valid_frames_before_garbage_are_never_lost(
                records in vec(record(), 0..8),
                garbage in vec(any::<u8>(), 0..200),
                magic_at in proptest::option::of(any::<usize>()),
            ) {
                let mut bytes = Vec::new();
                for record in &records {
                    append_frame(&mut bytes, record).unwrap();
                }
                let valid_len = bytes.len();
                let mut garbage = garbage;
                // Garbage that starts a frame header is the hard case for the resync.
                if let (Some(at), false) = (magic_at, garbage.len() < 2) {
                    let at = at % (garbage.len() - 1);
                    garbage[at..at + 2].copy_from_slice(&MAGIC);
                }
                bytes.extend_from_slice(&garbage);
                let scanned = scan(&bytes);
                prop_assert!(scanned.frames.len() >= records.len());
                for (frame, record) in scanned.frames.iter().zip(&records) {
                    prop_assert_eq!(&frame.record, record);
                }
                let summary = scan_bytes(&bytes);
                let skipped: u64 = summary.corrupt.iter().map(|r| r.length).sum();
                prop_assert_eq!(summary.record_bytes + skipped, bytes.len() as u64);
                prop_assert!(summary.record_bytes >= valid_len as u64);
            }

            #[test]
            fn any_bytes_scan_without_panicking(bytes in vec(any::<u8>(), 0..600)) {
                let summary = scan_bytes(&bytes);
                let skipped: u64 = summary.corrupt.iter().map(|r| r.length).sum();
                prop_assert_eq!(summary.record_bytes + skipped, bytes.len() as u64);
            }
        }
    }
}
