// SPDX-License-Identifier: GPL-2.0

//! Buffers `mmap()` can hand to user space: the merged headers and the merged notes live in
//! `vmalloc_user()` memory, as in C, so `remap_vmalloc_range_partial()` can map them.

use core::ptr::NonNull;
use kernel::bindings;
use kernel::prelude::*;

/// A zeroed `vmalloc_user()` buffer.
///
/// # Invariants
///
/// `ptr` points to `len` bytes from `vmalloc_user()`, owned by this value and freed on drop.
pub(crate) struct VBuf {
    ptr: NonNull<u8>,
    len: usize,
}

impl VBuf {
    /// A buffer of `len` bytes, zeroed.
    pub(crate) fn new(len: usize) -> Result<Self> {
        let size = kernel::ffi::c_ulong::try_from(len).map_err(|_| ENOMEM)?;
        // SAFETY: `vmalloc_user_noprof()` (what `vmalloc_user()` expands to) takes any size; it
        // returns null or a zeroed, page-aligned allocation of `len` bytes that we own.
        let p = unsafe { bindings::vmalloc_user_noprof(size) };
        let ptr = NonNull::new(p.cast::<u8>()).ok_or(ENOMEM)?;
        // INVARIANT: `ptr` is a `vmalloc_user()` allocation of `len` bytes.
        Ok(VBuf { ptr, len })
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        // SAFETY: by the invariant `ptr` points to `len` bytes we own, zeroed at allocation.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_slice`, and `&mut self` makes this the only reference.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }

    /// The address of byte `off` for `remap_vmalloc_range_partial()`, if `off..off + len` is
    /// inside the buffer.
    pub(crate) fn mmap_addr(&self, off: u64, len: u64) -> Option<*mut u8> {
        let start = usize::try_from(off).ok()?;
        let end = start.checked_add(usize::try_from(len).ok()?)?;
        self.as_slice().get(start..end)?;
        // SAFETY: `start` is inside the allocation (checked just above).
        Some(unsafe { self.ptr.as_ptr().add(start) })
    }
}

impl Drop for VBuf {
    fn drop(&mut self) {
        // SAFETY: by the invariant `ptr` came from `vmalloc_user()`; it is freed only here.
        unsafe { bindings::vfree(self.ptr.as_ptr().cast()) };
    }
}

// SAFETY: a `VBuf` owns its memory; it is written only through `&mut` and read through `&`.
unsafe impl Send for VBuf {}
// SAFETY: `&VBuf` only reads.
unsafe impl Sync for VBuf {}
