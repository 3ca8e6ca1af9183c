// SPDX-License-Identifier: GPL-2.0

//! Where each buffer of a `kexec_file_load` image goes: `kexec_add_buffer()` and
//! `kexec_locate_mem_hole()` over the kernel's resource tree. The search within one range is
//! [`hole::in_range`]; this walks the ranges as `kexec_walk_resources()` does: the
//! crashkernel region for a crash image, else System RAM from the top down or the bottom up.

use kernel::bindings;
use kernel::ffi::{c_int, c_ulong, c_void};
use kernel::kexec::{Kimage, KimageKind};
use kernel::page::PAGE_SIZE;
use kernel::prelude::*;

use super::hole::{self, InRange, Request};
use crate::crashkres::{CrashRegion, Occupied};

const PAGE: u64 = PAGE_SIZE as u64;

/// A walk's state: the request, the image whose segments are busy, what was found.
struct Walk<'a> {
    req: Request,
    image: &'a Kimage,
    found: Option<InRange>,
}

/// `locate_mem_hole_callback()`: the search in one range of the walk.
///
/// # Safety
///
/// `res` is a resource the walk holds for the call, and `arg` the `Walk` the walk was given.
unsafe extern "C" fn each_range(res: *mut bindings::resource, arg: *mut c_void) -> c_int {
    // SAFETY: `arg` is the caller's `Walk`, which it does not touch during the walk, and `res`
    // a resource the walk holds for the call (this function's `# Safety`).
    let (w, r) = unsafe { (&mut *arg.cast::<Walk<'_>>(), &*res) };
    let managed = r.flags & bindings::IORESOURCE_SYSRAM_DRIVER_MANAGED as c_ulong != 0;
    let image = w.image;
    // Clear of the image's own segments and, while a crash image is built beside the loaded
    // one, of what that one occupies.
    let busy =
        |a: u64, b: u64| image.is_destination(a as c_ulong, b as c_ulong) || Occupied::meets(a, b);
    match hole::in_range(r.start, r.end, managed, &w.req, PAGE, busy) {
        InRange::Next => 0,
        found => {
            w.found = Some(found);
            1
        }
    }
}

/// `kexec_locate_mem_hole()`: the address of a hole for `req` (already
/// [`Request::rounded`]) clear of the image's segments, or `EADDRNOTAVAIL`.
pub(crate) fn locate(image: &Kimage, req: Request) -> Result<u64> {
    let mut walk = Walk {
        req,
        image,
        found: None,
    };
    let arg = core::ptr::addr_of_mut!(walk).cast::<c_void>();
    // SAFETY: `each_range` is a walk callback whose `arg` is `walk`, live for the call and
    // not otherwise used during it.
    unsafe {
        if image.kind() == KimageKind::Crash {
            // The region is stable: a crash image's buffers are placed with the region it was
            // checked against, compared under the kexec lock before the image is published.
            let region = CrashRegion::snapshot();
            bindings::walk_iomem_res_desc(
                bindings::crashk_res.desc,
                (bindings::IORESOURCE_SYSTEM_RAM | bindings::IORESOURCE_BUSY) as c_ulong,
                region.start,
                region.end,
                arg,
                Some(each_range),
            );
        } else if req.top_down {
            bindings::walk_system_ram_res_rev(0, c_ulong::MAX as u64, arg, Some(each_range));
        } else {
            bindings::walk_system_ram_res(0, c_ulong::MAX as u64, arg, Some(each_range));
        }
    }
    match walk.found {
        Some(InRange::Found(addr)) => Ok(addr),
        _ => Err(Error::from_errno(-(bindings::EADDRNOTAVAIL as c_int))),
    }
}

/// `kexec_add_buffer()`: places `bufsz` bytes at `kbuf` as `req` asks (its size rounded to a
/// page, its alignment to at least one) and appends the segment; returns where it goes.
/// `mem`, if given, is where the caller already placed it (C's `kbuf->mem`).
pub(crate) fn add_buffer(
    image: &mut Kimage,
    kbuf: *const c_void,
    bufsz: usize,
    req: Request,
    mem: Option<u64>,
) -> Result<u64> {
    if !image.file_mode() || image.segments().len() >= bindings::KEXEC_SEGMENT_MAX as usize {
        return Err(EINVAL);
    }
    let req = req.rounded(PAGE);
    let mem = match mem {
        Some(m) => m,
        None => locate(image, req)?,
    };
    image.add_segment(kbuf, bufsz, mem as c_ulong, req.memsz as usize)?;
    Ok(mem)
}
