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
use kernel::bindings;
use kernel::kexec::KexecGuard;

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
