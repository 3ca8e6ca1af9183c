// SPDX-License-Identifier: GPL-2.0

//! The kernel image's signature (`KEXEC_SIG`): `kimage_validate_signature()` and
//! `kexec_kernel_verify_pe_sig()`. The verification itself and the keyrings stay C
//! (`verify_pefile_signature()`); this is the policy around it.

use core::sync::atomic::{AtomicBool, Ordering};
use kernel::bindings;
use kernel::prelude::*;

/// `sig_enforce`: whether an image must verify (`KEXEC_SIG_FORCE`, or set at boot by IMA's
/// architecture policy under Secure Boot through `set_kexec_sig_enforced()`).
pub(crate) static ENFORCE: AtomicBool = AtomicBool::new(cfg!(CONFIG_KEXEC_SIG_FORCE));

/// `VERIFY_USE_SECONDARY_KEYRING`: the builtin and secondary trusted keys.
#[cfg(CONFIG_KEXEC_BZIMAGE_VERIFY_SIG)]
const SECONDARY_KEYRING: usize = 1;
/// `VERIFY_USE_PLATFORM_KEYRING`: the firmware's keys.
#[cfg(all(CONFIG_KEXEC_BZIMAGE_VERIFY_SIG, CONFIG_INTEGRITY_PLATFORM_KEYRING))]
const PLATFORM_KEYRING: usize = 2;

/// `kexec_kernel_verify_pe_sig()`, the bzImage loader's `verify_sig`: the PE signature
/// checked against the trusted keys, then, if none of them signed it, the platform's.
#[cfg(CONFIG_KEXEC_BZIMAGE_VERIFY_SIG)]
pub(crate) fn verify_pe(kernel: &[u8]) -> Result {
    let check = |keyring: usize| {
        // SAFETY: `kernel` is `len` readable bytes for the call; the keyring argument is one
        // of the special values verification.h defines, which are never dereferenced as keys.
        let r = unsafe {
            bindings::verify_pefile_signature(
                kernel.as_ptr().cast(),
                kernel.len() as u32,
                keyring as *mut bindings::key,
                bindings::key_being_used_for_VERIFYING_KEXEC_PE_SIGNATURE,
            )
        };
        kernel::error::to_result(r)
    };
    let r = check(SECONDARY_KEYRING);
    #[cfg(CONFIG_INTEGRITY_PLATFORM_KEYRING)]
    if r == Err(ENOKEY) {
        return check(PLATFORM_KEYRING);
    }
    r
}

/// Without a PE verifier the bzImage loader rejects every signature check, as C's
/// `kexec_image_verify_sig()` does for a loader with no `verify_sig`.
#[cfg(not(CONFIG_KEXEC_BZIMAGE_VERIFY_SIG))]
pub(crate) fn verify_pe(_kernel: &[u8]) -> Result {
    pr_debug!("kernel loader does not support signature verification.\n");
    Err(EKEYREJECTED)
}

/// `kimage_validate_signature()`: an image whose signature does not verify is refused with
/// the verifier's errno if signatures are enforced, with `EPERM` if the kernel is locked down
/// against kexec (and IMA does not appraise it instead), and loaded otherwise.
pub(crate) fn validate(kernel: &[u8]) -> Result {
    let Err(e) = verify_pe(kernel) else {
        return Ok(());
    };
    if ENFORCE.load(Ordering::Relaxed) {
        pr_notice!(
            "Enforced kernel signature verification failed ({}).\n",
            e.to_errno()
        );
        return Err(e);
    }
    // SAFETY: a query of the lockdown and IMA policy, callable from process context.
    if unsafe { bindings::kexec_rust_lockdown_refuses_unsigned() } {
        return Err(EPERM);
    }
    pr_debug!("kernel signature verification failed ({}).\n", e.to_errno());
    Ok(())
}
