// SPDX-License-Identifier: GPL-2.0

//! Pages of an image: allocated reserved, kept on the image's lists, and placed so that no
//! source page is another page's destination (`kimage_alloc_page()`).

use core::ptr;
use kernel::bindings;
use kernel::ffi::{c_uint, c_ulong};
use kernel::page::PAGE_SIZE;

use crate::entries::{self, NO_DEST, PAGE_MASK};
use crate::image;
use crate::machine_kexec;
use crate::memmap::{lru_page, page_addr, page_lru, page_virt, pfn_page, BootBase};
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
        machine_kexec::post_alloc_pages(page_virt(pages), count as c_uint);
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
        if machine_kexec::host_mem_encrypted() {
            let count = 1u32 << private(page);
            machine_kexec::pre_free_pages(page_virt(page), count);
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

/// `KEXEC_SOURCE_MEMORY_LIMIT`: fixed at boot by the paging mode, and read for every page.
static SOURCE_LIMIT: BootBase = BootBase::new(sys::source_memory_limit);

/// A page allocated earlier for exactly `dest`, taken off `dest_pages`.
///
/// The list is walked by comparing list links with the one of `dest`'s page, so the walk
/// makes no call per page: it can be long, and runs once per page of the image.
fn take_dest_page(image: &mut bindings::kimage, dest: c_ulong) -> Option<*mut bindings::page> {
    let head: *mut bindings::list_head = &mut image.dest_pages;
    // Address arithmetic: only compared with links of the list, never dereferenced unless it
    // is one.
    let want = page_lru(pfn_page(dest >> bindings::PAGE_SHIFT));
    // SAFETY: `dest_pages` is a well-formed list of our pages.
    unsafe {
        let mut pos = (*head).next;
        while pos != head {
            if pos == want {
                bindings::list_del(pos);
                return Some(lru_page(pos));
            }
            pos = (*pos).next;
        }
    }
    None
}

/// `kimage_alloc_page()`: a page to hold data for `dest`. A source page is either its own
/// destination or no destination at all: a page that is some other segment's destination is
/// kept for later (`dest_pages`), or swapped with the source page already filled for it.
pub(crate) fn alloc_page(
    image: &mut bindings::kimage,
    gfp: bindings::gfp_t,
    dest: c_ulong,
) -> *mut bindings::page {
    if dest != NO_DEST {
        if let Some(page) = take_dest_page(image, dest) {
            return page;
        }
    }
    let src_limit = SOURCE_LIMIT.get();
    loop {
        let page = alloc_pages(gfp, 0);
        if page.is_null() {
            return page;
        }
        let addr = page_addr(page);
        if addr >> bindings::PAGE_SHIFT > src_limit >> bindings::PAGE_SHIFT {
            // SAFETY: fresh page on no list.
            unsafe { list_push(&mut image.unusable_pages, page) };
            continue;
        }
        let last = addr + (PAGE_SIZE as c_ulong - 1);
        if addr == dest || !image::is_destination(image, addr, last) {
            return page;
        }
        // The page is another destination: if its source is already filled, move that data
        // here (it is now in place) and use the old source page instead.
        if let Some(old) = entries::dst_used(image, addr) {
            let old_page = pfn_page(old.src >> bindings::PAGE_SHIFT);
            // SAFETY: `old.slot` is a live source slot of our list; its page is ours, and
            // `page` is fresh.
            unsafe {
                bindings::copy_highpage(page, old_page);
                *old.slot = addr | (*old.slot & !PAGE_MASK);
            }
            // x86_64 has no highmem: the old page always honours `gfp`.
            return old_page;
        }
        // SAFETY: fresh page on no list.
        unsafe { list_push(&mut image.dest_pages, page) };
    }
}
