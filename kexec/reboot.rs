// SPDX-License-Identifier: GPL-2.0

//! `kernel_kexec()`: `kexec -e`, through `reboot(LINUX_REBOOT_CMD_KEXEC)`.

use core::sync::atomic::{AtomicBool, Ordering};
use kernel::bindings;
use kernel::kexec::{ImageSlot, KexecGuard};
use kernel::prelude::*;

use crate::arch;

/// Shuts the machine down and boots the loaded image. Returns only on failure: `EBUSY` if a
/// load holds the lock, `EINVAL` if nothing is loaded. `in_progress` (C's `kexec_in_progress`)
/// is set once the machine starts shutting down for the new kernel.
pub(crate) fn kernel_kexec(in_progress: &AtomicBool) -> Result {
    let lock = KexecGuard::try_lock().ok_or(EBUSY)?;
    let image = ImageSlot::Kexec.get(&lock).ok_or(EINVAL)?;
    in_progress.store(true, Ordering::Release);
    // SAFETY: process context, as reboot(2) calls us; no locks held but the kexec lock.
    unsafe {
        bindings::kernel_restart_prepare(kernel::c_str!("kexec reboot").as_char_ptr().cast_mut());
        bindings::migrate_to_reboot_cpu();
        bindings::syscore_shutdown();
        // migrate_to_reboot_cpu() disables CPU hotplug for a reboot, but the kexec path
        // needs it to take the other CPUs down.
        bindings::cpu_hotplug_enable();
    }
    pr_notice!("Starting new kernel\n");
    // SAFETY: as above; the devices and the other CPUs are being shut down for the new kernel.
    unsafe {
        bindings::machine_shutdown();
        bindings::kmsg_dump(bindings::kmsg_dump_reason_KMSG_DUMP_SHUTDOWN);
    }
    // SAFETY: the image stays published and loaded while we hold `lock`, and the machine is
    // shut down for it; machine_kexec() does not return for an image without
    // preserve_context, which this kernel cannot load.
    unsafe { arch::machine_kexec(image) };
    drop(lock);
    Ok(())
}
