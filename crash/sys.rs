// SPDX-License-Identifier: GPL-2.0

//! Safe wrappers of the kernel calls the crash path makes that have no preconditions, and the
//! per-CPU and CPU-mask accessors (C macros, through `rust/helpers/crash.c`).

use kernel::bindings;
use kernel::ffi::{c_int, c_uint};

/// `raw_smp_processor_id()`.
pub(crate) fn this_cpu() -> c_uint {
    // SAFETY: no preconditions; it reads this CPU's number.
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
    // SAFETY: no preconditions; safe from any context, the panic path included.
    unsafe { bindings::ktime_get_real_seconds() }
}

/// `in_interrupt()`.
pub(crate) fn in_interrupt() -> bool {
    // SAFETY: no preconditions; it reads this CPU's preempt count.
    unsafe { bindings::in_interrupt() }
}

/// `tsk->pid`, read by C: Rust's offset of `pid` in the bindings' `task_struct` is wrong on
/// kernels without `CONFIG_SCHEDSTATS` (see `rust_helper_crash_task_pid()`).
///
/// # Safety
///
/// `tsk` is a live task.
pub(crate) unsafe fn task_pid(tsk: *mut bindings::task_struct) -> bindings::pid_t {
    // SAFETY: by the function's contract.
    unsafe { bindings::crash_task_pid(tsk) }
}

/// `PAGE_OFFSET`: where the direct map puts physical address 0, fixed at boot.
pub(crate) fn page_offset() -> u64 {
    // SAFETY: no preconditions.
    unsafe { bindings::PAGE_OFFSET() as u64 }
}
