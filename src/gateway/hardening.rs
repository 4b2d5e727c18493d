//! What the gateway does to its own process so that the commands it runs (and other local
//! processes) cannot read its secrets out of `/proc/<gateway pid>`.
//!
//! - [`erase_secret_environment`]: the values of secret-named variables (the names
//!   [`crate::agent::tools::exec::env::is_secret`] recognises, and the config's `apiKeyEnv`) are
//!   overwritten in the process's *original* environment block, the memory the kernel shows as
//!   `/proc/<pid>/environ`. Measured on Linux 6.18 as root: even a Landlock-restricted command
//!   without `CAP_SYS_PTRACE`, with the gateway non-dumpable, still reads that file, and
//!   `unsetenv` does not change it (the kernel reads the original block, not `environ`). The
//!   values stay available to the gateway: each is first copied to the heap with `setenv`.
//! - [`forbid_dumping`]: `PR_SET_DUMPABLE(0)`, so processes of the same (non-root) user can
//!   neither ptrace the gateway nor open its `/proc/<pid>/{environ,mem,maps,fd/...}`, and no core
//!   file with its secrets is ever written. The gateway still reads its own `/proc/self`.
//!
//! Both run at the start of `pincer gateway`, before any thread exists (`setenv` is not safe
//! while other threads may read the environment).

#![allow(
    unsafe_code,
    reason = "setenv over the original environment block and PR_SET_DUMPABLE, before any thread starts"
)]

use std::ffi::{CStr, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use crate::agent::tools::exec::env::is_secret;

extern "C" {
    /// The C library's environment (POSIX).
    static mut environ: *const *mut libc::c_char;
}

/// Overwrites, in the original environment block, the value of every variable named a secret
/// (or listed in `extra`), after moving it to the heap; returns the names erased. Must run
/// before any other thread starts.
pub(crate) fn erase_secret_environment(extra: &[String]) -> Vec<String> {
    let mut erased = Vec::new();
    // Only strings inside the block the kernel shows are overwritten (never a heap string the
    // C library may still own).
    let Some((start, end)) = original_block() else {
        return erased;
    };
    for (name, original, len) in secret_entries(extra) {
        let at = original as usize;
        if at < start || at + len > end {
            continue;
        }
        let Some(value) = std::env::var_os(&name) else {
            continue;
        };
        // A fresh heap copy; the C library's `environ` now points at it, not at the original.
        std::env::set_var(&name, &value);
        if entry_pointer(&name) == Some(original) {
            // This C library reused the original string: overwriting it would lose the value.
            continue;
        }
        let prefix = name.len() + 1;
        // SAFETY: `original` points at the NUL-terminated `NAME=value` string of the original
        // block, `len` bytes long, which nothing references any more (the variable now lives
        // in the copy), and no other thread runs yet.
        unsafe {
            std::ptr::write_bytes(original.add(prefix), b'*', len - prefix);
        }
        erased.push(name.to_string_lossy().into_owned());
    }
    erased
}

/// The original environment block, `[env_start, env_end)` of `/proc/self/stat` (fields 50
/// and 51).
fn original_block() -> Option<(usize, usize)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at field 3.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let start = fields.get(50 - 3)?.parse().ok()?;
    let end = fields.get(51 - 3)?.parse().ok()?;
    (start < end).then_some((start, end))
}

/// `(name, pointer to "NAME=value", its length)` of each secret variable, as the C library's
/// `environ` holds them now.
fn secret_entries(extra: &[String]) -> Vec<(OsString, *mut libc::c_char, usize)> {
    let mut out = Vec::new();
    // SAFETY: `environ` is a NULL-terminated array of NUL-terminated strings; no other thread
    // changes it yet.
    unsafe {
        let mut cursor = environ;
        while !cursor.is_null() && !(*cursor).is_null() {
            let entry = *cursor;
            let bytes = CStr::from_ptr(entry).to_bytes();
            if let Some(eq) = bytes.iter().position(|b| *b == b'=') {
                let name = OsStr::from_bytes(&bytes[..eq]);
                let secret = name.to_str().is_some_and(|n| is_secret(n, extra));
                if secret && bytes.len() > eq + 1 {
                    out.push((name.to_os_string(), entry, bytes.len()));
                }
            }
            cursor = cursor.add(1);
        }
    }
    out
}

/// Where the C library's `environ` holds `name` now.
fn entry_pointer(name: &OsStr) -> Option<*mut libc::c_char> {
    // SAFETY: as in `secret_entries`.
    unsafe {
        let mut cursor = environ;
        while !cursor.is_null() && !(*cursor).is_null() {
            let entry = *cursor;
            let bytes = CStr::from_ptr(entry).to_bytes();
            if bytes.len() > name.len()
                && bytes[name.len()] == b'='
                && &bytes[..name.len()] == name.as_bytes()
            {
                return Some(entry);
            }
            cursor = cursor.add(1);
        }
    }
    None
}

/// Marks the process non-dumpable; returns whether the kernel accepted it.
pub(crate) fn forbid_dumping() -> bool {
    // SAFETY: a plain prctl on the calling process.
    unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 }
}
