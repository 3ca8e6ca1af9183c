// SPDX-License-Identifier: GPL-2.0

//! What the loader's modules read of the running kernel besides their input: whether the load
//! asked for debug output (`kexec_dprintk()`), and the UEFI mode the bzImage probe checks.

use core::sync::atomic::Ordering;
#[cfg(CONFIG_EFI)]
use kernel::bindings;

use crate::exports::kexec_file_dbg_print;

/// Whether this load asked for `KEXEC_FILE_DEBUG` (`kexec_file_dbg_print`).
pub(crate) fn debug() -> bool {
    kexec_file_dbg_print.load(Ordering::Relaxed)
}

/// `kexec_dprintk()`: `pr_info!` when the load asked for `KEXEC_FILE_DEBUG`.
macro_rules! dprintk {
    ($($arg:tt)*) => {
        if $crate::file::dbg::debug() {
            ::kernel::pr_info!($($arg)*);
        }
    };
}
pub(crate) use dprintk;

/// Whether UEFI runs in 32-bit mode under this 64-bit kernel (no kernel can then be loaded
/// above 4 GiB).
pub(crate) fn efi_32bit() -> bool {
    #[cfg(CONFIG_EFI)]
    {
        let mut s = bindings::kexec_rust_efi_state::default();
        // SAFETY: `s` is ours to fill; no map is asked for.
        unsafe { bindings::kexec_rust_efi_state(&mut s, core::ptr::null_mut(), 0) };
        s.is_32bit
    }
    #[cfg(not(CONFIG_EFI))]
    false
}
