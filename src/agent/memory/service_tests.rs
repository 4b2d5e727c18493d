//! The memory service's tests: fallback to keywords, the saved index and its rebuild.

use super::*;

fn service(dir: &Path, embedder: Result<Option<EmbeddingsClient>, String>) -> MemoryService {
    MemoryService::new(
        dir.join("state/memory"),
        dir.join("ws"),
        Arc::new(Walls::none()),
        embedder,
        MemorySearchConfig::default(),
    )
}

#[tokio::test]
async fn an_unusable_provider_leaves_keywords_with_a_note_and_the_index_is_saved() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("ws")).unwrap();
    std::fs::write(dir.path().join("ws/MEMORY.md"), "the red car\n\nblue sky\n").unwrap();
    let memory = service(dir.path(), Err("unknown model provider `x`".into()));
    let found = memory
        .search(&dir.path().join("ws"), "car", 5, 0.0)
        .await
        .unwrap();
    assert_eq!(found.mode, "keywords");
    assert_eq!(found.hits.len(), 1);
    assert!(found.note.unwrap().contains("unusable"));
    assert!(matches!(memory.provider(), ProviderState::Unusable { .. }));
    let figures = memory.figures().await;
    assert_eq!((figures[0].files, figures[0].chunks), (1, 2));
    assert!(memory
        .status_line()
        .await
        .starts_with("1 files, 2 chunks, 0 vectors"));

    // A second service (a restart) reads the saved index; a corrupt one is rebuilt.
    let files: Vec<_> = std::fs::read_dir(dir.path().join("state/memory"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    std::fs::write(&files[0], b"PINCRMEM garbage").unwrap();
    let again = service(dir.path(), Ok(None));
    let found = again
        .search(&dir.path().join("ws"), "sky", 5, 0.0)
        .await
        .unwrap();
    assert_eq!(found.hits[0].chunk.text, "blue sky");
    assert_eq!(found.note, None, "no provider: nothing to say");
    assert!(store::load(&files[0]).is_ok(), "rebuilt and saved again");
}
