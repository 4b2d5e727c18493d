//! Tests of the journal through its public API, plus a write-failure hook and direct reads of the
//! file where corruption is staged.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::frame::{self, MAGIC};
use super::record::JournalRecord;
use super::*;

fn record(platform_id: &str) -> InboundRecord {
    record_of("whatsapp", "pn1", platform_id)
}

fn record_of(channel: &str, account: &str, platform_id: &str) -> InboundRecord {
    InboundRecord {
        channel: channel.into(),
        account: account.into(),
        platform_id: platform_id.into(),
        sender: "4915550001".into(),
        sender_name: Some("Ana".into()),
        chat: "4915550001".into(),
        body: MessageBody::Text(format!("hello from {platform_id}, with some padding text")),
        received_ms: 1_700_000_000_000,
    }
}

fn open(path: &Path) -> (Journal, OpenReport) {
    open_with(path, JournalOptions::default())
}

fn open_with(path: &Path, options: JournalOptions) -> (Journal, OpenReport) {
    Journal::open(path, options).unwrap()
}

fn new_id(accepted: &Accepted) -> u64 {
    match accepted {
        Accepted::New(entry) => entry.id,
        Accepted::Duplicate { platform_id } => panic!("{platform_id} was a duplicate"),
    }
}

async fn accept_one(journal: &Journal, platform_id: &str) -> Accepted {
    let mut out = journal.accept(vec![record(platform_id)]).await.unwrap();
    assert_eq!(out.len(), 1);
    out.remove(0)
}

fn is_duplicate(accepted: &Accepted) -> bool {
    matches!(accepted, Accepted::Duplicate { .. })
}

fn pending_ids(journal: &Journal) -> Vec<String> {
    journal
        .pending("whatsapp", "pn1")
        .into_iter()
        .map(|e| e.record.platform_id)
        .collect()
}

/// The records in the file as it is on disk now.
fn records_on_disk(path: &Path) -> Vec<JournalRecord> {
    let bytes = fs::read(path).unwrap();
    frame::scan(&bytes)
        .frames
        .into_iter()
        .map(|f| f.record)
        .collect()
}

#[actix_web::test]
async fn accepted_entries_are_pending_until_done_and_replayed_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state/channels/journal.bin");
    let (journal, report) = open(&path);
    assert_eq!((report.records, report.pending), (0, 0));
    assert!(report.corrupt.is_empty());

    let a = new_id(&accept_one(&journal, "wamid.a").await);
    assert_eq!(a, 1);
    assert_eq!(pending_ids(&journal), vec!["wamid.a"]);
    assert!(journal.pending("telegram", "pn1").is_empty());
    assert!(journal.pending("whatsapp", "other").is_empty());
    journal.done(a);
    assert!(pending_ids(&journal).is_empty());
    journal.done(a); // again: ignored
    journal.done(999); // unknown: ignored
    journal.close();

    let meta = fs::metadata(&path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);

    let (journal, report) = open(&path);
    assert_eq!((report.records, report.pending), (2, 0));
    assert!(pending_ids(&journal).is_empty());
    let b = new_id(&accept_one(&journal, "wamid.b").await);
    assert_eq!(b, 2, "ids continue after the ones in the file");
    drop(journal); // the last handle: closes

    let (journal, report) = open(&path);
    assert_eq!(report.pending, 1);
    let pending = journal.pending("whatsapp", "pn1");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].id, 2);
    assert_eq!(pending[0].record, record("wamid.b"));
    let c = new_id(&accept_one(&journal, "wamid.c").await);
    assert_eq!(c, 3);
    assert_eq!(pending_ids(&journal), vec!["wamid.b", "wamid.c"]);
    assert_eq!(journal.stats().pending, 2);
}

#[actix_web::test]
async fn duplicates_are_recognised_in_a_batch_across_batches_and_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.bin");
    let (journal, _) = open(&path);

    let out = journal
        .accept(vec![record("a"), record("a"), record("b")])
        .await
        .unwrap();
    assert!(matches!(out[0], Accepted::New(_)));
    assert_eq!(
        out[1],
        Accepted::Duplicate {
            platform_id: "a".into()
        }
    );
    assert!(matches!(out[2], Accepted::New(_)));

    let out = journal
        .accept(vec![record("b"), record("c")])
        .await
        .unwrap();
    assert!(is_duplicate(&out[0]));
    let c = new_id(&out[1]);

    // The key is (channel, account, platform id).
    let out = journal
        .accept(vec![
            record_of("whatsapp", "pn2", "a"),
            record_of("telegram", "pn1", "a"),
        ])
        .await
        .unwrap();
    assert!(out.iter().all(|o| matches!(o, Accepted::New(_))));

    // Only duplicates: answered without the writer.
    let commits = journal.stats().group_commits;
    assert!(is_duplicate(&accept_one(&journal, "a").await));
    assert_eq!(journal.stats().group_commits, commits);

    journal.done(c);
    assert!(
        is_duplicate(&accept_one(&journal, "c").await),
        "done, within the window"
    );
    let stats = journal.stats();
    assert_eq!(stats.duplicates, 4);
    assert_eq!(stats.appended, 5);
    journal.close();

    let (journal, _) = open(&path);
    assert!(
        is_duplicate(&accept_one(&journal, "a").await),
        "pending, after reopen"
    );
    assert!(
        is_duplicate(&accept_one(&journal, "c").await),
        "done, after reopen"
    );
    assert!(matches!(accept_one(&journal, "d").await, Accepted::New(_)));
}

#[actix_web::test]
async fn done_keys_are_forgotten_after_the_dedup_window() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.bin");
    let options = JournalOptions {
        dedup_window: Duration::from_millis(300),
        ..JournalOptions::default()
    };
    let (journal, _) = open_with(&path, options.clone());
    let a = new_id(&accept_one(&journal, "a").await);
    let b = new_id(&accept_one(&journal, "b").await);
    journal.done(a);
    journal.done(b);
    assert!(is_duplicate(&accept_one(&journal, "a").await));
    std::thread::sleep(Duration::from_millis(400));
    assert!(matches!(accept_one(&journal, "a").await, Accepted::New(_)));
    journal.close();

    // "b" was done more than the window ago: forgotten on open, too.
    let (journal, _) = open_with(&path, options);
    assert!(matches!(accept_one(&journal, "b").await, Accepted::New(_)));
    assert!(is_duplicate(&accept_one(&journal, "a").await), "pending");
}

#[actix_web::test]
async fn concurrent_acceptors_share_fsyncs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.bin");
    let (journal, _) = open(&path);
    let tasks: Vec<_> = (0..200)
        .map(|n| {
            let journal = journal.clone();
            actix_web::rt::spawn(async move {
                journal
                    .accept(vec![record(&format!("m{n}"))])
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut ids = Vec::new();
    for task in futures_util::future::join_all(tasks).await {
        ids.push(new_id(&task.unwrap()[0]));
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 200);
    let stats = journal.stats();
    assert_eq!(stats.appended, 200);
    assert!(
        stats.group_commits < 200,
        "{} fsyncs for 200 accepts",
        stats.group_commits
    );

    // Fifty concurrent deliveries of one message: exactly one is new.
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let journal = journal.clone();
            actix_web::rt::spawn(async move { accept_one(&journal, "same").await })
        })
        .collect();
    let new = futures_util::future::join_all(tasks)
        .await
        .into_iter()
        .filter(|t| matches!(t, Ok(Accepted::New(_))))
        .count();
    assert_eq!(new, 1);
}

#[actix_web::test]
async fn done_marks_are_written_at_once_and_fsynced_lazily() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.bin");
    let (journal, _) = open(&path);
    let a = new_id(&accept_one(&journal, "a").await);
    let commits = journal.stats().group_commits;
    journal.done(a);
    std::thread::sleep(Duration::from_millis(50));
    assert!(records_on_disk(&path)
        .iter()
        .any(|r| matches!(r, JournalRecord::Done { id, .. } if *id == a)));
    std::thread::sleep(writer::LAZY_SYNC + Duration::from_millis(200));
    assert_eq!(journal.stats().group_commits, commits + 1);
}

#[actix_web::test]
async fn a_torn_or_garbage_tail_is_cut_off_and_the_journal_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.bin");
    let (journal, _) = open(&path);
    accept_one(&journal, "a").await;
    accept_one(&journal, "b").await;
    journal.close();
    let bytes = fs::read(&path).unwrap();
    let a_len = frame::scan(&bytes).frames[0].len;

    // The last frame torn by a crash.
    fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
    let (journal, report) = open(&path);
    assert_eq!(
        report.corrupt,
        vec![CorruptRegion {
            offset: a_len,
            length: bytes.len() as u64 - 3 - a_len
        }]
    );
    let copy = report.corrupt_tail_copy.clone().unwrap();
    assert_eq!(
        fs::read(&copy).unwrap(),
        &bytes[a_len as usize..bytes.len() - 3]
    );
    assert_eq!(fs::metadata(&path).unwrap().len(), a_len);
    assert_eq!(pending_ids(&journal), vec!["a"]);
    let stats = journal.stats();
    assert_eq!(stats.corrupt_skipped_bytes, report.corrupt[0].length);
    assert_eq!(stats.file_bytes, a_len);
    // "b" never made it: a redelivery is new.
    accept_one(&journal, "b").await;
    journal.close();

    let (journal, report) = open(&path);
    assert!(report.corrupt.is_empty());
    assert_eq!(pending_ids(&journal), vec!["a", "b"]);
    journal.close();

    // Garbage appended.
    let clean = fs::read(&path).unwrap();
    let mut dirty = clean.clone();
    dirty.extend_from_slice(b"\xB7\x4Agarbage that is not a frame");
    fs::write(&path, &dirty).unwrap();
    let (journal, report) = open(&path);
    assert_eq!(report.corrupt.len(), 1);
    assert_eq!(report.corrupt[0].offset, clean.len() as u64);
    assert_eq!(fs::read(&path).unwrap(), clean);
    assert_eq!(pending_ids(&journal), vec!["a", "b"]);
    accept_one(&journal, "c").await;
    journal.close();
    let (journal, report) = open(&path);
    assert!(report.corrupt.is_empty());
    assert_eq!(pending_ids(&journal), vec!["a", "b", "c"]);
}

#[actix_web::test]
async fn corruption_in_the_middle_is_skipped_and_later_records_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.bin");
    let (journal, _) = open(&path);
    for id in ["a", "b", "c"] {
        accept_one(&journal, id).await;
    }
    journal.close();
    let bytes = fs::read(&path).unwrap();
    let frames = frame::scan(&bytes).frames;
    let (b_at, b_len) = (frames[0].len as usize, frames[1].len as usize);

    // Garbage between two frames: nothing lost.
    let mut dirty = bytes[..b_at].to_vec();
    dirty.extend_from_slice(&[0, MAGIC[0], MAGIC[1], 0xff, 0xff, 0xff, 0x7f, 1, 2, 3]);
    dirty.extend_from_slice(&bytes[b_at..]);
    fs::write(&path, &dirty).unwrap();
    let (journal, report) = open(&path);
    assert_eq!(
        report.corrupt,
        vec![CorruptRegion {
            offset: b_at as u64,
            length: 10
        }]
    );
    assert_eq!(report.corrupt_tail_copy, None);
    assert_eq!(pending_ids(&journal), vec!["a", "b", "c"]);
    journal.close();

    // A damaged frame: only it is lost.
    let mut dirty = bytes.clone();
    dirty[b_at + b_len - 2] ^= 0x55;
    fs::write(&path, &dirty).unwrap();
    let (journal, report) = open(&path);
    assert_eq!(
        report.corrupt,
        vec![CorruptRegion {
            offset: b_at as u64,
            length: b_len as u64
        }]
    );
    assert_eq!(pending_ids(&journal), vec!["a", "c"]);
    assert_eq!(new_id(&accept_one(&journal, "d").await), 4);
}

/// Xorshift64: deterministic pseudo-random bytes without a dependency.
fn random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[actix_web::test]
async fn a_file_of_random_bytes_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    for seed in 1..=20u64 {
        let path = dir.path().join(format!("journal-{seed}.bin"));
        let mut bytes = random_bytes(seed, (seed as usize * 997) % 20_000);
        // Sprinkle magics with plausible lengths, so that the resync has work to do.
        for at in (0..bytes.len().saturating_sub(10)).step_by(331) {
            bytes[at..at + 2].copy_from_slice(&MAGIC);
            bytes[at + 2..at + 6].copy_from_slice(&((seed as u32) % 64).to_le_bytes());
        }
        fs::write(&path, &bytes).unwrap();
        let (journal, report) = open(&path);
        let skipped: u64 = report.corrupt.iter().map(|r| r.length).sum();
        assert_eq!(skipped, bytes.len() as u64, "seed {seed}");
        assert_eq!(report.records, 0);
        assert_eq!(fs::metadata(&path).unwrap().len(), 0, "seed {seed}");
        assert!(matches!(accept_one(&journal, "a").await, Accepted::New(_)));
    }
}

#[actix_web::test]
async fn compaction_keeps_pending_entries_and_tombstones_and_shrinks_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.bin");
    let options = JournalOptions {
        compact_after_bytes: 4096,
        ..JournalOptions::default()
    };
    let (journal, _) = open_with(&path, options.clone());
    let mut ids = Vec::new();
    for n in 0..100 {
        ids.push(new_id(&accept_one(&journal, &format!("m{n}")).await));
    }
    let before = journal.stats().file_bytes;
    for id in &ids[..95] {
        journal.done(*id);
    }
    journal.close(); // the writer considers compaction after its last batch, too
    let stats = journal.stats();
    assert!(stats.compactions >= 1, "{stats:?}");
    assert!(stats.file_bytes < before, "{stats:?}, before {before}");
    assert_eq!(fs::metadata(&path).unwrap().len(), stats.file_bytes);
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(!dir.path().join("journal.bin.compact").exists());

    let (journal, report) = open_with(&path, options);
    assert!(report.corrupt.is_empty());
    assert_eq!(report.pending, 5);
    let expected: Vec<String> = (95..100).map(|n| format!("m{n}")).collect();
    assert_eq!(pending_ids(&journal), expected);
    assert_eq!(
        journal
            .pending("whatsapp", "pn1")
            .iter()
            .map(|e| e.id)
            .collect::<Vec<_>>(),
        ids[95..].to_vec()
    );
    assert!(is_duplicate(&accept_one(&journal, "m3").await), "tombstone");
    assert!(is_duplicate(&accept_one(&journal, "m97").await), "pending");
    assert_eq!(
        new_id(&accept_one(&journal, "new").await),
        101,
        "ids continue"
    );
}

#[actix_web::test]
async fn compaction_drops_keys_past_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.bin");
    let options = JournalOptions {
        compact_after_bytes: 2048,
        dedup_window: Duration::from_millis(1),
        ..JournalOptions::default()
    };
    let (journal, _) = open_with(&path, options.clone());
    for n in 0..40 {
        let id = new_id(&accept_one(&journal, &format!("m{n}")).await);
        if n > 0 {
            journal.done(id);
        }
    }
    std::thread::sleep(Duration::from_millis(5));
    journal.close();
    let stats = journal.stats();
    assert!(stats.compactions >= 1, "{stats:?}");
    let (journal, _) = open_with(&path, options);
    assert_eq!(journal.stats().dedup_keys, 1);
    assert_eq!(pending_ids(&journal), vec!["m0"]);
    assert!(matches!(accept_one(&journal, "m5").await, Accepted::New(_)));
}

#[actix_web::test]
async fn a_failed_write_refuses_the_batch_and_forgets_its_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.bin");
    let (journal, _) = open(&path);
    accept_one(&journal, "a").await;
    journal
        .inner
        .shared
        .fail_writes
        .store(true, Ordering::Relaxed);
    let error = journal.accept(vec![record("b")]).await.unwrap_err();
    assert!(matches!(error, JournalError::Io { .. }), "{error}");
    assert!(error.to_string().contains("journal.bin"), "{error}");
    assert_eq!(journal.stats().write_errors, 1);
    assert_eq!(pending_ids(&journal), vec!["a"]);
    journal
        .inner
        .shared
        .fail_writes
        .store(false, Ordering::Relaxed);
    // The redelivery is accepted.
    assert!(matches!(accept_one(&journal, "b").await, Accepted::New(_)));
    journal.close();
    let (journal, _) = open(&path);
    assert_eq!(pending_ids(&journal), vec!["a", "b"]);
}

#[actix_web::test]
async fn a_failed_done_mark_is_written_with_a_later_batch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.bin");
    let (journal, _) = open(&path);
    let a = new_id(&accept_one(&journal, "a").await);
    journal
        .inner
        .shared
        .fail_writes
        .store(true, Ordering::Relaxed);
    journal.done(a);
    std::thread::sleep(Duration::from_millis(50));
    assert!(journal.stats().write_errors >= 1);
    journal
        .inner
        .shared
        .fail_writes
        .store(false, Ordering::Relaxed);
    accept_one(&journal, "b").await;
    journal.close();
    let (journal, _) = open(&path);
    assert_eq!(pending_ids(&journal), vec!["b"]);
}

#[actix_web::test]
async fn a_closed_journal_refuses_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.bin");
    let (journal, _) = open(&path);
    let a = new_id(&accept_one(&journal, "a").await);
    let other = journal.clone();
    journal.close();
    journal.close(); // idempotent
    let error = other.accept(vec![record("b")]).await.unwrap_err();
    assert!(matches!(error, JournalError::Closed { .. }), "{error}");
    assert!(error.to_string().contains("journal.bin"), "{error}");
    other.done(a); // logged, no panic
                   // "b" was not accepted: after reopening, it is new.
    drop((journal, other));
    let (journal, _) = open(&path);
    assert!(matches!(accept_one(&journal, "b").await, Accepted::New(_)));
}

#[actix_web::test]
async fn a_sending_mark_survives_reopen_and_compaction_and_done_clears_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbound.journal");
    let (journal, _) = Journal::open(&path, JournalOptions::default()).unwrap();
    let accepted = journal
        .accept(vec![record("m1"), record("m2")])
        .await
        .unwrap();
    let ids: Vec<u64> = accepted
        .iter()
        .map(|a| match a {
            Accepted::New(entry) => entry.id,
            other => panic!("{other:?}"),
        })
        .collect();
    journal.sending(ids[0]).await.unwrap();
    journal.close();
    let (journal, _) = Journal::open(&path, JournalOptions::default()).unwrap();
    let pending = journal.pending("whatsapp", "pn1");
    assert_eq!(pending.len(), 2);
    assert!(pending[0].sending, "the mark was replayed");
    assert!(!pending[1].sending);
    assert!(
        !journal.done_if_received_at(ids[0], 1).await,
        "a tag with the wrong receive time"
    );
    assert!(
        journal
            .done_if_received_at(ids[0], pending[0].record.received_ms)
            .await
    );
    assert_eq!(journal.pending("whatsapp", "pn1").len(), 1);
    journal.close();
}
