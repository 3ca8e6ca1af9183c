// SPDX-License-Identifier: GPL-2.0

//! Page, frame and address arithmetic as x86_64's C inlines compute it, with no call.
//!
//! `page_to_boot_pfn()`, `boot_pfn_to_page()`, `page_address()`, `boot_phys_to_virt()` and
//! `&page->lru` are static inlines: from Rust each is a helper call, and the loader needs
//! several of them for every page of an image (C's compile to a few instructions). On x86_64
//! they are arithmetic over two bases fixed early in boot, by KASLR and the paging mode: the
//! `struct page` array (`vmemmap`, `CONFIG_SPARSEMEM_VMEMMAP`) and the direct map of all
//! memory (`PAGE_OFFSET`; there is no highmem). Boot addresses are physical addresses (x86 has
//! no `phys_to_boot_phys()` of its own). `rust/helpers/kexec.c` refuses to build if one of
//! these stops holding, and the `rust_kexec` KUnit suite compares every function here with
//! the C inline it stands for.
//!
//! Elsewhere (arm64, built only) the `struct page` arithmetic holds as it does on every
//! `SPARSEMEM_VMEMMAP` kernel, but the direct map is not one base (arm64's `__va()` subtracts
//! the start of memory and ORs the base), so [`phys_virt`] asks C.

use core::mem::{offset_of, size_of};
use core::sync::atomic::{AtomicUsize, Ordering};
use kernel::bindings;
use kernel::ffi::{c_ulong, c_void};

use crate::sys;

/// A value C fixes early in boot (a base address, a limit): read from C the first time it is
/// needed, then with no call. Zero stands for "not read yet", which no such value is.
pub(crate) struct BootBase {
    value: AtomicUsize,
    read: fn() -> usize,
}

impl BootBase {
    pub(crate) const fn new(read: fn() -> usize) -> Self {
        Self {
            value: AtomicUsize::new(0),
            read,
        }
    }

    pub(crate) fn get(&self) -> usize {
        match self.value.load(Ordering::Relaxed) {
            0 => {
                let v = (self.read)();
                self.value.store(v, Ordering::Relaxed);
                v
            }
            v => v,
        }
    }
}

/// `pfn_to_page(0)`: where the `struct page` array starts.
static MEMMAP: BootBase = BootBase::new(sys::memmap_base);

/// `__va(0)`: where the direct map starts.
#[cfg(CONFIG_X86_64)]
static DIRECT_MAP: BootBase = BootBase::new(sys::direct_map_base);

const PAGE_SHIFT: u32 = bindings::PAGE_SHIFT;
const LRU: usize = offset_of!(
    bindings::page,
    __bindgen_anon_1.__bindgen_anon_1.__bindgen_anon_1.lru
);

/// `page_to_boot_pfn()`.
pub(crate) fn page_pfn(page: *mut bindings::page) -> c_ulong {
    ((page as usize).wrapping_sub(MEMMAP.get()) / size_of::<bindings::page>()) as c_ulong
}

/// `page_to_boot_pfn() << PAGE_SHIFT`.
pub(crate) fn page_addr(page: *mut bindings::page) -> c_ulong {
    page_pfn(page) << PAGE_SHIFT
}

/// `boot_pfn_to_page()`.
pub(crate) fn pfn_page(pfn: c_ulong) -> *mut bindings::page {
    MEMMAP
        .get()
        .wrapping_add(pfn.wrapping_mul(size_of::<bindings::page>())) as *mut bindings::page
}

/// `page_address()`.
pub(crate) fn page_virt(page: *mut bindings::page) -> *mut c_void {
    phys_virt(page_addr(page))
}

/// `boot_phys_to_virt()`.
#[cfg(CONFIG_X86_64)]
pub(crate) fn phys_virt(phys: c_ulong) -> *mut c_void {
    DIRECT_MAP.get().wrapping_add(phys) as *mut c_void
}

/// `boot_phys_to_virt()`.
#[cfg(not(CONFIG_X86_64))]
pub(crate) fn phys_virt(phys: c_ulong) -> *mut c_void {
    // SAFETY: `boot_phys_to_virt()` is address arithmetic over boot-time constants; nothing at
    // either address is touched.
    unsafe { bindings::boot_phys_to_virt(phys) }
}

/// `&page->lru`.
pub(crate) fn page_lru(page: *mut bindings::page) -> *mut bindings::list_head {
    page.cast::<u8>().wrapping_add(LRU).cast()
}

/// `list_entry(lru, struct page, lru)`.
pub(crate) fn lru_page(lru: *mut bindings::list_head) -> *mut bindings::page {
    lru.cast::<u8>().wrapping_sub(LRU).cast()
}
