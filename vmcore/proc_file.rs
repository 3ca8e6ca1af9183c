// SPDX-License-Identifier: GPL-2.0

//! The proc entry and its `proc_ops`: open, release, read_iter and mmap. Each callback recovers
//! its arguments, calls a safe function and maps the error to an errno.

use core::ptr;
use kernel::bindings;
use kernel::error::from_result;
use kernel::ffi::c_int;
use kernel::prelude::*;

use crate::dump::{self, Vmcore};
use crate::iov::IovIter;
use crate::mmap::{self, Vma};
use crate::read::Source;
use crate::window::Reader;
use crate::{cb, oldmem};

#[cfg(CONFIG_PROC_VMCORE_RUST)]
const PROC_NAME: &CStr = kernel::c_str!("vmcore");
#[cfg(CONFIG_PROC_VMCORE_RUST_TWIN)]
const PROC_NAME: &CStr = kernel::c_str!("vmcore-rust");

/// Creates the proc entry (mode 0400) with the file's size.
pub(crate) fn create(size: u64) -> Result<*mut bindings::proc_dir_entry> {
    // SAFETY: `VMCORE_PROC_OPS` is static; the name is a NUL-terminated static string.
    let pde = unsafe {
        bindings::proc_create(
            PROC_NAME.as_char_ptr(),
            0o400,
            ptr::null_mut(),
            &VMCORE_PROC_OPS,
        )
    };
    if pde.is_null() {
        return Err(ENOMEM);
    }
    // SAFETY: `pde` was just created and is valid.
    unsafe { bindings::proc_set_size(pde, i64::try_from(size).unwrap_or(i64::MAX)) };
    Ok(pde)
}

/// `__read_vmcore()`: `iter`'s worth of the file from `pos`; returns the bytes read and moves
/// `pos` past them, also when a later piece fails.
fn read_vmcore(
    vm: &Vmcore,
    reader: Option<&Reader>,
    iter: &mut IovIter<'_>,
    pos: &mut i64,
) -> Result<usize> {
    let start = u64::try_from(*pos).map_err(|_| EINVAL)?;
    let mut done: u64 = 0;
    for piece in vm.file().pieces(start, iter.count() as u64) {
        let span = |off: u64| {
            let s = usize::try_from(off).ok()?;
            Some(s..s.checked_add(usize::try_from(piece.len).ok()?)?)
        };
        match piece.source {
            Source::Headers(off) => iter.copy_from(
                span(off)
                    .and_then(|s| vm.headers.as_slice().get(s))
                    .ok_or(EFAULT)?,
            )?,
            Source::Notes(off) => iter.copy_from(
                span(off)
                    .and_then(|s| vm.notes.as_slice().get(s))
                    .ok_or(EFAULT)?,
            )?,
            Source::OldMem(paddr) => oldmem::copy_oldmem(vm, reader, iter, piece.len, paddr)?,
        }
        done += piece.len;
        *pos = i64::try_from(start + done).map_err(|_| EINVAL)?;
    }
    usize::try_from(done).map_err(|_| EINVAL)
}

/// `proc_read_iter`.
///
/// # Safety
///
/// Called by the VFS with a valid `iocb` for a file open on our entry and a valid `iter`.
unsafe extern "C" fn vmcore_read_iter(
    iocb: *mut bindings::kiocb,
    iter: *mut bindings::iov_iter,
) -> isize {
    from_result(|| {
        // SAFETY: a read or mmap of our entry; `vm` does not outlive it.
        let vm = unsafe { dump::published() }.ok_or(EIO)?;
        // SAFETY: the VFS passes a valid kiocb, ours for the call, whose file is open on our
        // entry; its `private_data` is the `Reader` our open() stored, alive until release.
        let (pos, reader) = unsafe {
            let file = (*iocb).ki_filp;
            (
                &mut (*iocb).ki_pos,
                ((*file).private_data as *const Reader).as_ref(),
            )
        };
        // SAFETY: the VFS passes a valid iov_iter, ours for the call.
        let mut iter = unsafe { IovIter::from_raw(iter) }.ok_or(EINVAL)?;
        let n = read_vmcore(vm, reader, &mut iter, pos)?;
        isize::try_from(n).map_err(|_| EINVAL)
    })
}

/// `proc_open`: gives the file its window.
///
/// # Safety
///
/// Called by the VFS with the `file` being opened on our entry.
unsafe extern "C" fn vmcore_open(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    cb::mark_opened();
    from_result(|| {
        let reader = KBox::new(Reader::new(), GFP_KERNEL)?;
        // SAFETY: `file` is the file being opened; nobody else uses it yet.
        unsafe { (*file).private_data = KBox::into_raw(reader).cast() };
        Ok(0)
    })
}

/// `proc_release`: drops the file's window.
///
/// # Safety
///
/// Called by the VFS once, with a `file` our open() set up and nothing else using it.
unsafe extern "C" fn vmcore_release(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: `file` is being released and no read or mmap runs in it any more; its
    // `private_data` is the `KBox<Reader>` from open, or null.
    unsafe {
        let r = (*file).private_data.cast::<Reader>();
        if !r.is_null() {
            drop(KBox::from_raw(r));
            (*file).private_data = ptr::null_mut();
        }
    }
    0
}

/// `proc_mmap`.
///
/// # Safety
///
/// Called by the VFS with the VMA it is setting up for a file open on our entry.
unsafe extern "C" fn vmcore_mmap(
    _file: *mut bindings::file,
    vma: *mut bindings::vm_area_struct,
) -> c_int {
    from_result(|| {
        // SAFETY: a read or mmap of our entry; `vm` does not outlive it.
        let vm = unsafe { dump::published() }.ok_or(EIO)?;
        // SAFETY: the VFS passes the VMA it is setting up for this mmap, under the mmap lock.
        let mut vma = unsafe { Vma::from_raw(vma) };
        mmap::mmap_vmcore(vm, &mut vma)?;
        Ok(0)
    })
}

static VMCORE_PROC_OPS: bindings::proc_ops = bindings::proc_ops {
    proc_open: Some(vmcore_open),
    proc_release: Some(vmcore_release),
    proc_read_iter: Some(vmcore_read_iter),
    proc_lseek: Some(bindings::default_llseek),
    proc_mmap: Some(vmcore_mmap),
    // SAFETY: all-zero is a valid `proc_ops` (no flags, no further callbacks).
    ..unsafe { core::mem::zeroed() }
};
