// SPDX-License-Identifier: GPL-2.0

//! The crash path, in Rust.
//!
//! Replaces [`kernel/crash_core.c`](srctree/kernel/crash_core.c) and
//! [`kernel/vmcore_info.c`](srctree/kernel/vmcore_info.c) under `CONFIG_CRASH_DUMP_RUST`. The
//! functions and variables keep C's names and signatures ([`exports`]), so the panic code,
//! the x86 crash code, `kexec_file.c`, ksysfs and printk run on them unchanged. One concept a
//! file:
//!
//! - pure core, also built on the host: [`elfcore`] (the elfcorehdr builder and range
//!   exclusion), [`note`] (ELF notes and the VMCOREINFO text); `elf` is the vmcore provider's
//!   ELF format module, shared;
//! - `panic`: `__crash_kexec()` and `crash_kexec()`, the jump into the crash kernel;
//! - `cpu_notes`: each CPU's crash note; `vmcoreinfo`: the VMCOREINFO text and note;
//! - `headers`: the elfcorehdr of this kernel; `shrink`: the crashkernel region's size;
//!   `hotplug`: crash hotplug; `sys`: small safe wrappers of kernel calls; `kunit`: the KUnit
//!   suite.
//!
//! What stays C (glue.c): the varargs `vmcoreinfo_append_str()`, the `__weak` arch hooks, the
//! symbol exports and the hotplug mutex, declared for Rust in glue.h, which bindgen reads.
//! `elf_core_copy_regs()` is C inline assembly, called through a helper; `crash_setup_regs()`
//! is inline assembly in `panic`, always inlined into `__crash_kexec()`.

#[path = "../vmcore/elf.rs"]
pub mod elf;
pub mod elfcore;
pub mod note;

mod cpu_notes;
pub mod exports;
mod headers;
#[cfg(CONFIG_CRASH_HOTPLUG)]
mod hotplug;
mod kunit;
mod panic;
mod shrink;
mod sys;
mod vmcoreinfo;

/// Prefix of this crate's kernel log lines, C's `KBUILD_MODNAME` for crash_core.c.
const __LOG_PREFIX: &[u8] = b"crash_core\0";

// subsys_initcall()s, in the order C links them (vmcore_info.o before crash_core.o).
kernel::initcall!(subsys, exports::crash_save_vmcoreinfo_init);
kernel::initcall!(subsys, exports::crash_notes_memory_init);
#[cfg(CONFIG_CRASH_HOTPLUG)]
kernel::initcall!(subsys, exports::crash_hotplug_init);
