// SPDX-License-Identifier: GPL-2.0

//! The destination of a read: a borrowed `struct iov_iter` (6.12 has no Rust abstraction).

use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::bindings;
use kernel::ffi::c_ulong;
use kernel::prelude::*;

use crate::PAGE;

/// A valid `iov_iter` the caller lends us for one call.
///
/// # Invariants
///
/// `iter` points to a valid `iov_iter` used by nobody else while this value lives.
pub(crate) struct IovIter<'a> {
    iter: NonNull<bindings::iov_iter>,
    _p: PhantomData<&'a mut bindings::iov_iter>,
}

impl IovIter<'_> {
    /// Wraps `iter`.
    ///
    /// # Safety
    ///
    /// `iter` must point to a valid `iov_iter` that nothing else uses for the returned value's
    /// lifetime.
    pub(crate) unsafe fn from_raw(iter: *mut bindings::iov_iter) -> Option<Self> {
        // INVARIANT: per the function's safety requirements.
        Some(IovIter {
            iter: NonNull::new(iter)?,
            _p: PhantomData,
        })
    }

    /// Bytes the destination still takes.
    pub(crate) fn count(&self) -> usize {
        // SAFETY: by the invariant `iter` is valid.
        unsafe { bindings::iov_iter_count(self.iter.as_ptr()) }
    }

    /// Copies all of `src`, or fails with `EFAULT`.
    pub(crate) fn copy_from(&mut self, src: &[u8]) -> Result {
        // SAFETY: `src` is valid for `src.len()` bytes; by the invariant `iter` is valid.
        unsafe { self.copy_raw(src.as_ptr(), src.len()) }
    }

    /// Copies `len` bytes from `src`, or fails with `EFAULT`.
    ///
    /// # Safety
    ///
    /// `src` must be valid for reads of `len` bytes.
    pub(crate) unsafe fn copy_raw(&mut self, src: *const u8, len: usize) -> Result {
        // SAFETY: per the function's safety requirements and the type invariant.
        let got = unsafe { bindings::copy_to_iter(src.cast(), len, self.iter.as_ptr()) };
        if got != len {
            return Err(EFAULT);
        }
        Ok(())
    }

    /// Writes `len` zeros, or fails with `EFAULT`.
    pub(crate) fn zero(&mut self, len: usize) -> Result {
        // SAFETY: by the invariant `iter` is valid.
        if unsafe { bindings::iov_iter_zero(len, self.iter.as_ptr()) } != len {
            return Err(EFAULT);
        }
        Ok(())
    }

    /// Copies `len` bytes of old memory page frame `pfn` from `offset` in it, one mapping of
    /// that page (`copy_oldmem_page()`, or `copy_oldmem_page_encrypted()`), or fails with
    /// `EFAULT`. `offset + len` must not pass the page.
    pub(crate) fn copy_oldmem_page(
        &mut self,
        pfn: u64,
        len: usize,
        offset: u64,
        encrypted: bool,
    ) -> Result {
        match offset.checked_add(len as u64) {
            Some(end) if end <= PAGE => {}
            _ => return Err(EINVAL),
        }
        let pfn = c_ulong::try_from(pfn).map_err(|_| EFAULT)?;
        let offset = c_ulong::try_from(offset).map_err(|_| EINVAL)?;
        let iter = self.iter.as_ptr();
        // SAFETY: by the invariant `iter` is valid; the range is inside one page (checked
        // above), which the function maps and unmaps itself.
        let got = unsafe {
            if encrypted {
                bindings::copy_oldmem_page_encrypted(iter, pfn, len, offset)
            } else {
                bindings::copy_oldmem_page(iter, pfn, len, offset)
            }
        };
        if usize::try_from(got) != Ok(len) {
            return Err(EFAULT);
        }
        Ok(())
    }
}
