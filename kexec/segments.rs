// SPDX-License-Identifier: GPL-2.0

//! The checks `kexec_load` makes on what userspace hands it, in the order
//! [`kernel/kexec.c`](srctree/kernel/kexec.c) and
//! [`kernel/kexec_core.c`](srctree/kernel/kexec_core.c) make them, with the same errno for
//! each: the flags and the segment count (`kexec_load_check()`), the architecture field, the
//! crash entry point (`kimage_alloc_init()`), and the segment list
//! (`sanity_check_segment_list()`).
//!
//! Pure logic with no kernel bindings, shared with the host crate. The permission, LSM and
//! lockdown checks that come first in C, and the `EBUSY` of a concurrent load, need the
//! kernel and stay in the kernel-facing layer.

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

/// `EPERM`.
pub const EPERM: i32 = 1;
/// `EINVAL`.
pub const EINVAL: i32 = 22;
/// `EADDRNOTAVAIL`.
pub const EADDRNOTAVAIL: i32 = 99;

/// Why a load is refused: C's errno, and what was wrong for the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The errno C returns for it (positive).
    pub errno: i32,
    /// What was wrong.
    pub what: &'static str,
    /// The segment concerned, if one is.
    pub segment: Option<usize>,
}

fn refuse(errno: i32, what: &'static str, segment: Option<usize>) -> Refusal {
    Refusal {
        errno,
        what,
        segment,
    }
}

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
/// checks: unknown flags (`EINVAL`), more than [`KEXEC_SEGMENT_MAX`] segments (`EINVAL`), an
/// architecture other than this one or the default (`EINVAL`).
pub fn check_call(flags: u64, nr_segments: u64, build: &Build) -> Result<(), Refusal> {
    if flags & legal_flags(build) != flags & !KEXEC_ARCH_MASK {
        return Err(refuse(EINVAL, "unknown flags", None));
    }
    if nr_segments > KEXEC_SEGMENT_MAX {
        return Err(refuse(EINVAL, "more than 16 segments", None));
    }
    let arch = flags & KEXEC_ARCH_MASK;
    if arch != build.arch && arch != KEXEC_ARCH_DEFAULT {
        return Err(refuse(EINVAL, "another architecture", None));
    }
    Ok(())
}

/// One segment as userspace describes it (`struct kexec_segment`, without the buffer).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Segment {
    /// Bytes of the user buffer to copy.
    pub bufsz: u64,
    /// Physical destination.
    pub mem: u64,
    /// Bytes at the destination (the rest after `bufsz` is zeroed).
    pub memsz: u64,
}

/// The machine the image is checked against.
#[derive(Clone, Copy, Debug)]
pub struct Machine {
    /// `PAGE_SIZE` (a power of two).
    pub page: u64,
    /// `KEXEC_DESTINATION_MEMORY_LIMIT`: segments must end below it.
    pub dest_limit: u64,
    /// `totalram_pages()`.
    pub total_pages: u64,
    /// The crashkernel region `[start, end]` (inclusive, boot physical addresses) for a crash
    /// image; `None` for a normal one.
    pub crash: Option<(u64, u64)>,
}

/// A crash image's entry point must lie in the crashkernel region (`EADDRNOTAVAIL`).
pub fn check_crash_entry(entry: u64, crash: (u64, u64)) -> Result<(), Refusal> {
    if entry < crash.0 || entry > crash.1 {
        return Err(refuse(
            EADDRNOTAVAIL,
            "entry point outside the crashkernel region",
            None,
        ));
    }
    Ok(())
}

fn pages(bytes: u64, page: u64) -> u64 {
    // `PAGE_COUNT()`; `bytes` ends below the destination limit here, so this cannot overflow
    // on a real machine, and saturating keeps it total for any input.
    bytes.saturating_add(page - 1) / page
}

/// `sanity_check_segment_list()`: every destination page-aligned, not wrapping, below the
/// limit (`EADDRNOTAVAIL`); no two destinations overlapping, no buffer larger than its
/// destination, no segment and not all of them together over half of RAM (`EINVAL`); for a
/// crash image, every segment inside the crashkernel region (`EADDRNOTAVAIL`). The first
/// failing check, in C's order, decides.
pub fn check_segments(segs: &[Segment], m: &Machine) -> Result<(), Refusal> {
    let mask = m.page - 1;
    for (i, s) in segs.iter().enumerate() {
        let Some(mend) = s.mem.checked_add(s.memsz) else {
            return Err(refuse(EADDRNOTAVAIL, "destination wraps around", Some(i)));
        };
        if s.mem & mask != 0 || mend & mask != 0 {
            return Err(refuse(
                EADDRNOTAVAIL,
                "destination not page-aligned",
                Some(i),
            ));
        }
        if mend >= m.dest_limit {
            return Err(refuse(
                EADDRNOTAVAIL,
                "destination beyond the memory limit",
                Some(i),
            ));
        }
    }
    for (i, s) in segs.iter().enumerate() {
        // No wrap here: the loop above refused it.
        let mend = s.mem + s.memsz;
        for p in segs.iter().take(i) {
            if mend > p.mem && s.mem < p.mem + p.memsz {
                return Err(refuse(EINVAL, "destinations overlap", Some(i)));
            }
        }
    }
    for (i, s) in segs.iter().enumerate() {
        if s.bufsz > s.memsz {
            return Err(refuse(
                EINVAL,
                "buffer larger than its destination",
                Some(i),
            ));
        }
    }
    let half = m.total_pages / 2;
    let mut total: u64 = 0;
    for (i, s) in segs.iter().enumerate() {
        let n = pages(s.memsz, m.page);
        if n > half {
            return Err(refuse(EINVAL, "segment larger than half of RAM", Some(i)));
        }
        total = total.saturating_add(n);
    }
    if total > half {
        return Err(refuse(EINVAL, "segments larger than half of RAM", None));
    }
    if let Some((start, end)) = m.crash {
        for (i, s) in segs.iter().enumerate() {
            // C computes `mem + memsz - 1` in unsigned arithmetic: a zero-sized segment at 0
            // ends at the top of memory and is refused.
            let last = (s.mem + s.memsz).wrapping_sub(1);
            if s.mem < start || last > end {
                return Err(refuse(
                    EADDRNOTAVAIL,
                    "segment outside the crashkernel region",
                    Some(i),
                ));
            }
        }
    }
    Ok(())
}

/// Where `kimage_alloc_crash_control_pages()` puts `size` bytes of control pages (a power of
/// two, at least a page) for a crash image: the first `size`-aligned hole at or after `from`
/// that overlaps no segment and ends at or below both `crash_end` (the crashkernel region's
/// last byte) and `limit` (`KEXEC_CRASH_CONTROL_MEMORY_LIMIT`). A hole overlapping a segment
/// moves past that segment's end, so each segment is passed at most once. `None` when there is
/// no such hole.
pub fn crash_control_hole(
    from: u64,
    size: u64,
    segs: &[Segment],
    crash_end: u64,
    limit: u64,
) -> Option<u64> {
    let align = |x: u64| x.checked_add(size - 1).map(|x| x & !(size - 1));
    let mut start = align(from)?;
    loop {
        let end = start.checked_add(size - 1)?;
        if end > crash_end || end > limit {
            return None;
        }
        // Segments of a checked crash image neither wrap nor reach past the region, so
        // `mem + memsz - 1` is exact except for an empty segment, where C's unsigned
        // arithmetic gives `mem - 1`; wrapping_sub keeps that.
        let hit = segs.iter().find(|s| {
            let last = s.mem.wrapping_add(s.memsz).wrapping_sub(1);
            end >= s.mem && start <= last
        });
        match hit {
            None => return Some(start),
            Some(s) => start = align(s.mem.wrapping_add(s.memsz).wrapping_sub(1))?,
        }
    }
}
