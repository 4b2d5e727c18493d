//! The real [`Terminal`]: stdout for questions, stdin for answers, and secrets read with the
//! terminal's echo switched off.
//!
//! Echo is switched off through termios (`tcgetattr`/`tcsetattr` on stdin, `ECHO` cleared and
//! `ECHONL` set so that Enter still moves to the next line) and restored by a guard, also when
//! reading fails. When stdin is not a terminal there is no echo to switch off and the line is
//! read as is.

#![allow(unsafe_code, reason = "termios, to read a secret without echo")]

use std::io::{BufRead, IsTerminal, Write};

use super::prompt::Terminal;

/// stdin and stdout of this process.
#[derive(Debug, Default)]
pub(crate) struct StdTerminal;

impl Terminal for StdTerminal {
    fn write(&mut self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }

    fn read_line(&mut self) -> std::io::Result<Option<String>> {
        let mut line = String::new();
        let read = std::io::stdin().lock().read_line(&mut line)?;
        Ok((read > 0).then(|| line.trim_end_matches(['\n', '\r']).to_string()))
    }

    fn read_hidden(&mut self) -> std::io::Result<Option<String>> {
        if !std::io::stdin().is_terminal() {
            return self.read_line();
        }
        let _echo_off = EchoOff::new()?;
        self.read_line()
    }
}

/// Echo is off while this lives.
struct EchoOff {
    saved: libc::termios,
}

impl EchoOff {
    fn new() -> std::io::Result<EchoOff> {
        let fd = libc::STDIN_FILENO;
        let mut saved = std::mem::MaybeUninit::<libc::termios>::uninit();
        // SAFETY: `tcgetattr` fills the termios it is given when it returns 0, which is checked
        // before `assume_init`.
        let saved = unsafe {
            if libc::tcgetattr(fd, saved.as_mut_ptr()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            saved.assume_init()
        };
        let mut hidden = saved;
        hidden.c_lflag &= !libc::ECHO;
        hidden.c_lflag |= libc::ECHONL;
        // SAFETY: a valid fd and a fully initialised termios copied from `tcgetattr`.
        if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &hidden) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(EchoOff { saved })
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `new` on the same fd.
        unsafe {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &self.saved);
        }
    }
}
