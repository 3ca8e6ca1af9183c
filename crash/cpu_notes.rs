// SPDX-License-Identifier: GPL-2.0

//! Each CPU's crash note: a per-CPU buffer reserved at boot (`crash_notes`), into which the
//! CPU's registers are written as an `NT_PRSTATUS` note when the machine crashes
//! (`crash_save_cpu()`). The capture kernel finds the buffers through the elfcorehdr; sysfs
//! shows each one's address (`/sys/devices/system/cpu/cpuN/crash_notes`).

use core::mem::size_of;
use core::ptr::{self, NonNull};
use kernel::bindings;
use kernel::ffi::{c_int, c_uint, c_void};
use kernel::page::PAGE_SIZE;
use kernel::prelude::*;

use crate::note::{append_note, final_note};
use crate::sys;

/// `NT_PRSTATUS`.
pub(crate) const NT_PRSTATUS: u32 = 1;
/// `KEXEC_CORE_NOTE_NAME`.
pub(crate) const CORE: &[u8] = b"CORE";

/// The per-CPU note buffers, `crash_notes`.
///
/// # Invariants
///
/// `0` is a per-CPU allocation of one `note_buf_t` for each possible CPU, which [`reserve`]
/// made and nothing frees.
#[derive(Clone, Copy)]
pub(crate) struct CrashNotes(NonNull<bindings::note_buf_t>);

impl CrashNotes {
    /// The buffers, or `None` before [`reserve`] made them.
    pub(crate) fn get() -> Option<Self> {
        // SAFETY: a plain read of a pointer that only `reserve` writes, once, at boot.
        let p = unsafe { ptr::addr_of!(bindings::crash_notes).read() };
        // INVARIANT: `crash_notes` is null or what `reserve` stored: a per-CPU allocation of a
        // `note_buf_t` for each possible CPU, never freed.
        NonNull::new(p).map(CrashNotes)
    }

    /// CPU `cpu`'s buffer, or `None` if there is no such CPU.
    pub(crate) fn of(self, cpu: c_uint) -> Option<NoteSlot> {
        if cpu >= sys::nr_cpu_ids() {
            return None;
        }
        // SAFETY: `self.0` is a live per-CPU allocation for each possible CPU (the type's
        // invariants), and `cpu` is a possible CPU: x86_64 makes CPUs 0 to `nr_cpu_ids - 1`
        // the possible ones (`topology_init_possible_cpus()`). (arm64, built only, may leave
        // holes; C's `crash_save_cpu()` makes the same assumption.)
        let p = unsafe { bindings::per_cpu_ptr(self.0.as_ptr().cast::<c_void>(), cpu) };
        // INVARIANT: `p` is CPU `cpu`'s `note_buf_t` of the allocation, which is never freed.
        NonNull::new(p.cast()).map(NoteSlot)
    }
}

/// One CPU's note buffer in [`CrashNotes`].
///
/// # Invariants
///
/// `0` points to a possible CPU's `note_buf_t` in a per-CPU allocation that is never freed.
pub(crate) struct NoteSlot(NonNull<bindings::note_buf_t>);

impl NoteSlot {
    /// The buffer's per-CPU address.
    pub(crate) fn as_ptr(&self) -> *mut bindings::note_buf_t {
        self.0.as_ptr()
    }

    /// The buffer.
    ///
    /// # Safety
    ///
    /// Nothing else reads or writes the buffer while the slice lives. On the crash path the
    /// CPU that owns the buffer is the only one to write it, and nothing reads it before the
    /// capture kernel.
    pub(crate) unsafe fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: `self.0` points to a `note_buf_t` that is never freed (the type's
        // invariants), which only the caller uses while the slice lives (this function's
        // `# Safety`); the slice borrows `self`.
        unsafe {
            core::slice::from_raw_parts_mut(
                self.0.as_ptr().cast::<u8>(),
                size_of::<bindings::note_buf_t>(),
            )
        }
    }
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
pub(crate) fn note_of(cpu: c_uint) -> *mut bindings::note_buf_t {
    CrashNotes::get()
        .and_then(|n| n.of(cpu))
        .map_or(ptr::null_mut(), |slot| slot.as_ptr())
}

/// `crash_save_cpu()`: writes `regs` into CPU `cpu`'s note buffer as an `NT_PRSTATUS` note
/// of the current task, then the empty note that ends the list. Runs on the panic path, on
/// each CPU as it is stopped: nothing here allocates, sleeps or can panic.
///
/// # Safety
///
/// `regs` points to the registers to save. Nothing else reads or writes CPU `cpu`'s note
/// buffer during the call (on the crash path, `cpu` is the calling CPU, the only one that
/// writes its buffer).
pub(crate) unsafe fn save(regs: *mut bindings::pt_regs, cpu: c_int) {
    let Ok(cpu) = c_uint::try_from(cpu) else {
        return;
    };
    let Some(mut slot) = CrashNotes::get().and_then(|n| n.of(cpu)) else {
        return;
    };
    // Zeroed whole, padding included (C memsets it), then filled field by field, so every
    // byte of it is initialised when it is read as bytes below.
    let mut prstatus = core::mem::MaybeUninit::<bindings::elf_prstatus>::zeroed();
    let p = prstatus.as_mut_ptr();
    // SAFETY: `p` points to our zeroed `elf_prstatus`; `current` is always valid on a CPU, as
    // `task_pid`'s `# Safety` asks; `regs` points to the registers to save (this function's
    // `# Safety`), as `elf_core_copy_regs()` reads them.
    unsafe {
        ptr::addr_of_mut!((*p).common.pr_pid).write(sys::task_pid(bindings::get_current()));
        bindings::elf_core_copy_regs(ptr::addr_of_mut!((*p).pr_reg), regs);
    }
    // SAFETY: nothing else uses CPU `cpu`'s buffer during the call (this function's
    // `# Safety`), as `bytes_mut` asks.
    let out = unsafe { slot.bytes_mut() };
    // SAFETY: all bytes of `prstatus` are initialised (above), and it lives past `desc`.
    let desc =
        unsafe { core::slice::from_raw_parts(p.cast::<u8>(), size_of::<bindings::elf_prstatus>()) };
    // The buffer is sized for exactly this note and the final one (CRASH_CORE_NOTE_BYTES).
    if let Some(rest) = append_note(out, CORE, NT_PRSTATUS, desc) {
        let _ = final_note(rest);
    }
}
