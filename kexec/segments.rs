// SPDX-License-Identifier: GPL-2.0

//! The checks `kexec_load` makes on the segments userspace hands it, in the order
//! [`kernel/kexec.c`](srctree/kernel/kexec.c) and
//! [`kernel/kexec_core.c`](srctree/kernel/kexec_core.c) make them, with the same errno for
//! each: the crash entry point (`kimage_alloc_init()`) and the segment list
//! (`sanity_check_segment_list()`); and where a crash image's control pages go.
//!
//! Pure logic with no kernel bindings, shared with the host crate. The permission, LSM and
//! lockdown checks that come first in C, and the `EBUSY` of a concurrent load, need the
//! kernel and stay in the kernel-facing layer; the flag, count and architecture checks stay
//! in `kernel/kexec.c` (the host crate has a port of them for its tests).

/// `EINVAL`.
pub const EINVAL: i32 = 22;
/// `EADDRNOTAVAIL`.
pub const EADDRNOTAVAIL: i32 = 99;

/// What was wrong, with the values that made it wrong (addresses as the caller gave them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// A crash image's entry point lies outside the crashkernel region.
    EntryOutsideCrash {
        /// The entry point.
        entry: u64,
        /// The region's first byte.
        start: u64,
        /// The region's last byte.
        end: u64,
    },
    /// `mem + memsz` wraps around.
    Wraps {
        /// The destination.
        mem: u64,
        /// Its size.
        memsz: u64,
    },
    /// The destination does not start on a page.
    Unaligned {
        /// The destination.
        mem: u64,
    },
    /// The destination does not end on a page.
    EndUnaligned {
        /// Where it ends (`mem + memsz`).
        end: u64,
    },
    /// The destination ends at or beyond `KEXEC_DESTINATION_MEMORY_LIMIT`.
    BeyondLimit {
        /// Where it ends.
        end: u64,
        /// The limit.
        limit: u64,
    },
    /// The destination overlaps that of an earlier segment.
    Overlap {
        /// The destination.
        mem: u64,
        /// Where it ends.
        end: u64,
        /// The earlier segment.
        other: usize,
    },
    /// More bytes in the buffer than at the destination.
    BufferTooLarge {
        /// The buffer's size.
        bufsz: u64,
        /// The destination's size.
        memsz: u64,
    },
    /// One segment's pages are more than half of RAM.
    SegmentOverHalfRam {
        /// The segment's pages.
        pages: u64,
        /// Half of RAM, in pages.
        half: u64,
    },
    /// All segments' pages together are more than half of RAM.
    SegmentsOverHalfRam {
        /// The segments' pages.
        pages: u64,
        /// Half of RAM, in pages.
        half: u64,
    },
    /// A crash segment is not inside the crashkernel region.
    OutsideCrash {
        /// The destination.
        mem: u64,
        /// Its last byte.
        last: u64,
        /// The region's first byte.
        start: u64,
        /// The region's last byte.
        end: u64,
    },
}

/// Why a load is refused: C's errno, the segment concerned if one is, and what was wrong.
/// Its `Display` is the log message: `segment 1: destination 0x1000800 is not page-aligned`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The errno C returns for it (positive).
    pub errno: i32,
    /// The segment concerned, if one is.
    pub segment: Option<usize>,
    /// What was wrong.
    pub reason: Reason,
}

fn refuse(errno: i32, segment: Option<usize>, reason: Reason) -> Refusal {
    Refusal {
        errno,
        segment,
        reason,
    }
}

impl core::fmt::Display for Reason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            Reason::EntryOutsideCrash { entry, start, end } => write!(
                f,
                "entry point {entry:#x} is outside the crashkernel region {start:#x}-{end:#x}"
            ),
            Reason::Wraps { mem, memsz } => {
                write!(f, "destination {mem:#x} + size {memsz:#x} wraps around")
            }
            Reason::Unaligned { mem } => write!(f, "destination {mem:#x} is not page-aligned"),
            Reason::EndUnaligned { end } => {
                write!(f, "destination end {end:#x} is not page-aligned")
            }
            Reason::BeyondLimit { end, limit } => {
                write!(
                    f,
                    "destination end {end:#x} is not below the limit {limit:#x}"
                )
            }
            Reason::Overlap { mem, end, other } => write!(
                f,
                "destination {mem:#x}-{end:#x} overlaps that of segment {other}"
            ),
            Reason::BufferTooLarge { bufsz, memsz } => {
                write!(
                    f,
                    "buffer size {bufsz:#x} is larger than memory size {memsz:#x}"
                )
            }
            Reason::SegmentOverHalfRam { pages, half } => {
                write!(f, "{pages} pages are more than half of RAM ({half} pages)")
            }
            Reason::SegmentsOverHalfRam { pages, half } => write!(
                f,
                "the segments' {pages} pages are more than half of RAM ({half} pages)"
            ),
            Reason::OutsideCrash {
                mem,
                last,
                start,
                end,
            } => write!(
                f,
                "destination {mem:#x}-{last:#x} is outside the crashkernel region \
                 {start:#x}-{end:#x}"
            ),
        }
    }
}

impl core::fmt::Display for Refusal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.segment {
            Some(i) => write!(f, "segment {i}: {}", self.reason),
            None => write!(f, "{}", self.reason),
        }
    }
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
    let (start, end) = crash;
    if entry < start || entry > end {
        return Err(refuse(
            EADDRNOTAVAIL,
            None,
            Reason::EntryOutsideCrash { entry, start, end },
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
            let (mem, memsz) = (s.mem, s.memsz);
            return Err(refuse(EADDRNOTAVAIL, Some(i), Reason::Wraps { mem, memsz }));
        };
        if s.mem & mask != 0 {
            let mem = s.mem;
            return Err(refuse(EADDRNOTAVAIL, Some(i), Reason::Unaligned { mem }));
        }
        if mend & mask != 0 {
            let end = mend;
            return Err(refuse(EADDRNOTAVAIL, Some(i), Reason::EndUnaligned { end }));
        }
        if mend >= m.dest_limit {
            let (end, limit) = (mend, m.dest_limit);
            return Err(refuse(
                EADDRNOTAVAIL,
                Some(i),
                Reason::BeyondLimit { end, limit },
            ));
        }
    }
    for (i, s) in segs.iter().enumerate() {
        // No wrap here: the loop above refused it.
        let mend = s.mem + s.memsz;
        for (other, p) in segs.iter().enumerate().take(i) {
            if mend > p.mem && s.mem < p.mem + p.memsz {
                let (mem, end) = (s.mem, mend);
                return Err(refuse(EINVAL, Some(i), Reason::Overlap { mem, end, other }));
            }
        }
    }
    for (i, s) in segs.iter().enumerate() {
        if s.bufsz > s.memsz {
            let (bufsz, memsz) = (s.bufsz, s.memsz);
            return Err(refuse(
                EINVAL,
                Some(i),
                Reason::BufferTooLarge { bufsz, memsz },
            ));
        }
    }
    let half = m.total_pages / 2;
    let mut total: u64 = 0;
    for (i, s) in segs.iter().enumerate() {
        let pages = pages(s.memsz, m.page);
        if pages > half {
            return Err(refuse(
                EINVAL,
                Some(i),
                Reason::SegmentOverHalfRam { pages, half },
            ));
        }
        total = total.saturating_add(pages);
    }
    if total > half {
        let pages = total;
        return Err(refuse(
            EINVAL,
            None,
            Reason::SegmentsOverHalfRam { pages, half },
        ));
    }
    if let Some((start, end)) = m.crash {
        for (i, s) in segs.iter().enumerate() {
            // C computes `mem + memsz - 1` in unsigned arithmetic: a zero-sized segment at 0
            // ends at the top of memory and is refused.
            let last = (s.mem + s.memsz).wrapping_sub(1);
            if s.mem < start || last > end {
                let mem = s.mem;
                let reason = Reason::OutsideCrash {
                    mem,
                    last,
                    start,
                    end,
                };
                return Err(refuse(EADDRNOTAVAIL, Some(i), reason));
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
