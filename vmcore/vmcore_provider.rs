// SPDX-License-Identifier: GPL-2.0

//! The capture kernel's `/proc/vmcore`, in Rust.
//!
//! Replaces [`fs/proc/vmcore.c`](srctree/fs/proc/vmcore.c) under `CONFIG_PROC_VMCORE_RUST`
//! (or serves `/proc/vmcore-rust` beside it under the test-only
//! `CONFIG_PROC_VMCORE_RUST_TWIN`). One concept a file:
//!
//! - pure core, also built on the host: [`elf`] (the elfcorehdr and its checks), [`layout`]
//!   (note merging and PT_LOAD placement as C does them), [`read`] (a file range split into
//!   header, note and old-memory pieces);
//! - `exports`: every C entry point by name (`read_from_oldmem`, `vmcore_cleanup`, the
//!   initcall);
//! - `init`: `vmcore_init()`, reading and checking the header; `dump`: the published dump;
//! - `proc_file`: the proc entry and its `proc_ops`; `oldmem`: reading old memory, page by page
//!   or through an open file's `window` (`ioremap_cache()` of up to 16 MiB instead of one page
//!   at a time); `mmap`: `mmap_vmcore()`;
//! - `cb`: the `vmcore_cb` registry of glue.c, asked only inside its SRCU read section;
//!   `iov`, `vbuf`, `sys`: small safe wrappers of kernel calls; `kunit`: the KUnit suite.

pub mod elf;
pub mod layout;
pub mod read;

mod cb;
mod dump;
mod exports;
mod init;
mod iov;
mod kunit;
mod mmap;
mod oldmem;
mod proc_file;
mod sys;
mod vbuf;
mod window;

/// Prefix of this crate's kernel log lines (`pr_*!` read it as the module name).
const __LOG_PREFIX: &[u8] = b"vmcore\0";

/// The page size as the pure layer takes it.
const PAGE: u64 = kernel::page::PAGE_SIZE as u64;

// fs_initcall like vmcore_init(); the twin runs earlier (subsys_initcall_sync) so it parses the
// elfcorehdr before the C provider marks it consumed.
#[cfg(CONFIG_PROC_VMCORE_RUST)]
kernel::initcall!(fs, exports::vmcore_rust_init);
#[cfg(CONFIG_PROC_VMCORE_RUST_TWIN)]
kernel::initcall!(subsys_sync, exports::vmcore_rust_init);
