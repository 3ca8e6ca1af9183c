// SPDX-License-Identifier: GPL-2.0

//! `kexec_file_load(2)` in Rust.
//!
//! The kernel reads the kernel (and initrd) file itself, checks it, lays out the purgatory and
//! the new kernel's boot parameters, and places every buffer in memory, where `kexec_load`
//! takes all of that from userspace. The pure cores do that work over byte slices, with no
//! kernel bindings, and are shared with the host crate (`tools/testing/kdump_host`), where they
//! are compared with ports of the C on random inputs and fuzzed:
//!
//! | module         | C                                                                  |
//! |----------------|--------------------------------------------------------------------|
//! | [`bzimage`]    | `bzImage64_probe()`, the checks of `bzImage64_load()`              |
//! | [`hole`]       | `kexec_add_buffer()`, `kexec_locate_mem_hole()`                    |
//! | [`purgatory`]  | `kexec_load_purgatory()`, `arch_kexec_apply_relocations_add()`     |
//! | [`bootparams`] | `setup_boot_parameters()` and the rest of `bzImage64_load()`       |
//! | [`digest`]     | `kexec_calculate_store_digests()`'s regions                         |
//!
//! With `CONFIG_KEXEC_FILE_RUST` the loader built on them replaces `kernel/kexec_file.c` and
//! `arch/x86/kernel/kexec-bzimage64.c` (x86_64): `loader` (the syscall, and where the kexec
//! lock is taken), `input` (the files and the command line, read and checked before the
//! lock), `bzload` (the bzImage64 loader and the digest), `place` (buffers placed over the
//! resource tree), `sig` (signatures) and `exports` (the C entry points). Where C's
//! `kexec_file.c` still serves the syscall, the KUnit suite `rust_kexec_file` runs C's purgatory
//! loader and bzImage probe beside the cores on the kernel's own purgatory and on crafted
//! headers, and compares what they produce.

pub mod bootparams;
pub mod bzimage;
#[cfg(CONFIG_KEXEC_FILE_RUST)]
mod bzload;
#[cfg(CONFIG_KEXEC_FILE_RUST)]
mod dbg;
pub mod digest;
#[cfg(CONFIG_KEXEC_FILE_RUST)]
pub mod exports;
pub mod hole;
#[cfg(CONFIG_KEXEC_FILE_RUST)]
mod input;
// C's bzImage64 loader and the purgatory it compares with are x86_64's, and built only when
// they serve the syscall.
#[cfg(all(CONFIG_KUNIT, CONFIG_X86_64, CONFIG_KEXEC_FILE_C))]
mod kunit;
pub mod le;
#[cfg(CONFIG_KEXEC_FILE_RUST)]
mod loader;
#[cfg(CONFIG_KEXEC_FILE_RUST)]
mod place;
pub mod purgatory;
#[cfg(all(CONFIG_KEXEC_FILE_RUST, CONFIG_KEXEC_SIG))]
mod sig;
#[cfg(all(CONFIG_KUNIT, CONFIG_KEXEC_FILE_RUST))]
mod tests;

/// The purgatory object this kernel carries (`arch/x86/purgatory`, linked in as
/// `kexec_purgatory`).
#[cfg(all(CONFIG_X86_64, any(CONFIG_KEXEC_FILE_RUST, CONFIG_KUNIT)))]
fn purgatory_object() -> &'static [u8] {
    // SAFETY: `kexec_purgatory` is the purgatory object built into the kernel,
    // `kexec_purgatory_size` bytes long, and nothing writes it.
    unsafe {
        core::slice::from_raw_parts(
            core::ptr::addr_of!(kernel::bindings::kexec_purgatory).cast::<u8>(),
            kernel::bindings::kexec_purgatory_size,
        )
    }
}
