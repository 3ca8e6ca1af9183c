// SPDX-License-Identifier: GPL-2.0

//! Each CPU's crash note: a per-CPU buffer reserved at boot (`crash_notes`), into which the
//! CPU's registers are written as an `NT_PRSTATUS` note when the machine crashes
//! (`crash_save_cpu()`). The capture kernel finds the buffers through the elfcorehdr; sysfs
//! shows each one's address (`/sys/devices/system/cpu/cpuN/crash_notes`).

use core::mem::size_of;
use core::ptr;
use kernel::bindings;
use kernel::ffi::{c_int, c_void};
use kernel::page::PAGE_SIZE;
use kernel::prelude::*;

use crate::note::{append_note, final_note};
use crate::sys;

/// `NT_PRSTATUS`.
const NT_PRSTATUS: u32 = 1;
/// `KEXEC_CORE_NOTE_NAME`.
const CORE: &[u8] = b"CORE";

/// The per-CPU buffers, or null.
fn notes() -> *mut bindings::note_buf_t {
    // SAFETY: written once, by the initcall, before any CPU can crash or read it.
    unsafe { ptr::addr_of!(bindings::crash_notes).read() }
}

/// `crash_notes_memory_init()`: reserves a note buffer for each possible CPU.
pub(crate) fn reserve() -> Result {
    let size = size_of::<bindings::note_buf_t>();
    // Within one page, so that its physical address (all sysfs and the elfcorehdr give) covers
    // it whole even when the per-CPU area is vmalloc'ed.
    const _: () = assert!(size_of::<bindings::note_buf_t>() <= PAGE_SIZE);
    let align = size.next_power_of_two().min(PAGE_SIZE);
    // SAFETY: any size and alignment are accepted; the result is null or per-CPU memory we
    // own, zeroed.
    let p = unsafe { bindings::pcpu_alloc_noprof(size, align, false, bindings::GFP_KERNEL) };
    if p.is_null() {
        pr_warn!("Memory allocation for saving cpu register states failed\n");
        return Err(ENOMEM);
    }
    // SAFETY: initcall time: nothing reads `crash_notes` yet.
    unsafe { ptr::addr_of_mut!(bindings::crash_notes).write(p.cast()) };
    Ok(())
}

/// CPU `cpu`'s note buffer, or null.
pub(crate) fn note_of(cpu: c_int) -> *mut bindings::note_buf_t {
    let notes = notes();
    if notes.is_null() {
        return notes;
    }
    // SAFETY: `notes` is a live per-CPU allocation and `cpu` a possible CPU (callers check
    // it against `nr_cpu_ids`).
    unsafe { bindings::per_cpu_ptr(notes.cast::<c_void>(), cpu as u32).cast() }
}

/// `crash_save_cpu()`: writes `regs` into CPU `cpu`'s note buffer as an `NT_PRSTATUS` note
/// of the current task, then the empty note that ends the list. Runs on the panic path, on
/// each CPU as it is stopped: nothing here allocates, sleeps or can panic.
///
/// # Safety
///
/// `regs` points to the registers to save.
pub(crate) unsafe fn save(regs: *mut bindings::pt_regs, cpu: c_int) {
    if cpu < 0 || cpu as u32 >= sys::nr_cpu_ids() {
        return;
    }
    let buf = note_of(cpu);
    if buf.is_null() {
        return;
    }
    // Zeroed whole, padding included (C memsets it), then filled field by field, so every
    // byte of it is initialised when it is read as bytes below.
    let mut prstatus = core::mem::MaybeUninit::<bindings::elf_prstatus>::zeroed();
    let p = prstatus.as_mut_ptr();
    // SAFETY: `p` points to our zeroed `elf_prstatus`; `current` is always valid on a CPU;
    // `regs` points to the registers to save (this function's `# Safety`).
    unsafe {
        ptr::addr_of_mut!((*p).common.pr_pid).write(sys::task_pid(bindings::get_current()));
        bindings::elf_core_copy_regs(ptr::addr_of_mut!((*p).pr_reg), regs);
    }
    // SAFETY: `buf` is this CPU's note buffer, `note_buf_t` bytes long; while the machine
    // crashes only this CPU writes it. All bytes of `prstatus` are initialised (above).
    let (out, desc) = unsafe {
        (
            core::slice::from_raw_parts_mut(buf.cast::<u8>(), size_of::<bindings::note_buf_t>()),
            core::slice::from_raw_parts(p.cast::<u8>(), size_of::<bindings::elf_prstatus>()),
        )
    };
    // The buffer is sized for exactly this note and the final one (CRASH_CORE_NOTE_BYTES).
    if let Some(rest) = append_note(out, CORE, NT_PRSTATUS, desc) {
        let _ = final_note(rest);
    }
}
