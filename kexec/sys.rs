// SPDX-License-Identifier: GPL-2.0

//! Safe wrappers for the C calls the kexec core makes that ask nothing of their caller: each
//! reads a value C fixes (a limit, a flag set, a count) or tests the current task, so one
//! wrapper here, whose `// SAFETY:` says why the call is safe, stands for one at every call.

use kernel::bindings;
use kernel::ffi::c_int;

/// `fatal_signal_pending(current)`: the loader stops allocating for a killed task.
pub(crate) fn fatal_signal_pending() -> bool {
    // SAFETY: the helper is `fatal_signal_pending(current)`: it tests `TIF_SIGPENDING` and
    // `SIGKILL` in the current task's own pending set, bit reads of a task that is always
    // live while it runs; it takes no lock.
    unsafe { bindings::kexec_fatal_signal_pending() }
}

/// `cond_resched()`: the loaders run in process context with no spinlock held.
pub(crate) fn cond_resched() {
    // SAFETY: `cond_resched()` schedules only when a reschedule is due, the preempt count is
    // 0 and interrupts are on, and touches nothing of the caller's. Calling it under a
    // spinlock would be a sleep in atomic context, a deadlock and not memory unsafety (the
    // kernel crate makes sleeping calls safe on the same terms); the callers are loaders, in
    // process context with no spinlock held.
    unsafe { bindings::cond_resched() };
}

/// `capable(cap)`.
pub(crate) fn capable(cap: u32) -> bool {
    // SAFETY: `capable()` asks the LSMs about the current task's credentials, which
    // `current_cred()` reads without a reference since only the task itself replaces them,
    // and marks the task `PF_SUPERPRIV` when it grants; an invalid `cap` is a `BUG()`, not
    // memory unsafety. The callers are syscalls, in process context.
    unsafe { bindings::capable(cap as c_int) }
}

/// `totalram_pages()`.
pub(crate) fn totalram_pages() -> u64 {
    // SAFETY: `totalram_pages()` is an `atomic_long_read()` of `_totalram_pages`: one atomic
    // load, safe in any context.
    unsafe { bindings::totalram_pages() as u64 }
}

/// `GFP_HIGHUSER`: the flags of a normal image's source pages.
pub(crate) fn gfp_highuser() -> bindings::gfp_t {
    // SAFETY: the helper returns the constant `GFP_HIGHUSER`; it reads nothing.
    unsafe { bindings::GFP_HIGHUSER() }
}

/// `KEXEC_CONTROL_MEMORY_GFP`.
pub(crate) fn control_memory_gfp() -> bindings::gfp_t {
    // SAFETY: the helper returns the constant `KEXEC_CONTROL_MEMORY_GFP`
    // (`GFP_KERNEL | __GFP_NORETRY`); it reads nothing.
    unsafe { bindings::KEXEC_CONTROL_MEMORY_GFP() }
}

/// `KEXEC_SOURCE_MEMORY_LIMIT` (fixed at boot by the paging mode).
pub(crate) fn source_memory_limit() -> usize {
    // SAFETY: on x86_64 the limit is `MAXMEM - 1`, `(1 << MAX_PHYSMEM_BITS) - 1`: a constant,
    // or with `CONFIG_X86_5LEVEL` one that tests the LA57 CPU feature bit, fixed at boot.
    // Arithmetic, reading nothing else.
    unsafe { bindings::kexec_source_memory_limit() as usize }
}

/// `KEXEC_DESTINATION_MEMORY_LIMIT`.
pub(crate) fn destination_memory_limit() -> u64 {
    // SAFETY: `MAXMEM - 1`, as for `source_memory_limit`: arithmetic on at most a CPU feature
    // bit fixed at boot.
    unsafe { bindings::kexec_destination_memory_limit() as u64 }
}

/// `KEXEC_CONTROL_MEMORY_LIMIT`.
pub(crate) fn control_memory_limit() -> u64 {
    // SAFETY: `MAXMEM - 1`, as for `source_memory_limit`: arithmetic on at most a CPU feature
    // bit fixed at boot.
    unsafe { bindings::kexec_control_memory_limit() as u64 }
}

/// `KEXEC_CRASH_CONTROL_MEMORY_LIMIT`.
pub(crate) fn crash_control_memory_limit() -> u64 {
    // SAFETY: x86_64 leaves it `KEXEC_CONTROL_MEMORY_LIMIT`, `MAXMEM - 1`, as for
    // `source_memory_limit`: arithmetic on at most a CPU feature bit fixed at boot.
    unsafe { bindings::kexec_crash_control_memory_limit() as u64 }
}

/// `phys_to_boot_phys()`: arithmetic (the identity on x86_64).
pub(crate) fn phys_to_boot_phys(phys: u64) -> u64 {
    // SAFETY: x86_64 takes the generic `phys_to_boot_phys()`, which returns its argument:
    // no memory is read.
    unsafe { bindings::phys_to_boot_phys(phys) as u64 }
}

/// `cc_platform_has(CC_ATTR_HOST_MEM_ENCRYPT)`.
pub(crate) fn host_mem_encrypt() -> bool {
    // SAFETY: `cc_platform_has(CC_ATTR_HOST_MEM_ENCRYPT)` switches on `cc_vendor`
    // (`__ro_after_init`) and, for AMD, tests `sme_me_mask` and `sev_status`, set in early
    // boot: plain reads, `noinstr`, safe in any context.
    unsafe { bindings::kexec_host_mem_encrypt() }
}

/// `pfn_to_page(0)`: where the `struct page` array starts (fixed early in boot).
pub(crate) fn memmap_base() -> usize {
    // SAFETY: with `SPARSEMEM_VMEMMAP` (`rust/helpers/kexec.c` fails the build without it)
    // `pfn_to_page(0)` is `vmemmap`, that is `vmemmap_base`, a `__ro_after_init` variable set
    // in early boot: read by value; no `struct page` is touched.
    unsafe { bindings::kexec_memmap_base() as usize }
}

/// `__va(0)`: where the direct map starts (fixed early in boot).
#[cfg(CONFIG_X86_64)]
pub(crate) fn direct_map_base() -> usize {
    // SAFETY: `__va(0)` is `page_offset_base`, a `__ro_after_init` variable set in early boot
    // (a constant without `CONFIG_DYNAMIC_MEMORY_LAYOUT`): read by value; nothing at that
    // address is touched.
    unsafe { bindings::__va(0) as usize }
}
