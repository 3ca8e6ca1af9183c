// SPDX-License-Identifier: GPL-2.0

//! The crashkernel region (`crashk_res`) as the loader reads it.
//!
//! `crashk_res` is set at boot, before userspace runs, and changes afterwards only in
//! `crash_shrink_memory()` (`kernel/crash_core.c`), under the kexec lock. A reader holding
//! the lock therefore sees a stable region. The `kexec -p` pre-checks run before the lock is
//! taken (so that a refused load leaves the loaded crash image alone): they work on a
//! [`CrashRegion::snapshot`], which the load compares with [`CrashRegion::read`] once it holds
//! the lock, and gives up with `EBUSY` if the region changed in between.

use core::ptr;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use kernel::bindings;
use kernel::kexec::KexecGuard;

use crate::segments::Segment;
use crate::sys;

/// `crashk_res`: `[start, end]`, physical addresses as C keeps them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CrashRegion {
    pub(crate) start: u64,
    pub(crate) end: u64,
}

impl CrashRegion {
    /// The region, stable while `_lock` is held.
    pub(crate) fn read(_lock: &KexecGuard) -> Self {
        Self::read_once()
    }

    /// The region as it is now, which may change until the kexec lock is taken: a caller
    /// compares it with [`CrashRegion::read`] under the lock before it relies on it. Also what
    /// callers use that C calls with the lock held (they have no guard to show for it).
    pub(crate) fn snapshot() -> Self {
        Self::read_once()
    }

    fn read_once() -> Self {
        // SAFETY: `crashk_res` is a static `struct resource`, alive forever; `start` and `end`
        // are aligned 64-bit words, read once each as C's READ_ONCE() does (no tearing on
        // x86_64). The only writer after boot, `crash_shrink_memory()`, holds the kexec lock:
        // see the module documentation for what an unlocked read may rely on.
        unsafe {
            Self {
                start: ptr::read_volatile(ptr::addr_of!(bindings::crashk_res.start)),
                end: ptr::read_volatile(ptr::addr_of!(bindings::crashk_res.end)),
            }
        }
    }

    /// `[start, end]` in boot physical addresses, as the segment checks take it.
    pub(crate) fn boot(self) -> (u64, u64) {
        (
            sys::phys_to_boot_phys(self.start),
            sys::phys_to_boot_phys(self.end),
        )
    }
}

/// The most ranges [`Occupied`] holds: a crash image's segments and its control pages.
pub(crate) const MAX_OCCUPIED: usize = bindings::KEXEC_SEGMENT_MAX as usize + 1;

/// `[mem, mem + memsz)` ranges of the crashkernel region that the crash image being built must
/// leave alone (as [`Segment`]s, as the placement functions take them).
static OCCUPIED: [[AtomicU64; 2]; MAX_OCCUPIED] =
    [const { [AtomicU64::new(0), AtomicU64::new(0)] }; MAX_OCCUPIED];
static OCCUPIED_N: AtomicUsize = AtomicUsize::new(0);

/// While it lives, the parts of the crashkernel region the loaded crash image uses, which the
/// crash image being built beside it must avoid: its buffers (`kexec_file_load`'s hole search)
/// and its control pages ([`crate::control`]) are placed around them.
///
/// Only a load makes one, holding the loaders' flag (`load::Loading`), so no other load runs
/// meanwhile and the loaded crash image cannot change (only a load empties its slot).
pub(crate) struct Occupied;

impl Occupied {
    /// Marks `ranges` occupied until the value is dropped; at most [`MAX_OCCUPIED`] are taken.
    #[cfg(CONFIG_KEXEC_FILE_RUST)]
    pub(crate) fn mark(ranges: &[Segment]) -> Self {
        let n = ranges.len().min(MAX_OCCUPIED);
        for (slot, r) in OCCUPIED.iter().zip(ranges) {
            slot[0].store(r.mem, Ordering::Relaxed);
            slot[1].store(r.memsz, Ordering::Relaxed);
        }
        OCCUPIED_N.store(n, Ordering::Release);
        Occupied
    }

    /// The ranges marked now (none outside such a load), and how many there are.
    pub(crate) fn now() -> ([Segment; MAX_OCCUPIED], usize) {
        let mut out = [Segment::default(); MAX_OCCUPIED];
        let n = OCCUPIED_N.load(Ordering::Acquire).min(MAX_OCCUPIED);
        for (o, slot) in out.iter_mut().zip(&OCCUPIED).take(n) {
            o.mem = slot[0].load(Ordering::Relaxed);
            o.memsz = slot[1].load(Ordering::Relaxed);
        }
        (out, n)
    }

    /// `own` (a crash image's segments, at most 16) followed by the ranges marked now: what the
    /// image's control pages must avoid, as the placement functions take it.
    pub(crate) fn with(own: &[Segment]) -> ([Segment; 16 + MAX_OCCUPIED], usize) {
        let (taken, m) = Self::now();
        let mut all = [Segment::default(); 16 + MAX_OCCUPIED];
        let mut n = 0;
        for (d, s) in all
            .iter_mut()
            .zip(own.iter().take(16).chain(taken.iter().take(m)))
        {
            *d = *s;
            n += 1;
        }
        (all, n)
    }

    /// Whether `[first, last]` meets a marked range.
    #[cfg(CONFIG_KEXEC_FILE_RUST)]
    pub(crate) fn meets(first: u64, last: u64) -> bool {
        let (r, n) = Self::now();
        r.iter().take(n).any(|s| {
            let end = s.mem.wrapping_add(s.memsz).wrapping_sub(1);
            last >= s.mem && first <= end
        })
    }
}

impl Drop for Occupied {
    fn drop(&mut self) {
        OCCUPIED_N.store(0, Ordering::Release);
    }
}
