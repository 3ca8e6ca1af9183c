// SPDX-License-Identifier: GPL-2.0

//! Reading old memory: page by page as C does (`read_from_oldmem()`), or through an open file's
//! window when nothing requires the page-at-a-time path.

use kernel::prelude::*;

use crate::cb::ReadGuard;
use crate::dump::Vmcore;
use crate::iov::IovIter;
use crate::sys;
use crate::window::{Reader, WINDOW};
use crate::PAGE;

/// Copies `len` bytes of old memory at `paddr` into `iter`, one page at a time, zeros for pages
/// a `vmcore_cb` says are not RAM. `cb` is the read section the answers come from.
fn copy_pages(
    cb: &ReadGuard,
    iter: &mut IovIter<'_>,
    len: u64,
    paddr: u64,
    encrypted: bool,
) -> Result {
    let (mut pfn, mut offset) = (paddr / PAGE, paddr % PAGE);
    let mut left = len;
    while left > 0 {
        let n = left.min(PAGE - offset);
        let count = usize::try_from(n).map_err(|_| EINVAL)?;
        if cb.pfn_is_ram(pfn) {
            iter.copy_oldmem_page(pfn, count, offset, encrypted)?;
        } else {
            iter.zero(count)?;
        }
        left -= n;
        pfn += 1;
        offset = 0;
    }
    Ok(())
}

/// `read_from_oldmem()`: `len` bytes of old memory at `paddr`, page by page. (The twin leaves
/// this C export to fs/proc/vmcore.c.)
#[cfg_attr(CONFIG_PROC_VMCORE_RUST_TWIN, allow(dead_code))]
pub(crate) fn read_from_oldmem(
    iter: &mut IovIter<'_>,
    len: u64,
    paddr: u64,
    encrypted: bool,
) -> Result {
    copy_pages(&ReadGuard::new(), iter, len, paddr, encrypted)
}

/// Copies `len` bytes of old memory at `paddr` into `iter` through `reader`'s window, or page
/// by page where the window cannot be used: a `vmcore_cb` is registered, memory is encrypted,
/// there is no reader, another reader of the file holds the window, or mapping fails.
///
/// The callback check and the copy it allows share one SRCU read section, so a callback
/// registered meanwhile cannot be missed by a read that `unregister_vmcore_cb()` does not wait
/// for.
pub(crate) fn copy_oldmem(
    vm: &Vmcore,
    reader: Option<&Reader>,
    iter: &mut IovIter<'_>,
    mut len: u64,
    mut paddr: u64,
) -> Result {
    let cb = ReadGuard::new();
    let claim = match reader {
        Some(r) if !vm.encrypted && !cb.any() => r.claim(),
        _ => None,
    };
    let Some(claim) = claim else {
        return copy_pages(&cb, iter, len, paddr, vm.encrypted);
    };
    let win = &mut *claim.window;
    while len > 0 {
        if !win.holds(paddr) {
            let mapped = match vm.file().window(paddr, WINDOW) {
                // SAFETY: `window()` gives a range inside the PT_LOAD that holds `paddr`, of
                // the header `init` checked against the physical limit.
                Some((s, e)) => unsafe { win.map(s, e) },
                None => false,
            };
            if !mapped {
                return copy_pages(&cb, iter, len, paddr, vm.encrypted);
            }
        }
        let n = win.copy_to(iter, paddr, len)?;
        len -= n;
        paddr += n;
        sys::cond_resched();
    }
    Ok(())
}
