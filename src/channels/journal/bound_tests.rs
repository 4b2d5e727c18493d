//! Tests of the dedup set's count bound through the journal's public API: live, after a reopen
//! (the state rebuilt from the file) and after a compaction (rebuilt from its tombstones).

use std::time::Duration;

use super::*;

/// A bound small enough to pass quickly: chunks of 16 keys, so at least 48 are always known.
const MAX: usize = 64;
const SURELY_KNOWN: usize = 48;

fn record(platform_id: &str) -> InboundRecord {
    InboundRecord {
        channel: "whatsapp".into(),
        account: "pn1".into(),
        platform_id: platform_id.into(),
        sender: "4915550001".into(),
        sender_name: None,
        chat: "4915550001".into(),
        body: MessageBody::Text(format!("hello from {platform_id}")),
        received_ms: 1_700_000_000_000,
    }
}

fn options(compact_after_bytes: u64) -> JournalOptions {
    JournalOptions {
        dedup_window: Duration::from_secs(3600),
        compact_after_bytes,
        dedup_max_keys: MAX,
    }
}

/// Accepts `m<n>` for each `n` and marks it done; panics if one was a duplicate.
async fn answer(journal: &Journal, numbers: std::ops::Range<usize>) {
    for n in numbers {
        let out = journal
            .accept(vec![record(&format!("m{n}"))])
            .await
            .unwrap();
        match out.as_slice() {
            [Accepted::New(entry)] => journal.done(entry.id),
            other => panic!("m{n}: {other:?}"),
        }
    }
}

async fn is_duplicate(journal: &Journal, n: usize) -> bool {
    let out = journal
        .accept(vec![record(&format!("m{n}"))])
        .await
        .unwrap();
    matches!(out.as_slice(), [Accepted::Duplicate { .. }])
}

#[actix_web::test]
async fn done_keys_are_bounded_by_count_and_the_newest_stay_known() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(&dir.path().join("j"), options(u64::MAX)).unwrap();
    answer(&journal, 0..500).await;
    let held = journal.stats().dedup_keys as usize;
    assert!((SURELY_KNOWN..=MAX).contains(&held), "{held} keys held");
    for n in 500 - SURELY_KNOWN..500 {
        assert!(is_duplicate(&journal, n).await, "m{n} is among the newest");
    }
    // The oldest was pushed out by the bound, long before its window: a redelivery of it now is
    // accepted again (the price of a bounded memory), and stays known while it is pending.
    assert!(!is_duplicate(&journal, 0).await);
    assert!(is_duplicate(&journal, 0).await, "pending keys are exact");
}

#[actix_web::test]
async fn a_pending_key_is_never_pushed_out() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(&dir.path().join("j"), options(u64::MAX)).unwrap();
    let out = journal.accept(vec![record("waiting")]).await.unwrap();
    assert!(matches!(out.as_slice(), [Accepted::New(_)]));
    answer(&journal, 0..500).await;
    let again = journal.accept(vec![record("waiting")]).await.unwrap();
    assert!(matches!(again.as_slice(), [Accepted::Duplicate { .. }]));
}

#[actix_web::test]
async fn a_reopened_journal_applies_the_same_bound_and_knows_the_newest_keys() {
    for compact_after_bytes in [u64::MAX, 4096] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let (journal, _) = Journal::open(&path, options(compact_after_bytes)).unwrap();
        answer(&journal, 0..500).await;
        journal.close();
        let compactions = journal.stats().compactions;
        assert_eq!(
            compactions > 0,
            compact_after_bytes == 4096,
            "{compactions}"
        );

        let (journal, report) = Journal::open(&path, options(compact_after_bytes)).unwrap();
        assert_eq!(report.pending, 0);
        let held = journal.stats().dedup_keys as usize;
        assert!(
            (SURELY_KNOWN..=MAX).contains(&held),
            "{held} keys held after reopen (compaction after {compact_after_bytes} bytes)"
        );
        for n in 500 - SURELY_KNOWN..500 {
            assert!(
                is_duplicate(&journal, n).await,
                "m{n} is known after reopen (compaction after {compact_after_bytes} bytes)"
            );
        }
        assert!(!is_duplicate(&journal, 0).await, "m0 was pushed out");
    }
}

#[actix_web::test]
async fn a_smaller_bound_on_reopen_keeps_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j");
    let large = JournalOptions {
        dedup_max_keys: 10_000,
        ..options(u64::MAX)
    };
    let (journal, _) = Journal::open(&path, large).unwrap();
    answer(&journal, 0..500).await;
    journal.close();
    let (journal, _) = Journal::open(&path, options(u64::MAX)).unwrap();
    assert!(journal.stats().dedup_keys as usize <= MAX);
    for n in 500 - SURELY_KNOWN..500 {
        assert!(is_duplicate(&journal, n).await, "m{n}");
    }
    assert!(!is_duplicate(&journal, 10).await);
}
