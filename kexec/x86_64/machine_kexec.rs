// SPDX-License-Identifier: GPL-2.0

//! The x86_64 `machine_kexec` glue, in Rust: what
//! [`arch/x86/kernel/machine_kexec_64.c`](srctree/arch/x86/kernel/machine_kexec_64.c) does for
//! the kexec core, which that file then leaves out. The core reaches it only through the
//! kernel's hooks ([`super::exports`]), and it reaches the core only through the core's C
//! interface (`kimage_alloc_control_pages()`), as the C does, and its leaves (page
//! arithmetic, whether memory is encrypted).
//!
//! - [`prepare`] (`machine_kexec_prepare()`) builds the identity-mapped page tables the relocation
//!   code runs on (all mapped memory, every segment, the UEFI system and configuration tables, the
//!   ACPI tables) from control pages, plus the transition mapping of `relocate_kernel` at its
//!   kernel address; [`cleanup`] frees the transition tables.
//! - [`machine_kexec()`] copies `relocate_kernel` into the control page and jumps to it.
//! - Crashkernel memory is made read-only while a crash image is loaded, except the control
//!   code page (`arch_kexec_protect_crashkres()`), and pages are decrypted for the new kernel
//!   under host memory encryption.
//!
//! The page-table accessors, the protection flags and the final jump (segment reloads and
//! descriptor-table invalidation with no call in between) are C helpers in
//! `rust/helpers/kexec.c`; everything else is here.

use core::ptr;
use kernel::bindings;
use kernel::error::to_result;
use kernel::ffi::{c_int, c_uint, c_ulong, c_void};
use kernel::kexec::{ImageSlot, Kimage, KimageKind};
use kernel::prelude::*;

use crate::arch::host_mem_encrypted;
use crate::memmap::{page_addr, page_virt, pfn_page};
use crate::sys;

/// `page_list[]` slots `relocate_kernel` reads (`asm/kexec.h`).
const PA_CONTROL_PAGE: usize = 0;
const VA_CONTROL_PAGE: usize = 1;
const PA_TABLE_PAGE: usize = 2;
const PA_SWAP_PAGE: usize = 3;
const PAGES_NR: usize = 4;

/// `alloc_pgt_page()`: a cleared control page for the identity map, or null.
///
/// # Safety
///
/// `data` is the image being prepared.
unsafe extern "C" fn alloc_pgt_page(data: *mut c_void) -> *mut c_void {
    // SAFETY: `data` is the image being prepared (this function's `# Safety`), which
    // `init_pgtable` passes as `x86_mapping_info.context`: `kimage_alloc_control_pages()`
    // takes its control pages from it, as it does for C's `alloc_pgt_page()`.
    let page = unsafe { bindings::kimage_alloc_control_pages(data.cast(), 0) };
    if page.is_null() {
        return ptr::null_mut();
    }
    let p = page_virt(page);
    // SAFETY: a control page of the image, ours until the image is freed.
    unsafe { bindings::clear_page(p) };
    p
}

/// Identity-maps `[start, end)` into `pgd`.
fn ident_map(
    info: &mut bindings::x86_mapping_info,
    pgd: *mut bindings::pgd_t,
    start: c_ulong,
    end: c_ulong,
) -> Result {
    // SAFETY: `info` allocates from the image's control pages; `pgd` is its top table.
    to_result(unsafe { bindings::kernel_ident_mapping_init(info, pgd, start, end) })
}

/// `mem_region_callback()`: maps one iomem resource.
///
/// # Safety
///
/// `res` is a resource and `arg` the [`Walk`] that `map_acpi_tables` passes.
#[cfg(CONFIG_ACPI)]
unsafe extern "C" fn map_region(res: *mut bindings::resource, arg: *mut c_void) -> c_int {
    // SAFETY: `res` is a resource and `arg` the `Walk` that `map_acpi_tables` passes (this
    // function's `# Safety`): `walk_iomem_res_desc()` hands over the resource it is visiting,
    // and the `Walk` lives across that call, used by nothing else meanwhile.
    let (res, walk) = unsafe { (&*res, &mut *arg.cast::<Walk>()) };
    // SAFETY: as in `ident_map`.
    unsafe {
        bindings::kernel_ident_mapping_init(
            walk.info,
            walk.pgd,
            res.start as c_ulong,
            (res.end + 1) as c_ulong,
        )
    }
}

#[cfg(CONFIG_ACPI)]
struct Walk {
    info: *mut bindings::x86_mapping_info,
    pgd: *mut bindings::pgd_t,
}

/// `map_acpi_tables()`: the ACPI tables and ACPI NVS, which the new kernel reads early.
#[cfg(CONFIG_ACPI)]
fn map_acpi_tables(info: &mut bindings::x86_mapping_info, pgd: *mut bindings::pgd_t) -> Result {
    let mut walk = Walk { info, pgd };
    let flags = (bindings::IORESOURCE_MEM | bindings::IORESOURCE_BUSY) as c_ulong;
    for desc in [
        bindings::IORES_DESC_ACPI_TABLES,
        bindings::IORES_DESC_ACPI_NV_STORAGE,
    ] {
        // SAFETY: the callback gets `walk`, which lives across the call.
        let r = unsafe {
            bindings::walk_iomem_res_desc(
                desc as c_ulong,
                flags,
                0,
                u64::MAX,
                ptr::addr_of_mut!(walk).cast(),
                Some(map_region),
            )
        };
        // No such resource (-EINVAL) is fine.
        if r != 0 && r != EINVAL.to_errno() {
            return to_result(r);
        }
    }
    Ok(())
}

#[cfg(not(CONFIG_ACPI))]
fn map_acpi_tables(_: &mut bindings::x86_mapping_info, _: *mut bindings::pgd_t) -> Result {
    Ok(())
}

/// `map_efi_systab()`: the UEFI system table and the configuration table it points to.
#[cfg(CONFIG_EFI)]
fn map_efi_systab(info: &mut bindings::x86_mapping_info, pgd: *mut bindings::pgd_t) -> Result {
    let mut size: c_ulong = 0;
    // SAFETY: `size` is ours to write.
    let start = unsafe { bindings::kexec_rust_efi_systab(&mut size) };
    if start == 0 {
        return Ok(());
    }
    ident_map(info, pgd, start, start + size)?;
    // SAFETY: the system table is firmware memory of `size` bytes.
    let kaddr = unsafe {
        bindings::memremap(
            start as bindings::resource_size_t,
            size as usize,
            bindings::MEMREMAP_WB as c_ulong,
        )
    };
    if kaddr.is_null() {
        pr_err!("Could not map UEFI system table\n");
        return Err(ENOMEM);
    }
    let mut cstart: c_ulong = 0;
    // SAFETY: `kaddr` maps the system table.
    let csize = unsafe { bindings::kexec_rust_efi_config_table(kaddr, &mut cstart) };
    // SAFETY: mapped above, unmapped once.
    unsafe { bindings::memunmap(kaddr) };
    ident_map(info, pgd, cstart, cstart + csize)
}

#[cfg(not(CONFIG_EFI))]
fn map_efi_systab(_: &mut bindings::x86_mapping_info, _: *mut bindings::pgd_t) -> Result {
    Ok(())
}

/// A zeroed page for a transition table, recorded in the image so cleanup frees it.
fn table_page(slot: &mut *mut c_void) -> Result<*mut c_void> {
    // SAFETY: any flags are accepted; the result is null or a zeroed page we own.
    let p = unsafe { bindings::get_zeroed_page_noprof(bindings::GFP_KERNEL) } as *mut c_void;
    if p.is_null() {
        return Err(ENOMEM);
    }
    *slot = p;
    Ok(p)
}

/// `init_transition_pgtable()`: maps `relocate_kernel`'s kernel address to the control page
/// in `pgd`, so the jump survives the switch to the identity map. Missing tables (P4D, PUD,
/// PMD, PTE) are fresh pages recorded in the image, for `machine_kexec_cleanup()`.
fn init_transition_pgtable(
    image: &mut Kimage,
    pgd: *mut bindings::pgd_t,
    control_page: c_ulong,
) -> Result {
    let vaddr = bindings::relocate_kernel as *const () as c_ulong;
    let arch = image.arch_mut();
    let slots: [*mut *mut c_void; 4] = [
        ptr::addr_of_mut!(arch.p4d).cast(),
        ptr::addr_of_mut!(arch.pud).cast(),
        ptr::addr_of_mut!(arch.pmd).cast(),
        ptr::addr_of_mut!(arch.pte).cast(),
    ];
    let mut entry: *mut c_void = pgd.cast();
    for (level, slot) in (0..).zip(slots) {
        // SAFETY: `entry` is the image's top table (level 0) or the entry for `vaddr` one
        // level up, which the previous round made present; each level's entry is read, and
        // filled with a fresh zeroed table if empty, before the next level is looked up.
        unsafe {
            entry = bindings::kexec_pt_entry(level, entry, vaddr);
            if !bindings::kexec_pt_present(level, entry) {
                let t = table_page(&mut *slot)?;
                bindings::kexec_pt_set(level, entry, t);
            }
        }
    }
    // SAFETY: `entry` is now the PMD entry for `vaddr`, pointing to a page table.
    unsafe { bindings::kexec_set_exec_pte(entry.cast(), vaddr, control_page) };
    Ok(())
}

/// `init_pgtable()`: the identity map the relocation runs on.
fn init_pgtable(image: &mut Kimage, control_page: c_ulong) -> Result {
    let ctx = image.as_raw();
    // SAFETY: `ctx` is the image being prepared.
    let pgd = unsafe { alloc_pgt_page(ctx.cast()) }.cast::<bindings::pgd_t>();
    if pgd.is_null() {
        return Err(ENOMEM);
    }
    image.arch_mut().pgd = pgd;
    let mut info = bindings::x86_mapping_info {
        alloc_pgt_page: Some(alloc_pgt_page),
        context: ctx.cast(),
        // SAFETY: set once at boot.
        direct_gbpages: unsafe { bindings::direct_gbpages } != 0,
        ..Default::default()
    };
    // SAFETY: `info` is ours.
    unsafe { bindings::kexec_ident_map_flags(&mut info) };
    // SAFETY: `pfn_mapped[..nr_pfn_mapped]` is the kernel's record of its direct map, read
    // here as C reads it.
    let mapped = unsafe {
        core::slice::from_raw_parts(
            ptr::addr_of!(bindings::pfn_mapped).cast::<bindings::range>(),
            bindings::nr_pfn_mapped.max(0) as usize,
        )
    };
    for r in mapped {
        let shift = bindings::PAGE_SHIFT;
        ident_map(
            &mut info,
            pgd,
            (r.start << shift) as c_ulong,
            (r.end << shift) as c_ulong,
        )?;
    }
    // Segments may lie outside the mapped memory (a kernel booted with a user memory map).
    for s in image.segments() {
        ident_map(&mut info, pgd, s.mem, s.mem + s.memsz as c_ulong)?;
    }
    // Not covered by pfn_mapped, and read by the new kernel before it maps them.
    map_efi_systab(&mut info, pgd)?;
    map_acpi_tables(&mut info, pgd)?;
    // Last: its tables are not control pages and may overlap the image. `ctx` is not used
    // again.
    init_transition_pgtable(image, pgd, control_page)
}

/// `machine_kexec_prepare()`: the page tables for `image`, a checked image with its control
/// code page.
pub(crate) fn prepare(image: &mut Kimage) -> Result {
    let control_page = page_addr(image.control_code_page());
    init_pgtable(image, control_page)
}

/// `machine_kexec_cleanup()`: frees the transition tables (the identity map is made of
/// control pages, freed with the image).
pub(crate) fn cleanup(image: &mut Kimage) {
    let arch = image.arch_mut();
    for slot in [
        ptr::addr_of_mut!(arch.p4d).cast::<*mut c_void>(),
        ptr::addr_of_mut!(arch.pud).cast(),
        ptr::addr_of_mut!(arch.pmd).cast(),
        ptr::addr_of_mut!(arch.pte).cast(),
    ] {
        // SAFETY: each slot is null or a page from `table_page`; `free_pages()` ignores 0.
        unsafe {
            bindings::free_pages(*slot as c_ulong, 0);
            *slot = ptr::null_mut();
        }
    }
}

/// `machine_kexec()`: copies `relocate_kernel` into the control page and jumps to it, which
/// copies the image into place and starts it. Allocates nothing and cannot fail: this is past
/// the point of no return (and, for a crash image, on the crash path).
///
/// # Safety
///
/// `image` is a loaded image; the machine is shut down for it.
pub(crate) unsafe fn machine_kexec(image: &mut Kimage) {
    // Before the segment reloads: with call depth tracking, calls need the per-CPU base.
    let host_mem_enc = sys::host_mem_encrypt();
    // SAFETY: saves the ftrace state, restored below if we return.
    let save_ftrace = unsafe { bindings::__ftrace_enabled_save() };
    // SAFETY: interrupts, breakpoints and shadow stacks off for good: we are leaving this
    // kernel.
    unsafe { bindings::kexec_cpu_quiesce() };
    let control = page_virt(image.control_code_page());
    // SAFETY: the control code page is a control page of the image, KEXEC_CONTROL_PAGE_SIZE
    // bytes, reserved for this copy; `relocate_kernel` is KEXEC_CONTROL_CODE_MAX_SIZE bytes of
    // position-independent code.
    unsafe {
        bindings::__memcpy(
            control,
            bindings::relocate_kernel as *const c_void,
            bindings::KEXEC_CONTROL_CODE_MAX_SIZE as usize,
        )
    };
    let mut page_list = [0 as c_ulong; PAGES_NR];
    // SAFETY: `control` and the top table are kernel direct-map addresses.
    unsafe {
        page_list[PA_CONTROL_PAGE] = bindings::__pa(control);
        page_list[PA_TABLE_PAGE] = bindings::__pa(image.arch().pgd.cast());
    }
    page_list[VA_CONTROL_PAGE] = control as c_ulong;
    if image.kind() == KimageKind::Normal {
        page_list[PA_SWAP_PAGE] = page_addr(image.swap_page());
    }
    // SAFETY: the entry list, the page list and the tables are complete; the helper reloads
    // the segments, invalidates the descriptor tables and calls relocate_kernel, which
    // returns only for a preserve_context image (never loaded here).
    let start = unsafe {
        bindings::kexec_jump(
            image.head(),
            page_list.as_mut_ptr(),
            image.start(),
            c_uint::from(image.preserve_context()),
            c_uint::from(host_mem_enc),
        )
    };
    image.set_start(start);
    // SAFETY: undoes `__ftrace_enabled_save()`.
    unsafe { bindings::__ftrace_enabled_restore(save_ftrace) };
}

/// `kexec_mark_range()`: `[start, end]` read-only or writable again.
fn mark_range(start: u64, end: u64, protect: bool) {
    // The unassigned crashk_low_res has end 0.
    if end == 0 || start > end {
        return;
    }
    let shift = bindings::PAGE_SHIFT;
    let n = ((end >> shift) - (start >> shift) + 1) as c_int;
    // SAFETY: a range of the crashkernel region, which has `struct page`s and a direct map.
    unsafe {
        let page = pfn_page((start >> shift) as c_ulong);
        if protect {
            bindings::set_pages_ro(page, n);
        } else {
            bindings::set_pages_rw(page, n);
        }
    }
}

/// `kexec_mark_crashkres()`: all of the crashkernel regions but the crash image's control
/// code page, which `machine_kexec()` writes on the crash path.
///
/// # Safety
///
/// The caller holds the kexec lock (C's callers of `arch_kexec_protect_crashkres()` do).
pub(crate) unsafe fn mark_crashkres(protect: bool) {
    // SAFETY: the caller holds the kexec lock (this function's `# Safety`) for the whole call.
    let Some(image) = (unsafe { ImageSlot::Crash.get_locked() }) else {
        return;
    };
    let control = page_addr(image.control_code_page()) as u64;
    // SAFETY: the regions are set up at boot and change only under the kexec lock, which the
    // caller holds.
    unsafe {
        let low = bindings::crashk_low_res;
        let res = bindings::crashk_res;
        mark_range(low.start, low.end, protect);
        mark_range(res.start, control.wrapping_sub(1), protect);
        mark_range(
            control + bindings::KEXEC_CONTROL_PAGE_SIZE as u64,
            res.end,
            protect,
        );
    }
}

/// `arch_kexec_post_alloc_pages()`: under host memory encryption the new kernel reads its
/// pages unencrypted.
///
/// # Safety
///
/// `vaddr` is the direct-map address of `pages` pages owned by an image.
pub(crate) unsafe fn post_alloc_pages(vaddr: *mut c_void, pages: c_uint) -> c_int {
    if !host_mem_encrypted() {
        return 0;
    }
    // SAFETY: `vaddr` is the direct-map address of `pages` pages owned by an image (this
    // function's `# Safety`): the mapping `set_memory_decrypted()` changes is of pages no one
    // else reads or writes.
    unsafe { bindings::set_memory_decrypted(vaddr as c_ulong, pages as c_int) }
}

/// `arch_kexec_pre_free_pages()`: back to encrypted before the pages are freed.
///
/// # Safety
///
/// As for [`post_alloc_pages`].
pub(crate) unsafe fn pre_free_pages(vaddr: *mut c_void, pages: c_uint) {
    if !host_mem_encrypted() {
        return;
    }
    // SAFETY: `vaddr` is the direct-map address of `pages` pages owned by an image (this
    // function's `# Safety`, as for `post_alloc_pages`): the mapping `set_memory_encrypted()`
    // changes is of pages no one else reads or writes.
    unsafe { bindings::set_memory_encrypted(vaddr as c_ulong, pages as c_int) };
}
