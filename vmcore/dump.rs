// SPDX-License-Identifier: GPL-2.0

//! The dump `/proc/vmcore` serves, once parsed: immutable from the moment it is published
//! until `vmcore_cleanup()` takes it back.

use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::bindings;
use kernel::prelude::*;

use crate::layout::Chunk;
use crate::read::File;
use crate::vbuf::VBuf;

/// The parsed dump (C's `elfcorebuf`, `elfnotes_buf`, `vmcore_list`).
pub(crate) struct Vmcore {
    /// ELF header and program headers after merging, `elf_size` bytes used.
    pub(crate) headers: VBuf,
    pub(crate) elf_size: u64,
    /// Every note back to back, `notes_size` (page-rounded) bytes.
    pub(crate) notes: VBuf,
    pub(crate) notes_size: u64,
    /// The PT_LOAD ranges of old memory, in file order.
    pub(crate) chunks: KVec<Chunk>,
    /// Whether old memory must be mapped encrypted (`CC_ATTR_MEM_ENCRYPT`).
    pub(crate) encrypted: bool,
}

impl Vmcore {
    /// The file's layout, for the read and mmap splits.
    pub(crate) fn file(&self) -> File<'_> {
        File {
            elf_size: self.elf_size,
            notes_size: self.notes_size,
            chunks: &self.chunks,
        }
    }
}

/// The published dump; null before init succeeds and after `vmcore_cleanup()`.
///
/// A non-null value is a leaked `KBox<Vmcore>` that nothing writes to any more.
static VMCORE: AtomicPtr<Vmcore> = AtomicPtr::new(ptr::null_mut());

/// The proc entry serving [`VMCORE`], null when there is none. Kept apart from the dump so that
/// the dump never changes after it is published.
static PDE: AtomicPtr<bindings::proc_dir_entry> = AtomicPtr::new(ptr::null_mut());

/// Publishes `vm` for the proc entry's readers.
pub(crate) fn publish(vm: KBox<Vmcore>) {
    let old = VMCORE.swap(KBox::into_raw(vm), Ordering::AcqRel);
    if !old.is_null() {
        // SAFETY: `old` was published by an earlier call and has no proc entry (the entry is
        // created once, after the only successful publish), so no reader can hold it.
        drop(unsafe { KBox::from_raw(old) });
    }
}

/// The published dump, if any.
///
/// # Safety
///
/// The caller runs inside a read or an mmap of the proc entry, which `unpublish()` waits for
/// before it frees the dump, and keeps the reference no longer than that call (`'a`).
pub(crate) unsafe fn published<'a>() -> Option<&'a Vmcore> {
    // SAFETY: a non-null pointer in `VMCORE` is a leaked `KBox<Vmcore>` that is only read and
    // stays alive until `unpublish()`, which first removes the proc entry and so waits for
    // the caller's read or mmap (this function's `# Safety`).
    unsafe { VMCORE.load(Ordering::Acquire).as_ref() }
}

/// Records the proc entry created for the published dump.
pub(crate) fn set_entry(pde: *mut bindings::proc_dir_entry) {
    PDE.store(pde, Ordering::Release);
}

/// Removes the proc entry, then frees the dump (`vmcore_cleanup()`).
#[cfg_attr(CONFIG_PROC_VMCORE_RUST_TWIN, allow(dead_code))]
pub(crate) fn unpublish() {
    let pde = PDE.swap(ptr::null_mut(), Ordering::AcqRel);
    if !pde.is_null() {
        // SAFETY: `pde` is our entry, taken out of `PDE` so removed once; `proc_remove()`
        // returns once no read or mmap runs in it any more.
        unsafe { bindings::proc_remove(pde) };
    }
    let vm = VMCORE.swap(ptr::null_mut(), Ordering::AcqRel);
    if !vm.is_null() {
        // SAFETY: no user of the entry is left and nothing else can load `vm` any more; the box
        // was leaked by `publish()`.
        drop(unsafe { KBox::from_raw(vm) });
    }
}
