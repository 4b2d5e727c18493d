//! Fuzz target: arbitrary bytes as the content of a channel journal file, scanned frame by frame,
//! decoded and replayed as `Journal::open` does (without the file and writer thread). Every byte
//! must end up in a valid frame or in a reported corrupt region, in order.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pincer::channels::journal::scan_bytes;

fuzz_target!(|data: &[u8]| {
    let summary = scan_bytes(data);
    let skipped: u64 = summary.corrupt.iter().map(|r| r.length).sum();
    assert_eq!(summary.record_bytes + skipped, data.len() as u64);
    assert!(summary.pending <= summary.records);
    let mut end = 0;
    for region in &summary.corrupt {
        assert!(
            region.offset >= end && region.length > 0,
            "{:?}",
            summary.corrupt
        );
        end = region.offset + region.length;
    }
    if let Some(tail) = summary.corrupt_tail {
        assert_eq!(end, data.len() as u64);
        assert!(summary.corrupt.last().is_some_and(|r| r.offset == tail));
    }
});
