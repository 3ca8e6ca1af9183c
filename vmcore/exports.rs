// SPDX-License-Identifier: GPL-2.0

//! The C entry points of the provider: what the rest of the kernel calls by name. Each converts
//! its raw arguments, calls the safe function behind it and maps the error to an errno.

use kernel::error::from_result;
use kernel::ffi::c_int;

use crate::init;

/// Reads old memory for the rest of the kernel (`elfcorehdr_read()` on x86_64 and the weak
/// defaults in glue.c), as `fs/proc/vmcore.c` exports it: `count` bytes at `*ppos` into
/// `iter`, page by page; `*ppos` moves past what was read.
///
/// # Safety
///
/// `iter` must be a valid iov_iter with room for `count` bytes, used by nobody else during the
/// call, and `ppos` a valid pointer.
#[cfg(CONFIG_PROC_VMCORE_RUST)]
#[no_mangle]
pub(crate) unsafe extern "C" fn read_from_oldmem(
    iter: *mut kernel::bindings::iov_iter,
    count: usize,
    ppos: *mut u64,
    encrypted: bool,
) -> isize {
    from_result(|| {
        // SAFETY: per this function's safety requirements.
        let (mut iter, pos) = unsafe {
            (
                crate::iov::IovIter::from_raw(iter).ok_or(kernel::error::code::EINVAL)?,
                &mut *ppos,
            )
        };
        crate::oldmem::read_from_oldmem(&mut iter, count as u64, *pos, encrypted)?;
        *pos = pos.wrapping_add(count as u64);
        isize::try_from(count).map_err(|_| kernel::error::code::EINVAL)
    })
}

/// Frees the dump for a kernel that no longer needs it (`vmcore_cleanup()`; powerpc fadump
/// calls it).
#[cfg(CONFIG_PROC_VMCORE_RUST)]
#[no_mangle]
pub(crate) extern "C" fn vmcore_cleanup() {
    crate::dump::unpublish();
}

/// The initcall (`vmcore_init()`); see the crate root for its level.
#[no_mangle]
pub(crate) extern "C" fn vmcore_rust_init() -> c_int {
    from_result(|| {
        init::init()?;
        Ok(0)
    })
}
