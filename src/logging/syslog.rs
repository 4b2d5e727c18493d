//! The syslog transport: each event is one datagram on the local syslog socket (`/dev/log`),
//! RFC 3164 style: `<PRI>pincer[PID]: message`, facility `user`, severity from the event's level.

use std::io::{self, Write};
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::sync::Arc;

use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

/// Facility `user` (1), as the RFC numbers it.
const FACILITY_USER: u8 = 1;

/// Makes one writer per event.
#[derive(Clone)]
pub(crate) struct SyslogMakeWriter {
    socket: Arc<UnixDatagram>,
}

impl SyslogMakeWriter {
    /// Connects to the local syslog socket at `path`.
    pub(crate) fn connect(path: &Path) -> io::Result<Self> {
        let socket = UnixDatagram::unbound()?;
        socket.connect(path)?;
        Ok(SyslogMakeWriter {
            socket: Arc::new(socket),
        })
    }
}

/// Buffers one formatted event and sends it when dropped.
pub(crate) struct SyslogWriter {
    socket: Arc<UnixDatagram>,
    severity: u8,
    buffer: Vec<u8>,
}

impl Write for SyslogWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for SyslogWriter {
    fn drop(&mut self) {
        let message = String::from_utf8_lossy(&self.buffer);
        let message = message.trim_end();
        if message.is_empty() {
            return;
        }
        let priority = FACILITY_USER * 8 + self.severity;
        let datagram = format!("<{priority}>pincer[{}]: {message}", std::process::id());
        // Logging must never fail the gateway: a full or absent syslog drops the line.
        let _ = self.socket.send(datagram.as_bytes());
    }
}

fn severity(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

impl<'a> MakeWriter<'a> for SyslogMakeWriter {
    type Writer = SyslogWriter;

    fn make_writer(&'a self) -> SyslogWriter {
        SyslogWriter {
            socket: Arc::clone(&self.socket),
            severity: 6,
            buffer: Vec::new(),
        }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> SyslogWriter {
        SyslogWriter {
            socket: Arc::clone(&self.socket),
            severity: severity(meta.level()),
            buffer: Vec::new(),
        }
    }
}
