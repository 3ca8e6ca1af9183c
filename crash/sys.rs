// SPDX-License-Identifier: GPL-2.0

//! Safe wrappers of the C calls the crash part makes that ask nothing of their caller, each
//! with the one `// SAFETY:` that says why, and the per-CPU and CPU-mask accessors (C macros,
//! through `rust/helpers/crash.c`).

use kernel::bindings;
use kernel::ffi::{c_int, c_long, c_uint, c_ulong};

/// `raw_smp_processor_id()`.
pub(crate) fn this_cpu() -> c_uint {
    // SAFETY: x86's `raw_smp_processor_id()` is `this_cpu_read(pcpu_hot.cpu_number)`, one
    // `%gs`-relative load of this CPU's own per-CPU data: it dereferences nothing of the
    // caller's and is safe in any context, NMI and the panic path included.
    unsafe { bindings::raw_smp_processor_id() }
}

/// `nr_cpu_ids`: one past the highest possible CPU number, fixed after boot.
pub(crate) fn nr_cpu_ids() -> c_uint {
    // SAFETY: a plain read of a variable that only early boot writes.
    unsafe { bindings::nr_cpu_ids }
}

/// The possible CPUs, ascending (`for_each_possible_cpu()`).
pub(crate) fn possible_cpus() -> impl Iterator<Item = c_uint> {
    let mut cpu: c_int = -1;
    core::iter::from_fn(move || {
        // SAFETY: `__cpu_possible_mask` is a static mask that only early boot writes;
        // `cpumask_next()` takes any `n` from -1 on.
        let next = unsafe {
            bindings::cpumask_next(cpu, core::ptr::addr_of!(bindings::__cpu_possible_mask))
        };
        if next >= nr_cpu_ids() {
            return None;
        }
        cpu = next as c_int;
        Some(next)
    })
}

/// `ktime_get_real_seconds()`.
pub(crate) fn real_seconds() -> i64 {
    // SAFETY: on 64-bit `ktime_get_real_seconds()` returns the timekeeper's `xtime_sec` with
    // one aligned load, taking no lock and no seqcount: it cannot wait or fault, and is safe
    // in any context, NMI and the panic path included (C's `crash_save_vmcoreinfo()` calls it
    // there).
    unsafe { bindings::ktime_get_real_seconds() }
}

/// `in_interrupt()`.
pub(crate) fn in_interrupt() -> bool {
    // SAFETY: `in_interrupt()` masks this CPU's preempt count (`pcpu_hot.preempt_count`, one
    // `%gs`-relative load) with the NMI, hardirq and softirq bits: a read of this CPU's own
    // data, safe in any context.
    unsafe { bindings::in_interrupt() }
}

/// `tsk->pid`, read by C: Rust's offset of `pid` in the bindings' `task_struct` is wrong on
/// kernels without `CONFIG_SCHEDSTATS` (see `rust_helper_crash_task_pid()`).
///
/// # Safety
///
/// `tsk` is a live task.
pub(crate) unsafe fn task_pid(tsk: *mut bindings::task_struct) -> bindings::pid_t {
    // SAFETY: `tsk` is a live task (this function's `# Safety`); the helper reads only its
    // `pid`.
    unsafe { bindings::crash_task_pid(tsk) }
}

/// `PAGE_OFFSET`: where the direct map puts physical address 0, fixed at boot.
///
/// The elfcorehdr's `PT_LOAD` virtual addresses are this plus the physical start, as C's
/// `__va(mstart)` is on x86_64. Off x86_64 (arm64, built only) `__va()` is not one base plus
/// the address, and each range's address must be asked of C before such an architecture boots.
pub(crate) fn page_offset() -> u64 {
    // SAFETY: `__va(0)` is `page_offset_base` (a constant without
    // `CONFIG_DYNAMIC_MEMORY_LAYOUT`): a `__ro_after_init` variable set in early boot (KASLR),
    // read by value; nothing is dereferenced.
    unsafe { bindings::__va(0) as u64 }
}

/// `paddr_vmcoreinfo_note()`: the physical address of the VMCOREINFO note, for the elfcorehdr.
#[inline]
pub(crate) fn paddr_vmcoreinfo_note() -> u64 {
    // SAFETY: glue.c's `__weak` default returns `__pa(vmcoreinfo_note)` and Xen PV's override
    // (`arch/x86/xen/mmu_pv.c`) translates the same address through the p2m table: both read
    // the note's address, which the initcall set, and dereference nothing of the caller's; the
    // callers run in process context.
    unsafe { bindings::paddr_vmcoreinfo_note() }
}

/// `VMALLOC_START`: where the vmalloc area starts, fixed in early boot.
#[inline]
pub(crate) fn vmalloc_start() -> c_ulong {
    // SAFETY: the helper returns `VMALLOC_START`, that is `vmalloc_base` (a constant without
    // `CONFIG_DYNAMIC_MEMORY_LAYOUT`): a `__ro_after_init` variable set in early boot (KASLR),
    // read by value; nothing is dereferenced.
    unsafe { bindings::VMALLOC_START() }
}

/// `vmemmap`: where the virtual `struct page` array starts, fixed in early boot.
#[cfg(CONFIG_SPARSEMEM_VMEMMAP)]
#[inline]
pub(crate) fn vmemmap() -> c_ulong {
    // SAFETY: the helper returns `vmemmap`, that is `vmemmap_base` (a constant without
    // `CONFIG_DYNAMIC_MEMORY_LAYOUT`) as a pointer: a `__ro_after_init` variable set in early
    // boot (KASLR), read by value; nothing is dereferenced.
    unsafe { bindings::vmemmap() }
}

/// `NR_SECTION_ROOTS`: how many roots `mem_section` has.
#[inline]
pub(crate) fn nr_section_roots() -> c_ulong {
    // SAFETY: the helper computes `NR_SECTION_ROOTS` from `MAX_PHYSMEM_BITS` (see
    // `max_physmem_bits`) and constants: arithmetic, reading at most a CPU feature bit fixed at
    // boot.
    unsafe { bindings::NR_SECTION_ROOTS() }
}

/// `MAX_PHYSMEM_BITS`: 52 with 5-level paging, else 46.
#[inline]
pub(crate) fn max_physmem_bits() -> c_long {
    // SAFETY: the helper returns `pgtable_l5_enabled() ? 52 : 46`: a constant, or with
    // `CONFIG_X86_5LEVEL` a test of the LA57 CPU feature bit, fixed at boot; nothing else is
    // read.
    unsafe { bindings::MAX_PHYSMEM_BITS() }
}
