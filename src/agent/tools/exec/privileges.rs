//! The one privilege an `exec` command loses even when the gateway runs as root:
//! `CAP_SYS_PTRACE`, which would let it read the gateway's memory (`/proc/<pid>/mem`,
//! `process_vm_readv`, `ptrace`) despite the gateway being non-dumpable
//! ([`crate::gateway::hardening`]).
//!
//! Dropped from every capability set between `fork` and `exec` ([`drop_ptrace`],
//! async-signal-safe: system calls only), so neither the command nor anything it starts can
//! regain it. For a non-root gateway these sets are empty already and the calls change
//! nothing (the bounding-set drop then fails with EPERM, which is fine: no-new-privileges,
//! set with the Landlock restriction, keeps file capabilities from granting it back).

#![allow(
    unsafe_code,
    reason = "prctl/capset in the child before exec: dropping CAP_SYS_PTRACE, no-new-privileges"
)]

const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;
const CAP_SYS_PTRACE: u32 = 19;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// Removes `CAP_SYS_PTRACE` from the calling process's bounding, ambient, inheritable,
/// permitted and effective sets. Best effort: a set that cannot change is left as it is.
pub(crate) fn drop_ptrace() {
    let bit = 1u32 << CAP_SYS_PTRACE;
    // SAFETY: plain system calls on the calling process, with valid pointers to local structs.
    unsafe {
        libc::prctl(
            libc::PR_CAPBSET_DROP,
            libc::c_ulong::from(CAP_SYS_PTRACE),
            0,
            0,
            0,
        );
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_LOWER as libc::c_ulong,
            libc::c_ulong::from(CAP_SYS_PTRACE),
            0,
            0,
        );
        let mut header = CapHeader {
            version: LINUX_CAPABILITY_VERSION_3,
            pid: 0,
        };
        let mut data = [CapData {
            effective: 0,
            permitted: 0,
            inheritable: 0,
        }; 2];
        if libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) != 0 {
            return;
        }
        if (data[0].effective | data[0].permitted | data[0].inheritable) & bit == 0 {
            return;
        }
        data[0].effective &= !bit;
        data[0].permitted &= !bit;
        data[0].inheritable &= !bit;
        libc::syscall(libc::SYS_capset, &mut header, data.as_ptr());
    }
}
