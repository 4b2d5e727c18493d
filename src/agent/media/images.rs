//! Reading the current turn's images for its model call: each [`ImagePart`] of the turn's user
//! messages gets its file's bytes in base64 ([`ImagePart::data`]), read off the engine's threads.
//! An image whose file is gone (swept by the retention) keeps no data and reaches the model as
//! its note.

use std::sync::Arc;

use base64::Engine as _;

use crate::providers::{ChatMessage, ImagePart};

/// Fills the data of every image of `messages` that has none.
pub(crate) async fn load(messages: &mut [ChatMessage]) {
    for message in messages {
        let ChatMessage::User { images, .. } = message else {
            continue;
        };
        for image in images.iter_mut().filter(|i| i.data.is_none()) {
            image.data = read(image).await;
        }
    }
}

async fn read(image: &ImagePart) -> Option<Arc<str>> {
    let path = image.path.clone();
    let bytes = tokio::task::spawn_blocking(move || std::fs::read(path))
        .await
        .ok()?;
    match bytes {
        Ok(bytes) => Some(Arc::from(
            base64::engine::general_purpose::STANDARD.encode(bytes),
        )),
        Err(error) => {
            tracing::warn!(%error, path = %image.path, "an image of the turn cannot be read");
            None
        }
    }
}
