// SPDX-License-Identifier: GPL-2.0

//! The core's one door to the architecture: the kernel's own kexec hooks.
//!
//! The core never names architecture code. It calls the hooks every architecture provides to
//! `kernel/kexec_core.c` (`include/linux/kexec.h` and the architecture's `asm/kexec.h`), through
//! their C declarations, so the same core runs on whatever provides them:
//!
//! | hook                                   | here                 | x86_64 provides it in   |
//! |----------------------------------------|----------------------|-------------------------|
//! | `machine_kexec_prepare()`              | [`prepare`]          | Rust, [`crate::x86_64`] |
//! | `machine_kexec_cleanup()`              | [`cleanup`]          | Rust                    |
//! | `machine_kexec()`                      | [`machine_kexec`]    | Rust                    |
//! | `arch_kexec_post_alloc_pages()`        | [`post_alloc_pages`] | Rust                    |
//! | `arch_kexec_pre_free_pages()`          | [`pre_free_pages`]   | Rust                    |
//! | `arch_kexec_(un)protect_crashkres()`   | `kernel::kexec`      | Rust                    |
//!
//! Where `linux/kexec.h` gives a hook a `static inline` default (the page and crashkernel
//! hooks, on architectures that do not override them), a one-line helper in
//! `rust/helpers/kexec.c` stands for it; where the architecture defines the function, bindgen's
//! declaration of it is taken instead. Another architecture keeps its C
//! (`arch/*/kernel/machine_kexec.c`) and needs nothing here.
//!
//! What the core asks of the hooks is what `kernel/kexec_core.c` asks: [`prepare`] gets a
//! checked image with its control code page, [`cleanup`] an image being freed, the page hooks
//! pages the image owns. The crashkernel hooks are the kernel crate's
//! [`kernel::kexec::protect_crashkres`] and [`kernel::kexec::unprotect_crashkres`], which take
//! the kexec lock (`&KexecGuard`) as C requires; the core calls them directly, as the crash path
//! does.

use core::sync::atomic::{AtomicU8, Ordering};
use kernel::bindings;
use kernel::error::to_result;
use kernel::ffi::{c_int, c_uint, c_void};
use kernel::kexec::Kimage;
use kernel::prelude::*;

use crate::sys;

/// `machine_kexec_prepare()`: the architecture's part of a load (x86_64: the identity-mapped
/// page tables).
///
/// # Safety
///
/// `image` passed the segment checks and has its control code page (and, for a normal image,
/// its swap page): what `kimage_alloc_init()` makes before C calls the hook.
pub(crate) unsafe fn prepare(image: &mut Kimage) -> Result {
    // SAFETY: `image` is checked and has its control pages (this function's `# Safety`), and
    // is uniquely borrowed for the call: what `machine_kexec_prepare()` asks of its caller.
    to_result(unsafe { bindings::machine_kexec_prepare(image.as_raw()) })
}

/// `machine_kexec_cleanup()`: undoes [`prepare`] for an image being freed.
///
/// # Safety
///
/// `image` is being freed: nothing else uses it any more.
pub(crate) unsafe fn cleanup(image: &mut Kimage) {
    // SAFETY: `image` is being freed (this function's `# Safety`), which is when
    // kexec_core.c's `kimage_free()` calls the hook.
    unsafe { bindings::machine_kexec_cleanup(image.as_raw()) };
}

/// `machine_kexec()`: starts `image`. Returns only for a `preserve_context` image, which this
/// core never loads.
///
/// # Safety
///
/// `image` is a loaded image; the machine is shut down for it (`kernel_kexec()` or the crash
/// path).
pub(crate) unsafe fn machine_kexec(image: &Kimage) {
    // SAFETY: `image` is loaded and the machine shut down for it (this function's `# Safety`),
    // the two things `machine_kexec()` asks.
    unsafe { bindings::machine_kexec(image.as_raw()) };
}

/// `cc_platform_has(CC_ATTR_HOST_MEM_ENCRYPT)`, asked once: it is settled at boot, and the
/// core asks for every page it allocates or frees.
pub(crate) fn host_mem_encrypted() -> bool {
    // 0: not asked yet, 1: no, 2: yes.
    static ENCRYPTED: AtomicU8 = AtomicU8::new(0);
    match ENCRYPTED.load(Ordering::Relaxed) {
        0 => {
            let yes = sys::host_mem_encrypt();
            ENCRYPTED.store(if yes { 2 } else { 1 }, Ordering::Relaxed);
            yes
        }
        v => v == 2,
    }
}

/// `arch_kexec_post_alloc_pages()`: makes `pages` pages at `vaddr` fit for the new kernel
/// (x86_64: decrypted under host memory encryption).
///
/// Called for every page of a normal image, so it is not called at all when memory is not
/// encrypted: then the hook does nothing on x86_64, and nothing on architectures that keep
/// the generic default. An architecture whose hook does more must lift this condition.
///
/// `gfp` is what C passes: the allocation's flags from `kimage_alloc_pages()`, 0 for
/// crashkernel memory.
///
/// # Safety
///
/// `vaddr` is the direct-map address of `pages` pages owned by an image.
pub(crate) unsafe fn post_alloc_pages(
    vaddr: *mut c_void,
    pages: c_uint,
    gfp: bindings::gfp_t,
) -> c_int {
    if !host_mem_encrypted() {
        return 0;
    }
    // SAFETY: `vaddr` is the direct-map address of `pages` pages owned by an image (this
    // function's `# Safety`), what the hook asks.
    unsafe { bindings::arch_kexec_post_alloc_pages(vaddr, pages, gfp) }
}

/// `arch_kexec_pre_free_pages()`: undoes [`post_alloc_pages`] before the pages are freed.
///
/// # Safety
///
/// As for [`post_alloc_pages`].
pub(crate) unsafe fn pre_free_pages(vaddr: *mut c_void, pages: c_uint) {
    if !host_mem_encrypted() {
        return;
    }
    // SAFETY: `vaddr` is the direct-map address of `pages` pages owned by an image (this
    // function's `# Safety`, as for `post_alloc_pages`), what the hook asks.
    unsafe { bindings::arch_kexec_pre_free_pages(vaddr, pages) };
}
