// SPDX-License-Identifier: GPL-2.0

//! x86_64: the kexec hooks of
//! [`arch/x86/kernel/machine_kexec_64.c`](srctree/arch/x86/kernel/machine_kexec_64.c) in Rust.
//!
//! The core calls none of this by name: it calls the kernel's hooks through [`crate::arch`],
//! and [`exports`] defines them. [`machine_kexec`] is what they do: the identity map the
//! relocation code runs on, the jump into `relocate_kernel`, crashkernel protection, and the
//! memory-encryption state of an image's pages. It uses the core's leaves (page arithmetic in
//! [`crate::memmap`] and [`crate::sys`], [`crate::arch::host_mem_encrypted`]) and the core's C
//! interface (`kimage_alloc_control_pages()`), and no other module of the core.
//!
//! Another architecture adds nothing here: it keeps its C hooks, which [`crate::arch`] calls
//! the same way.

pub mod exports;
mod machine_kexec;
