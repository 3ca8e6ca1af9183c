// SPDX-License-Identifier: GPL-2.0

//! The C entry points of the Rust `kexec_file_load`: the syscall's body, which
//! `file_glue.c`'s `SYSCALL_DEFINE5` calls, and the functions of `kernel/kexec_file.c` that
//! C still calls (`crash_load_segments()` and IMA add buffers, the image's cleanup, IMA's
//! Secure Boot policy), under their C names and signatures.

use core::ptr::NonNull;
use kernel::bindings;
use kernel::error::from_result;
use kernel::ffi::{c_char, c_int, c_long, c_ulong};
use kernel::kexec::Kimage;
use kernel::prelude::*;

use super::hole::Request;
use super::{loader, place};

/// `sys_kexec_file_load()`'s body.
#[no_mangle]
pub extern "C" fn kexec_rust_file_load(
    kernel_fd: c_int,
    initrd_fd: c_int,
    cmdline_len: c_ulong,
    cmdline_ptr: *const c_char,
    flags: c_ulong,
) -> c_long {
    from_result(|| {
        loader::file_load(
            kernel_fd,
            initrd_fd,
            cmdline_len,
            cmdline_ptr as usize,
            flags,
        )?;
        Ok(0)
    }) as c_long
}

/// `kexec_add_buffer()`: places `kbuf`'s buffer in the image as a new segment and stores where
/// in `kbuf->mem` (unless the caller set it).
///
/// # Safety
///
/// `kbuf` points to a valid `struct kexec_buf` whose image is a file-mode image being built by
/// this loader (C calls it from `crash_load_segments()` and `ima_add_kexec_buffer()`, which the
/// loader calls), and whose buffer stays live until the image's segments are loaded.
#[no_mangle]
pub unsafe extern "C" fn kexec_add_buffer(kbuf: *mut bindings::kexec_buf) -> c_int {
    from_result(|| {
        // SAFETY: `kbuf` is valid, and its image one this loader is building and lends to C for
        // the call (this function's `# Safety`).
        let k = unsafe { &mut *kbuf };
        let raw = NonNull::new(k.image).ok_or(EINVAL)?;
        // SAFETY: as above: the image is one this loader is building, lent to C for the call.
        let image = unsafe { Kimage::from_raw_mut(raw.as_ptr()) };
        let req = Request {
            memsz: k.memsz as u64,
            align: k.buf_align as u64,
            min: k.buf_min as u64,
            max: k.buf_max as u64,
            top_down: k.top_down,
        };
        let mem = (k.mem != bindings::KEXEC_BUF_MEM_UNKNOWN as c_ulong).then_some(k.mem as u64);
        let at = place::add_buffer(image, k.buffer, k.bufsz, req, mem)?;
        let r = req.rounded(kernel::page::PAGE_SIZE as u64);
        k.mem = at as c_ulong;
        k.memsz = r.memsz as usize;
        k.buf_align = r.align as c_ulong;
        Ok(0)
    })
}

/// `kimage_file_post_load_cleanup()`, which `kimage_free()` calls for a file-mode image: the
/// loader's own buffers went with the load; the image holds only `crash_load_segments()`'s
/// ELF core headers (and IMA's buffer).
///
/// # Safety
///
/// `image` is a file-mode image nothing else uses.
#[no_mangle]
pub unsafe extern "C" fn kimage_file_post_load_cleanup(image: *mut bindings::kimage) {
    // SAFETY: `image` is a file-mode image nothing else uses (this function's `# Safety`).
    let image = unsafe { Kimage::from_raw_mut(image) };
    let headers = image.take_elf_headers();
    // SAFETY: the headers were vmalloc'd by `crash_load_segments()` (or are null), and were
    // taken out of the image just now.
    unsafe { bindings::vfree(headers) };
    #[cfg(CONFIG_IMA_KEXEC)]
    // SAFETY: IMA's buffer for this image, vmalloc'd by IMA, which leaves it to this cleanup.
    unsafe {
        let r = &mut *image.as_raw();
        bindings::vfree(r.ima_buffer);
        r.ima_buffer = core::ptr::null_mut();
    }
    // C also clears `kexec_file_dbg_print` here, so that freeing any file-mode image, even
    // the one a load replaces mid-way, silences that load's debug lines; the loader clears it
    // when its load ends instead.
}

/// `set_kexec_sig_enforced()`: IMA's architecture policy under Secure Boot.
#[cfg(CONFIG_KEXEC_SIG)]
#[no_mangle]
pub extern "C" fn set_kexec_sig_enforced() {
    super::sig::ENFORCE.store(true, core::sync::atomic::Ordering::Relaxed);
}
