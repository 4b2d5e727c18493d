//! Logging: `tracing` events to the transports of the seed's `LogConfig`.
//!
//! CLI commands log to stderr only ([`init`]). The gateway ([`init_gateway`]) adds what
//! `logging.transports` asks for: the console (text or JSON), daily JSON-lines files in
//! `<state>/logs` with retention ([`file`]), the local syslog socket ([`syslog`]), and batched
//! POSTs to a collector ([`http`]). The level is `logging.level`, `debug` with `--verbose`, and
//! `PINCER_LOG` (e.g. `pincer=debug,actix=warn`) overrides both. Panics are logged as events too,
//! so a caught actor panic leaves one structured line.

pub(crate) mod file;
pub(crate) mod http;
pub(crate) mod syslog;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry};

use crate::config::{parse_size, LogFormat, LogLevel, LoggingConfig, TransportKind};

type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// Keeps background log writers alive; drop it last (it flushes the file writer).
#[derive(Default)]
pub struct LogGuard {
    _file: Option<tracing_appender::non_blocking::WorkerGuard>,
    http: Option<http::HttpShipper>,
}

impl LogGuard {
    /// Starts the transports that run on the actix system (the http shipper). Call inside it.
    pub fn start_shipping(&mut self) {
        if let Some(shipper) = self.http.as_mut() {
            shipper.start();
        }
    }

    /// Ships what the http transport still holds (at most 2 s); call before the system stops.
    pub async fn finish(&mut self) {
        if let Some(shipper) = self.http.as_mut() {
            shipper.finish().await;
        }
    }
}

fn filter(default: LevelFilter) -> Targets {
    std::env::var("PINCER_LOG")
        .ok()
        .and_then(|spec| spec.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(default))
}

fn console(format: LogFormat) -> BoxedLayer {
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormat::Text => Box::new(layer),
        LogFormat::Json => Box::new(layer.json()),
    }
}

/// Stderr logging for CLI commands. Call once, early in `main`.
pub fn init(verbose: bool) {
    let level = if verbose {
        LevelFilter::DEBUG
    } else {
        LevelFilter::INFO
    };
    let _ = tracing_subscriber::registry()
        .with(vec![console(LogFormat::Text)])
        .with(filter(level))
        .try_init();
    install_panic_hook();
}

/// Where the file transport writes: its `config.dir`, else `<state>/logs`.
pub fn log_dir(config: &LoggingConfig, state_dir: &Path) -> PathBuf {
    config
        .transports
        .iter()
        .find(|t| t.kind == TransportKind::File)
        .and_then(|t| t.config.dir.as_deref())
        .map(PathBuf::from)
        .unwrap_or_else(|| state_dir.join("logs"))
}

/// The gateway's logging, from `logging`. Problems with a transport (an unwritable folder, no
/// syslog socket) are reported on stderr and that transport is skipped: logging never stops the
/// gateway from starting.
pub fn init_gateway(config: &LoggingConfig, state_dir: &Path, verbose: bool) -> LogGuard {
    let level = if verbose {
        LevelFilter::DEBUG
    } else {
        match config.level {
            LogLevel::Debug => LevelFilter::DEBUG,
            LogLevel::Info => LevelFilter::INFO,
            LogLevel::Warn => LevelFilter::WARN,
            LogLevel::Error => LevelFilter::ERROR,
        }
    };
    let mut guard = LogGuard::default();
    let mut layers: Vec<BoxedLayer> = Vec::new();
    for transport in &config.transports {
        match transport.kind {
            TransportKind::Console => layers.push(console(config.format)),
            TransportKind::File => {
                let dir = log_dir(config, state_dir);
                match file_layer(&dir, config) {
                    Ok((layer, worker)) => {
                        layers.push(layer);
                        guard._file = Some(worker);
                    }
                    Err(error) => {
                        eprintln!("pincer: file logging to {} is off: {error}", dir.display())
                    }
                }
            }
            TransportKind::Syslog => {
                let path = transport
                    .config
                    .path
                    .clone()
                    .unwrap_or_else(|| "/dev/log".into());
                match syslog::SyslogMakeWriter::connect(Path::new(&path)) {
                    Ok(writer) => layers.push(Box::new(
                        tracing_subscriber::fmt::layer()
                            .with_writer(writer)
                            .with_ansi(false)
                            .without_time(),
                    )),
                    Err(error) => eprintln!("pincer: syslog logging to {path} is off: {error}"),
                }
            }
            TransportKind::Http => {
                let Some(url) = transport.config.url.clone() else {
                    continue;
                };
                let (writer, shipper) = http::channel(
                    url,
                    transport.config.batch_size.unwrap_or(100),
                    Duration::from_millis(transport.config.flush_ms.unwrap_or(2000)),
                );
                layers.push(Box::new(
                    tracing_subscriber::fmt::layer()
                        .json()
                        .with_writer(writer)
                        .with_ansi(false),
                ));
                guard.http = Some(shipper);
            }
        }
    }
    let _ = tracing_subscriber::registry()
        .with(layers)
        .with(filter(level))
        .try_init();
    install_panic_hook();
    guard
}

fn file_layer(
    dir: &Path,
    config: &LoggingConfig,
) -> Result<(BoxedLayer, tracing_appender::non_blocking::WorkerGuard), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let days = config.retention.days.max(1);
    let max_bytes = parse_size(&config.retention.max_size).unwrap_or(100 * 1024 * 1024);
    prune_now(dir, days, max_bytes);
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix(file::PREFIX)
        .filename_suffix(file::SUFFIX)
        .build(dir)
        .map_err(|e| e.to_string())?;
    // The writer thread's queue is preallocated: tracing-appender's default (128k lines) costs
    // about 4 MiB of memory up front. 4096 lines absorb any burst the gateway produces; beyond
    // that, lines are dropped rather than blocking the gateway.
    let (writer, worker) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(4096)
        .lossy(true)
        .finish(appender);
    // Retention is checked hourly by a small thread: the day can change while the gateway runs.
    let owned = dir.to_path_buf();
    let _ = std::thread::Builder::new()
        .name("pincer-log-retention".into())
        .spawn(move || loop {
            std::thread::sleep(Duration::from_secs(3600));
            prune_now(&owned, days, max_bytes);
        });
    let layer = tracing_subscriber::fmt::layer()
        .json()
        .with_writer(writer)
        .with_ansi(false);
    Ok((Box::new(layer), worker))
}

fn prune_now(dir: &Path, days: u32, max_bytes: u64) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    for removed in file::prune(dir, days, max_bytes, now) {
        eprintln!("pincer: removed old log file {}", removed.display());
    }
}

fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic payload".to_string());
        tracing::error!(%location, panic = %message, "panic (caught by the supervisor if inside an actor)");
    }));
}
