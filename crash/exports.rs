// SPDX-License-Identifier: GPL-2.0

//! The C entry points of the crash path: the functions and variables `kernel/crash_core.c`
//! and `kernel/vmcore_info.c` provided, under their names and signatures
//! (`include/linux/kexec.h`, `include/linux/crash_core.h`, `include/linux/vmcore_info.h`), and
//! the initcalls. Each converts its raw arguments, calls the Rust function behind it and maps
//! the error to a negative errno.

use kernel::bindings;
use kernel::error::from_result;
use kernel::ffi::{c_int, c_uint, c_ulong, c_ulonglong, c_void};
use kernel::kexec::{ImageSlot, Kimage};
use kernel::prelude::*;

use crate::{cpu_notes, headers, note, panic, shrink, vmcoreinfo};

// --- crash_core.c -------------------------------------------------------------------------

/// `__crash_kexec()`: kdump, on a CPU that already owns `panic_cpu`.
///
/// # Safety
///
/// `regs` is null or the registers of the context that crashed.
#[no_mangle]
pub unsafe extern "C" fn __crash_kexec(regs: *mut bindings::pt_regs) {
    // SAFETY: `regs` is null or the registers of the context that crashed (this function's
    // `# Safety`), which is all `crash_kexec_now` asks.
    unsafe { panic::crash_kexec_now(regs) }
}

/// `crash_kexec()`: kdump, for the first CPU that gets here. glue.c's `crash_kexec()` calls
/// it: that one is a BPF kfunc, which needs the BTF only C gets.
///
/// # Safety
///
/// `regs` is null or the registers of the context that crashed.
#[no_mangle]
pub unsafe extern "C" fn crash_kexec_rust(regs: *mut bindings::pt_regs) {
    // SAFETY: `regs` is null or the registers of the context that crashed (this function's
    // `# Safety`), which is all `crash_kexec_once` asks.
    unsafe { panic::crash_kexec_once(regs) }
}

/// `kexec_should_crash()`.
///
/// # Safety
///
/// `p` is a live task.
#[no_mangle]
pub unsafe extern "C" fn kexec_should_crash(p: *mut bindings::task_struct) -> c_int {
    // SAFETY: `p` is a live task (this function's `# Safety`), which is all `should_crash`
    // asks.
    c_int::from(unsafe { panic::should_crash(p) })
}

/// `kexec_crash_loaded()` (exported by glue.c).
#[no_mangle]
pub extern "C" fn kexec_crash_loaded() -> c_int {
    c_int::from(ImageSlot::Crash.is_loaded())
}

/// `crash_save_cpu()`.
///
/// # Safety
///
/// `regs` points to the registers to save. Nothing else reads or writes CPU `cpu`'s note
/// buffer during the call (on the crash path, `cpu` is the calling CPU).
#[no_mangle]
pub unsafe extern "C" fn crash_save_cpu(regs: *mut bindings::pt_regs, cpu: c_int) {
    // SAFETY: `regs` points to the registers to save and CPU `cpu`'s note buffer is the
    // caller's alone (this function's `# Safety`), which is all `cpu_notes::save` asks; it
    // checks `cpu` itself.
    unsafe { cpu_notes::save(regs, cpu) }
}

/// `kimage_crash_copy_vmcoreinfo()`.
///
/// # Safety
///
/// `image` is an image being loaded, that only the caller uses; for a crash image the caller
/// holds the kexec lock.
#[no_mangle]
pub unsafe extern "C" fn kimage_crash_copy_vmcoreinfo(image: *mut bindings::kimage) -> c_int {
    from_result(|| {
        // SAFETY: `image` is an image being loaded that only the caller uses (this function's
        // `# Safety`): an image of the kexec core, which satisfies `Kimage`'s invariants and
        // may be borrowed uniquely for the call.
        let image = unsafe { Kimage::from_raw_mut(image) };
        // SAFETY: for a crash image the caller holds the kexec lock (this function's
        // `# Safety`), which is what `copy_into_image` asks.
        unsafe { vmcoreinfo::copy_into_image(image) }?;
        Ok(0)
    })
}

/// `crash_prepare_elf64_headers()`: a vmalloc'ed elfcorehdr in `*addr`, its size in `*sz`.
///
/// # Safety
///
/// `mem` is a `struct crash_mem` with room for `max_nr_ranges` ranges and at least
/// `nr_ranges` ranges in it, that nothing else uses during the call; `addr` and `sz` are
/// writable.
#[no_mangle]
pub unsafe extern "C" fn crash_prepare_elf64_headers(
    mem: *mut bindings::crash_mem,
    need_kernel_map: c_int,
    addr: *mut *mut c_void,
    sz: *mut c_ulong,
) -> c_int {
    // SAFETY: `mem` has room for `max_nr_ranges` ranges, holds `nr_ranges` and is the
    // caller's alone during the call (this function's `# Safety`): what `headers::prepare`
    // asks.
    match unsafe { headers::prepare(mem, need_kernel_map != 0) } {
        Ok((buf, size)) => {
            // SAFETY: `addr` and `sz` are writable (this function's `# Safety`).
            unsafe {
                *addr = buf;
                *sz = size as c_ulong;
            }
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// `crash_exclude_mem_range()`.
///
/// # Safety
///
/// `mem` is a `struct crash_mem` with room for `max_nr_ranges` ranges and at least
/// `nr_ranges` ranges in it, that nothing else uses during the call.
#[no_mangle]
pub unsafe extern "C" fn crash_exclude_mem_range(
    mem: *mut bindings::crash_mem,
    mstart: c_ulonglong,
    mend: c_ulonglong,
) -> c_int {
    from_result(|| {
        // SAFETY: `mem` has room for `max_nr_ranges` ranges, holds `nr_ranges` and is the
        // caller's alone during the call (this function's `# Safety`): what `headers::exclude`
        // asks.
        unsafe { headers::exclude(mem, mstart, mend) }?;
        Ok(0)
    })
}

/// `crash_get_memory_size()`.
#[no_mangle]
pub extern "C" fn crash_get_memory_size() -> isize {
    match shrink::memory_size() {
        Ok(size) => size as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// `crash_shrink_memory()`.
#[no_mangle]
pub extern "C" fn crash_shrink_memory(new_size: c_ulong) -> c_int {
    from_result(|| {
        shrink::shrink(new_size as u64)?;
        Ok(0)
    })
}

/// `crash_check_hotplug_support()`.
#[cfg(CONFIG_CRASH_HOTPLUG)]
#[no_mangle]
pub extern "C" fn crash_check_hotplug_support() -> c_int {
    c_int::from(crate::hotplug::supported())
}

// --- vmcore_info.c ------------------------------------------------------------------------

/// `append_elf_note()`: a note at `buf`, which must have room for it; returns the word after.
///
/// # Safety
///
/// `buf` has room for the note; `name` is a NUL-terminated string; `data` is `data_len`
/// readable bytes.
#[no_mangle]
pub unsafe extern "C" fn append_elf_note(
    buf: *mut u32,
    name: *const kernel::ffi::c_char,
    ntype: c_uint,
    data: *const c_void,
    data_len: usize,
) -> *mut u32 {
    // SAFETY: `name` is a NUL-terminated string and `data` is `data_len` readable bytes (this
    // function's `# Safety`), both left alone during the call; C may pass a null `data` with
    // no bytes, which is not read.
    let (name, desc) = unsafe {
        (
            CStr::from_char_ptr(name).as_bytes(),
            if data_len == 0 {
                &[][..]
            } else {
                core::slice::from_raw_parts(data.cast::<u8>(), data_len)
            },
        )
    };
    let Some(size) = note::note_size(name.len(), desc.len()) else {
        return buf;
    };
    // SAFETY: `buf` has room for the note (this function's `# Safety`), which is `size`
    // bytes: `note_size` of this name and descriptor.
    let out = unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), size) };
    match note::append_note(out, name, ntype, desc) {
        Some(_) => buf.wrapping_add(size / 4),
        None => buf,
    }
}

/// `final_note()`.
///
/// # Safety
///
/// `buf` has room for a note header.
#[no_mangle]
pub unsafe extern "C" fn final_note(buf: *mut u32) {
    // SAFETY: `buf` has room for a note header, `NOTE_HEAD` bytes (this function's
    // `# Safety`).
    let out = unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), note::NOTE_HEAD) };
    let _ = note::final_note(out);
}

/// `crash_update_vmcoreinfo_safecopy()`.
///
/// # Safety
///
/// `ptr` is null or a mapped page, apart from the text, that stays mapped until this is
/// called again with null; the caller holds the kexec lock.
#[no_mangle]
pub unsafe extern "C" fn crash_update_vmcoreinfo_safecopy(ptr: *mut c_void) {
    // SAFETY: `ptr` is null or a mapped page, apart from the text, that stays mapped until
    // this is called again with null, and the caller holds the kexec lock (this function's
    // `# Safety`), which is what `set_safecopy` asks.
    unsafe { vmcoreinfo::set_safecopy(ptr.cast()) }
}

/// `crash_save_vmcoreinfo()`: for a crash path in C (powerpc's fadump calls it); the Rust
/// one saves under the kexec lock.
///
/// # Safety
///
/// Nothing else writes the VMCOREINFO text or note during the call (the caller is the CPU
/// that crashes).
#[no_mangle]
pub unsafe extern "C" fn crash_save_vmcoreinfo() {
    // SAFETY: nothing else writes the text or the note during the call (this function's
    // `# Safety`), which is what `save_exclusive` asks.
    unsafe { vmcoreinfo::save_exclusive() }
}

/// For glue.c's `vmcoreinfo_append_str()`: appends a formatted line; returns whether the text
/// now fills its buffer.
///
/// # Safety
///
/// `buf` is `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn crash_vmcoreinfo_append(
    buf: *const kernel::ffi::c_char,
    len: usize,
) -> bool {
    // SAFETY: `buf` is `len` readable bytes (this function's `# Safety`); glue.c's
    // `vmcoreinfo_append_str()` formats them on its stack and keeps them for the call.
    let line = unsafe { core::slice::from_raw_parts(buf.cast::<u8>(), len) };
    vmcoreinfo::append(line)
}

// --- initcalls ----------------------------------------------------------------------------

/// `crash_save_vmcoreinfo_init()`.
pub(crate) extern "C" fn crash_save_vmcoreinfo_init() -> c_int {
    from_result(|| {
        vmcoreinfo::init()?;
        Ok(0)
    })
}

/// `crash_notes_memory_init()`.
pub(crate) extern "C" fn crash_notes_memory_init() -> c_int {
    from_result(|| {
        cpu_notes::reserve()?;
        Ok(0)
    })
}

/// `crash_hotplug_init()`.
#[cfg(CONFIG_CRASH_HOTPLUG)]
pub(crate) extern "C" fn crash_hotplug_init() -> c_int {
    from_result(|| {
        crate::hotplug::init()?;
        Ok(0)
    })
}
