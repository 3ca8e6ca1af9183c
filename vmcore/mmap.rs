// SPDX-License-Identifier: GPL-2.0

//! `mmap()` of `/proc/vmcore` (`mmap_vmcore()`): the header and note buffers with
//! `remap_vmalloc_range_partial()`, old memory with `remap_oldmem_pfn_range()`, the zero page
//! where a `vmcore_cb` says a page is not RAM.

use core::ptr;
use kernel::bindings;
use kernel::ffi::c_ulong;
use kernel::prelude::*;

use crate::cb::ReadGuard;
use crate::dump::Vmcore;
use crate::read::{self, MmapError, Source};
use crate::{sys, PAGE};

/// A fault on a vmcore mapping: every page was mapped up front, so there is nothing to fill.
///
/// # Safety
///
/// Called by the mm core for a VMA our mmap set up; `_vmf` is not used.
unsafe extern "C" fn vmcore_fault(_vmf: *mut bindings::vm_fault) -> bindings::vm_fault_t {
    bindings::vm_fault_reason_VM_FAULT_SIGBUS as bindings::vm_fault_t
}

static VMCORE_VM_OPS: bindings::vm_operations_struct = bindings::vm_operations_struct {
    fault: Some(vmcore_fault),
    // SAFETY: all-zero is a valid `vm_operations_struct` (no further callbacks).
    ..unsafe { core::mem::zeroed() }
};

/// A VMA being set up by `mmap()` on `/proc/vmcore`.
///
/// # Invariants
///
/// `vma` is valid, and its `mmap()` is in progress under the mmap lock, for the value's life.
pub(crate) struct Vma {
    vma: *mut bindings::vm_area_struct,
}

impl Vma {
    /// Wraps `vma`.
    ///
    /// # Safety
    ///
    /// `vma` must be the VMA an `mmap()` file operation was given, used only during the call.
    pub(crate) unsafe fn from_raw(vma: *mut bindings::vm_area_struct) -> Self {
        // INVARIANT: per the function's safety requirements.
        Vma { vma }
    }

    /// `(vm_start, vm_end, vm_pgoff, vm_flags)`.
    fn fields(&self) -> (u64, u64, u64, c_ulong) {
        // SAFETY: by the invariant `vma` is valid.
        let v = unsafe { &*self.vma };
        // SAFETY: the VMA's fields are plain integers, read under the mmap lock.
        let (start, end, flags) = unsafe {
            (
                v.__bindgen_anon_1.__bindgen_anon_1.vm_start,
                v.__bindgen_anon_1.__bindgen_anon_1.vm_end,
                v.__bindgen_anon_2.vm_flags,
            )
        };
        (start as u64, end as u64, v.vm_pgoff as u64, flags)
    }

    fn map_vmalloc(&mut self, uaddr: u64, kaddr: *mut u8, len: u64) -> Result {
        let (uaddr, len) = (ulong(uaddr)?, ulong(len)?);
        // SAFETY: by the invariant `vma` is being set up; `kaddr` is `vmalloc_user()` memory
        // valid for `len` bytes ([`crate::vbuf::VBuf::mmap_addr`]); the function checks that
        // `uaddr..uaddr + len` is inside the VMA.
        let r =
            unsafe { bindings::remap_vmalloc_range_partial(self.vma, uaddr, kaddr.cast(), 0, len) };
        kernel::error::to_result(r)
    }

    fn map_pfns(&mut self, uaddr: u64, pfn: u64, len: u64) -> Result {
        let (uaddr, pfn, len) = (ulong(uaddr)?, ulong(pfn)?, ulong(len)?);
        // SAFETY: by the invariant `vma` is valid and being set up.
        let prot = unsafe { (*self.vma).vm_page_prot };
        // SAFETY: as above; the function checks the range against the VMA.
        let r = unsafe { bindings::remap_oldmem_pfn_range(self.vma, uaddr, pfn, len, prot) };
        kernel::error::to_result(r)
    }

    /// Unmaps `len` bytes from `uaddr` after a failure, as `mmap_vmcore()` does.
    fn unmap(&mut self, uaddr: u64, len: u64) {
        let (Ok(uaddr), Ok(len)) = (ulong(uaddr), usize::try_from(len)) else {
            return;
        };
        if len == 0 {
            return;
        }
        // SAFETY: by the invariant `vma` is valid; the range is what this mmap mapped.
        unsafe { bindings::do_munmap((*self.vma).vm_mm, uaddr, len, ptr::null_mut()) };
    }

    /// Marks the VMA as `mmap_vmcore()` does and gives it our fault handler.
    fn set_up(&mut self) {
        // SAFETY: by the invariant we are setting up `vma` under the mmap lock.
        unsafe {
            bindings::vm_flags_mod(
                self.vma,
                bindings::VM_MIXEDMAP as c_ulong,
                (bindings::VM_MAYWRITE | bindings::VM_MAYEXEC) as c_ulong,
            );
            (*self.vma).vm_ops = &VMCORE_VM_OPS;
        }
    }
}

/// A value for a `unsigned long` argument.
fn ulong(v: u64) -> Result<c_ulong> {
    c_ulong::try_from(v).map_err(|_| EINVAL)
}

/// Maps `size` bytes of old memory from page frame `pfn` at `from`, runs of RAM as they are and
/// other pages as the zero page (`vmcore_remap_oldmem_pfn()` and
/// `remap_oldmem_pfn_checked()`). On failure unmaps what it mapped.
fn remap_oldmem(vma: &mut Vma, from: u64, pfn: u64, size: u64) -> Result {
    let cb = ReadGuard::new();
    if !cb.any() {
        return vma.map_pfns(from, pfn, size);
    }
    let end = pfn + size / PAGE;
    let (mut run, mut len) = (pfn, 0u64);
    let mut map = |vma: &mut Vma, p: u64, bytes: u64| -> Result {
        vma.map_pfns(from + len, p, bytes)?;
        len += bytes;
        Ok(())
    };
    let res = (|| -> Result {
        for p in pfn..end {
            if !cb.pfn_is_ram(p) {
                if p > run {
                    map(vma, run, (p - run) * PAGE)?;
                }
                map(vma, sys::zero_pfn(), PAGE)?;
                run = p + 1;
            }
        }
        if end > run {
            map(vma, run, (end - run) * PAGE)?;
        }
        Ok(())
    })();
    if res.is_err() {
        vma.unmap(from, len);
        return Err(EAGAIN);
    }
    Ok(())
}

/// `mmap_vmcore()`: checks the request, then maps each piece of the file.
pub(crate) fn mmap_vmcore(vm: &Vmcore, vma: &mut Vma) -> Result {
    let (vm_start, vm_end, pgoff, flags) = vma.fields();
    let size = vm_end.checked_sub(vm_start).ok_or(EINVAL)?;
    let file = vm.file();
    let start = pgoff.checked_mul(PAGE).ok_or(EINVAL)?;
    let write = flags & bindings::VM_WRITE as c_ulong != 0;
    let exec = flags & bindings::VM_EXEC as c_ulong != 0;
    match read::check_mmap(start, size, file.size(), write, exec) {
        Err(MmapError::Range) => return Err(EINVAL),
        Err(MmapError::Access) => return Err(EPERM),
        Ok(()) => {}
    }
    vma.set_up();
    let mut len: u64 = 0;
    for piece in file.pieces(start, size) {
        let uaddr = vm_start + len;
        let r = match piece.source {
            Source::Headers(off) => vm
                .headers
                .mmap_addr(off, piece.len)
                .ok_or(EINVAL)
                .and_then(|k| vma.map_vmalloc(uaddr, k, piece.len)),
            Source::Notes(off) => vm
                .notes
                .mmap_addr(off, piece.len)
                .ok_or(EINVAL)
                .and_then(|k| vma.map_vmalloc(uaddr, k, piece.len)),
            Source::OldMem(paddr) => remap_oldmem(vma, uaddr, paddr / PAGE, piece.len),
        };
        if r.is_err() {
            vma.unmap(vm_start, len);
            return Err(EAGAIN);
        }
        len += piece.len;
    }
    Ok(())
}
