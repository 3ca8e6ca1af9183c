// SPDX-License-Identifier: GPL-2.0

//! Pages of an image: allocated reserved, kept on the image's lists and freed. Where a source
//! page may go is the entry list's business (`entries::alloc_page`).

use core::ptr;
use kernel::bindings;
use kernel::ffi::{c_uint, c_ulong};

use crate::arch;
use crate::memmap::{lru_page, page_lru, page_virt, pfn_page};
use crate::sys;

/// `kimage_alloc_pages()`: `1 << order` reserved pages, zeroed if `gfp` asks, or null.
///
/// Runs for every page of a normal image, so it makes as few calls as it can: one a page to
/// reserve it, and the memory-encryption hook only when memory is encrypted.
pub(crate) fn alloc_pages(gfp: bindings::gfp_t, order: c_uint) -> *mut bindings::page {
    if sys::fatal_signal_pending() {
        return ptr::null_mut();
    }
    // SAFETY: any flags and order are accepted; the result is null or pages we own.
    let pages = unsafe { bindings::alloc_pages(gfp & !bindings::__GFP_ZERO, order) };
    if pages.is_null() {
        return pages;
    }
    let count = 1usize << order;
    // SAFETY: `pages` heads a fresh allocation of `count` pages, whose `struct page`s are
    // contiguous; nobody else knows them yet.
    unsafe {
        mark(pages, order);
        arch::post_alloc_pages(page_virt(pages), count as c_uint, gfp);
        if gfp & bindings::__GFP_ZERO != 0 {
            for i in 0..count {
                bindings::clear_highpage(pages.add(i));
            }
        }
    }
    pages
}

/// What `kimage_alloc_pages()` marks on a fresh allocation of `1 << order` pages: no mapping,
/// the order in `page_private`, every page reserved.
///
/// # Safety
///
/// `pages` heads a fresh allocation of `1 << order` pages that nobody else knows yet.
unsafe fn mark(pages: *mut bindings::page, order: c_uint) {
    // SAFETY: `pages` heads `1 << order` contiguous `struct page`s that only we know (this
    // function's `# Safety`): the head's `mapping` and `private` are ours to write, and
    // `SetPageReserved()` sets a flag bit atomically.
    unsafe {
        let head = ptr::addr_of_mut!((*pages).__bindgen_anon_1.__bindgen_anon_1);
        ptr::addr_of_mut!((*head).mapping).write(ptr::null_mut());
        ptr::addr_of_mut!((*head).private).write(order as c_ulong);
        for i in 0..1usize << order {
            bindings::SetPageReserved(pages.add(i));
        }
    }
}

/// `page_private()` of the head of pages from [`alloc_pages`]: their order, as [`mark`] stored
/// it.
///
/// # Safety
///
/// `page` heads pages from [`alloc_pages`].
unsafe fn private(page: *mut bindings::page) -> c_uint {
    // SAFETY: `page` is a live `struct page` (this function's `# Safety`); `private` is a
    // plain word that only the pages' owner writes.
    unsafe { ptr::addr_of!((*page).__bindgen_anon_1.__bindgen_anon_1.private).read() as c_uint }
}

/// Undoes [`mark`] before the pages are freed; returns their order.
///
/// # Safety
///
/// `page` heads pages from [`alloc_pages`] that nothing uses any more.
unsafe fn unmark(page: *mut bindings::page) -> c_uint {
    // SAFETY: `page` heads pages from `alloc_pages` that nothing uses any more (this
    // function's `# Safety`), `1 << order` contiguous `struct page`s by `mark()`;
    // `ClearPageReserved()` clears a flag bit atomically.
    unsafe {
        let order = private(page);
        for i in 0..1usize << order {
            bindings::ClearPageReserved(page.add(i));
        }
        order
    }
}

/// `kimage_free_pages()`.
///
/// # Safety
///
/// `page` heads pages from [`alloc_pages`] that nothing uses any more.
pub(crate) unsafe fn free_pages(page: *mut bindings::page) {
    // SAFETY: `page` heads pages from `alloc_pages` that nothing uses any more (this
    // function's `# Safety`): `mark()` stored their order in `page_private`, so the count
    // re-encrypted and the order `unmark()` returns for `__free_pages()` are those of the
    // allocation.
    unsafe {
        if arch::host_mem_encrypted() {
            let count = 1u32 << private(page);
            arch::pre_free_pages(page_virt(page), count);
        }
        let order = unmark(page);
        bindings::__free_pages(page, order);
    }
}

/// Frees the page an entry names.
///
/// # Safety
///
/// The entry names a page from [`alloc_pages`] that nothing uses any more.
pub(crate) unsafe fn free_entry(entry: c_ulong) {
    // SAFETY: the entry names a page from `alloc_pages` that nothing uses any more (this
    // function's `# Safety`), and its frame's `struct page` heads it: what `free_pages` asks.
    unsafe { free_pages(pfn_page(entry >> bindings::PAGE_SHIFT)) };
}

/// Puts `page` on `list` (through its `lru`).
///
/// # Safety
///
/// `list` is an initialised list head and `page` is on no list.
pub(crate) unsafe fn list_push(list: *mut bindings::list_head, page: *mut bindings::page) {
    // SAFETY: `list` is an initialised list head and `page` is on no list (this function's
    // `# Safety`), so linking its `lru` in after the head breaks no other list.
    unsafe { bindings::list_add(page_lru(page), list) };
}

/// `kimage_free_page_list()`: frees every page on `list`.
///
/// # Safety
///
/// `list` is an initialised list head of pages from [`alloc_pages`] that nothing else uses.
pub(crate) unsafe fn free_page_list(list: *mut bindings::list_head) {
    // SAFETY: `list` is an initialised list head of pages from `alloc_pages` that nothing
    // else uses (this function's `# Safety`), so the list is well formed and each page may be
    // freed; each is unlinked before it is freed, and the next one is read after the unlink
    // from the head.
    unsafe {
        loop {
            let lru = (*list).next;
            if lru == list {
                break;
            }
            bindings::list_del(lru);
            free_pages(lru_page(lru));
        }
    }
}
