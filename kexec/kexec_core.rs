// SPDX-License-Identifier: GPL-2.0

//! The kexec core, in Rust.
//!
//! Replaces [`kernel/kexec_core.c`](srctree/kernel/kexec_core.c) and the image-loading half of
//! [`kernel/kexec.c`](srctree/kernel/kexec.c) (`kimage_alloc_init()`, `do_kexec_load()`) under
//! `CONFIG_KEXEC_CORE_RUST`. The functions keep C's names and signatures, so
//! `kernel/kexec_file.c`, `kernel/crash_core.c` and the x86 `machine_kexec` code call them
//! unchanged, and the image is the same `struct kimage` with the same entry list
//! (`IND_DESTINATION`/`IND_INDIRECTION`/`IND_SOURCE`/`IND_DONE`) that `relocate_kernel` walks.
//!
//! What is checked, and with which errno, is [`segments`], pure Rust shared with the host
//! tests. This file is the kernel-facing layer: pages, the entry list, copying segments in,
//! the image slots, `kernel_kexec()` and the sysctls.
//!
//! # The image slots
//!
//! `kexec_image` and `kexec_crash_image` are atomic pointers. A load builds its image privately
//! and publishes it with one swap under `__kexec_lock` (held only for the swap, and for a
//! crash image while it is copied into crashkernel memory); the image it replaces is freed
//! after. Loads are serialised among themselves by a lock of their own, so a normal load
//! never holds the lock the crash path takes. A load that fails leaves the loaded image as it
//! was: a crash image's user buffers are copied into kernel memory and every check is made
//! before the old crash image is dropped.

use core::ptr;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, Ordering};
use kernel::alloc::flags::GFP_KERNEL;
use kernel::alloc::VVec;
use kernel::bindings;
use kernel::error::to_result;
use kernel::ffi::{c_int, c_uint, c_ulong, c_void};
use kernel::page::PAGE_SIZE;
use kernel::prelude::*;
use kernel::uaccess::{UserSlice, UserSliceReader};

pub mod machine_kexec;
mod memmap;
pub mod segments;

use memmap::BootBase;
pub(crate) use memmap::{lru_page, page_addr, page_lru, page_pfn, page_virt, pfn_page, phys_virt};
use segments::{Machine, Refusal, Segment};

/// Prefix of this crate's kernel log lines, C's `KBUILD_MODNAME` for kexec_core.c.
const __LOG_PREFIX: &[u8] = b"kexec_core\0";

/// `kimage_entry_t` flags (`include/linux/kexec.h`).
const IND_DESTINATION: c_ulong = 1 << 0;
const IND_INDIRECTION: c_ulong = 1 << 1;
const IND_DONE: c_ulong = 1 << 2;
const IND_SOURCE: c_ulong = 1 << 3;

/// An impossible destination, for pages whose destination does not matter.
const NO_DEST: c_ulong = c_ulong::MAX;
const PAGE_MASK: c_ulong = !(PAGE_SIZE as c_ulong - 1);
/// Entries in one indirection page.
const ENTRIES_PER_PAGE: usize = PAGE_SIZE / core::mem::size_of::<bindings::kimage_entry_t>();

const KEXEC_TYPE_DEFAULT: c_uint = 0;
const KEXEC_TYPE_CRASH: c_uint = 1;

/// Serialises access to the loaded images between a load, `kernel_kexec()`, `kexec_file_load`,
/// crash hotplug and the crash path; the C inline helpers `kexec_trylock()` and
/// `kexec_unlock()` in `kernel/kexec_internal.h` take it with acquire/release, as we do.
#[allow(non_upper_case_globals)]
#[no_mangle]
pub static __kexec_lock: AtomicI32 = AtomicI32::new(0);

/// Set when `kernel_kexec()` starts shutting the machine down for the new kernel.
#[allow(non_upper_case_globals)]
#[no_mangle]
pub static kexec_in_progress: AtomicBool = AtomicBool::new(false);

/// `kexec_file_load` with `KEXEC_FILE_DEBUG` (written by kexec_file.c).
#[allow(non_upper_case_globals)]
#[no_mangle]
pub static kexec_file_dbg_print: AtomicBool = AtomicBool::new(false);

/// The image `kexec -e` boots.
#[allow(non_upper_case_globals)]
#[no_mangle]
pub static kexec_image: AtomicPtr<bindings::kimage> = AtomicPtr::new(ptr::null_mut());

/// The image a panic boots.
#[allow(non_upper_case_globals)]
#[no_mangle]
pub static kexec_crash_image: AtomicPtr<bindings::kimage> = AtomicPtr::new(ptr::null_mut());

/// `kernel.kexec_load_disabled`: once 1, stays 1.
static LOAD_DISABLED: AtomicI32 = AtomicI32::new(0);
/// `kernel.kexec_load_limit_reboot` and `_panic`: loads left, -1 for no limit.
static LIMIT_REBOOT: AtomicI32 = AtomicI32::new(-1);
static LIMIT_PANIC: AtomicI32 = AtomicI32::new(-1);

/// Held by the one `kexec_load` in progress.
static LOADING: AtomicBool = AtomicBool::new(false);

fn kexec_trylock() -> bool {
    __kexec_lock
        .compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed)
        .is_ok()
}

fn kexec_unlock() {
    __kexec_lock.store(0, Ordering::Release);
}

/// The negative errno C functions return.
fn neg(e: Error) -> c_int {
    e.to_errno()
}

// ---------------------------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------------------------

/// `kimage_alloc_pages()`: `1 << order` reserved pages, zeroed if `gfp` asks.
///
/// Runs for every page of a normal image, so it makes as few calls as it can: one to mark the
/// pages, and the memory-encryption hook only when memory is encrypted.
fn alloc_pages(gfp: bindings::gfp_t, order: c_uint) -> *mut bindings::page {
    // SAFETY: no preconditions.
    if unsafe { bindings::kexec_fatal_signal_pending() } {
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
        bindings::kexec_mark_pages(pages, order);
        if machine_kexec::host_mem_encrypted() {
            bindings::arch_kexec_post_alloc_pages(page_virt(pages), count as c_uint, gfp);
        }
        if gfp & bindings::__GFP_ZERO != 0 {
            for i in 0..count {
                bindings::kexec_clear_highpage(pages.add(i));
            }
        }
    }
    pages
}

/// `kimage_free_pages()`.
///
/// # Safety
///
/// `page` heads pages from [`alloc_pages`] that nothing uses any more.
unsafe fn free_pages(page: *mut bindings::page) {
    // SAFETY: by the function's contract; the order was stored at allocation.
    unsafe {
        if machine_kexec::host_mem_encrypted() {
            let count = 1u32 << bindings::kexec_page_order(page);
            bindings::arch_kexec_pre_free_pages(page_virt(page), count);
        }
        let order = bindings::kexec_unmark_pages(page);
        bindings::__free_pages(page, order);
    }
}

/// Puts `page` on `list` (through its `lru`).
///
/// # Safety
///
/// `list` is an initialised list head and `page` is on no list.
unsafe fn list_push(list: *mut bindings::list_head, page: *mut bindings::page) {
    // SAFETY: by the function's contract.
    unsafe { bindings::kexec_list_add(page_lru(page), list) };
}

/// `kimage_free_page_list()`: frees every page on `list` (pages from [`alloc_pages`]).
///
/// # Safety
///
/// `list` is an initialised list head of pages from [`alloc_pages`] that nothing else uses.
#[no_mangle]
pub unsafe extern "C" fn kimage_free_page_list(list: *mut bindings::list_head) {
    // SAFETY: by the function's contract the list is well formed; each page is unlinked
    // before it is freed, and the next one is read after the unlink from the head.
    unsafe {
        while (*list).next != list {
            let lru = (*list).next;
            bindings::kexec_list_del(lru);
            free_pages(lru_page(lru));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The image
// ---------------------------------------------------------------------------------------------

/// Up to 16 segments as the pure checks take them, and how many there are.
fn to_pure(segments: &[bindings::kexec_segment]) -> ([Segment; 16], usize) {
    let mut out = [Segment::default(); 16];
    let n = segments.len().min(out.len());
    for (o, s) in out.iter_mut().zip(segments) {
        *o = Segment {
            bufsz: s.bufsz as u64,
            mem: s.mem as u64,
            memsz: s.memsz as u64,
        };
    }
    (out, n)
}

/// The segments of `image` as the pure checks take them.
fn segs(image: &bindings::kimage) -> ([Segment; 16], usize) {
    let n = (image.nr_segments as usize).min(image.segment.len());
    to_pure(image.segment.get(..n).unwrap_or(&[]))
}

/// The crashkernel region, `[start, end]` in boot physical addresses.
fn crash_region() -> (u64, u64) {
    // SAFETY: `crashk_res` is set up at boot; its bounds change only through
    // `crash_shrink_memory()`, which holds the kexec lock, as every loader does.
    let (start, end) = unsafe { (bindings::crashk_res.start, bindings::crashk_res.end) };
    // SAFETY: plain arithmetic.
    unsafe {
        (
            bindings::kexec_phys_to_boot_phys(start) as u64,
            bindings::kexec_phys_to_boot_phys(end) as u64,
        )
    }
}

fn machine(crash: bool) -> Machine {
    Machine {
        page: PAGE_SIZE as u64,
        // SAFETY: no preconditions.
        dest_limit: unsafe { bindings::kexec_destination_memory_limit() } as u64,
        // SAFETY: no preconditions.
        total_pages: unsafe { bindings::kexec_totalram_pages() } as u64,
        crash: crash.then(crash_region),
    }
}

fn log_refusal(r: &Refusal) {
    match r.segment {
        Some(i) => pr_err!("load refused: segment {}: {}\n", i, r.what),
        None => pr_err!("load refused: {}\n", r.what),
    }
}

fn refusal_errno(r: &Refusal) -> c_int {
    log_refusal(r);
    -r.errno
}

/// A pure check's outcome as a kernel result, a refusal logged.
fn checked(r: core::result::Result<(), Refusal>) -> Result {
    r.map_err(|r| Error::from_errno(refusal_errno(&r)))
}

/// `sanity_check_segment_list()`: the checks of [`segments::check_segments`].
///
/// # Safety
///
/// `image` is a valid image its caller owns.
#[no_mangle]
pub unsafe extern "C" fn sanity_check_segment_list(image: *mut bindings::kimage) -> c_int {
    // SAFETY: by the function's contract.
    let image = unsafe { &*image };
    let (s, n) = segs(image);
    let m = machine(image.type_() == KEXEC_TYPE_CRASH);
    match segments::check_segments(s.get(..n).unwrap_or(&[]), &m) {
        Ok(()) => 0,
        Err(r) => refusal_errno(&r),
    }
}

/// `do_kimage_alloc_init()`: an empty image, or null.
#[no_mangle]
pub extern "C" fn do_kimage_alloc_init() -> *mut bindings::kimage {
    // SAFETY: kzalloc takes any size; the result is null or zeroed memory we own.
    let image: *mut bindings::kimage = unsafe {
        bindings::__kmalloc_noprof(
            core::mem::size_of::<bindings::kimage>(),
            bindings::GFP_KERNEL | bindings::__GFP_ZERO,
        )
    }
    .cast();
    if image.is_null() {
        return image;
    }
    // SAFETY: `image` is a zeroed `struct kimage` (all-zero is valid for it) that we own; the
    // entry pointers point into it and it never moves.
    unsafe {
        let i = &mut *image;
        i.entry = &mut i.head;
        i.last_entry = &mut i.head;
        i.control_page = !0;
        i.set_type(KEXEC_TYPE_DEFAULT);
        bindings::kexec_list_init(&mut i.control_pages);
        bindings::kexec_list_init(&mut i.dest_pages);
        bindings::kexec_list_init(&mut i.unusable_pages);
        #[cfg(CONFIG_CRASH_HOTPLUG)]
        {
            i.hp_action = bindings::KEXEC_CRASH_HP_NONE as c_int;
            i.elfcorehdr_index = -1;
            i.elfcorehdr_updated = false;
        }
    }
    image
}

/// `kimage_is_destination_range()`: 1 if `[start, end]` meets a segment's destination.
///
/// # Safety
///
/// `image` is a valid image.
#[no_mangle]
pub unsafe extern "C" fn kimage_is_destination_range(
    image: *mut bindings::kimage,
    start: c_ulong,
    end: c_ulong,
) -> c_int {
    // SAFETY: by the function's contract.
    c_int::from(is_destination(unsafe { &*image }, start, end))
}

fn is_destination(image: &bindings::kimage, start: c_ulong, end: c_ulong) -> bool {
    let n = image.nr_segments as usize;
    image.segment.iter().take(n).any(|s| {
        let last = s.mem.wrapping_add(s.memsz as c_ulong).wrapping_sub(1);
        end >= s.mem && start <= last
    })
}

/// `kimage_alloc_normal_control_pages()`.
fn alloc_normal_control_pages(image: &mut bindings::kimage, order: c_uint) -> *mut bindings::page {
    let count = 1u64 << order;
    let mut extra = bindings::list_head::default();
    // SAFETY: `extra` is a list head on our stack, emptied below before it goes.
    unsafe { bindings::kexec_list_init(&mut extra) };
    // SAFETY: no preconditions.
    let (gfp, limit) = unsafe {
        (
            bindings::kexec_control_memory_gfp(),
            bindings::kexec_control_memory_limit(),
        )
    };
    let mut pages;
    loop {
        pages = alloc_pages(gfp, order);
        if pages.is_null() {
            break;
        }
        let pfn = page_pfn(pages);
        let epfn = pfn + count as c_ulong;
        let addr = pfn << bindings::PAGE_SHIFT;
        let eaddr = (epfn << bindings::PAGE_SHIFT).wrapping_sub(1);
        if epfn >= limit >> bindings::PAGE_SHIFT || is_destination(image, addr, eaddr) {
            // SAFETY: `pages` is fresh and on no list.
            unsafe { list_push(&mut extra, pages) };
            continue;
        }
        break;
    }
    if !pages.is_null() {
        // SAFETY: `pages` is fresh and on no list; the image's list is initialised.
        unsafe { list_push(&mut image.control_pages, pages) };
    }
    // SAFETY: `extra` holds only our own unused pages.
    unsafe { kimage_free_page_list(&mut extra) };
    pages
}

/// `kimage_alloc_crash_control_pages()`: the first free hole of the crashkernel region, placed
/// by [`segments::crash_control_hole`].
fn alloc_crash_control_pages(image: &mut bindings::kimage, order: c_uint) -> *mut bindings::page {
    let size = (PAGE_SIZE as u64) << order;
    let (s, n) = segs(image);
    // SAFETY: no preconditions.
    let limit = unsafe { bindings::kexec_crash_control_memory_limit() } as u64;
    // C compares with `crashk_res.end` itself, not its boot-physical form.
    // SAFETY: see `crash_region`.
    let end = unsafe { bindings::crashk_res.end } as u64;
    let from = image.control_page as u64;
    let Some(start) =
        segments::crash_control_hole(from, size, s.get(..n).unwrap_or(&[]), end, limit)
    else {
        return ptr::null_mut();
    };
    image.control_page = (start + size) as c_ulong;
    // `start` lies in the crashkernel region, which is memory with `struct page`s.
    let pages = pfn_page((start >> bindings::PAGE_SHIFT) as c_ulong);
    // Decrypted if SME is on, as C does.
    // SAFETY: the pages are crashkernel memory reserved for the image being built.
    unsafe { bindings::arch_kexec_post_alloc_pages(page_virt(pages), 1 << order, 0) };
    pages
}

/// `kimage_alloc_control_pages()`.
///
/// # Safety
///
/// `image` is a valid image its caller owns.
#[no_mangle]
pub unsafe extern "C" fn kimage_alloc_control_pages(
    image: *mut bindings::kimage,
    order: c_uint,
) -> *mut bindings::page {
    // SAFETY: by the function's contract.
    let image = unsafe { &mut *image };
    match image.type_() {
        KEXEC_TYPE_DEFAULT => alloc_normal_control_pages(image, order),
        _ => alloc_crash_control_pages(image, order),
    }
}

/// `kimage_add_entry()`.
fn add_entry(image: &mut bindings::kimage, entry: c_ulong) -> Result {
    // SAFETY: the entry list invariant: `entry` points at `head` or into an indirection page
    // at or before `last_entry`, and the slot after a written entry exists (an indirection
    // page's last slot is kept for the link to the next page).
    unsafe {
        if *image.entry != 0 {
            image.entry = image.entry.add(1);
        }
        if image.entry == image.last_entry {
            let page = alloc_page(image, bindings::GFP_KERNEL, NO_DEST);
            if page.is_null() {
                return Err(ENOMEM);
            }
            let ind = page_virt(page).cast::<bindings::kimage_entry_t>();
            *image.entry = page_addr(page) | IND_INDIRECTION;
            image.entry = ind;
            image.last_entry = ind.add(ENTRIES_PER_PAGE - 1);
        }
        *image.entry = entry;
        image.entry = image.entry.add(1);
        *image.entry = 0;
    }
    Ok(())
}

/// `kimage_terminate()`: ends the entry list.
///
/// # Safety
///
/// `image` is a valid image its caller owns.
#[no_mangle]
pub unsafe extern "C" fn kimage_terminate(image: *mut bindings::kimage) {
    // SAFETY: by the function's contract, and the entry list invariant of `add_entry`.
    unsafe {
        let image = &mut *image;
        if *image.entry != 0 {
            image.entry = image.entry.add(1);
        }
        *image.entry = IND_DONE;
    }
}

/// `for_each_kimage_entry()`: calls `f` with each entry's slot and value, following
/// indirection pages, until `IND_DONE` or an empty slot, or until `f` returns false. The next
/// slot is worked out from the value read before `f` runs, so `f` may free the page holding
/// an earlier indirection entry.
///
/// # Safety
///
/// `image`'s entry list is well formed.
unsafe fn for_each_entry(
    image: *mut bindings::kimage,
    mut f: impl FnMut(*mut bindings::kimage_entry_t, c_ulong) -> bool,
) {
    // SAFETY: by the function's contract every slot reached is in `head` or a live
    // indirection page.
    unsafe {
        let mut p: *mut bindings::kimage_entry_t = ptr::addr_of_mut!((*image).head);
        loop {
            let entry = *p;
            if entry == 0 || entry & IND_DONE != 0 {
                return;
            }
            if !f(p, entry) {
                return;
            }
            p = if entry & IND_INDIRECTION != 0 {
                phys_virt(entry & PAGE_MASK).cast()
            } else {
                p.add(1)
            };
        }
    }
}

/// Frees the page an entry names.
///
/// # Safety
///
/// The entry names a page from [`alloc_pages`] that nothing uses any more.
unsafe fn free_entry(entry: c_ulong) {
    // SAFETY: by the function's contract.
    unsafe { free_pages(pfn_page(entry >> bindings::PAGE_SHIFT)) };
}

extern "C" {
    // kernel/kexec_file.c (declared in kernel/kexec_internal.h, which has no bindings); the
    // argument is a `struct kimage *`.
    fn kimage_file_post_load_cleanup(image: *mut c_void);
}

/// `kimage_free()`: frees an image and everything it holds. Null is ignored.
///
/// # Safety
///
/// `image` is null or an image nothing else uses any more.
#[no_mangle]
pub unsafe extern "C" fn kimage_free(image: *mut bindings::kimage) {
    if image.is_null() {
        return;
    }
    // SAFETY: by the function's contract we own the image and every page it names.
    unsafe {
        let copy = (*image).vmcoreinfo_data_copy;
        if !copy.is_null() {
            bindings::crash_update_vmcoreinfo_safecopy(ptr::null_mut());
            bindings::vunmap(copy);
        }
        kimage_free_page_list(&mut (*image).dest_pages);
        kimage_free_page_list(&mut (*image).unusable_pages);
        let mut ind: c_ulong = 0;
        for_each_entry(image, |_, entry| {
            if entry & IND_INDIRECTION != 0 {
                // The previous indirection page is done with: the walk is past it.
                if ind & IND_INDIRECTION != 0 {
                    free_entry(ind);
                }
                ind = entry;
            } else if entry & IND_SOURCE != 0 {
                free_entry(entry);
            }
            true
        });
        if ind & IND_INDIRECTION != 0 {
            free_entry(ind);
        }
        bindings::machine_kexec_cleanup(image);
        kimage_free_page_list(&mut (*image).control_pages);
        if (*image).file_mode() != 0 {
            kimage_file_post_load_cleanup(image.cast());
        }
        bindings::kfree(image.cast());
    }
}

/// `kimage_dst_used()`: the slot of the source entry whose destination is `page`.
fn dst_used(image: &mut bindings::kimage, page: c_ulong) -> Option<*mut bindings::kimage_entry_t> {
    let mut dest: c_ulong = 0;
    let mut found = None;
    // SAFETY: the image's entry list is well formed while it is being built.
    unsafe {
        for_each_entry(image, |p, entry| {
            if entry & IND_DESTINATION != 0 {
                dest = entry & PAGE_MASK;
            } else if entry & IND_SOURCE != 0 {
                if page == dest {
                    found = Some(p);
                    return false;
                }
                dest = dest.wrapping_add(PAGE_SIZE as c_ulong);
            }
            true
        })
    };
    found
}

/// `KEXEC_SOURCE_MEMORY_LIMIT`: fixed at boot by the paging mode, and read for every page.
static SOURCE_LIMIT: BootBase = BootBase::new(|| {
    // SAFETY: no preconditions.
    unsafe { bindings::kexec_source_memory_limit() as usize }
});

/// `kimage_alloc_page()`: a page to hold data for `dest`. A source page is either its own
/// destination or no destination at all: a page that is some other segment's destination is
/// kept for later (`dest_pages`), or swapped with the source page already filled for it.
fn alloc_page(
    image: &mut bindings::kimage,
    gfp: bindings::gfp_t,
    dest: c_ulong,
) -> *mut bindings::page {
    // A page allocated earlier for exactly this destination? The list is walked by comparing
    // list links with the one of `dest`'s page, so the walk makes no call per page: it can be
    // long, and runs once per page of the image.
    if dest != NO_DEST {
        let head: *mut bindings::list_head = &mut image.dest_pages;
        // Address arithmetic: only compared with links of the list, never dereferenced
        // unless it is one.
        let want = page_lru(pfn_page(dest >> bindings::PAGE_SHIFT));
        // SAFETY: `dest_pages` is a well-formed list of our pages.
        unsafe {
            let mut pos = (*head).next;
            while pos != head {
                if pos == want {
                    bindings::kexec_list_del(pos);
                    return lru_page(pos);
                }
                pos = (*pos).next;
            }
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
        if addr == dest || !is_destination(image, addr, addr + PAGE_SIZE as c_ulong - 1) {
            return page;
        }
        // The page is another destination: if its source is already filled, move that data
        // here (it is now in place) and use the old source page instead.
        if let Some(old) = dst_used(image, addr) {
            // SAFETY: `old` is a live source slot of our list; its page is ours, and `page`
            // is fresh.
            unsafe {
                let old_addr = *old & PAGE_MASK;
                let old_page = pfn_page(old_addr >> bindings::PAGE_SHIFT);
                bindings::kexec_copy_highpage(page, old_page);
                *old = addr | (*old & !PAGE_MASK);
                // x86_64 has no highmem: the old page always honours `gfp`.
                return old_page;
            }
        }
        // SAFETY: fresh page on no list.
        unsafe { list_push(&mut image.dest_pages, page) };
    }
}

/// Where a segment's bytes come from.
enum Source<'a> {
    /// `kexec_load`: the caller's buffer.
    User(UserSliceReader),
    /// `kexec_file_load`, and staged crash segments: kernel memory.
    Kernel(&'a [u8]),
}

impl Source<'_> {
    /// Copies the next `out.len()` bytes.
    fn read(&mut self, out: &mut [u8]) -> Result {
        match self {
            Source::User(r) => r.read_slice(out),
            Source::Kernel(k) => {
                let (now, rest) = k.split_at_checked(out.len()).ok_or(EFAULT)?;
                out.copy_from_slice(now);
                *k = rest;
                Ok(())
            }
        }
    }
}

/// Runs `f` on the page's bytes `[off, off + len)`, mapped.
fn with_mapped(
    page: *mut bindings::page,
    off: usize,
    len: usize,
    f: impl FnOnce(&mut [u8]) -> Result,
) -> Result {
    if off.checked_add(len).is_none_or(|e| e > PAGE_SIZE) {
        return Err(EINVAL);
    }
    // SAFETY: `page` is a page we own or crashkernel memory reserved for the image.
    let base = unsafe { bindings::kmap_local_page(page) }.cast::<u8>();
    // SAFETY: the mapping covers the whole page and `off + len <= PAGE_SIZE`; nothing else
    // writes the page while it is being filled.
    let r = f(unsafe { core::slice::from_raw_parts_mut(base.add(off), len) });
    // SAFETY: `base` was returned by `kmap_local_page()` above and is unmapped once.
    unsafe { bindings::kunmap_local(base.cast()) };
    r
}

/// One page's share of a segment: the destination address it starts at, its offset in the
/// page, how many bytes of the page it covers, and how many of those come from the buffer.
struct Chunk {
    maddr: c_ulong,
    off: usize,
    mchunk: usize,
    uchunk: usize,
}

/// The chunks of `seg`, a page at a time, as both of C's load loops cut them (the segment
/// was checked: `bufsz <= memsz`).
fn chunks(seg: &bindings::kexec_segment) -> impl Iterator<Item = Chunk> {
    let (mut maddr, mut ubytes, mut mbytes) = (seg.mem, seg.bufsz, seg.memsz);
    core::iter::from_fn(move || {
        if mbytes == 0 {
            return None;
        }
        let off = (maddr & !PAGE_MASK) as usize;
        let mchunk = mbytes.min(PAGE_SIZE - off);
        let uchunk = ubytes.min(mchunk);
        let chunk = Chunk {
            maddr,
            off,
            mchunk,
            uchunk,
        };
        ubytes -= uchunk;
        maddr += mchunk as c_ulong;
        mbytes -= mchunk;
        Some(chunk)
    })
}

fn cond_resched() {
    // SAFETY: the loaders hold no spinlock and run in process context.
    unsafe { bindings::kexec_cond_resched() };
}

/// `kimage_load_normal_segment()`: fills fresh source pages and lists them.
fn load_normal_segment(
    image: &mut bindings::kimage,
    seg: &bindings::kexec_segment,
    src: &mut Source<'_>,
) -> Result {
    add_entry(image, (seg.mem & PAGE_MASK) | IND_DESTINATION)?;
    // SAFETY: no preconditions.
    let gfp = unsafe { bindings::kexec_gfp_highuser() };
    for c in chunks(seg) {
        let page = alloc_page(image, gfp, c.maddr);
        if page.is_null() {
            return Err(ENOMEM);
        }
        add_entry(image, page_addr(page) | IND_SOURCE)?;
        // Cleared with clear_page(), as C: the architecture's page clearing is quicker than a
        // memset of the same bytes (much quicker under emulation). No kmap: x86_64 has no
        // highmem, every page is in the direct map.
        let base = page_virt(page).cast::<u8>();
        // SAFETY: `page` is a fresh source page of ours, mapped at `base`.
        unsafe { bindings::kexec_clear_page(base.cast()) };
        if c.uchunk > 0 {
            // SAFETY: the mapping covers the page and `off + uchunk <= PAGE_SIZE`; nothing
            // else knows the page.
            let dst = unsafe { core::slice::from_raw_parts_mut(base.add(c.off), c.uchunk) };
            src.read(dst).map_err(|_| EFAULT)?;
        }
        cond_resched();
    }
    Ok(())
}

/// `kimage_load_crash_segment()`: copies straight into crashkernel memory.
fn load_crash_segment(seg: &bindings::kexec_segment, src: &mut Source<'_>) -> Result {
    for c in chunks(seg) {
        // The segment was checked to lie in the crashkernel region.
        let page = pfn_page(c.maddr >> bindings::PAGE_SHIFT);
        if page.is_null() {
            return Err(ENOMEM);
        }
        // SAFETY: crashkernel memory reserved for the image being loaded.
        unsafe { bindings::arch_kexec_post_alloc_pages(page_virt(page), 1, 0) };
        let r = with_mapped(page, c.off, c.mchunk, |p| {
            let (data, rest) = p.split_at_mut(c.uchunk);
            rest.fill(0);
            if c.uchunk > 0 {
                src.read(data).map_err(|_| EFAULT)
            } else {
                Ok(())
            }
        });
        // SAFETY: as above.
        unsafe {
            bindings::kexec_flush_icache_page(page);
            bindings::arch_kexec_pre_free_pages(page_virt(page), 1);
        }
        r?;
        cond_resched();
    }
    Ok(())
}

fn load_segment_from(image: &mut bindings::kimage, i: usize, src: &mut Source<'_>) -> Result {
    let seg = *image.segment.get(i).ok_or(EINVAL)?;
    match image.type_() {
        KEXEC_TYPE_DEFAULT => load_normal_segment(image, &seg, src),
        _ => load_crash_segment(&seg, src),
    }
}

/// `kimage_load_segment()`, for `kexec_file_load` (kernel buffers) and any caller of C's.
///
/// # Safety
///
/// `image` is a valid image its caller owns; `segment` is one of its segments, whose buffer
/// (`kbuf` in file mode, else `buf`) holds `bufsz` bytes.
#[no_mangle]
pub unsafe extern "C" fn kimage_load_segment(
    image: *mut bindings::kimage,
    segment: *mut bindings::kexec_segment,
) -> c_int {
    // SAFETY: by the function's contract.
    let (image, seg) = unsafe { (&mut *image, *segment) };
    let Some(i) = image.segment.iter().position(|s| ptr::eq(s, segment)) else {
        return -(bindings::EINVAL as c_int);
    };
    let mut src = if image.file_mode() != 0 {
        // SAFETY: by the function's contract `kbuf` holds `bufsz` bytes.
        let k = unsafe { seg.__bindgen_anon_1.kbuf };
        if k.is_null() {
            Source::Kernel(&[])
        } else {
            // SAFETY: as above.
            Source::Kernel(unsafe { core::slice::from_raw_parts(k.cast::<u8>(), seg.bufsz) })
        }
    } else {
        // SAFETY: `buf` is the user pointer in this mode.
        let u = unsafe { seg.__bindgen_anon_1.buf } as usize;
        Source::User(UserSlice::new(u, seg.bufsz).reader())
    };
    match load_segment_from(image, i, &mut src) {
        Ok(()) => 0,
        Err(e) => neg(e),
    }
}

/// `kimage_map_segment()`: maps the source pages that will land at `[addr, addr + size)`
/// contiguously (for IMA), or null.
///
/// # Safety
///
/// `image` is a valid, loaded image.
#[no_mangle]
pub unsafe extern "C" fn kimage_map_segment(
    image: *mut bindings::kimage,
    addr: c_ulong,
    size: c_ulong,
) -> *mut c_void {
    let eaddr = addr.wrapping_add(size);
    let page = PAGE_SIZE as c_ulong;
    let npages = (eaddr.div_ceil(page) - addr / page) as usize;
    let mut pages: KVec<*mut bindings::page> = match KVec::with_capacity(npages, GFP_KERNEL) {
        Ok(v) => v,
        Err(_) => {
            pr_err!("Could not allocate ima pages array.\n");
            return ptr::null_mut();
        }
    };
    let mut dest: c_ulong = 0;
    // SAFETY: by the function's contract the entry list is well formed.
    unsafe {
        for_each_entry(image, |_, entry| {
            if entry & IND_DESTINATION != 0 {
                dest = entry & PAGE_MASK;
            } else if entry & IND_SOURCE != 0 && dest >= addr && dest < eaddr {
                let src = entry & PAGE_MASK;
                // Capacity was reserved for `npages`.
                let _ = pages.push(pfn_page(src >> bindings::PAGE_SHIFT), GFP_KERNEL);
                if pages.len() == npages {
                    return false;
                }
                dest += page;
            }
            true
        })
    };
    if pages.len() < npages {
        pr_warn!(
            "kimage_map_segment: {} of {} pages found\n",
            pages.len(),
            npages
        );
    }
    // SAFETY: `pages` holds `pages.len()` live pages of the image.
    let vaddr = unsafe { bindings::kexec_vmap(pages.as_mut_ptr(), pages.len() as c_uint) };
    if vaddr.is_null() {
        pr_err!("Could not map ima buffer.\n");
    }
    vaddr
}

/// `kimage_unmap_segment()`.
///
/// # Safety
///
/// `buf` came from [`kimage_map_segment`].
#[no_mangle]
pub unsafe extern "C" fn kimage_unmap_segment(buf: *mut c_void) {
    // SAFETY: by the function's contract.
    unsafe { bindings::vunmap(buf) };
}

// ---------------------------------------------------------------------------------------------
// kexec_load
// ---------------------------------------------------------------------------------------------

/// An image being built, freed on drop unless published.
struct Building(*mut bindings::kimage);

impl Building {
    fn get(&mut self) -> &mut bindings::kimage {
        // SAFETY: the pointer is a live image only this load knows.
        unsafe { &mut *self.0 }
    }

    fn publish(self) -> *mut bindings::kimage {
        let p = self.0;
        core::mem::forget(self);
        p
    }
}

impl Drop for Building {
    fn drop(&mut self) {
        // SAFETY: nobody else knows the image.
        unsafe { kimage_free(self.0) };
    }
}

/// `kimage_alloc_init()`: the checked image with its control pages (and a swap page for a
/// normal image), or C's errno.
fn alloc_init(
    entry: c_ulong,
    segments: &[bindings::kexec_segment],
    crash: bool,
) -> Result<Building> {
    if crash {
        checked(segments::check_crash_entry(entry as u64, crash_region()))?;
    }
    let image = do_kimage_alloc_init();
    if image.is_null() {
        return Err(ENOMEM);
    }
    let mut b = Building(image);
    let i = b.get();
    i.start = entry;
    i.nr_segments = segments.len() as c_ulong;
    for (d, s) in i.segment.iter_mut().zip(segments) {
        *d = *s;
    }
    if crash {
        // SAFETY: see `crash_region`.
        i.control_page = unsafe { bindings::crashk_res.start } as c_ulong;
        i.set_type(KEXEC_TYPE_CRASH);
    }
    // SAFETY: `i` is our image.
    let r = unsafe { sanity_check_segment_list(i) };
    if r != 0 {
        // The image's pages are none yet; dropping `b` frees it as C's kfree() does.
        return Err(Error::from_errno(r));
    }
    // SAFETY: `i` is our image.
    i.control_code_page = unsafe { kimage_alloc_control_pages(i, 0) };
    if i.control_code_page.is_null() {
        pr_err!("Could not allocate control_code_buffer\n");
        return Err(ENOMEM);
    }
    if !crash {
        // SAFETY: `i` is our image.
        i.swap_page = unsafe { kimage_alloc_control_pages(i, 0) };
        if i.swap_page.is_null() {
            pr_err!("Could not allocate swap buffer\n");
            return Err(ENOMEM);
        }
    }
    Ok(b)
}

/// Clears a busy flag on drop.
struct Held(&'static AtomicBool);

impl Drop for Held {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// Holds `__kexec_lock` until dropped.
struct KexecLock;

impl KexecLock {
    fn try_take() -> Result<Self> {
        if kexec_trylock() {
            Ok(KexecLock)
        } else {
            Err(EBUSY)
        }
    }
}

impl Drop for KexecLock {
    fn drop(&mut self) {
        kexec_unlock();
    }
}

/// Copies every segment's user buffer into one kernel buffer, so a crash image's bytes can
/// be written into crashkernel memory with no user-memory access (and no `EFAULT`) left.
fn stage(segments: &[bindings::kexec_segment]) -> Result<VVec<u8>> {
    let total = segments
        .iter()
        .try_fold(0usize, |t, s| t.checked_add(s.bufsz))
        .ok_or(EINVAL)?;
    let mut buf = VVec::<u8>::with_capacity(total, GFP_KERNEL)?;
    {
        let mut rest = buf.spare_capacity_mut().get_mut(..total).ok_or(ENOMEM)?;
        for s in segments {
            let (now, later) = rest.split_at_mut_checked(s.bufsz).ok_or(EINVAL)?;
            // SAFETY: `buf` is the user pointer of a `kexec_load` segment.
            let u = unsafe { s.__bindgen_anon_1.buf } as usize;
            UserSlice::new(u, s.bufsz).reader().read_raw(now)?;
            rest = later;
        }
    }
    // SAFETY: the loop above wrote all `total` bytes (`read_raw` fills its whole buffer or
    // fails), within the capacity.
    unsafe { buf.set_len(total) };
    Ok(buf)
}

/// The image built, prepared and filled: everything `do_kexec_load()` does before the swap.
fn build(
    entry: c_ulong,
    segments: &[bindings::kexec_segment],
    flags: c_ulong,
    staged: Option<&[u8]>,
) -> Result<Building> {
    let crash = staged.is_some();
    let mut b = alloc_init(entry, segments, crash)?;
    let i = b.get();
    if flags & bindings::KEXEC_PRESERVE_CONTEXT as c_ulong != 0 {
        i.set_preserve_context(1);
    }
    // SAFETY: `i` is our image.
    #[cfg(CONFIG_CRASH_HOTPLUG)]
    if crash && unsafe { bindings::arch_crash_hotplug_support(i, flags) } != 0 {
        i.set_hotplug_support(1);
    }
    // SAFETY: `i` is our checked image.
    to_result(unsafe { bindings::machine_kexec_prepare(i) })?;
    // SAFETY: as above; after machine_kexec_prepare(), as C does.
    to_result(unsafe { bindings::kimage_crash_copy_vmcoreinfo(i) })?;
    let mut kernel = staged.unwrap_or(&[]);
    for (n, s) in segments.iter().enumerate() {
        let mut src = if crash {
            let (now, rest) = kernel.split_at_checked(s.bufsz).ok_or(EINVAL)?;
            kernel = rest;
            Source::Kernel(now)
        } else {
            // SAFETY: `buf` is the user pointer of a `kexec_load` segment.
            let u = unsafe { s.__bindgen_anon_1.buf } as usize;
            Source::User(UserSlice::new(u, s.bufsz).reader())
        };
        load_segment_from(i, n, &mut src)?;
    }
    // SAFETY: `i` is our image.
    unsafe { kimage_terminate(i) };
    // SAFETY: as above.
    to_result(unsafe { bindings::kexec_machine_post_load(i) })?;
    Ok(b)
}

/// The image-loading half of `kexec_load(2)`, after the permission, LSM, lockdown, flag and
/// count checks of `kernel/kexec.c`; `segments` is its kernel copy of the caller's array.
///
/// # Safety
///
/// `segments` points to `nr_segments` (at most 16) segments.
#[no_mangle]
pub unsafe extern "C" fn do_kexec_load(
    entry: c_ulong,
    nr_segments: c_ulong,
    segments: *mut bindings::kexec_segment,
    flags: c_ulong,
) -> c_int {
    let segs: &[bindings::kexec_segment] = if nr_segments == 0 || segments.is_null() {
        &[]
    } else {
        // SAFETY: by the function's contract.
        unsafe { core::slice::from_raw_parts(segments, nr_segments as usize) }
    };
    if LOADING
        .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        return -(bindings::EBUSY as c_int);
    }
    let _loading = Held(&LOADING);
    let crash = flags & bindings::KEXEC_ON_CRASH as c_ulong != 0;
    let r = if crash {
        load_crash(entry, segs, flags)
    } else {
        load_normal(entry, segs, flags)
    };
    match r {
        Ok(()) => 0,
        Err(e) => neg(e),
    }
}

/// A `kexec -l` load or unload: built without `__kexec_lock`, which is taken for the swap.
fn load_normal(entry: c_ulong, segs: &[bindings::kexec_segment], flags: c_ulong) -> Result {
    let new = if segs.is_empty() {
        ptr::null_mut()
    } else {
        build(entry, segs, flags, None)?.publish()
    };
    let old = match KexecLock::try_take() {
        Ok(_lock) => kexec_image.swap(new, Ordering::AcqRel),
        Err(e) => {
            // SAFETY: `new` was never published.
            unsafe { kimage_free(new) };
            return Err(e);
        }
    };
    // SAFETY: `old` is no longer reachable: the slot was swapped under the lock that
    // `kernel_kexec()` and `kexec_file_load` take before they read it.
    unsafe { kimage_free(old) };
    Ok(())
}

/// A `kexec -p` load or unload. Checks and the copy from user space come first; the old crash
/// image goes only when nothing but memory for control pages can fail.
fn load_crash(entry: c_ulong, segs: &[bindings::kexec_segment], flags: c_ulong) -> Result {
    let staged = if segs.is_empty() {
        None
    } else {
        checked(segments::check_crash_entry(entry as u64, crash_region()))?;
        let (all, n) = to_pure(segs);
        let used = all.get(..n).ok_or(EINVAL)?;
        checked(segments::check_segments(used, &machine(true)))?;
        // The control code page and the vmcoreinfo copy go in the first free holes of the
        // region: find them before the old image goes, as C would fail there after.
        let (start, end) = crash_region();
        // SAFETY: no preconditions.
        let limit = unsafe { bindings::kexec_crash_control_memory_limit() } as u64;
        let page = PAGE_SIZE as u64;
        let first = segments::crash_control_hole(start, page, used, end, limit);
        if first
            .and_then(|h| segments::crash_control_hole(h + page, page, used, end, limit))
            .is_none()
        {
            pr_err!("Could not allocate control_code_buffer\n");
            return Err(ENOMEM);
        }
        Some(stage(segs)?)
    };
    let _lock = KexecLock::try_take()?;
    // The crash kernel's memory is about to be rewritten: drop the image living there.
    if !kexec_crash_image.load(Ordering::Acquire).is_null() {
        // SAFETY: we hold the kexec lock.
        unsafe { bindings::arch_kexec_unprotect_crashkres() };
    }
    let old = kexec_crash_image.swap(ptr::null_mut(), Ordering::AcqRel);
    // SAFETY: unreachable now, and the crash path needs the lock we hold to read the slot.
    unsafe { kimage_free(old) };
    let r = match staged {
        None => Ok(()),
        Some(data) => build(entry, segs, flags, Some(&data[..])).map(|b| {
            kexec_crash_image.store(b.publish(), Ordering::Release);
        }),
    };
    if !kexec_crash_image.load(Ordering::Acquire).is_null() {
        // SAFETY: we hold the kexec lock.
        unsafe { bindings::arch_kexec_protect_crashkres() };
    }
    r
}

// ---------------------------------------------------------------------------------------------
// Permission, kernel_kexec, sysctls
// ---------------------------------------------------------------------------------------------

/// `kexec_load_permitted()`: `CAP_SYS_BOOT`, loading not disabled, and a load left under the
/// reboot or panic limit (which this uses up).
#[no_mangle]
pub extern "C" fn kexec_load_permitted(image_type: c_int) -> bool {
    // SAFETY: no preconditions.
    if !unsafe { bindings::capable(bindings::CAP_SYS_BOOT as c_int) }
        || LOAD_DISABLED.load(Ordering::Relaxed) != 0
    {
        return false;
    }
    let limit = if image_type == KEXEC_TYPE_CRASH as c_int {
        &LIMIT_PANIC
    } else {
        &LIMIT_REBOOT
    };
    limit
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |l| match l {
            0 => None,
            -1 => Some(-1),
            l => Some(l - 1),
        })
        .is_ok()
}

/// `kernel_kexec()`: shuts down and boots the loaded image (`kexec -e`). Returns only on
/// failure: `EBUSY` if a load holds the lock, `EINVAL` if nothing is loaded.
#[no_mangle]
pub extern "C" fn kernel_kexec() -> c_int {
    let Ok(_lock) = KexecLock::try_take() else {
        return -(bindings::EBUSY as c_int);
    };
    let image = kexec_image.load(Ordering::Acquire);
    if image.is_null() {
        return -(bindings::EINVAL as c_int);
    }
    kexec_in_progress.store(true, Ordering::Release);
    // SAFETY: process context, as reboot(2) calls us; the image stays published and loaded
    // while we hold the kexec lock, and machine_kexec() does not return for an image without
    // preserve_context (which this kernel cannot load).
    unsafe {
        bindings::kernel_restart_prepare(kernel::c_str!("kexec reboot").as_char_ptr().cast_mut());
        bindings::migrate_to_reboot_cpu();
        bindings::syscore_shutdown();
        // migrate_to_reboot_cpu() disables CPU hotplug for a reboot, but the kexec path
        // needs it to take the other CPUs down.
        bindings::kexec_cpu_hotplug_enable();
        pr_notice!("Starting new kernel\n");
        bindings::machine_shutdown();
        bindings::kexec_kmsg_dump_shutdown();
        bindings::machine_kexec(image);
    }
    0
}

/// `kexec_limit_handler()`: a load limit can only go down.
///
/// # Safety
///
/// Called by the sysctl core with one of our limit tables and its buffer arguments.
unsafe extern "C" fn limit_handler(
    table: *const bindings::ctl_table,
    write: c_int,
    buffer: *mut c_void,
    lenp: *mut usize,
    ppos: *mut bindings::loff_t,
) -> c_int {
    // SAFETY: the table is one of ours; its `data` is one of the limit atomics.
    let (limit, mode) = unsafe { (&*(*table).data.cast::<AtomicI32>(), (*table).mode) };
    // What is read, or the value written: proc_dointvec() on a table of our own for it.
    let val = AtomicI32::new(if write != 0 {
        0
    } else {
        limit.load(Ordering::Acquire)
    });
    let mut tmp = bindings::ctl_table {
        data: val.as_ptr().cast(),
        maxlen: core::mem::size_of::<c_int>() as c_int,
        mode,
        ..Default::default()
    };
    // SAFETY: the sysctl core's arguments, passed on, with a table whose `data` is an int
    // that lives until we return.
    let ret = unsafe { bindings::proc_dointvec(&mut tmp, write, buffer, lenp, ppos) };
    if ret != 0 || write == 0 {
        return ret;
    }
    let val = val.load(Ordering::Acquire);
    if val < 0 {
        return -(bindings::EINVAL as c_int);
    }
    let set = limit.fetch_update(Ordering::AcqRel, Ordering::Acquire, |l| {
        (l == -1 || val < l).then_some(val)
    });
    if set.is_ok() {
        0
    } else {
        -(bindings::EINVAL as c_int)
    }
}

/// The bounds of `kexec_load_disabled` (`SYSCTL_ONE` for both: only 0 → 1 is allowed).
static ONE: c_int = 1;

/// The `kernel.` sysctl table; the sysctl core keeps a pointer to it.
struct Sysctls(core::cell::UnsafeCell<[bindings::ctl_table; 3]>);

// SAFETY: the table is written only by `register_sysctl` at init, before it is shared.
unsafe impl Sync for Sysctls {}

fn int_table(name: &'static CStr, data: *mut c_void) -> bindings::ctl_table {
    bindings::ctl_table {
        procname: name.as_char_ptr(),
        data,
        mode: 0o644,
        ..Default::default()
    }
}

static SYSCTLS: Sysctls = Sysctls(core::cell::UnsafeCell::new([
    // SAFETY: all-zero is a valid `ctl_table` (null pointers, no handler); filled at init.
    unsafe { core::mem::zeroed() },
    // SAFETY: as above.
    unsafe { core::mem::zeroed() },
    // SAFETY: as above.
    unsafe { core::mem::zeroed() },
]));

/// Registers `kernel.kexec_load_disabled`, `kexec_load_limit_panic` and
/// `kexec_load_limit_reboot` (late_initcall, as C).
// In .init.text, as `__init` puts C's: it calls `__register_sysctl_init()`, which is there.
#[no_mangle]
#[link_section = ".init.text"]
extern "C" fn kexec_rust_sysctl_init() -> c_int {
    let one = ptr::addr_of!(ONE).cast_mut().cast::<c_void>();
    let mut disabled = int_table(
        kernel::c_str!("kexec_load_disabled"),
        LOAD_DISABLED.as_ptr().cast(),
    );
    disabled.maxlen = core::mem::size_of::<c_int>() as c_int;
    disabled.proc_handler = Some(bindings::proc_dointvec_minmax);
    disabled.extra1 = one;
    disabled.extra2 = one;
    let mut panic = int_table(
        kernel::c_str!("kexec_load_limit_panic"),
        LIMIT_PANIC.as_ptr().cast(),
    );
    panic.proc_handler = Some(limit_handler);
    let mut reboot = int_table(
        kernel::c_str!("kexec_load_limit_reboot"),
        LIMIT_REBOOT.as_ptr().cast(),
    );
    reboot.proc_handler = Some(limit_handler);
    let table = SYSCTLS.0.get();
    // SAFETY: init runs once, before anything reads the table; after registration the sysctl
    // core only reads it.
    unsafe {
        *table = [disabled, panic, reboot];
        bindings::__register_sysctl_init(
            kernel::c_str!("kernel").as_char_ptr(),
            table.cast(),
            kernel::c_str!("kexec_core_sysctls").as_char_ptr(),
            3,
        );
    }
    0
}

// late_initcall(), a 32-bit relative entry as x86_64's PREL32 initcalls are.
core::arch::global_asm!(
    ".section \".initcall7.init\", \"a\"\nkexec_rust_initcall:\n.long kexec_rust_sysctl_init - .\n.previous"
);

#[kernel::macros::kunit_tests(rust_kexec)]
mod tests {
    use super::*;

    const MIB: c_ulong = 1 << 20;
    const PAGE: usize = PAGE_SIZE;

    fn seg(mem: c_ulong, memsz: usize, bufsz: usize) -> bindings::kexec_segment {
        bindings::kexec_segment {
            __bindgen_anon_1: bindings::kexec_segment__bindgen_ty_1 {
                buf: ptr::null_mut(),
            },
            bufsz,
            mem,
            memsz,
        }
    }

    /// The (destination, source) pages of a terminated image's entry list, in order.
    fn pages_of(image: *mut bindings::kimage) -> Result<KVec<(c_ulong, c_ulong)>> {
        let mut out = KVec::new();
        let mut dest = 0;
        let mut r = Ok(());
        // SAFETY: the image's entry list is terminated and well formed.
        unsafe {
            for_each_entry(image, |_, e| {
                if e & IND_DESTINATION != 0 {
                    dest = e & PAGE_MASK;
                } else if e & IND_SOURCE != 0 {
                    r = out
                        .push((dest, e & PAGE_MASK), GFP_KERNEL)
                        .map_err(Error::from);
                    dest += PAGE as c_ulong;
                }
                r.is_ok()
            })
        };
        r.map(|()| out)
    }

    #[test]
    fn a_normal_image_lists_every_page_with_its_bytes() {
        // Two segments: three pages with two and a bit of data, and two pages of zeros.
        let segs = [
            seg(16 * MIB, 3 * PAGE, 2 * PAGE + 100),
            seg(32 * MIB, 2 * PAGE, 0),
        ];
        let mut data = KVec::new();
        for i in 0..segs[0].bufsz {
            assert!(data.push((i % 251) as u8, GFP_KERNEL).is_ok());
        }
        let b = alloc_init(16 * MIB, &segs, false);
        assert!(b.is_ok());
        let Ok(mut b) = b else { return };
        let i = b.get();
        assert!(!i.control_code_page.is_null() && !i.swap_page.is_null());
        // SAFETY: our checked image.
        assert_eq!(unsafe { machine_kexec::machine_kexec_prepare(i) }, 0);
        assert!(!i.arch.pgd.is_null());
        assert!(load_segment_from(i, 0, &mut Source::Kernel(&data)).is_ok());
        assert!(load_segment_from(i, 1, &mut Source::Kernel(&[])).is_ok());
        // SAFETY: our image.
        unsafe { kimage_terminate(i) };
        let pages = pages_of(i);
        assert!(pages.is_ok());
        let Ok(pages) = pages else { return };
        let dests: [c_ulong; 5] = [
            16 * MIB,
            16 * MIB + PAGE as c_ulong,
            16 * MIB + 2 * PAGE as c_ulong,
            32 * MIB,
            32 * MIB + PAGE as c_ulong,
        ];
        assert_eq!(pages.len(), dests.len());
        for (n, (&(dest, src), want)) in pages.iter().zip(dests.iter()).enumerate() {
            assert_eq!(dest, *want);
            // No source page may be another page's destination unless it is its own.
            assert!(src == dest || !is_destination(i, src, src + PAGE as c_ulong - 1));
            let page = pfn_page(src >> bindings::PAGE_SHIFT);
            let off = n * PAGE;
            let same = with_mapped(page, 0, PAGE, |p| {
                let ok = p.iter().enumerate().all(|(k, &v)| {
                    let want = if n < 3 {
                        data.get(off + k).copied().unwrap_or(0)
                    } else {
                        0
                    };
                    v == want
                });
                if ok {
                    Ok(())
                } else {
                    Err(EINVAL)
                }
            });
            assert!(same.is_ok());
        }
        // Dropping `b` frees the image: pages, control pages and transition tables.
    }

    #[test]
    fn pages_that_are_destinations_land_in_place() {
        // Take pages from the allocator and give them back: its per-CPU lists hand the last
        // freed pages out first, so an image whose destinations are those pages meets its own
        // destinations while it loads (the dest_pages list and the swap of kimage_alloc_page).
        // SAFETY: no preconditions.
        let gfp = unsafe { bindings::kexec_gfp_highuser() };
        let mut segs = [seg(0, PAGE, PAGE); 16];
        let mut taken = [ptr::null_mut(); 16];
        for (s, t) in segs.iter_mut().zip(taken.iter_mut()) {
            *t = alloc_pages(gfp, 0);
            assert!(!t.is_null());
            s.mem = page_addr(*t);
        }
        for t in taken {
            // SAFETY: our fresh pages, each freed once.
            unsafe { free_pages(t) };
        }
        let b = alloc_init(segs[0].mem, &segs, false);
        assert!(b.is_ok());
        let Ok(mut b) = b else { return };
        let i = b.get();
        for n in 0..segs.len() {
            let data = [n as u8 + 1; PAGE];
            assert!(load_segment_from(i, n, &mut Source::Kernel(&data)).is_ok());
        }
        // SAFETY: our image.
        unsafe { kimage_terminate(i) };
        let pages = pages_of(i);
        assert!(pages.is_ok());
        let Ok(pages) = pages else { return };
        assert_eq!(pages.len(), segs.len());
        let mut in_place = 0;
        for (n, &(dest, src)) in pages.iter().enumerate() {
            assert_eq!(dest, segs[n].mem);
            assert!(src == dest || !is_destination(i, src, src + PAGE as c_ulong - 1));
            in_place += usize::from(src == dest);
            assert!(page_holds(src, n as u8 + 1));
        }
        pr_info!(
            "{} of {} pages loaded at their own destination\n",
            in_place,
            segs.len()
        );
        assert!(in_place > 0);
    }

    /// Whether every byte of the page at `addr` is `v`.
    fn page_holds(addr: c_ulong, v: u8) -> bool {
        let page = pfn_page(addr >> bindings::PAGE_SHIFT);
        with_mapped(page, 0, PAGE, |p| {
            if p.iter().all(|&b| b == v) {
                Ok(())
            } else {
                Err(EINVAL)
            }
        })
        .is_ok()
    }

    #[test]
    fn a_filled_page_moves_to_its_destination_when_that_comes_free() {
        // The swap in kimage_alloc_page: segment 0's destination page is held elsewhere while
        // segment 0 loads, so its bytes go to some other page; then it is freed, and the
        // allocator (last freed, first out) hands it out for segment 1. The loader must move
        // segment 0's bytes into it and give segment 1 the page they were in. The allocator
        // may hand out another page (the test moved to another CPU in between), so it tries a
        // few times: every image must be right, and at least one must have taken the swap.
        const TRIES: usize = 8;
        // SAFETY: no preconditions.
        let gfp = unsafe { bindings::kexec_gfp_highuser() };
        let mut swapped = 0;
        for _ in 0..TRIES {
            let held = alloc_pages(gfp, 0);
            // Segment 1's destination, held throughout, so segment 1 cannot land in place.
            let busy = alloc_pages(gfp, 0);
            assert!(!held.is_null() && !busy.is_null());
            let segs = [
                seg(page_addr(held), PAGE, PAGE),
                seg(page_addr(busy), PAGE, PAGE),
            ];
            let b = alloc_init(segs[0].mem, &segs, false);
            assert!(b.is_ok());
            let Ok(mut b) = b else { return };
            let i = b.get();
            assert!(load_segment_from(i, 0, &mut Source::Kernel(&[1; PAGE])).is_ok());
            // SAFETY: our page, unused, freed once.
            unsafe { free_pages(held) };
            assert!(load_segment_from(i, 1, &mut Source::Kernel(&[2; PAGE])).is_ok());
            // SAFETY: our image.
            unsafe { kimage_terminate(i) };
            let pages = pages_of(i);
            assert!(pages.is_ok());
            let Ok(pages) = pages else { return };
            assert_eq!(pages.len(), 2);
            for (n, &(dest, src)) in pages.iter().enumerate() {
                assert_eq!(dest, segs[n].mem);
                assert!(src == dest || !is_destination(i, src, src + PAGE as c_ulong - 1));
                assert!(page_holds(src, n as u8 + 1));
            }
            swapped += usize::from(pages.first().is_some_and(|&(d, s)| d == s));
            drop(b);
            // SAFETY: our page, unused, freed once.
            unsafe { free_pages(busy) };
        }
        pr_info!("{swapped} of {TRIES} images moved a filled page to its destination\n");
        assert!(swapped > 0);
    }

    #[test]
    fn refused_images_give_c_errno() {
        let cases: [(&[bindings::kexec_segment], c_int); 4] = [
            (
                &[seg(16 * MIB + 1, PAGE, 0)],
                -(bindings::EADDRNOTAVAIL as c_int),
            ),
            (
                &[seg(16 * MIB, PAGE + 1, 0)],
                -(bindings::EADDRNOTAVAIL as c_int),
            ),
            (
                &[
                    seg(16 * MIB, 2 * PAGE, 0),
                    seg(16 * MIB + PAGE as c_ulong, PAGE, 0),
                ],
                -(bindings::EINVAL as c_int),
            ),
            (
                &[seg(16 * MIB, PAGE, 2 * PAGE)],
                -(bindings::EINVAL as c_int),
            ),
        ];
        for (segs, errno) in cases {
            assert_eq!(
                alloc_init(16 * MIB, segs, false)
                    .err()
                    .map(|e| e.to_errno()),
                Some(errno)
            );
        }
        // More than half of RAM.
        // SAFETY: no preconditions.
        let half = unsafe { bindings::kexec_totalram_pages() } as usize / 2 + 1;
        let big = [seg(16 * MIB, half * PAGE, 0)];
        assert_eq!(
            alloc_init(16 * MIB, &big, false)
                .err()
                .map(|e| e.to_errno()),
            Some(-(bindings::EINVAL as c_int))
        );
    }

    #[test]
    fn page_arithmetic_is_what_the_c_inlines_compute() {
        // Pages from the allocator, and frames across memory: the first, one at 1 MiB, and
        // two below the count of RAM pages (frames that have a `struct page`).
        // SAFETY: no preconditions.
        let last = unsafe { bindings::kexec_totalram_pages() } as c_ulong;
        let mut pages = KVec::new();
        for order in [0, 3] {
            let p = alloc_pages(bindings::GFP_KERNEL, order);
            assert!(!p.is_null());
            assert!(pages.push(p, GFP_KERNEL).is_ok());
        }
        for pfn in [0, 256, last / 2, last - 1] {
            // SAFETY: address arithmetic.
            let c = unsafe { bindings::kexec_boot_pfn_to_page(pfn) };
            assert_eq!(pfn_page(pfn), c);
            assert!(pages.push(c, GFP_KERNEL).is_ok());
        }
        for &p in pages.iter() {
            // SAFETY: `p` is a `struct page` of existing memory; the helpers compute only.
            unsafe {
                let pfn = bindings::kexec_page_to_boot_pfn(p);
                assert_eq!(page_pfn(p), pfn);
                assert_eq!(page_addr(p), pfn << bindings::PAGE_SHIFT);
                assert_eq!(pfn_page(pfn), p);
                assert_eq!(page_virt(p), bindings::kexec_page_address(p));
                assert_eq!(
                    phys_virt(pfn << bindings::PAGE_SHIFT),
                    bindings::kexec_boot_phys_to_virt(pfn << bindings::PAGE_SHIFT)
                );
                assert_eq!(page_lru(p), bindings::kexec_page_lru(p));
                assert_eq!(lru_page(page_lru(p)), p);
            }
        }
        for &p in pages.iter().take(2) {
            // SAFETY: the two allocations above, unused.
            unsafe { free_pages(p) };
        }
    }
}
