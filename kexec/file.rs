// SPDX-License-Identifier: GPL-2.0

//! `kexec_file_load(2)` in Rust: the pure cores of the loader, so far.
//!
//! The kernel reads the kernel (and initrd) file itself, checks it, lays out the purgatory and
//! the new kernel's boot parameters, and places every buffer in memory, where `kexec_load`
//! takes all of that from userspace. These modules do that work over byte slices, with no
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
//! `kernel/kexec_file.c` still serves the syscall; until the Rust loader replaces it, the KUnit
//! suite `rust_kexec_file` runs C's purgatory loader and bzImage probe beside these cores on
//! the kernel's own purgatory and on crafted headers, and compares what they produce.

pub mod bootparams;
pub mod bzimage;
pub mod digest;
pub mod hole;
// C's bzImage64 loader and the purgatory it compares with are x86_64's.
#[cfg(all(CONFIG_KUNIT, CONFIG_X86_64))]
mod kunit;
pub mod le;
pub mod purgatory;
