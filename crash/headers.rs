// SPDX-License-Identifier: GPL-2.0

//! The kernel side of the elfcorehdr builder ([`crate::elfcore`]): the CPUs' note buffers, the
//! vmcoreinfo note and the kernel text of this kernel, for `kexec_file_load` and crash
//! hotplug (`crash_prepare_elf64_headers()`, `crash_exclude_mem_range()`).

use core::ptr;
use kernel::bindings;
use kernel::ffi::c_void;
use kernel::prelude::*;

use crate::cpu_notes;
use crate::elfcore::{self, CoreInfo, KernelText, Range};
use crate::sys;
use crate::vmcoreinfo;

/// `ELF_ARCH`: this architecture's `e_machine`, the one C's `crash_prepare_elf64_headers()`
/// writes (bindgen has no `ELF_ARCH` for arm64).
#[cfg(CONFIG_X86_64)]
const ELF_ARCH: u16 = bindings::EM_X86_64 as u16;
#[cfg(CONFIG_ARM64)]
const ELF_ARCH: u16 = bindings::EM_AARCH64 as u16;

/// `ELF_CORE_HEADER_ALIGN`.
const HEADER_ALIGN: usize = 4096;
/// `ELF_OSABI` (`ELFOSABI_NONE`).
const OSABI: u8 = 0;

// `Range` is C's `struct range`, so a `struct crash_mem`'s ranges are taken as they are.
const _: () = assert!(core::mem::size_of::<Range>() == core::mem::size_of::<bindings::range>());
const _: () = assert!(core::mem::align_of::<Range>() == core::mem::align_of::<bindings::range>());

/// The ranges of `mem` ([`elfcore::entries`] of them), and how many are used.
///
/// # Safety
///
/// `mem` is a `struct crash_mem` with room for `max_nr_ranges` ranges and at least
/// `nr_ranges` ranges in it, that only the caller uses while the slice lives.
unsafe fn ranges<'a>(mem: *mut bindings::crash_mem) -> (&'a mut [Range], usize) {
    // SAFETY: `mem` has room for `max_nr_ranges` ranges and holds at least `nr_ranges`, and
    // only the caller uses it while the slice lives (this function's `# Safety`): the slice's
    // `entries()` length is the larger of the two. `Range` has `struct range`'s layout.
    unsafe {
        let nr = (*mem).nr_ranges;
        let len = elfcore::entries(nr, (*mem).max_nr_ranges);
        let first = (*mem).ranges.as_mut_ptr().cast::<Range>();
        (core::slice::from_raw_parts_mut(first, len), nr as usize)
    }
}

/// `crash_exclude_mem_range()`.
///
/// # Safety
///
/// As for [`ranges`].
pub(crate) unsafe fn exclude(mem: *mut bindings::crash_mem, start: u64, end: u64) -> Result {
    // SAFETY: `mem` is as `ranges` asks (this function's `# Safety` is that one).
    let (all, mut nr) = unsafe { ranges(mem) };
    let r = elfcore::exclude(all, &mut nr, start, end);
    // SAFETY: as above; `nr` is at most `max_nr_ranges`.
    unsafe { (*mem).nr_ranges = nr as u32 };
    r.map_err(|_| ENOMEM)
}

/// `crash_prepare_elf64_headers()`: a vmalloc'ed elfcorehdr for the ranges of `mem`, with
/// the kernel-text PT_LOAD if `kernel_map`, and its size.
///
/// # Safety
///
/// As for [`ranges`].
pub(crate) unsafe fn prepare(
    mem: *mut bindings::crash_mem,
    kernel_map: bool,
) -> Result<(*mut c_void, usize)> {
    // SAFETY: `mem` is as `ranges` asks (this function's `# Safety` is that one).
    let (all, nr) = unsafe { ranges(mem) };
    let used = all.get(..nr).ok_or(EINVAL)?;
    let cpus = sys::possible_cpus().count();
    let size = elfcore::headers_size(cpus, used.len(), HEADER_ALIGN).ok_or(ENOMEM)?;
    // SAFETY: any size is accepted; null or zeroed memory we own.
    let buf = unsafe { bindings::vzalloc_noprof(size as _) };
    if buf.is_null() {
        return Err(ENOMEM);
    }
    // SAFETY: `buf` is `size` bytes we own.
    let out = unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), size) };
    let text = kernel_map.then(|| {
        let (start, end) = (
            ptr::addr_of!(bindings::_text) as u64,
            ptr::addr_of!(bindings::_end) as u64,
        );
        KernelText {
            vaddr: start,
            // SAFETY: `_text` is a kernel-image address.
            paddr: unsafe { bindings::__pa_symbol(ptr::addr_of!(bindings::_text) as *mut c_void) }
                as u64,
            size: end.wrapping_sub(start),
        }
    });
    let info = CoreInfo {
        machine: ELF_ARCH,
        osabi: OSABI,
        cpu_note_size: core::mem::size_of::<bindings::note_buf_t>() as u64,
        vmcoreinfo_note: sys::paddr_vmcoreinfo_note(),
        vmcoreinfo_size: vmcoreinfo::NOTE_SIZE as u64,
        kernel_text: text,
        page_offset: sys::page_offset(),
        align: HEADER_ALIGN,
    };
    let notes = sys::possible_cpus().map(|cpu| {
        // SAFETY: the note buffer of a possible CPU, a per-CPU address.
        unsafe { bindings::per_cpu_ptr_to_phys(cpu_notes::note_of(cpu).cast()) }
    });
    if elfcore::write_headers(out, &info, notes, used).is_err() {
        // SAFETY: ours, never published.
        unsafe { bindings::vfree(buf) };
        return Err(ENOMEM);
    }
    #[cfg(CONFIG_KEXEC_FILE)]
    debug_loads(buf, &info, cpus + 1 + usize::from(text.is_some()), used);
    Ok((buf, size))
}

/// C's `kexec_dprintk()` line for each range's PT_LOAD, which `kexec -s -d` asks for.
#[cfg(CONFIG_KEXEC_FILE)]
const LOAD_LINE: &kernel::str::CStr = kernel::c_str!(
    "\x016crash_core: Crash PT_LOAD ELF header. phdr=%p vaddr=0x%llx, paddr=0x%llx, sz=0x%llx \
     e_phnum=%d p_offset=0x%llx\n"
);

/// The [`LOAD_LINE`]s of the header at `buf`, whose range headers start at program header
/// `first`: the same values C prints, `e_phnum` counting the headers written so far.
#[cfg(CONFIG_KEXEC_FILE)]
fn debug_loads(buf: *mut c_void, info: &CoreInfo, first: usize, used: &[Range]) {
    // SAFETY: a plain read of a boolean set by `kexec_file_load`.
    if !unsafe { bindings::kexec_file_dbg_print } {
        return;
    }
    for (i, r) in used.iter().enumerate() {
        let index = first.wrapping_add(i);
        let phdr = buf
            .cast::<u8>()
            .wrapping_add(elfcore::EHDR_SIZE.wrapping_add(elfcore::PHDR_SIZE.wrapping_mul(index)));
        let size = r.end.wrapping_sub(r.start).wrapping_add(1);
        // SAFETY: the format's conversions are a pointer, four `unsigned long long`s around
        // an `int`, as passed.
        unsafe {
            bindings::_printk(
                LOAD_LINE.as_char_ptr(),
                phdr.cast::<c_void>(),
                r.start.wrapping_add(info.page_offset),
                r.start,
                size,
                index.wrapping_add(1) as kernel::ffi::c_int,
                r.start,
            )
        };
    }
}
