// SPDX-License-Identifier: GPL-2.0

//! The x86_64 kexec hooks, under their C names: what `arch/x86/kernel/machine_kexec_64.c`
//! defines for `kernel/kexec_core.c`, defined here for whichever core calls them (the Rust
//! core through [`crate::arch`], C's `kernel/kexec_file.c` and the crash path directly).

use kernel::bindings;
use kernel::error::from_result;
use kernel::ffi::{c_int, c_uint, c_void};
use kernel::kexec::Kimage;

/// `machine_kexec_prepare()`.
///
/// # Safety
///
/// `image` is a checked image with its control code page, owned by the caller.
#[no_mangle]
pub unsafe extern "C" fn machine_kexec_prepare(image: *mut bindings::kimage) -> c_int {
    // SAFETY: `image` is a checked image with its control code page, owned by the caller
    // (this function's `# Safety`): an image of the kexec core, which satisfies `Kimage`'s
    // invariants; nothing else uses it while it is borrowed uniquely, and `prepare` finds the
    // control page it needs.
    let image = unsafe { Kimage::from_raw_mut(image) };
    from_result(|| {
        super::machine_kexec::prepare(image)?;
        Ok(0)
    })
}

/// `machine_kexec_cleanup()`.
///
/// # Safety
///
/// `image` is an image being freed.
#[no_mangle]
pub unsafe extern "C" fn machine_kexec_cleanup(image: *mut bindings::kimage) {
    // SAFETY: `image` is an image being freed (this function's `# Safety`): its entry pages
    // may be freed already (`kimage_free()` calls this after them), but `cleanup` reads only
    // the architecture's part, which no `Kimage` invariant covers, and walks no list; only
    // its freer uses it now, so it may be borrowed uniquely for the call.
    super::machine_kexec::cleanup(unsafe { Kimage::from_raw_mut(image) });
}

/// `machine_kexec()`.
///
/// # Safety
///
/// `image` is a loaded image; the machine is shut down for it.
#[no_mangle]
pub unsafe extern "C" fn machine_kexec(image: *mut bindings::kimage) {
    // SAFETY: `image` is a loaded image and the machine is shut down for it (this function's
    // `# Safety`), which is what `super::machine_kexec::machine_kexec` asks; a loaded image
    // satisfies `Kimage`'s invariants, and with the machine shut down nothing else uses it.
    unsafe { super::machine_kexec::machine_kexec(Kimage::from_raw_mut(image)) };
}

/// `arch_kexec_protect_crashkres()`.
///
/// # Safety
///
/// The caller holds the kexec lock.
#[no_mangle]
pub unsafe extern "C" fn arch_kexec_protect_crashkres() {
    // SAFETY: the caller holds the kexec lock (this function's `# Safety`), which is what
    // `mark_crashkres` asks.
    unsafe { super::machine_kexec::mark_crashkres(true) };
}

/// `arch_kexec_unprotect_crashkres()`.
///
/// # Safety
///
/// The caller holds the kexec lock.
#[no_mangle]
pub unsafe extern "C" fn arch_kexec_unprotect_crashkres() {
    // SAFETY: the caller holds the kexec lock (this function's `# Safety`), which is what
    // `mark_crashkres` asks.
    unsafe { super::machine_kexec::mark_crashkres(false) };
}

/// `arch_kexec_post_alloc_pages()`.
///
/// # Safety
///
/// `vaddr` is the direct-map address of `pages` pages owned by an image.
#[no_mangle]
pub unsafe extern "C" fn arch_kexec_post_alloc_pages(
    vaddr: *mut c_void,
    pages: c_uint,
    _gfp: bindings::gfp_t,
) -> c_int {
    // SAFETY: `vaddr` is the direct-map address of `pages` pages owned by an image (this
    // function's `# Safety`), which is what `post_alloc_pages` asks.
    unsafe { super::machine_kexec::post_alloc_pages(vaddr, pages) }
}

/// `arch_kexec_pre_free_pages()`.
///
/// # Safety
///
/// As for [`arch_kexec_post_alloc_pages`].
#[no_mangle]
pub unsafe extern "C" fn arch_kexec_pre_free_pages(vaddr: *mut c_void, pages: c_uint) {
    // SAFETY: `vaddr` is the direct-map address of `pages` pages owned by an image (this
    // function's `# Safety`, as for `arch_kexec_post_alloc_pages`), which is what
    // `pre_free_pages` asks.
    unsafe { super::machine_kexec::pre_free_pages(vaddr, pages) };
}
