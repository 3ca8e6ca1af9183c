// SPDX-License-Identifier: GPL-2.0

//! The kexec core, in Rust.
//!
//! Replaces [`kernel/kexec_core.c`](srctree/kernel/kexec_core.c) and the image-loading half of
//! [`kernel/kexec.c`](srctree/kernel/kexec.c) (`kimage_alloc_init()`, `do_kexec_load()`) under
//! `CONFIG_KEXEC_CORE_RUST`, and the x86_64 glue of
//! [`arch/x86/kernel/machine_kexec_64.c`](srctree/arch/x86/kernel/machine_kexec_64.c). The
//! functions keep C's names and signatures ([`exports`]), so `kernel/kexec_file.c`, the crash
//! path (`kernel/crash_core.c` or its Rust replacement) and `kernel/ksysfs.c` run on them
//! unchanged, and the image is the same `struct kimage` with the same entry list that
//! `relocate_kernel` walks.
//!
//! - [`segments`]: what is checked, with which errno, and where a crash image's control pages
//!   go; pure Rust shared with the host tests.
//! - [`image`], [`entries`], [`pages`], [`control`], [`segment`]: the image (a
//!   [`kernel::kexec::Kimage`], whose methods are what every module reads of it), the walk over
//!   its entry list and where its source pages go, its pages, its control pages, and a
//!   segment's bytes into it; [`kimage`]: its segments as the pure checks take them.
//! - [`load`]: `kexec_load(2)`, building an image and publishing it; [`reboot`]: `kexec -e`;
//!   [`sysctl`]: the load limits.
//! - [`arch`]: the one door to the architecture, the kernel's kexec hooks; [`x86_64`] provides
//!   them on x86_64 (the identity map and the jump); [`memmap`]: page arithmetic.
//! - [`file`]: `kexec_file_load(2)` (with `CONFIG_KEXEC_FILE_RUST`) and its pure cores (the
//!   bzImage header, buffer placement, the purgatory, the boot parameters), checked against
//!   C's `kexec_file.c`.
//!
//! The modules use one another in one direction only (`make check` fails on a cycle): the
//! leaves ([`sys`], [`memmap`], [`arch`], [`segments`], [`kimage`]) below what builds an
//! image, that below [`load`], [`reboot`] and [`exports`]. The architecture's code is reached
//! only through [`arch`], and reaches the core only through its C interface and the leaves
//! (page arithmetic, whether memory is encrypted).
//!
//! The kexec lock, the image slots and the image type are `kernel::kexec`'s; this crate
//! defines the symbols behind them ([`exports`]), as `kernel/kexec_core.c` does.

mod arch;
mod control;
mod crashkres;
mod entries;
pub mod exports;
#[cfg(CONFIG_KEXEC_FILE)]
pub mod file;
mod image;
mod kimage;
mod load;
mod memmap;
mod pages;
mod reboot;
mod segment;
pub mod segments;
mod sys;
mod sysctl;
#[cfg(CONFIG_KUNIT)]
mod tests;
#[cfg(CONFIG_X86_64)]
pub mod x86_64;

/// Prefix of this crate's kernel log lines, C's `KBUILD_MODNAME` for kexec_core.c.
const __LOG_PREFIX: &[u8] = b"kexec_core\0";

// late_initcall(), as C (which has the sysctls only with CONFIG_SYSCTL).
#[cfg(CONFIG_SYSCTL)]
kernel::initcall!(late, exports::kexec_rust_sysctl_init);
