// SPDX-License-Identifier: GPL-2.0

//! Initcalls for built-in Rust code.
//!
//! C header: [`include/linux/init.h`](srctree/include/linux/init.h)
//!
//! A built-in object that cannot be a module (because the symbols it replaces are not exported,
//! as for the kexec core or `/proc/vmcore`) registers its init function at a given initcall
//! level, as C's `fs_initcall()` or `late_initcall()` do.

/// Registers an `extern "C" fn() -> c_int` as an initcall of the given level.
///
/// The levels are those of `include/linux/init.h`: `core`, `postcore`, `arch`, `subsys`,
/// `subsys_sync`, `fs`, `rootfs`, `device`, `late`. The function runs once, at boot, in that
/// level's order; its return value is only logged by the initcall core, as in C.
///
/// With `CONFIG_HAVE_ARCH_PREL32_RELOCATIONS` (x86_64 has it) the entry is a 32-bit offset to
/// the function, as C's `____define_initcall()` emits it; otherwise a pointer.
///
/// # Examples
///
/// ```ignore
/// extern "C" fn my_init() -> core::ffi::c_int {
///     0
/// }
/// kernel::initcall!(late, my_init);
/// ```
#[macro_export]
macro_rules! initcall {
    (core, $f:path) => { $crate::initcall!(@section "1", $f); };
    (postcore, $f:path) => { $crate::initcall!(@section "2", $f); };
    (arch, $f:path) => { $crate::initcall!(@section "3", $f); };
    (subsys, $f:path) => { $crate::initcall!(@section "4", $f); };
    (subsys_sync, $f:path) => { $crate::initcall!(@section "4s", $f); };
    (fs, $f:path) => { $crate::initcall!(@section "5", $f); };
    (rootfs, $f:path) => { $crate::initcall!(@section "rootfs", $f); };
    (device, $f:path) => { $crate::initcall!(@section "6", $f); };
    (late, $f:path) => { $crate::initcall!(@section "7", $f); };
    (@section $id:literal, $f:path) => {
        const _: extern "C" fn() -> ::core::ffi::c_int = $f;
        #[cfg(CONFIG_HAVE_ARCH_PREL32_RELOCATIONS)]
        ::core::arch::global_asm!(
            concat!(".pushsection \".initcall", $id, ".init\", \"a\"\n",
                    ".long {f} - .\n",
                    ".popsection"),
            f = sym $f,
        );
        #[cfg(not(CONFIG_HAVE_ARCH_PREL32_RELOCATIONS))]
        ::core::arch::global_asm!(
            concat!(".pushsection \".initcall", $id, ".init\", \"a\"\n",
                    ".balign 8\n",
                    ".quad {f}\n",
                    ".popsection"),
            f = sym $f,
        );
    };
}
