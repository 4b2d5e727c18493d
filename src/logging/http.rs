//! The http transport: events (JSON lines) are batched and POSTed as a JSON array to
//! `config.url` by a task on the gateway's actix system, so that a slow or dead log collector
//! never blocks the gateway. The queue is bounded; when it is full, lines are dropped and counted,
//! and the count is reported on stderr with the next batch.
//!
//! The writer side exists from the moment logging starts; the shipping task starts once the actix
//! system runs ([`HttpShipper::start`]), and lines logged before that wait in the queue.

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tracing_subscriber::fmt::MakeWriter;

/// Lines waiting to be shipped, at most.
const QUEUE: usize = 10_000;

/// The writer side, given to the fmt layer.
#[derive(Clone)]
pub(crate) struct HttpMakeWriter {
    queue: mpsc::Sender<String>,
    dropped: Arc<AtomicU64>,
}

/// The shipping side, started inside the actix system.
pub(crate) struct HttpShipper {
    lines: Option<mpsc::Receiver<String>>,
    url: String,
    batch_size: usize,
    flush: Duration,
    dropped: Arc<AtomicU64>,
    stop: Option<oneshot::Sender<()>>,
    done: Option<oneshot::Receiver<()>>,
}

/// Creates both sides.
pub(crate) fn channel(
    url: String,
    batch_size: usize,
    flush: Duration,
) -> (HttpMakeWriter, HttpShipper) {
    let (queue, lines) = mpsc::channel(QUEUE);
    let dropped = Arc::new(AtomicU64::new(0));
    (
        HttpMakeWriter {
            queue,
            dropped: Arc::clone(&dropped),
        },
        HttpShipper {
            lines: Some(lines),
            url,
            batch_size: batch_size.max(1),
            flush,
            dropped,
            stop: None,
            done: None,
        },
    )
}

impl HttpShipper {
    /// Starts the shipping task on the current actix system.
    pub(crate) fn start(&mut self) {
        let Some(lines) = self.lines.take() else {
            return;
        };
        let client = match crate::net::http::builder("the http log transport")
            .timeout(Duration::from_secs(10))
            .build()
        {
            Ok(client) => client,
            Err(error) => {
                eprintln!("pincer: the http log transport has no client: {error}");
                return;
            }
        };
        let (stop, stopped) = oneshot::channel();
        let (finished, done) = oneshot::channel();
        self.stop = Some(stop);
        self.done = Some(done);
        let job = Job {
            client,
            url: self.url.clone(),
            batch_size: self.batch_size,
            flush: self.flush,
            dropped: Arc::clone(&self.dropped),
        };
        actix::spawn(async move {
            job.run(lines, stopped).await;
            let _ = finished.send(());
        });
    }

    /// Ships what is queued and stops (waits at most 2 s).
    pub(crate) async fn finish(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(done) = self.done.take() {
            let _ = tokio::time::timeout(Duration::from_secs(2), done).await;
        }
    }
}

struct Job {
    client: reqwest::Client,
    url: String,
    batch_size: usize,
    flush: Duration,
    dropped: Arc<AtomicU64>,
}

impl Job {
    async fn run(&self, mut lines: mpsc::Receiver<String>, mut stopped: oneshot::Receiver<()>) {
        let mut batch: Vec<String> = Vec::new();
        loop {
            let deadline = tokio::time::sleep(self.flush);
            tokio::pin!(deadline);
            let mut stopping = false;
            while batch.len() < self.batch_size {
                tokio::select! {
                    line = lines.recv() => match line {
                        Some(line) => batch.push(line),
                        None => { stopping = true; break; }
                    },
                    _ = &mut deadline => break,
                    _ = &mut stopped => { stopping = true; break; }
                }
            }
            if stopping {
                while let Ok(line) = lines.try_recv() {
                    batch.push(line);
                }
            }
            if !batch.is_empty() {
                self.post(&batch).await;
                batch.clear();
            }
            if stopping {
                return;
            }
        }
    }

    async fn post(&self, batch: &[String]) {
        let lost = self.dropped.swap(0, Relaxed);
        if lost > 0 {
            eprintln!("pincer: the http log transport dropped {lost} lines (queue full)");
        }
        let body = format!("[{}]", batch.join(","));
        let sent = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {}
            Ok(response) => eprintln!(
                "pincer: the log collector at {} answered {}",
                self.url,
                response.status()
            ),
            Err(error) => eprintln!(
                "pincer: the log collector at {} is unreachable: {error}",
                self.url
            ),
        }
    }
}

/// Buffers one event; queues it when dropped.
pub(crate) struct HttpWriter {
    queue: mpsc::Sender<String>,
    dropped: Arc<AtomicU64>,
    buffer: Vec<u8>,
}

impl Write for HttpWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for HttpWriter {
    fn drop(&mut self) {
        let line = String::from_utf8_lossy(&self.buffer).trim_end().to_string();
        if !line.is_empty() && self.queue.try_send(line).is_err() {
            self.dropped.fetch_add(1, Relaxed);
        }
    }
}

impl<'a> MakeWriter<'a> for HttpMakeWriter {
    type Writer = HttpWriter;

    fn make_writer(&'a self) -> HttpWriter {
        HttpWriter {
            queue: self.queue.clone(),
            dropped: Arc::clone(&self.dropped),
            buffer: Vec::new(),
        }
    }
}
