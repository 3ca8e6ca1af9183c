// SPDX-License-Identifier: GPL-2.0

//! Control pages: the pages `relocate_kernel` runs from (the control code page, the identity
//! map's tables, the swap page), which must lie outside every destination.

use core::ptr;
use kernel::bindings;
use kernel::ffi::{c_uint, c_ulong};
use kernel::kexec::{Kimage, KimageKind};
use kernel::page::PAGE_SIZE;

use crate::arch;
use crate::crashkres::{CrashRegion, Occupied};
use crate::kimage;
use crate::memmap::{page_pfn, page_virt, pfn_page};
use crate::pages;
use crate::segments;
use crate::sys;

/// `kimage_alloc_normal_control_pages()`: fresh pages below the control memory limit and
/// outside every destination; the ones that are not are freed after.
fn alloc_normal(image: &mut Kimage, order: c_uint) -> *mut bindings::page {
    let count = 1 << order;
    let mut extra = bindings::list_head::default();
    // SAFETY: `extra` is a list head on our stack, emptied below before it goes.
    unsafe { bindings::INIT_LIST_HEAD(&mut extra) };
    let gfp = sys::control_memory_gfp();
    let limit_pfn = (sys::control_memory_limit() >> bindings::PAGE_SHIFT) as c_ulong;
    let mut found = ptr::null_mut();
    loop {
        let pages = pages::alloc_pages(gfp, order);
        if pages.is_null() {
            break;
        }
        let pfn = page_pfn(pages);
        let epfn = pfn + count;
        let addr = pfn << bindings::PAGE_SHIFT;
        let eaddr = (epfn << bindings::PAGE_SHIFT).wrapping_sub(1);
        if epfn >= limit_pfn || image.is_destination(addr, eaddr) {
            // SAFETY: `pages` is fresh and on no list.
            unsafe { pages::list_push(&mut extra, pages) };
            continue;
        }
        // SAFETY: `pages` is fresh and on no list; the image's list is initialised.
        unsafe { pages::list_push(image.control_pages(), pages) };
        found = pages;
        break;
    }
    // SAFETY: `extra` holds only our own unused pages.
    unsafe { pages::free_page_list(&mut extra) };
    found
}

/// `kimage_alloc_crash_control_pages()`: the first free hole of the crashkernel region, placed
/// by [`segments::crash_control_hole`].
fn alloc_crash(image: &mut Kimage, order: c_uint) -> *mut bindings::page {
    let size = (PAGE_SIZE as u64) << order;
    // The image's segments, and what a crash image still loaded beside it occupies.
    let (own, n) = kimage::to_pure(image.segments());
    let (s, n) = Occupied::with(own.get(..n).unwrap_or(&[]));
    // Crash images are built under the kexec lock (kexec_file_load, and the Rust loader from
    // the moment it drops the old crash image), so the region is stable here. C compares with
    // `crashk_res.end` itself, not its boot-physical form.
    let end = CrashRegion::snapshot().end;
    let limit = sys::crash_control_memory_limit();
    let from = image.control_page() as u64;
    let Some(start) =
        segments::crash_control_hole(from, size, s.get(..n).unwrap_or(&[]), end, limit)
    else {
        return ptr::null_mut();
    };
    // SAFETY: `crash_control_hole` places the hole in the crashkernel region at or after
    // `from` and ending by `end`, so the new cursor is in the region or just past its end,
    // and past every control page of the image.
    unsafe { image.set_control_page((start + size) as c_ulong) };
    // `start` lies in the crashkernel region, which is memory with `struct page`s.
    let pages = pfn_page((start >> bindings::PAGE_SHIFT) as c_ulong);
    // Decrypted if SME is on, as C does.
    // SAFETY: the pages are crashkernel memory reserved for the image being built.
    unsafe { arch::post_alloc_pages(page_virt(pages), 1 << order, 0) };
    pages
}

/// `kimage_alloc_control_pages()`: `1 << order` control pages of `image`, or null.
pub(crate) fn alloc_control_pages(image: &mut Kimage, order: c_uint) -> *mut bindings::page {
    match image.kind() {
        KimageKind::Normal => alloc_normal(image, order),
        KimageKind::Crash => alloc_crash(image, order),
    }
}
