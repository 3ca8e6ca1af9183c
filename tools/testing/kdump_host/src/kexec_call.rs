// SPDX-License-Identifier: GPL-2.0

//! The checks `kernel/kexec.c` makes on a `kexec_load` call before the segments
//! (`kexec_load_check()` and the architecture field), ported for the host tests: they run
//! these, then the kernel's own [`crate::segments`] checks, in the kernel's order. The kernel
//! keeps its C for them, so this port lives here, not in the kernel tree.

/// Load a kernel to switch to on a crash.
pub const KEXEC_ON_CRASH: u64 = 0x1;
/// Preserve the state of the machine for a return (needs `CONFIG_KEXEC_JUMP`).
pub const KEXEC_PRESERVE_CONTEXT: u64 = 0x2;
/// Userspace may update the elfcorehdr on CPU or memory hotplug.
pub const KEXEC_UPDATE_ELFCOREHDR: u64 = 0x4;
/// Userspace knows the kernel updates the elfcorehdr on hotplug.
pub const KEXEC_CRASH_HOTPLUG_SUPPORT: u64 = 0x8;
/// The architecture field of the flags.
pub const KEXEC_ARCH_MASK: u64 = 0xffff_0000;
/// "The architecture the kernel runs on".
pub const KEXEC_ARCH_DEFAULT: u64 = 0;
/// x86_64 (`EM_X86_64 << 16`).
pub const KEXEC_ARCH_X86_64: u64 = 62 << 16;
/// Most segments one load may have.
pub const KEXEC_SEGMENT_MAX: u64 = 16;

/// `EINVAL`.
pub const EINVAL: i32 = 22;

/// What the running kernel allows, for the flag checks.
#[derive(Clone, Copy, Debug)]
pub struct Build {
    /// `CONFIG_KEXEC_JUMP`: `KEXEC_PRESERVE_CONTEXT` is a legal flag.
    pub kexec_jump: bool,
    /// `KEXEC_ARCH` of this kernel.
    pub arch: u64,
}

/// The legal flags (`KEXEC_FLAGS`).
pub fn legal_flags(build: &Build) -> u64 {
    let jump = if build.kexec_jump {
        KEXEC_PRESERVE_CONTEXT
    } else {
        0
    };
    KEXEC_ON_CRASH | KEXEC_UPDATE_ELFCOREHDR | KEXEC_CRASH_HOTPLUG_SUPPORT | jump
}

/// The flag, count and architecture checks of the `kexec_load` syscall, after the permission
/// checks: unknown flags, more than [`KEXEC_SEGMENT_MAX`] segments, an architecture other than
/// this one or the default; each is `EINVAL`.
pub fn check_call(flags: u64, nr_segments: u64, build: &Build) -> Result<(), i32> {
    if flags & legal_flags(build) != flags & !KEXEC_ARCH_MASK {
        return Err(EINVAL);
    }
    if nr_segments > KEXEC_SEGMENT_MAX {
        return Err(EINVAL);
    }
    let arch = flags & KEXEC_ARCH_MASK;
    if arch != build.arch && arch != KEXEC_ARCH_DEFAULT {
        return Err(EINVAL);
    }
    Ok(())
}
