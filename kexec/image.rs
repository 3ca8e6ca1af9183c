// SPDX-License-Identifier: GPL-2.0

//! The image: C's `struct kimage`, allocated, checked and freed.
//!
//! The image is the C structure itself, so `kexec_file.c`, `crash_core.c` and
//! `relocate_kernel` read it as before, seen from Rust as a [`Kimage`]. [`Building`] owns one
//! while a load builds it and frees it on drop; [`Building::finish`] makes it the
//! [`OwnedKimage`] a slot takes.

use core::ptr::{self, NonNull};
use kernel::bindings;
use kernel::error::to_result;
use kernel::ffi::c_ulong;
use kernel::kexec::{Kimage, KimageKind, OwnedKimage};
use kernel::page::PAGE_SIZE;
use kernel::prelude::*;

use crate::arch;
use crate::control;
use crate::crashkres::CrashRegion;
use crate::entries::{Entries, IND_INDIRECTION, IND_SOURCE};
use crate::kimage::to_pure;
use crate::pages;
use crate::segments::{self, Machine, Refusal};
use crate::sys;

/// The machine a (crash, if `crash` is given) image is checked against.
pub(crate) fn machine(crash: Option<CrashRegion>) -> Machine {
    Machine {
        page: PAGE_SIZE as u64,
        dest_limit: sys::destination_memory_limit(),
        total_pages: sys::totalram_pages(),
        crash: crash.map(CrashRegion::boot),
    }
}

/// A pure check's outcome as a kernel result; a refusal is logged here, once, with its values.
pub(crate) fn checked(r: core::result::Result<(), Refusal>) -> Result {
    r.map_err(|r| {
        pr_err!("load refused: {}\n", r);
        Error::from_errno(-r.errno)
    })
}

/// `sanity_check_segment_list()`: the checks of [`segments::check_segments`].
///
/// A crash image is checked under the kexec lock (kexec_file_load and the Rust loader build
/// it holding the lock), so the crashkernel region read here is stable.
pub(crate) fn sanity_check(image: &Kimage) -> Result {
    let (s, n) = to_pure(image.segments());
    let crash = (image.kind() == KimageKind::Crash).then(CrashRegion::snapshot);
    checked(segments::check_segments(
        s.get(..n).unwrap_or(&[]),
        &machine(crash),
    ))
}

/// `do_kimage_alloc_init()`: an empty image that only the caller knows, or `ENOMEM`.
pub(crate) fn alloc() -> Result<NonNull<bindings::kimage>> {
    // SAFETY: kzalloc takes any size; the result is null or zeroed memory we own.
    let image: *mut bindings::kimage = unsafe {
        bindings::__kmalloc_noprof(
            core::mem::size_of::<bindings::kimage>(),
            bindings::GFP_KERNEL | bindings::__GFP_ZERO,
        )
    }
    .cast();
    let image = NonNull::new(image).ok_or(ENOMEM)?;
    // SAFETY: `image` is a zeroed `struct kimage` we allocated and own, freed only by
    // `free()` (`kimage_free()`); it never moves.
    unsafe { Kimage::init(image) };
    Ok(image)
}

/// `kimage_free()`: frees an image and everything it holds. Null is ignored.
///
/// # Safety
///
/// `image` is null or an image nothing else uses any more.
pub(crate) unsafe fn free(image: *mut bindings::kimage) {
    if image.is_null() {
        return;
    }
    // SAFETY: `image` is not null, and nothing else uses it any more (this function's
    // `# Safety`): an image of this core, which satisfies `Kimage`'s invariants until it is
    // taken apart here.
    let image = unsafe { Kimage::from_raw_mut(image) };
    // SAFETY: we own the image and every page it names, and free each once.
    unsafe {
        let copy = image.vmcoreinfo_data_copy();
        if !copy.is_null() {
            bindings::crash_update_vmcoreinfo_safecopy(ptr::null_mut());
            bindings::vunmap(copy);
        }
        pages::free_page_list(image.dest_pages());
        pages::free_page_list(image.unusable_pages());
        let mut ind: c_ulong = 0;
        // Each indirection page is freed once the walk is past it.
        for e in Entries::freeing(image) {
            if e.value & IND_INDIRECTION != 0 {
                // The previous indirection page is done with: the walk is past it.
                if ind & IND_INDIRECTION != 0 {
                    pages::free_entry(ind);
                }
                ind = e.value;
            } else if e.value & IND_SOURCE != 0 {
                pages::free_entry(e.value);
            }
        }
        if ind & IND_INDIRECTION != 0 {
            pages::free_entry(ind);
        }
        arch::cleanup(image);
        pages::free_page_list(image.control_pages());
        // Without KEXEC_FILE it is a static inline that does nothing, and no image is in
        // file mode.
        #[cfg(CONFIG_KEXEC_FILE)]
        if image.file_mode() {
            bindings::kimage_file_post_load_cleanup(image.as_raw());
        }
        bindings::kfree(image.as_raw().cast());
    }
}

/// An image being built, freed on drop unless finished.
///
/// # Invariants
///
/// The pointer is a live image of this core (it satisfies `Kimage`'s invariants) that only
/// this load knows.
pub(crate) struct Building(NonNull<bindings::kimage>);

impl Building {
    pub(crate) fn get(&mut self) -> &mut Kimage {
        // SAFETY: by the type invariant the image satisfies `Kimage`'s invariants and only this
        // load knows it, so it is borrowed uniquely with `self`.
        unsafe { Kimage::from_raw_mut(self.0.as_ptr()) }
    }

    /// Ends the entry list and hands the image to the architecture's `machine_kexec_post_load()`:
    /// the image is complete, for a slot to take. On an error the image is freed.
    pub(crate) fn finish(mut self) -> Result<OwnedKimage> {
        let i = self.get();
        i.terminate();
        // SAFETY: `i` is our checked, prepared and loaded image, as C calls the hook.
        to_result(unsafe { bindings::machine_kexec_post_load(i.as_raw()) })?;
        let p = self.0;
        core::mem::forget(self);
        // SAFETY: `p` is complete: checked and given its control pages (`alloc_init`),
        // prepared and loaded (`load::build`, the only caller), its list ended above; only
        // this load knew it (the type invariant), and `forget` gave up our claim to it.
        Ok(unsafe { OwnedKimage::from_raw(p) })
    }
}

impl Drop for Building {
    fn drop(&mut self) {
        // SAFETY: by the type invariant nobody else knows the image.
        unsafe { free(self.0.as_ptr()) };
    }
}

impl Building {
    /// An empty image (`do_kimage_alloc_init()`) that only this load knows, or `ENOMEM`.
    pub(crate) fn new() -> Result<Self> {
        // INVARIANT: a fresh image nobody else knows.
        Ok(Building(alloc()?))
    }

    /// The end of `kimage_alloc_init()` and of `kimage_file_alloc_init()`, once the segments
    /// are set: checks them and gives the image its control code page (and a normal image its
    /// swap page), or C's errno. A crash image's control pages are taken from
    /// `image->control_page` up.
    pub(crate) fn checked_with_control_pages(&mut self) -> Result {
        let i = self.get();
        // On a refusal the image has no pages yet; dropping it frees it as C's kfree() does.
        sanity_check(i)?;
        let page = control::alloc_control_pages(i, 0);
        if page.is_null() {
            pr_err!("Could not allocate control_code_buffer\n");
            return Err(ENOMEM);
        }
        // SAFETY: `page` is a control page of `i`, just allocated.
        unsafe { i.set_control_code_page(page) };
        if i.kind() == KimageKind::Normal {
            let page = control::alloc_control_pages(i, 0);
            if page.is_null() {
                pr_err!("Could not allocate swap buffer\n");
                return Err(ENOMEM);
            }
            // SAFETY: `page` is a control page of `i`, just allocated.
            unsafe { i.set_swap_page(page) };
        }
        Ok(())
    }
}

/// `kimage_alloc_init()`: the checked image with its control pages (and a swap page for a
/// normal image), or C's errno. `crash` is the crashkernel region for a crash image, read
/// under the kexec lock.
pub(crate) fn alloc_init(
    entry: c_ulong,
    segments: &[bindings::kexec_segment],
    crash: Option<CrashRegion>,
) -> Result<Building> {
    if let Some(region) = crash {
        checked(segments::check_crash_entry(entry as u64, region.boot()))?;
    }
    let mut b = Building::new()?;
    let i = b.get();
    i.set_segments(entry, segments)?;
    if let Some(region) = crash {
        // SAFETY: a fresh image, with no pages: its control pages will be taken from the
        // start of the crashkernel region up.
        unsafe {
            i.set_control_page(region.start as c_ulong);
            i.set_kind(KimageKind::Crash);
        }
    }
    b.checked_with_control_pages()?;
    Ok(b)
}
