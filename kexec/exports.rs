// SPDX-License-Identifier: GPL-2.0

//! The C entry points of the kexec core: the functions `kernel/kexec_core.c` provided, under
//! their names and signatures (`include/linux/kexec.h`, `kernel/kexec_internal.h`), plus
//! `do_kexec_load()` for `kernel/kexec.c`. Each converts its raw arguments, calls the Rust
//! function behind it and maps the error to a negative errno. The x86_64 hooks are in
//! `x86_64/exports.rs`.

use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr};
use kernel::bindings;
use kernel::error::from_result;
use kernel::ffi::{c_int, c_uint, c_ulong, c_void};
use kernel::kexec::Kimage;
use kernel::prelude::*;
use kernel::uaccess::UserSlice;

use crate::segment::Source;
use crate::{control, image, load, pages, reboot, segment, sysctl};

// The C variables the kexec core defines. The lock and the slots are used through
// `kernel::kexec` (bindgen declares them from `kernel/kexec_internal.h` and
// `include/linux/kexec.h`); `kexec_in_progress` is set by `kernel_kexec()`.

/// `__kexec_lock` (an `atomic_t`), taken through `kernel::kexec::KexecGuard` in Rust and
/// `kexec_trylock()`/`kexec_unlock()` in C.
#[allow(non_upper_case_globals)]
#[no_mangle]
static __kexec_lock: AtomicI32 = AtomicI32::new(0);

/// `kexec_image`, read and swapped through `kernel::kexec::ImageSlot::Kexec`.
#[allow(non_upper_case_globals)]
#[no_mangle]
static kexec_image: AtomicPtr<bindings::kimage> = AtomicPtr::new(ptr::null_mut());

/// `kexec_crash_image`, read and swapped through `kernel::kexec::ImageSlot::Crash`.
#[allow(non_upper_case_globals)]
#[no_mangle]
static kexec_crash_image: AtomicPtr<bindings::kimage> = AtomicPtr::new(ptr::null_mut());

/// Set when `kernel_kexec()` starts shutting the machine down for the new kernel.
#[allow(non_upper_case_globals)]
#[no_mangle]
pub(crate) static kexec_in_progress: AtomicBool = AtomicBool::new(false);

/// `kexec_file_load` with `KEXEC_FILE_DEBUG` (written by kexec_file.c).
#[allow(non_upper_case_globals)]
#[no_mangle]
pub(crate) static kexec_file_dbg_print: AtomicBool = AtomicBool::new(false);

/// `kimage_free_page_list()`.
///
/// # Safety
///
/// `list` is an initialised list head of pages from `kimage_alloc_pages()` that nothing else
/// uses.
#[no_mangle]
pub unsafe extern "C" fn kimage_free_page_list(list: *mut bindings::list_head) {
    // SAFETY: `list` is an initialised list head of pages from `kimage_alloc_pages()` that
    // nothing else uses (this function's `# Safety`), which is what `free_page_list` asks.
    unsafe { pages::free_page_list(list) };
}

/// `sanity_check_segment_list()`.
///
/// # Safety
///
/// `image` is a valid image its caller owns.
#[no_mangle]
pub unsafe extern "C" fn sanity_check_segment_list(image: *mut bindings::kimage) -> c_int {
    from_result(|| {
        // SAFETY: `image` is a valid image its caller owns (this function's `# Safety`), so
        // nothing writes it while it is borrowed for the call.
        image::sanity_check(unsafe { Kimage::from_raw(image) })?;
        Ok(0)
    })
}

/// `do_kimage_alloc_init()`: an empty image, or null.
#[no_mangle]
pub extern "C" fn do_kimage_alloc_init() -> *mut bindings::kimage {
    image::alloc().map_or(ptr::null_mut(), NonNull::as_ptr)
}

/// `kimage_is_destination_range()`: 1 if `[start, end]` meets a segment's destination.
///
/// # Safety
///
/// `image` is a valid image.
#[no_mangle]
pub unsafe extern "C" fn kimage_is_destination_range(
    image: *mut bindings::kimage,
    start: c_ulong,
    end: c_ulong,
) -> c_int {
    // SAFETY: `image` is a valid image (this function's `# Safety`), which its caller holds
    // while it asks, so nothing writes it while it is borrowed for the call.
    c_int::from(unsafe { Kimage::from_raw(image) }.is_destination(start, end))
}

/// `kimage_alloc_control_pages()`.
///
/// # Safety
///
/// `image` is a valid image its caller owns.
#[no_mangle]
pub unsafe extern "C" fn kimage_alloc_control_pages(
    image: *mut bindings::kimage,
    order: c_uint,
) -> *mut bindings::page {
    // SAFETY: `image` is a valid image its caller owns (this function's `# Safety`), so
    // nothing else uses it while it is borrowed uniquely for the call.
    control::alloc_control_pages(unsafe { Kimage::from_raw_mut(image) }, order)
}

/// `kimage_terminate()`.
///
/// # Safety
///
/// `image` is a valid image its caller owns.
#[no_mangle]
pub unsafe extern "C" fn kimage_terminate(image: *mut bindings::kimage) {
    // SAFETY: `image` is a valid image its caller owns (this function's `# Safety`), so
    // nothing else uses it while it is borrowed uniquely for the call.
    unsafe { Kimage::from_raw_mut(image) }.terminate();
}

/// `kimage_free()`.
///
/// # Safety
///
/// `image` is null or an image nothing else uses any more.
#[no_mangle]
pub unsafe extern "C" fn kimage_free(image: *mut bindings::kimage) {
    // SAFETY: `image` is null or an image nothing else uses any more (this function's
    // `# Safety`), which is what `image::free` asks.
    unsafe { image::free(image) };
}

/// `kimage_load_segment()`, for `kexec_file_load` (kernel buffers) and any caller of C's.
///
/// # Safety
///
/// `image` is a valid image its caller owns; `segment` is one of its segments, whose buffer
/// (`kbuf` in file mode, else `buf`) holds `bufsz` bytes.
#[no_mangle]
pub unsafe extern "C" fn kimage_load_segment(
    image: *mut bindings::kimage,
    segment: *mut bindings::kexec_segment,
) -> c_int {
    // SAFETY: `segment` is one of `image`'s segments (this function's `# Safety`), so it is
    // readable; it is copied before `image` is borrowed, as it points into it.
    let seg = unsafe { *segment };
    // SAFETY: `image` is a valid image its caller owns (this function's `# Safety`), so
    // nothing else uses it while it is borrowed uniquely; `segment` is only compared with it
    // from here on, never dereferenced.
    let image = unsafe { Kimage::from_raw_mut(image) };
    let Some(i) = image
        .segments()
        .iter()
        .position(|s| core::ptr::eq(s, segment))
    else {
        return EINVAL.to_errno();
    };
    // SAFETY: either member of the union is a pointer, so reading it is sound; the one for
    // the image's mode (`kbuf` in file mode, else `buf`) holds `bufsz` bytes (this function's
    // `# Safety`): a file-mode `kbuf` is kernel memory `kexec_file_load` keeps for the call, a
    // `buf` a user address that `UserSlice` checks on every read.
    let mut src = unsafe {
        match (image.file_mode(), seg.__bindgen_anon_1) {
            (true, b) if b.kbuf.is_null() => Source::Kernel(&[]),
            (true, b) => Source::Kernel(core::slice::from_raw_parts(b.kbuf.cast(), seg.bufsz)),
            (false, b) => Source::User(UserSlice::new(b.buf as usize, seg.bufsz).reader()),
        }
    };
    from_result(|| {
        segment::load(image, i, &mut src)?;
        Ok(0)
    })
}

/// `kimage_map_segment()`.
///
/// # Safety
///
/// `image` is a valid, loaded image.
#[no_mangle]
pub unsafe extern "C" fn kimage_map_segment(
    image: *mut bindings::kimage,
    addr: c_ulong,
    size: c_ulong,
) -> *mut c_void {
    // SAFETY: `image` is a valid, loaded image (this function's `# Safety`): it satisfies
    // `Kimage`'s invariants, and its caller (IMA, under the kexec lock) changes nothing while
    // it is borrowed for the call.
    segment::map(unsafe { Kimage::from_raw(image) }, addr, size)
}

/// `kimage_unmap_segment()`.
///
/// # Safety
///
/// `buf` came from [`kimage_map_segment`].
#[no_mangle]
pub unsafe extern "C" fn kimage_unmap_segment(buf: *mut c_void) {
    // SAFETY: `buf` came from `kimage_map_segment` (this function's `# Safety`): null, which
    // `vunmap()` ignores, or the `vmap()` mapping `segment::map` made, which only its caller
    // uses and which is unmapped here once.
    unsafe { bindings::vunmap(buf) };
}

/// The image-loading half of `kexec_load(2)`, after the permission, LSM, lockdown, flag and
/// count checks of `kernel/kexec.c`; `segments` is its kernel copy of the caller's array.
///
/// # Safety
///
/// `segments` points to `nr_segments` (at most 16) segments.
#[no_mangle]
pub unsafe extern "C" fn do_kexec_load(
    entry: c_ulong,
    nr_segments: c_ulong,
    segments: *mut bindings::kexec_segment,
    flags: c_ulong,
) -> c_int {
    let segs: &[bindings::kexec_segment] = if nr_segments == 0 || segments.is_null() {
        &[]
    } else {
        // SAFETY: `segments` points to `nr_segments` segments (this function's `# Safety`),
        // `kernel/kexec.c`'s own copy, which it keeps for the call; neither is null or 0 here.
        unsafe { core::slice::from_raw_parts(segments, nr_segments) }
    };
    from_result(|| {
        load::do_load(entry, segs, flags)?;
        Ok(0)
    })
}

/// `kexec_load_permitted()`.
#[no_mangle]
pub extern "C" fn kexec_load_permitted(image_type: c_int) -> bool {
    sysctl::load_permitted(image_type)
}

/// `kernel_kexec()`: returns only on failure.
#[no_mangle]
pub extern "C" fn kernel_kexec() -> c_int {
    from_result(|| {
        reboot::kernel_kexec(&kexec_in_progress)?;
        Ok(0)
    })
}

#[cfg(CONFIG_SYSCTL)]
/// Registers the kexec sysctls (`late_initcall`, as C's `kexec_core_sysctl_init()`).
// In .init.text, as `__init` puts C's: it calls `__register_sysctl_init()`, which is there.
#[no_mangle]
#[link_section = ".init.text"]
pub extern "C" fn kexec_rust_sysctl_init() -> c_int {
    // SAFETY: an initcall runs once, at init.
    unsafe { sysctl::register() };
    0
}
