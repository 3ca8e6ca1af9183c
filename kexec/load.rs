// SPDX-License-Identifier: GPL-2.0

//! `kexec_load(2)` after the checks of `kernel/kexec.c`: build the image, then publish it.
//!
//! A load builds its image privately and publishes it with one swap under the kexec lock
//! (held only for the swap, and for a crash image while it is copied into crashkernel
//! memory); the image it replaces is freed after. Loads are serialised among themselves by a
//! flag of their own, so a normal load never holds the lock the crash path takes. A load that
//! fails leaves the loaded image as it was: every check is made before the old crash image is
//! dropped, and when there is one, the new image's user buffers are first copied into kernel
//! memory.

use core::sync::atomic::{AtomicBool, Ordering};
use kernel::alloc::flags::GFP_KERNEL;
use kernel::alloc::VVec;
use kernel::bindings;
use kernel::error::to_result;
use kernel::ffi::c_ulong;
use kernel::kexec::{self, ImageSlot, KexecGuard, OwnedKimage};
use kernel::page::PAGE_SIZE;
use kernel::prelude::*;
use kernel::uaccess::UserSlice;

use crate::arch;
use crate::crashkres::CrashRegion;
use crate::image;
use crate::kimage;
use crate::segment::{self, Source};
use crate::segments;
use crate::sys;

/// Held by the one load (`kexec_load` or `kexec_file_load`) in progress.
static LOADING: AtomicBool = AtomicBool::new(false);

/// Clears [`LOADING`] on drop.
pub(crate) struct Loading;

impl Loading {
    /// The right to load, or `EBUSY` while another load runs.
    pub(crate) fn try_take() -> Result<Self> {
        LOADING
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .map(|_| Loading)
            .map_err(|_| EBUSY)
    }
}

impl Drop for Loading {
    fn drop(&mut self) {
        LOADING.store(false, Ordering::Release);
    }
}

/// The user buffer of a `kexec_load` segment.
fn user_buf(s: &bindings::kexec_segment) -> UserSlice {
    // SAFETY: `kexec_load` segments hold the user pointer in `buf`; either union member is a
    // plain pointer, so reading it is sound in any case.
    let u = unsafe { s.__bindgen_anon_1.buf } as usize;
    UserSlice::new(u, s.bufsz)
}

/// Copies every segment's user buffer into one kernel buffer, so a crash image's bytes can
/// be written into crashkernel memory with no user-memory access (and no `EFAULT`) left.
fn stage(segments: &[bindings::kexec_segment]) -> Result<VVec<u8>> {
    let total = segments
        .iter()
        .try_fold(0usize, |t, s| t.checked_add(s.bufsz))
        .ok_or(EINVAL)?;
    let mut buf = VVec::<u8>::with_capacity(total, GFP_KERNEL)?;
    {
        let mut rest = buf.spare_capacity_mut().get_mut(..total).ok_or(ENOMEM)?;
        for s in segments {
            if s.bufsz > rest.len() {
                return Err(EINVAL);
            }
            // In bounds: checked just above.
            let (now, later) = core::mem::take(&mut rest).split_at_mut(s.bufsz);
            user_buf(s).reader().read_raw(now)?;
            rest = later;
        }
    }
    // SAFETY: the loop above wrote all `total` bytes (`read_raw` fills its whole buffer or
    // fails), within the capacity.
    unsafe { buf.set_len(total) };
    Ok(buf)
}

/// Where a crash image's bytes come from: the caller's buffers, or a kernel copy of them.
#[derive(Clone, Copy)]
pub(crate) enum CrashBytes<'a> {
    User,
    Staged(&'a [u8]),
}

/// The image built, prepared and filled: everything `do_kexec_load()` does before the swap.
/// A crash image comes with its crashkernel region, read under the lock, and its bytes. On
/// an error the image being built is freed.
fn build(
    entry: c_ulong,
    segments: &[bindings::kexec_segment],
    flags: c_ulong,
    crash: Option<(CrashRegion, CrashBytes<'_>)>,
) -> Result<OwnedKimage> {
    let mut b = image::alloc_init(entry, segments, crash.map(|(r, _)| r))?;
    let i = b.get();
    if flags & bindings::KEXEC_PRESERVE_CONTEXT as c_ulong != 0 {
        i.set_preserve_context(true);
    }
    #[cfg(CONFIG_CRASH_HOTPLUG)]
    // SAFETY: `i` is our image.
    if crash.is_some() && unsafe { bindings::arch_crash_hotplug_support(i.as_raw(), flags) } != 0 {
        i.set_hotplug_support(true);
    }
    // SAFETY: `alloc_init` made `i` a checked image with its control code page (and swap page
    // for a normal image).
    unsafe { arch::prepare(i) }?;
    // SAFETY: `i` is our checked image, which only this load uses; a crash image is built
    // under the kexec lock (`replace_crash`). After machine_kexec_prepare(), as C does.
    to_result(unsafe { bindings::kimage_crash_copy_vmcoreinfo(i.as_raw()) })?;
    let mut staged = match crash {
        Some((_, CrashBytes::Staged(k))) => Some(k),
        _ => None,
    };
    for (n, s) in segments.iter().enumerate() {
        let mut src = match staged.as_mut() {
            Some(k) => Source::Kernel(segment::take(k, s.bufsz).ok_or(EINVAL)?),
            None => Source::User(user_buf(s).reader()),
        };
        segment::load(i, n, &mut src)?;
    }
    b.finish()
}

/// `do_kexec_load()`: loads (or, with no segments, unloads) a normal or crash image.
pub(crate) fn do_load(entry: c_ulong, segs: &[bindings::kexec_segment], flags: c_ulong) -> Result {
    let _loading = Loading::try_take()?;
    if flags & bindings::KEXEC_ON_CRASH as c_ulong != 0 {
        load_crash(entry, segs, flags)
    } else {
        load_normal(entry, segs, flags)
    }
}

/// A `kexec -l` load or unload: built without the kexec lock, which is taken for the swap.
fn load_normal(entry: c_ulong, segs: &[bindings::kexec_segment], flags: c_ulong) -> Result {
    let new = if segs.is_empty() {
        None
    } else {
        Some(build(entry, segs, flags, None)?)
    };
    // On EBUSY, dropping `new` frees the image that was never published.
    let lock = KexecGuard::try_lock().ok_or(EBUSY)?;
    let old = ImageSlot::Kexec.swap(new, &lock);
    drop(lock);
    // Freed with no lock held: the slot was swapped under the lock that `kernel_kexec()` and
    // `kexec_file_load` take before they read it, so nothing reaches `old` any more.
    drop(old);
    Ok(())
}

/// The `kexec -p` checks made before the lock, so that a refused load leaves the loaded crash
/// image in place: the entry point, the segments, room for the control pages (C would fail
/// there after dropping the old image). Returns the region checked against.
fn precheck_crash(entry: c_ulong, segs: &[bindings::kexec_segment]) -> Result<CrashRegion> {
    let region = CrashRegion::snapshot();
    image::checked(segments::check_crash_entry(entry as u64, region.boot()))?;
    let (all, n) = kimage::to_pure(segs);
    let used = all.get(..n).ok_or(EINVAL)?;
    image::checked(segments::check_segments(
        used,
        &image::machine(Some(region)),
    ))?;
    crash_control_room(region, used)?;
    Ok(region)
}

/// Whether the crashkernel region has room for a crash image's control code page and its
/// vmcoreinfo copy beside `used`, the image's segments: they go in the first free holes of the
/// region. C would find out only after dropping the loaded crash image.
pub(crate) fn crash_control_room(region: CrashRegion, used: &[segments::Segment]) -> Result {
    if !crash_control_fits(region, used) {
        pr_err!("Could not allocate control_code_buffer\n");
        return Err(ENOMEM);
    }
    Ok(())
}

/// [`crash_control_room`]'s test, with nothing logged.
pub(crate) fn crash_control_fits(region: CrashRegion, used: &[segments::Segment]) -> bool {
    let (start, end) = region.boot();
    let limit = sys::crash_control_memory_limit();
    let page = PAGE_SIZE as u64;
    segments::crash_control_hole(start, page, used, end, limit)
        .and_then(|h| segments::crash_control_hole(h + page, page, used, end, limit))
        .is_some()
}

/// A `kexec -p` load or unload. The checks come first, before the lock. With no crash image
/// loaded the segments are then copied from user memory under the lock, as C does. With one
/// loaded they are first copied into kernel memory, so that the old image goes only when
/// nothing but memory for control pages can fail.
fn load_crash(entry: c_ulong, segs: &[bindings::kexec_segment], flags: c_ulong) -> Result {
    if segs.is_empty() {
        let lock = KexecGuard::try_lock().ok_or(EBUSY)?;
        return replace_crash(entry, segs, flags, None, &lock);
    }
    let checked = precheck_crash(entry, segs)?;
    {
        let lock = KexecGuard::try_lock().ok_or(EBUSY)?;
        if !ImageSlot::Crash.is_loaded() {
            return replace_crash(entry, segs, flags, Some((checked, CrashBytes::User)), &lock);
        }
    }
    let data = stage(segs)?;
    let lock = KexecGuard::try_lock().ok_or(EBUSY)?;
    replace_crash(
        entry,
        segs,
        flags,
        Some((checked, CrashBytes::Staged(&data[..]))),
        &lock,
    )
}

/// Drops the loaded crash image and builds the new one, if any, into the crashkernel region.
/// `new` holds the region the segments were checked against, which must still be the region,
/// and where their bytes come from.
pub(crate) fn replace_crash(
    entry: c_ulong,
    segs: &[bindings::kexec_segment],
    flags: c_ulong,
    new: Option<(CrashRegion, CrashBytes<'_>)>,
    lock: &KexecGuard,
) -> Result {
    let region = CrashRegion::read(lock);
    if new.is_some_and(|(checked, _)| checked != region) {
        // crash_shrink_memory() ran since the checks; C would have refused it with EBUSY.
        pr_err!("load refused: the crashkernel region changed during the load\n");
        return Err(EBUSY);
    }
    // The crash kernel's memory is about to be rewritten: drop the image living there. (Both
    // calls do nothing with no crash image loaded.)
    kexec::unprotect_crashkres(lock);
    // Freed here, under the lock: unreachable now, as the crash path needs the lock to read
    // the slot.
    drop(ImageSlot::Crash.take(lock));
    let r = match new {
        None => Ok(()),
        // The slot was emptied above, under the same lock: the swap gives nothing back.
        Some((_, bytes)) => build(entry, segs, flags, Some((region, bytes))).map(|b| {
            drop(ImageSlot::Crash.swap(Some(b), lock));
        }),
    };
    kexec::protect_crashkres(lock);
    r
}
