//! Landlock confinement of `exec` commands (Linux 5.13+): nothing of Pincer's own state or config
//! can be read, and (with `tools.exec.sandbox`) nothing outside the workspace written.
//!
//! Three raw system calls, no crate: the gateway builds a ruleset before spawning from the
//! [`Grant`]s of [`super::grants::plan`] (read and execute on everything but the protected
//! paths, listing of every folder, everything inside the open roots) and the child applies it
//! to itself between `fork` and `exec` ([`restrict_self`], async-signal-safe:
//! `prctl(NO_NEW_PRIVS)` and `landlock_restrict_self` only). The restriction is inherited by
//! every process the command starts and cannot be lifted; it also keeps the command from
//! ptrace-attaching to the gateway (`/proc/<gateway>/mem`), which lies outside its domain.
//!
//! Two kinds of ruleset: a *confined* command's handles every right the kernel's ABI knows (so a
//! newer kernel confines more: v2 cross-folder links, v3 truncation, v5 device ioctls) and
//! grants write rights only in the open roots and `/dev/null`; an unconfined command's
//! (`tools.exec.sandbox: false`) handles only reading, listing and executing, so it may still
//! write anywhere. Every right used here exists since ABI v1, so any Landlock kernel enforces
//! the read walls in full; a grant that fails (a path gone meanwhile) is skipped, which only
//! ever denies more.
//!
//! Where the kernel lacks Landlock (or it is disabled), [`abi_version`] is `None`: commands run
//! unconfined, and `pincer doctor` and `pincer security audit` say so.

#![allow(
    unsafe_code,
    reason = "the three Landlock system calls (no crate wraps them without a large dependency)"
)]

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::grants::{Access, Grant};

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
pub(crate) fn abi_version() -> Option<u32> {
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

/// Rights that make sense on a file (the others only apply to folders).
const FILE_RIGHTS: u64 = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV;
/// What an unconfined command's ruleset handles: reading, listing and executing.
const READ_RIGHTS: u64 = EXECUTE | READ_FILE | READ_DIR;

/// A ruleset ready to be applied by a child process.
#[derive(Debug)]
pub(crate) struct Ruleset {
    fd: OwnedFd,
}

impl Ruleset {
    /// The ruleset of one command: every folder may be listed; each of `grants` may be read
    /// (and executed), the [`Access::Full`] ones also changed when `confine_writes`; with
    /// `confine_writes`, `/dev/null` may be written too and nothing else.
    pub(crate) fn for_command(grants: &[Grant], confine_writes: bool) -> io::Result<Ruleset> {
        let version = abi_version().ok_or_else(|| {
            io::Error::new(io::ErrorKind::Unsupported, "Landlock is not available")
        })?;
        let handled = if confine_writes {
            handled_for(version)
        } else {
            READ_RIGHTS
        };
        let ruleset = Ruleset::create(handled)?;
        ruleset.allow(Path::new("/"), READ_DIR)?;
        for grant in grants {
            let rights = match grant.access {
                Access::Read => EXECUTE | READ_FILE | READ_DIR,
                Access::Full => handled,
            };
            // A path gone since the plan was made (or unopenable) stays ungranted: that only
            // ever denies more.
            let _ = ruleset.allow(&grant.path, rights);
        }
        if confine_writes {
            let file_rights = (WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV) & handled;
            ruleset.allow(Path::new("/dev/null"), file_rights)?;
        }
        Ok(ruleset)
    }

    fn create(handled: u64) -> io::Result<Ruleset> {
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
        Ok(Ruleset {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    /// Grants `rights` (those that apply: a file takes only file rights) beneath `path`,
    /// without following a symlink in its last component.
    fn allow(&self, path: &Path, rights: u64) -> io::Result<()> {
        let name = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in a path"))?;
        // SAFETY: a NUL-terminated path; O_PATH opens without reading anything.
        let raw = unsafe {
            libc::open(
                name.as_ptr(),
                libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` was just opened and is owned here.
        let parent = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: fstat on a descriptor we own, into a zeroed local struct.
        let is_dir = unsafe {
            let mut stat: libc::stat = std::mem::zeroed();
            if libc::fstat(parent.as_raw_fd(), &mut stat) != 0 {
                return Err(io::Error::last_os_error());
            }
            stat.st_mode & libc::S_IFMT == libc::S_IFDIR
        };
        let rights = if is_dir { rights } else { rights & FILE_RIGHTS };
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
    pub(crate) fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// Applies the ruleset `fd` to the calling process. Async-signal-safe (two system calls, no
/// allocation), so it may run between `fork` and `exec`.
pub(crate) fn restrict_self(fd: RawFd) -> io::Result<()> {
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
