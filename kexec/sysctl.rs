// SPDX-License-Identifier: GPL-2.0

//! `kernel.kexec_load_disabled`, `kernel.kexec_load_limit_panic` and
//! `kernel.kexec_load_limit_reboot`, and `kexec_load_permitted()`, which they govern.
//!
//! Without `CONFIG_SYSCTL` the values keep their defaults (loads allowed, no limits), as C's.

#[cfg(CONFIG_SYSCTL)]
use core::cell::UnsafeCell;
#[cfg(CONFIG_SYSCTL)]
use core::ptr;
use core::sync::atomic::{AtomicI32, Ordering};
use kernel::bindings;
use kernel::ffi::c_int;
#[cfg(CONFIG_SYSCTL)]
use kernel::ffi::c_void;
#[cfg(CONFIG_SYSCTL)]
use kernel::prelude::*;

use crate::sys;

/// `kernel.kexec_load_disabled`: once 1, stays 1.
static LOAD_DISABLED: AtomicI32 = AtomicI32::new(0);
/// `kernel.kexec_load_limit_reboot` and `_panic`: loads left, -1 for no limit.
static LIMIT_REBOOT: AtomicI32 = AtomicI32::new(-1);
static LIMIT_PANIC: AtomicI32 = AtomicI32::new(-1);

/// `kexec_load_permitted()`: `CAP_SYS_BOOT`, loading not disabled, and a load left under the
/// reboot or panic limit (which this uses up).
pub(crate) fn load_permitted(image_type: c_int) -> bool {
    if !sys::capable(bindings::CAP_SYS_BOOT) || LOAD_DISABLED.load(Ordering::Relaxed) != 0 {
        return false;
    }
    let limit = if image_type == bindings::KEXEC_TYPE_CRASH as c_int {
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

#[cfg(CONFIG_SYSCTL)]
/// `kexec_limit_handler()`: a load limit can only go down.
///
/// Unlike C, a write that `proc_dointvec()` ignores (the rest of a value written in parts, at
/// a non-zero offset) leaves the limit alone: C's handler then applies its uninitialised
/// value, in practice 0, which locks kexec out.
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
    // SAFETY: the sysctl core passes a valid position.
    let at_start = unsafe { *ppos } == 0;
    let old = limit.load(Ordering::Acquire);
    // What is read, or the value written: proc_dointvec() on a table of our own for it.
    let val = AtomicI32::new(old);
    let tmp = bindings::ctl_table {
        data: val.as_ptr().cast(),
        maxlen: core::mem::size_of::<c_int>() as c_int,
        mode,
        ..Default::default()
    };
    // SAFETY: the sysctl core's arguments, passed on, with a table whose `data` is an int
    // that lives until we return.
    let ret = unsafe { bindings::proc_dointvec(&tmp, write, buffer, lenp, ppos) };
    if ret != 0 || write == 0 {
        return ret;
    }
    let val = val.load(Ordering::Acquire);
    if !at_start && val == old {
        // Nothing parsed: the tail of an earlier write.
        return 0;
    }
    if val < 0 {
        return EINVAL.to_errno();
    }
    match limit.fetch_update(Ordering::AcqRel, Ordering::Acquire, |l| {
        (l == -1 || val < l).then_some(val)
    }) {
        Ok(_) => 0,
        Err(_) => EINVAL.to_errno(),
    }
}

#[cfg(CONFIG_SYSCTL)]
/// The bounds of `kexec_load_disabled` (`SYSCTL_ONE` for both: only 0 → 1 is allowed).
static ONE: c_int = 1;

#[cfg(CONFIG_SYSCTL)]
/// The `kernel.` sysctl table; the sysctl core keeps a pointer to it.
struct Sysctls(UnsafeCell<[bindings::ctl_table; 3]>);

#[cfg(CONFIG_SYSCTL)]
// SAFETY: the table is written only by `register` at init, before it is shared.
unsafe impl Sync for Sysctls {}

#[cfg(CONFIG_SYSCTL)]
fn int_table(name: &'static CStr, data: *mut c_void) -> bindings::ctl_table {
    bindings::ctl_table {
        procname: name.as_char_ptr(),
        data,
        mode: 0o644,
        ..Default::default()
    }
}

#[cfg(CONFIG_SYSCTL)]
static SYSCTLS: Sysctls = Sysctls(UnsafeCell::new([
    // SAFETY: all-zero is a valid `ctl_table` (null pointers, no handler); filled at init.
    unsafe { core::mem::zeroed() },
    // SAFETY: as above.
    unsafe { core::mem::zeroed() },
    // SAFETY: as above.
    unsafe { core::mem::zeroed() },
]));

#[cfg(CONFIG_SYSCTL)]
/// Registers the three sysctls.
///
/// # Safety
///
/// Called once, at init.
// In .init.text, as `__init` puts C's: it calls `__register_sysctl_init()`, which is there.
#[link_section = ".init.text"]
pub(crate) unsafe fn register() {
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
}
