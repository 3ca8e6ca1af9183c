// SPDX-License-Identifier: GPL-2.0

//! The image's entry list: what `relocate_kernel` walks on the way to the new kernel.
//!
//! `IND_DESTINATION` sets where the next pages go, each `IND_SOURCE` names a page holding the
//! next destination page's bytes, `IND_INDIRECTION` continues the list in another page, and
//! `IND_DONE` (or an empty slot while the list is built) ends it. The list itself is
//! [`Kimage`]'s, which appends to it and ends it; [`Entries`] is the one walk over it; [`Sources`]
//! adds the destination each source page lands at. [`alloc_page`] finds each source page a place
//! that is no other page's destination, looking the list up.

use core::ptr;
use kernel::bindings;
use kernel::ffi::c_ulong;
use kernel::kexec::Kimage;
use kernel::page::PAGE_SIZE;
use kernel::prelude::*;

pub(crate) use kernel::kexec::kimage::{IND_DESTINATION, IND_DONE, IND_INDIRECTION, IND_SOURCE};

use crate::memmap::{lru_page, page_addr, page_lru, page_virt, pfn_page, phys_virt, BootBase};
use crate::pages::{alloc_pages, list_push};
use crate::sys;

pub(crate) const PAGE_MASK: c_ulong = !(PAGE_SIZE as c_ulong - 1);
/// An impossible destination, for pages whose destination does not matter.
pub(crate) const NO_DEST: c_ulong = c_ulong::MAX;

/// One entry: its slot in `head` or an indirection page, and its value.
#[derive(Clone, Copy)]
pub(crate) struct Entry {
    pub(crate) slot: *mut bindings::kimage_entry_t,
    pub(crate) value: c_ulong,
}

/// `for_each_kimage_entry()`: the entries from `head`, following indirection pages (whose
/// entries are yielded too), up to `IND_DONE` or an empty slot.
///
/// # Invariants
///
/// `next` is null (the walk is over) or a slot of a well-formed entry list, in `head` or in a
/// live indirection page. The next slot is worked out when an entry is yielded, so the caller
/// may free the indirection page holding an earlier entry once the walk is past it.
pub(crate) struct Entries {
    next: *mut bindings::kimage_entry_t,
}

impl Entries {
    /// The walk over `image`'s list, which stays well formed while `image` is borrowed.
    pub(crate) fn new(image: &Kimage) -> Self {
        // INVARIANT: by `Kimage`'s invariant `head` is the first slot of a well-formed list.
        Self {
            next: image.head_slot(),
        }
    }

    /// The walk over the list of an image being freed.
    ///
    /// # Safety
    ///
    /// `image`'s entry list is well formed and stays so while the walk goes on: no page the
    /// walk has not passed is freed.
    pub(crate) unsafe fn freeing(image: &Kimage) -> Self {
        // INVARIANT: `head` is the first slot of a well-formed list, and no page the walk has
        // not passed is freed (this function's `# Safety`).
        Self::new(image)
    }
}

impl Iterator for Entries {
    type Item = Entry;

    fn next(&mut self) -> Option<Entry> {
        if self.next.is_null() {
            return None;
        }
        let slot = self.next;
        // SAFETY: by the type invariant `slot` is a live slot of the list.
        let value = unsafe { *slot };
        if value == 0 || value & IND_DONE != 0 {
            self.next = ptr::null_mut();
            return None;
        }
        // INVARIANT: an indirection entry names the page the list goes on in; any other entry
        // is followed by another slot of its page (an indirection page's last slot holds the
        // link, never a source or destination).
        self.next = if value & IND_INDIRECTION != 0 {
            phys_virt(value & PAGE_MASK).cast()
        } else {
            slot.wrapping_add(1)
        };
        Some(Entry { slot, value })
    }
}

/// A source page and the destination page it lands at.
#[derive(Clone, Copy)]
pub(crate) struct SourcePage {
    pub(crate) dest: c_ulong,
    pub(crate) src: c_ulong,
    pub(crate) slot: *mut bindings::kimage_entry_t,
}

/// The source entries of a walk, each with its destination (`IND_DESTINATION` sets it, each
/// source page moves it on by a page).
pub(crate) struct Sources {
    entries: Entries,
    dest: c_ulong,
}

impl Sources {
    /// The source pages of `image`'s list.
    pub(crate) fn new(image: &Kimage) -> Self {
        Self {
            entries: Entries::new(image),
            dest: 0,
        }
    }
}

impl Iterator for Sources {
    type Item = SourcePage;

    fn next(&mut self) -> Option<SourcePage> {
        for e in self.entries.by_ref() {
            if e.value & IND_DESTINATION != 0 {
                self.dest = e.value & PAGE_MASK;
            } else if e.value & IND_SOURCE != 0 {
                let page = SourcePage {
                    dest: self.dest,
                    src: e.value & PAGE_MASK,
                    slot: e.slot,
                };
                self.dest = self.dest.wrapping_add(PAGE_SIZE as c_ulong);
                return Some(page);
            }
        }
        None
    }
}

/// `kimage_add_entry()`: an indirection page, when one is needed, is a page of the image
/// that is no destination.
pub(crate) fn add_entry(image: &mut Kimage, entry: c_ulong) -> Result {
    // SAFETY: a page `alloc_page` returns is a whole page that nothing else uses, and a page
    // the list names is freed with the image (`image::free` frees every indirection page):
    // what `Kimage::add_entry` asks of a new page.
    unsafe {
        image.add_entry(entry, |image| {
            let page = alloc_page(image, bindings::GFP_KERNEL, NO_DEST);
            (!page.is_null()).then(|| (page_virt(page).cast(), page_addr(page)))
        })
    }
}

/// `kimage_dst_used()`: the source page whose destination is `page`.
pub(crate) fn dst_used(image: &Kimage, page: c_ulong) -> Option<SourcePage> {
    Sources::new(image).find(|s| s.dest == page)
}

/// `KEXEC_SOURCE_MEMORY_LIMIT`: fixed at boot by the paging mode, and read for every page.
static SOURCE_LIMIT: BootBase = BootBase::new(sys::source_memory_limit);

/// A page allocated earlier for exactly `dest`, taken off `dest_pages`.
///
/// The list is walked by comparing list links with the one of `dest`'s page, so the walk
/// makes no call per page: it can be long, and runs once per page of the image.
fn take_dest_page(image: &mut Kimage, dest: c_ulong) -> Option<*mut bindings::page> {
    let head = image.dest_pages();
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
    image: &mut Kimage,
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
            unsafe { list_push(image.unusable_pages(), page) };
            continue;
        }
        let last = addr + (PAGE_SIZE as c_ulong - 1);
        if addr == dest || !image.is_destination(addr, last) {
            return page;
        }
        // The page is another destination: if its source is already filled, move that data
        // here (it is now in place) and use the old source page instead.
        if let Some(old) = dst_used(image, addr) {
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
        unsafe { list_push(image.dest_pages(), page) };
    }
}
