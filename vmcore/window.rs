// SPDX-License-Identifier: GPL-2.0

//! The old-memory window an open `/proc/vmcore` keeps: up to [`WINDOW`] bytes mapped with
//! `ioremap_cache()`, moved as reads go on, instead of mapping and unmapping every 4 KiB page
//! as `copy_oldmem_page()` does.

use core::cell::UnsafeCell;
use core::ptr;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::bindings;
use kernel::ffi::c_ulong;
use kernel::prelude::*;

use crate::iov::IovIter;

/// Bytes of old memory one window maps (a power of two; 2 MiB-aligned so it can use huge
/// pages).
pub(crate) const WINDOW: u64 = 16 << 20;

/// A mapped range of old memory.
///
/// # Invariants
///
/// `vaddr` is null and `start == end`, or it is an `ioremap_cache()` mapping of the physical
/// range `start..end`, owned by this value.
pub(crate) struct Window {
    start: u64,
    end: u64,
    vaddr: *mut u8,
}

impl Window {
    const EMPTY: Window = Window {
        start: 0,
        end: 0,
        vaddr: ptr::null_mut(),
    };

    fn unmap(&mut self) {
        if !self.vaddr.is_null() {
            // SAFETY: by the invariant `vaddr` came from `ioremap_cache()`; it is unmapped once,
            // as `self` becomes empty right after.
            unsafe { bindings::iounmap(self.vaddr.cast()) };
        }
        *self = Window::EMPTY;
    }

    /// Whether physical address `paddr` is mapped.
    pub(crate) fn holds(&self, paddr: u64) -> bool {
        self.start <= paddr && paddr < self.end
    }

    /// Maps `start..end`; false if the kernel refuses (the caller reads page by page).
    ///
    /// # Safety
    ///
    /// `start..end` is old memory the dump describes: within one PT_LOAD of the checked
    /// elfcorehdr, which is RAM of the crashed kernel and below the physical limit.
    pub(crate) unsafe fn map(&mut self, start: u64, end: u64) -> bool {
        self.unmap();
        let Some(len) = end
            .checked_sub(start)
            .and_then(|l| c_ulong::try_from(l).ok())
        else {
            return false;
        };
        // SAFETY: `start..end` is old memory the dump describes, RAM of the crashed kernel
        // within one PT_LOAD of the checked elfcorehdr (this function's `# Safety`), which
        // nothing in the capture kernel uses; `ioremap_cache()` refuses the capture kernel's
        // own RAM.
        let v = unsafe { bindings::ioremap_cache(start, len) };
        if v.is_null() {
            return false;
        }
        // INVARIANT: `v` maps `start..end` and is ours.
        *self = Window {
            start,
            end,
            vaddr: v.cast(),
        };
        true
    }

    /// Copies old memory from `paddr` to the end of the window or `len` bytes, whichever is
    /// less, into `iter`; returns the bytes copied. `paddr` must be in the window.
    pub(crate) fn copy_to(&self, iter: &mut IovIter<'_>, paddr: u64, len: u64) -> Result<u64> {
        if !self.holds(paddr) {
            return Err(EINVAL);
        }
        let n = len.min(self.end - paddr);
        let (Ok(at), Ok(count)) = (usize::try_from(paddr - self.start), usize::try_from(n)) else {
            return Err(EINVAL);
        };
        // SAFETY: by the invariant `vaddr` maps `start..end`, and `paddr..paddr + n` is
        // inside it (checked above).
        unsafe { iter.copy_raw(self.vaddr.add(at), count)? };
        Ok(n)
    }
}

/// What an open `/proc/vmcore` keeps: its window, and whether a reader is using it.
pub(crate) struct Reader {
    busy: AtomicBool,
    window: UnsafeCell<Window>,
}

// SAFETY: the window is reached only through `claim()`, which lets one thread at a time in;
// the mapping itself may be used and unmapped from any thread.
unsafe impl Send for Reader {}
// SAFETY: see `Send`.
unsafe impl Sync for Reader {}

impl Reader {
    pub(crate) fn new() -> Self {
        Reader {
            busy: AtomicBool::new(false),
            window: UnsafeCell::new(Window::EMPTY),
        }
    }

    /// The window, if no other reader of the same open file holds it (they read page by page).
    pub(crate) fn claim(&self) -> Option<Claim<'_>> {
        self.busy
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .ok()?;
        // SAFETY: `busy` was false and is now ours, so no other `Claim` exists until this one
        // drops and releases it.
        let window = unsafe { &mut *self.window.get() };
        Some(Claim {
            busy: &self.busy,
            window,
        })
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.window.get_mut().unmap();
    }
}

/// Exclusive use of a reader's window, released on drop.
pub(crate) struct Claim<'a> {
    busy: &'a AtomicBool,
    pub(crate) window: &'a mut Window,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.busy.store(false, Ordering::Release);
    }
}
