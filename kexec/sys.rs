// SPDX-License-Identifier: GPL-2.0

//! Safe wrappers for the C calls the kexec core makes that have no preconditions: each reads
//! a value C fixes (a limit, a flag set, a count) or tests the current task, so one wrapper
//! here stands for a `// SAFETY:` at every call.

use kernel::bindings;
use kernel::ffi::c_int;

/// `fatal_signal_pending(current)`: the loader stops allocating for a killed task.
pub(crate) fn fatal_signal_pending() -> bool {
    // SAFETY: no preconditions: tests the current task's pending signals.
    unsafe { bindings::kexec_fatal_signal_pending() }
}

/// `cond_resched()`: the loaders run in process context with no spinlock held.
pub(crate) fn cond_resched() {
    // SAFETY: no preconditions; the callers may sleep (process context, no spinlock held).
    unsafe { bindings::cond_resched() };
}

/// `capable(cap)`.
pub(crate) fn capable(cap: u32) -> bool {
    // SAFETY: no preconditions: checks the current task's credentials.
    unsafe { bindings::capable(cap as c_int) }
}

/// `totalram_pages()`.
pub(crate) fn totalram_pages() -> u64 {
    // SAFETY: no preconditions: reads a counter.
    unsafe { bindings::totalram_pages() as u64 }
}

/// `GFP_HIGHUSER`: the flags of a normal image's source pages.
pub(crate) fn gfp_highuser() -> bindings::gfp_t {
    // SAFETY: no preconditions: a constant.
    unsafe { bindings::GFP_HIGHUSER() }
}

/// `KEXEC_CONTROL_MEMORY_GFP`.
pub(crate) fn control_memory_gfp() -> bindings::gfp_t {
    // SAFETY: no preconditions: a constant.
    unsafe { bindings::KEXEC_CONTROL_MEMORY_GFP() }
}

/// `KEXEC_SOURCE_MEMORY_LIMIT` (fixed at boot by the paging mode).
pub(crate) fn source_memory_limit() -> usize {
    // SAFETY: no preconditions: reads the paging mode.
    unsafe { bindings::KEXEC_SOURCE_MEMORY_LIMIT() as usize }
}

/// `KEXEC_DESTINATION_MEMORY_LIMIT`.
pub(crate) fn destination_memory_limit() -> u64 {
    // SAFETY: no preconditions: reads the paging mode.
    unsafe { bindings::KEXEC_DESTINATION_MEMORY_LIMIT() as u64 }
}

/// `KEXEC_CONTROL_MEMORY_LIMIT`.
pub(crate) fn control_memory_limit() -> u64 {
    // SAFETY: no preconditions: reads the paging mode.
    unsafe { bindings::KEXEC_CONTROL_MEMORY_LIMIT() as u64 }
}

/// `KEXEC_CRASH_CONTROL_MEMORY_LIMIT`.
pub(crate) fn crash_control_memory_limit() -> u64 {
    // SAFETY: no preconditions: reads the paging mode.
    unsafe { bindings::KEXEC_CRASH_CONTROL_MEMORY_LIMIT() as u64 }
}

/// `phys_to_boot_phys()`: arithmetic (the identity on x86_64).
pub(crate) fn phys_to_boot_phys(phys: u64) -> u64 {
    // SAFETY: no preconditions: arithmetic.
    unsafe { bindings::phys_to_boot_phys(phys) as u64 }
}

/// `cc_platform_has(CC_ATTR_HOST_MEM_ENCRYPT)`.
pub(crate) fn host_mem_encrypt() -> bool {
    // SAFETY: no preconditions: reads flags settled at boot.
    unsafe { bindings::kexec_host_mem_encrypt() }
}

/// `pfn_to_page(0)`: where the `struct page` array starts (fixed early in boot).
pub(crate) fn memmap_base() -> usize {
    // SAFETY: no preconditions: address arithmetic on a base set at boot.
    unsafe { bindings::kexec_memmap_base() as usize }
}

/// `__va(0)`: where the direct map starts (fixed early in boot).
pub(crate) fn direct_map_base() -> usize {
    // SAFETY: no preconditions: address arithmetic on a base set at boot.
    unsafe { bindings::kexec_direct_map_base() as usize }
}
