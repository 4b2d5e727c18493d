//! Landlock confinement of `exec` commands (Linux 5.13+): write only inside the workspace.
//!
//! Three raw system calls, no crate: the gateway builds a ruleset before spawning (read and
//! execute everywhere, everything inside the workspace and the exec temp folder, read and write
//! on `/dev/null`), and the child applies it to itself between `fork` and `exec`
//! ([`restrict_self`], async-signal-safe: `prctl(NO_NEW_PRIVS)` and `landlock_restrict_self`
//! only). The restriction is inherited by every process the command starts and cannot be lifted.
//! The access rights handled are all those the running kernel's ABI knows, so a newer kernel
//! confines more (v2 cross-folder links, v3 truncation, v5 device ioctls).
//!
//! Where the kernel lacks Landlock (or it is disabled), [`abi_version`] is `None`: commands run
//! unconfined, and `pincer doctor` says so.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

const CREATE_RULESET_VERSION: u32 = 1;
const RULE_PATH_BENEATH: libc::c_int = 1;

const EXECUTE: u64 = 1 << 0;
const WRITE_FILE: u64 = 1 << 1;
const READ_FILE: u64 = 1 << 2;
const READ_DIR: u64 = 1 << 3;
const TRUNCATE: u64 = 1 << 14;
const IOCTL_DEV: u64 = 1 << 15;

#[repr(C)]
struct RulesetAttr {
    handled_access_fs: u64,
}

#[repr(C, packed)]
struct PathBeneathAttr {
    allowed_access: u64,
    parent_fd: i32,
}

/// The Landlock ABI version the kernel offers, or `None` without Landlock.
pub fn abi_version() -> Option<u32> {
    // SAFETY: the documented version query: null attributes, size 0, the VERSION flag.
    let version = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<RulesetAttr>(),
            0usize,
            CREATE_RULESET_VERSION,
        )
    };
    u32::try_from(version).ok().filter(|v| *v >= 1)
}

/// Every filesystem right the ABI `version` knows.
fn handled_for(version: u32) -> u64 {
    match version {
        1 => (1 << 13) - 1,
        2 => (1 << 14) - 1,
        3 | 4 => (1 << 15) - 1,
        _ => (1 << 16) - 1,
    }
}

/// A ruleset ready to be applied by a child process.
#[derive(Debug)]
pub struct Ruleset {
    fd: OwnedFd,
}

impl Ruleset {
    /// Read and execute everywhere; full access inside each of `writable` (missing ones are
    /// skipped); read and write on `/dev/null`.
    pub fn confine_writes_to(writable: &[&Path]) -> io::Result<Ruleset> {
        let version = abi_version().ok_or_else(|| {
            io::Error::new(io::ErrorKind::Unsupported, "Landlock is not available")
        })?;
        let handled = handled_for(version);
        let attr = RulesetAttr {
            handled_access_fs: handled,
        };
        // SAFETY: a valid attribute struct and its exact size.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_landlock_create_ruleset,
                &attr as *const RulesetAttr,
                std::mem::size_of::<RulesetAttr>(),
                0u32,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let fd = RawFd::try_from(fd).map_err(|_| io::Error::other("bad ruleset fd"))?;
        // SAFETY: the kernel just returned this descriptor to us; nothing else owns it.
        let ruleset = Ruleset {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        };
        ruleset.allow(Path::new("/"), EXECUTE | READ_FILE | READ_DIR)?;
        for dir in writable {
            if dir.exists() {
                ruleset.allow(dir, handled)?;
            }
        }
        let file_rights = (WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV) & handled;
        ruleset.allow(Path::new("/dev/null"), file_rights)?;
        Ok(ruleset)
    }

    fn allow(&self, path: &Path, rights: u64) -> io::Result<()> {
        let name = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in a path"))?;
        // SAFETY: a NUL-terminated path; O_PATH opens without reading anything.
        let raw = unsafe { libc::open(name.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` was just opened and is owned here.
        let parent = unsafe { OwnedFd::from_raw_fd(raw) };
        let attr = PathBeneathAttr {
            allowed_access: rights,
            parent_fd: parent.as_raw_fd(),
        };
        // SAFETY: a valid ruleset fd and a valid packed attribute struct.
        let done = unsafe {
            libc::syscall(
                libc::SYS_landlock_add_rule,
                self.fd.as_raw_fd(),
                RULE_PATH_BENEATH,
                &attr as *const PathBeneathAttr,
                0u32,
            )
        };
        if done < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// The descriptor to hand to [`restrict_self`] in the child.
    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// Applies the ruleset `fd` to the calling process. Async-signal-safe (two system calls, no
/// allocation), so it may run between `fork` and `exec`.
pub fn restrict_self(fd: RawFd) -> io::Result<()> {
    // SAFETY: plain system calls with integer arguments.
    unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            return Err(io::Error::last_os_error());
        }
        if libc::syscall(libc::SYS_landlock_restrict_self, fd, 0u32) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
