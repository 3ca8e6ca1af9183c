// SPDX-License-Identifier: GPL-2.0

//! `kexec_file_load(2)`: `SYSCALL_DEFINE5(kexec_file_load)` and `kimage_file_alloc_init()` of
//! `kernel/kexec_file.c`, with what C does under the kexec lock moved out of it.
//!
//! C takes the lock first and holds it while it reads both files, checks the signature,
//! builds the image and copies it in; a panic in that window finds the lock held and no crash
//! kernel runs. Here loads are serialised among themselves by the loaders' own flag
//! ([`Loading`], shared with `kexec_load`), and:
//! - the files, the command line and every check of them are read and made first, with no
//!   lock held ([`input::read`]);
//! - a normal image is then built, hashed and copied into its pages with no lock held either,
//!   and the lock is taken only to swap it in;
//! - a crash image is placed, checked and hashed before the lock. With a crash image loaded
//!   it is built beside that one ([`load_crash_beside`]) and written into crashkernel memory
//!   with no lock held too; the lock is taken to drop the loaded image and give the new one
//!   its control pages and publish it. Where it does not fit beside, or with none loaded, it
//!   is written under the lock after the loaded image is dropped, as C does
//!   ([`load_crash_in_place`]). Either way every refusal leaves the loaded crash kernel in
//!   place (C drops it before it reads anything); only a failure to allocate memory once the
//!   old image is gone loses it.

use core::sync::atomic::Ordering;
use kernel::bindings;
use kernel::error::to_result;
use kernel::ffi::{c_int, c_ulong};
use kernel::kexec::{self, ImageSlot, KexecGuard, KimageKind, OwnedKimage};
use kernel::prelude::*;

use super::bzload::{self, Buffers};
use super::dbg::dprintk;
use super::input::{self, Input};
use crate::arch;
use crate::crashkres::{CrashRegion, Occupied, MAX_OCCUPIED};
use crate::exports::kexec_file_dbg_print;
use crate::image::{self, Building};
use crate::kimage;
use crate::load::{self, Loading};
use crate::segment::{self, Source};
use crate::segments::Segment;
use crate::sysctl;

/// `KEXEC_FILE_*` flags.
const UNLOAD: c_ulong = bindings::KEXEC_FILE_UNLOAD as c_ulong;
const ON_CRASH: c_ulong = bindings::KEXEC_FILE_ON_CRASH as c_ulong;
const DEBUG: c_ulong = bindings::KEXEC_FILE_DEBUG as c_ulong;
const FLAGS: c_ulong = (bindings::KEXEC_FILE_UNLOAD
    | bindings::KEXEC_FILE_ON_CRASH
    | bindings::KEXEC_FILE_NO_INITRAMFS
    | bindings::KEXEC_FILE_DEBUG) as c_ulong;

/// The syscall: C's checks in C's order (permission, flags), then the load or unload.
pub(crate) fn file_load(
    kernel_fd: c_int,
    initrd_fd: c_int,
    cmdline_len: c_ulong,
    cmdline_ptr: usize,
    flags: c_ulong,
) -> Result {
    let crash = flags & ON_CRASH != 0;
    let image_type = if crash {
        bindings::KEXEC_TYPE_CRASH
    } else {
        bindings::KEXEC_TYPE_DEFAULT
    };
    if !sysctl::load_permitted(image_type as c_int) {
        return Err(EPERM);
    }
    if flags & !FLAGS != 0 {
        return Err(EINVAL);
    }
    let _loading = Loading::try_take()?;
    if flags & UNLOAD != 0 {
        return unload(crash);
    }
    kexec_file_dbg_print.store(flags & DEBUG != 0, Ordering::Relaxed);
    let r = input::read(kernel_fd, initrd_fd, cmdline_len, cmdline_ptr, flags).and_then(|input| {
        if crash {
            load_crash(&input, flags)
        } else {
            load_normal(&input)
        }
    });
    // As C's kimage_file_post_load_cleanup() at the end of every load.
    kexec_file_dbg_print.store(false, Ordering::Relaxed);
    r
}

/// `kexec -s -u` or `kexec -s -p -u`: empties the slot under the lock; the image is freed
/// after.
fn unload(crash: bool) -> Result {
    let lock = KexecGuard::try_lock().ok_or(EBUSY)?;
    let old = if crash {
        kexec::unprotect_crashkres(&lock);
        ImageSlot::Crash.take(&lock)
    } else {
        ImageSlot::Kexec.take(&lock)
    };
    drop(lock);
    drop(old);
    Ok(())
}

/// `kimage_file_alloc_init()`'s start: an empty file-mode image; for a crash image, its
/// control pages are to come from the start of `region`.
fn new_image(region: Option<CrashRegion>) -> Result<Building> {
    let mut b = Building::new()?;
    let i = b.get();
    i.set_file_mode(true);
    if let Some(region) = region {
        // SAFETY: a fresh image, with no pages: its control pages will be taken from the
        // start of the crashkernel region up.
        unsafe {
            i.set_control_page(region.start as c_ulong);
            i.set_kind(KimageKind::Crash);
        }
    }
    Ok(b)
}

/// Builds the image's segments (`kimage_file_prepare_segments()`'s load step) and hashes them.
fn place_and_hash(b: &mut Building, input: &Input) -> Result<Buffers> {
    let i = b.get();
    #[cfg(CONFIG_IMA_KEXEC)]
    if i.kind() == KimageKind::Normal {
        // SAFETY: a file-mode image with no control pages: IMA adds its buffer as a segment.
        unsafe { bindings::ima_add_kexec_buffer(i.as_raw()) };
    }
    let mut bufs = bzload::load(i, input)?;
    bzload::store_digests(i, &mut bufs)?;
    Ok(bufs)
}

/// The rest of `kexec_file_load` once the image has its control pages: the architecture's
/// preparation, the vmcoreinfo copy of a crash image, every segment copied in (unless
/// `written` already), the list ended.
fn complete(mut b: Building, flags: c_ulong, written: bool) -> Result<OwnedKimage> {
    let i = b.get();
    #[cfg(CONFIG_CRASH_HOTPLUG)]
    if i.kind() == KimageKind::Crash {
        // SAFETY: `i` is our image, which the architecture only reads.
        let supported = unsafe { bindings::arch_crash_hotplug_support(i.as_raw(), flags) } != 0;
        i.set_hotplug_support(supported);
    }
    #[cfg(not(CONFIG_CRASH_HOTPLUG))]
    let _ = flags;
    // SAFETY: `i` is checked and has its control pages (`checked_with_control_pages`).
    unsafe { arch::prepare(i) }?;
    // SAFETY: `i` is our checked image, which only this load uses; a crash image is completed
    // under the kexec lock.
    to_result(unsafe { bindings::kimage_crash_copy_vmcoreinfo(i.as_raw()) })?;
    let to_copy = if written { 0 } else { i.segments().len() };
    for n in 0..to_copy {
        let s = *i.segments().get(n).ok_or(EINVAL)?;
        dprintk!(
            "segment[{}]: mem=0x{:x} memsz=0x{:x} bufsz=0x{:x}\n",
            n,
            s.mem,
            s.memsz,
            s.bufsz
        );
        // SAFETY: a segment of the image this loader built, whose buffers the caller holds.
        let bytes = unsafe { bzload::segment_bytes(&s) };
        segment::load(i, n, &mut Source::Kernel(bytes))?;
    }
    let done = b.finish()?;
    #[cfg(CONFIG_IMA_KEXEC)]
    if done.kind() == KimageKind::Normal {
        // SAFETY: a complete normal image only this load knows.
        unsafe { bindings::ima_kexec_post_load(done.as_raw()) };
    }
    dprintk!(
        "kexec_file_load: type:{}, start:0x{:x} head:0x{:x} flags:0x{:x}\n",
        done.kind() as u32,
        done.start(),
        done.head(),
        flags
    );
    Ok(done)
}

/// `kexec -s -l`: built, hashed and copied in with no lock held; the lock is taken to swap.
fn load_normal(input: &Input) -> Result {
    let mut b = new_image(None)?;
    let bufs = place_and_hash(&mut b, input)?;
    b.checked_with_control_pages()?;
    let new = complete(b, 0, false)?;
    drop(bufs);
    // On EBUSY, dropping `new` frees the image that was never published.
    let lock = KexecGuard::try_lock().ok_or(EBUSY)?;
    let old = ImageSlot::Kexec.swap(Some(new), &lock);
    drop(lock);
    // Freed with no lock held: nothing reaches it since the swap.
    drop(old);
    Ok(())
}

/// Said when a crash image does not fit beside the loaded one.
const NO_ROOM_BESIDE: &str = "kexec_file: the new crash kernel does not fit beside the loaded \
     one: placing it as C does, the loaded one dropped when the new one is written";

/// `EADDRNOTAVAIL`: no hole for a buffer.
fn no_hole() -> Error {
    Error::from_errno(-(bindings::EADDRNOTAVAIL as c_int))
}

/// `kexec -s -p`. With a crash image loaded (and memory not encrypted), the new one is first
/// built beside it ([`load_crash_beside`]); where it does not fit there, or with none loaded,
/// in C's order ([`load_crash_in_place`]).
fn load_crash(input: &Input, flags: c_ulong) -> Result {
    let region = CrashRegion::snapshot();
    if let Some((taken, n)) = loaded_crash_footprint(region)? {
        match load_crash_beside(input, flags, region, taken.get(..n).unwrap_or(&[]))? {
            Some(()) => return Ok(()),
            None => pr_warn!("{}\n", NO_ROOM_BESIDE),
        }
    }
    load_crash_in_place(input, flags, region)
}

/// What the loaded crash image occupies in `region`: its segments and the part of the region
/// its control pages were taken from (`[start, image->control_page)`). `None` if none is loaded,
/// or where a new image cannot be written beside it (encrypted memory).
fn loaded_crash_footprint(region: CrashRegion) -> Result<Option<([Segment; MAX_OCCUPIED], usize)>> {
    if arch::host_mem_encrypted() {
        return Ok(None);
    }
    let lock = KexecGuard::try_lock().ok_or(EBUSY)?;
    let Some(old) = ImageSlot::Crash.get(&lock) else {
        return Ok(None);
    };
    let control = Segment {
        bufsz: 0,
        mem: region.start,
        memsz: (old.control_page() as u64).saturating_sub(region.start),
    };
    let own = old.segments().iter().map(|s| Segment {
        bufsz: 0,
        mem: s.mem as u64,
        memsz: s.memsz as u64,
    });
    let mut out = [Segment::default(); MAX_OCCUPIED];
    let mut n = 0;
    for (d, s) in out
        .iter_mut()
        .zip(Iterator::chain(own, core::iter::once(control)).filter(|s| s.memsz != 0))
    {
        *d = s;
        n += 1;
    }
    Ok(Some((out, n)))
}

/// `kexec -s -p` beside the loaded crash image, which stays loaded (and is what a panic runs)
/// until the new one is complete: placed clear of what it occupies ([`Occupied`]), hashed and
/// written into crashkernel memory with no lock held; under the lock, the loaded image is
/// dropped and the new one given its control pages and published. `None` if the new image
/// does not fit beside the loaded one.
fn load_crash_beside(
    input: &Input,
    flags: c_ulong,
    region: CrashRegion,
    taken: &[Segment],
) -> Result<Option<()>> {
    let _occupied = Occupied::mark(taken);
    let mut b = new_image(Some(region))?;
    let bufs = match place_and_hash(&mut b, input) {
        Err(e) if e == no_hole() => return Ok(None),
        r => r?,
    };
    {
        let i = b.get();
        image::sanity_check(i)?;
        let (own, n) = kimage::to_pure(i.segments());
        let (all, m) = Occupied::with(own.get(..n).unwrap_or(&[]));
        if !load::crash_control_fits(region, all.get(..m).unwrap_or(&[])) {
            return Ok(None);
        }
        for n in 0..i.segments().len() {
            let s = *i.segments().get(n).ok_or(EINVAL)?;
            // SAFETY: a segment of the image this loader built, whose buffers `bufs` and the
            // caller's input hold.
            let bytes = unsafe { bzload::segment_bytes(&s) };
            segment::load_crash_mapped(&s, bytes)?;
        }
    }
    let r = publish_crash(b, flags, region, true);
    drop(bufs);
    r.map(Some)
}

/// `kexec -s -p` in C's order: placed, checked and hashed before the lock; under it, the loaded
/// crash image (if any) is dropped and the new one written into crashkernel memory and
/// published.
fn load_crash_in_place(input: &Input, flags: c_ulong, region: CrashRegion) -> Result {
    let mut b = new_image(Some(region))?;
    let bufs = place_and_hash(&mut b, input)?;
    {
        let i = b.get();
        image::sanity_check(i)?;
        let (all, n) = kimage::to_pure(i.segments());
        load::crash_control_room(region, all.get(..n).unwrap_or(&[]))?;
    }
    let r = publish_crash(b, flags, region, false);
    drop(bufs);
    r
}

/// The end of a crash load, under the kexec lock: the region checked against what the image
/// was placed in (`crash_shrink_memory()` may have changed it: `EBUSY`), the loaded crash image
/// dropped (its memory is about to be rewritten, or, beside it, freeing it drops the vmcoreinfo
/// copy the new image then makes again, as in C's order), the new one given its control pages,
/// completed (its segments copied in unless `written`) and published.
fn publish_crash(mut b: Building, flags: c_ulong, region: CrashRegion, written: bool) -> Result {
    let lock = KexecGuard::try_lock().ok_or(EBUSY)?;
    if CrashRegion::read(&lock) != region {
        pr_err!("load refused: the crashkernel region changed during the load\n");
        return Err(EBUSY);
    }
    kexec::unprotect_crashkres(&lock);
    drop(ImageSlot::Crash.take(&lock));
    let r = b
        .checked_with_control_pages()
        .and_then(|()| complete(b, flags, written))
        .map(|new| drop(ImageSlot::Crash.swap(Some(new), &lock)));
    kexec::protect_crashkres(&lock);
    r
}
