// SPDX-License-Identifier: GPL-2.0

//! The crashkernel region's size, as `/sys/kernel/kexec_crash_size` reads and shrinks it
//! (`crash_get_memory_size()`, `crash_shrink_memory()`): memory given back to the system from
//! the top of the region, possible only while no crash image is loaded.

use core::ptr;
use kernel::bindings;
use kernel::kexec::{ImageSlot, KexecGuard};
use kernel::page::PAGE_SIZE;
use kernel::prelude::*;

/// `KEXEC_CRASH_MEM_ALIGN`.
const MEM_ALIGN: u64 = PAGE_SIZE as u64;

/// `crash_resource_size()`: a released region (end 0) has no size.
fn size_of(res: *const bindings::resource, _lock: &KexecGuard) -> u64 {
    // SAFETY: `res` is `crashk_res` or `crashk_low_res`, statics that every writer changes
    // under the kexec lock, which `_lock` is.
    let (start, end) = unsafe { ((*res).start, (*res).end) };
    if end == 0 {
        0
    } else {
        end.wrapping_sub(start).wrapping_add(1)
    }
}

fn high() -> *mut bindings::resource {
    ptr::addr_of_mut!(bindings::crashk_res)
}

fn low() -> *mut bindings::resource {
    ptr::addr_of_mut!(bindings::crashk_low_res)
}

/// `crash_get_memory_size()`: both regions' bytes, or `EBUSY` while a load holds the lock.
pub(crate) fn memory_size() -> Result<u64> {
    let lock = KexecGuard::try_lock().ok_or(EBUSY)?;
    Ok(size_of(high(), &lock).wrapping_add(size_of(low(), &lock)))
}

/// `__crash_shrink_memory()`: keeps the first `new_size` bytes of `old` and gives the rest to
/// the system as RAM; a region kept empty is released.
fn shrink_one(old: *mut bindings::resource, new_size: u64, _lock: &KexecGuard) -> Result {
    let ram = KBox::new(
        // SAFETY: all-zero is a valid `struct resource` (no parent, child or sibling).
        unsafe { core::mem::zeroed::<bindings::resource>() },
        GFP_KERNEL,
    )?;
    let ram = KBox::into_raw(ram);
    // SAFETY: `old` is one of the crashkernel regions, changed only under the lock we hold;
    // `ram` is ours until insert_resource() takes it into the resource tree, which keeps it
    // for good, as C's kzalloc'ed one.
    unsafe {
        (*ram).start = (*old).start.wrapping_add(new_size);
        (*ram).end = (*old).end;
        (*ram).flags = (bindings::IORESOURCE_BUSY | bindings::IORESOURCE_SYSTEM_RAM) as _;
        (*ram).name = kernel::c_str!("System RAM").as_char_ptr();
        if new_size == 0 {
            bindings::release_resource(old);
            (*old).start = 0;
            (*old).end = 0;
        } else {
            (*old).end = (*ram).start.wrapping_sub(1);
        }
        bindings::crash_free_reserved_phys_range((*ram).start as _, (*ram).end as _);
        bindings::insert_resource(ptr::addr_of_mut!(bindings::iomem_resource), ram);
    }
    Ok(())
}

/// `crash_shrink_memory()`: shrinks the regions to `new_size` bytes (rounded up to a page),
/// the low one last. `EBUSY` while a load holds the lock, `ENOENT` while a crash image is
/// loaded, `EINVAL` to grow.
pub(crate) fn shrink(new_size: u64) -> Result {
    let lock = KexecGuard::try_lock().ok_or(EBUSY)?;
    if ImageSlot::Crash.is_loaded() {
        return Err(ENOENT);
    }
    let low_size = size_of(low(), &lock);
    let old_size = size_of(high(), &lock).wrapping_add(low_size);
    // roundup(), in C's unsigned long arithmetic.
    let new_size = new_size
        .wrapping_add(MEM_ALIGN - 1)
        .wrapping_div(MEM_ALIGN)
        .wrapping_mul(MEM_ALIGN);
    if new_size >= old_size {
        return if new_size == old_size {
            Ok(())
        } else {
            Err(EINVAL)
        };
    }
    // A low region bigger than what is kept means the high one goes entirely. As in C, a
    // failure there returns at once; one after it still lets the regions be swapped below.
    let r = if low_size > new_size {
        shrink_one(high(), 0, &lock)?;
        shrink_one(low(), new_size, &lock)
    } else {
        shrink_one(high(), new_size.wrapping_sub(low_size), &lock)
    };
    // With only the low region left, it becomes crashk_res.
    // SAFETY: both regions change only under the lock we hold.
    unsafe {
        let (h, l) = (high(), low());
        if (*h).end == 0 && (*l).end != 0 {
            (*h).start = (*l).start;
            (*h).end = (*l).end;
            bindings::release_resource(l);
            (*l).start = 0;
            (*l).end = 0;
            bindings::insert_resource(ptr::addr_of_mut!(bindings::iomem_resource), h);
        }
    }
    r
}
