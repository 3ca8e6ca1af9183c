// SPDX-License-Identifier: GPL-2.0

//! The `vmcore_cb` registry, kept in C (`glue.c`): virtio-mem, Xen, GART and unaccepted memory
//! tell the dump which pages of old memory are not RAM, and those read as zeros.
//!
//! Callbacks are an RCU list read under SRCU; `unregister_vmcore_cb()` waits for readers with
//! `synchronize_srcu()`. Asking the list anything is only possible through a [`ReadGuard`], so
//! a question and the read it decides sit in one read section, as in C's `read_from_oldmem()`
//! and `mmap_vmcore()`.

use core::marker::PhantomData;
use kernel::bindings;
use kernel::ffi::{c_int, c_ulong};

/// Notes that `/proc/vmcore` was opened, so that a callback registered later is warned about.
pub(crate) fn mark_opened() {
    // SAFETY: glue.c's `vmcore_cb_mark_opened()` sets `vmcore_opened` under `vmcore_cb_lock`,
    // which it takes and releases itself; it dereferences nothing of the caller's. The caller,
    // `open()` of the proc entry, holds no lock that a `vmcore_cb` registration takes.
    unsafe { bindings::vmcore_cb_mark_opened() }
}

/// An SRCU read section of the callback list.
///
/// # Invariants
///
/// `idx` came from `vmcore_cb_read_lock()` and is released exactly once, on drop, by the task
/// that took it (the guard is not `Send`).
pub(crate) struct ReadGuard {
    idx: c_int,
    _not_send: PhantomData<*mut ()>,
}

impl ReadGuard {
    /// Enters a read section; it may sleep inside, and ends when the guard is dropped.
    pub(crate) fn new() -> Self {
        // SAFETY: `vmcore_cb_read_lock()` is `srcu_read_lock(&vmcore_cb_srcu)` on a static
        // SRCU struct, callable in any task context; its one requirement, that the index be
        // handed back to `srcu_read_unlock()` once by this task, is the type invariant, kept by
        // `drop`.
        let idx = unsafe { bindings::vmcore_cb_read_lock() };
        // INVARIANT: `idx` is from `vmcore_cb_read_lock()`.
        ReadGuard {
            idx,
            _not_send: PhantomData,
        }
    }

    /// Whether any callback is registered (`!list_empty(&vmcore_cb_list)`).
    pub(crate) fn any(&self) -> bool {
        // SAFETY: `self` proves we are inside the read section the function needs.
        unsafe { bindings::vmcore_cb_any() }
    }

    /// Whether every callback says page frame `pfn` is RAM (`pfn_is_ram()`).
    pub(crate) fn pfn_is_ram(&self, pfn: u64) -> bool {
        let Ok(pfn) = c_ulong::try_from(pfn) else {
            return false;
        };
        // SAFETY: `self` proves we are inside the read section the function needs.
        unsafe { bindings::vmcore_cb_pfn_is_ram(pfn) }
    }
}

impl Drop for ReadGuard {
    fn drop(&mut self) {
        // SAFETY: by the type invariant `idx` is from `vmcore_cb_read_lock()`, released once.
        unsafe { bindings::vmcore_cb_read_unlock(self.idx) };
    }
}
