//! The indexer actor, `/gateway/tools/memory-index`: a permanent task that keeps the main
//! workspace's index current and shows the index in `/admin/actors`.
//!
//! It indexes once at start (so the first search does not wait for the embeddings of every
//! note), then polls the notes' sizes and modification times every [`POLL`] (cheap: a `stat` per
//! note; a note is read only when its stamp changed, and embedded only where its paragraphs
//! changed). Polling rather than a file watcher: notes change a few times a day, the model
//! writes them through ordinary tools, and every search checks its workspace before it ranks,
//! so a watcher would add a dependency and a thread for no fresher result. Its status line is
//! rewritten after every index change, whoever made it (a search, `pincer memory reindex`).

use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use pincer_actors::{ChildSpec, RestartType};

use super::MemoryService;

/// Between checks of the main workspace's notes.
const POLL: Duration = Duration::from_secs(30);

/// The indexer's child spec (a child of `/gateway/tools`).
pub(crate) fn indexer_spec(service: Arc<MemoryService>) -> ChildSpec {
    ChildSpec::task("memory-index".to_string(), "memory", move |cx| {
        let service = Arc::clone(&service);
        let cx = cx.clone();
        async move {
            loop {
                let main = service.main().to_path_buf();
                if let Err(error) = service.refresh(&main, false).await {
                    tracing::debug!(%error, "memory index not refreshed");
                }
                cx.set_status(service.status_line().await);
                tokio::select! {
                    () = tokio::time::sleep(POLL) => {}
                    () = service.changed.notified() => {}
                }
            }
        }
        .boxed_local()
    })
    .restart(RestartType::Permanent)
}
