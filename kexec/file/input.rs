// SPDX-License-Identifier: GPL-2.0

//! What a `kexec_file_load` takes from its caller, read and checked before anything is built
//! and before the kexec lock is taken: the kernel file (probed, its signature checked), the
//! initrd file, the command line, and the checks of `bzImage64_load()` that need nothing
//! placed. The order, errnos and messages are `kimage_file_prepare_segments()`'s.

use core::ptr::{self, NonNull};
use kernel::alloc::flags::{__GFP_NOWARN, GFP_KERNEL};
use kernel::alloc::KVec;
use kernel::bindings;
use kernel::ffi::{c_int, c_ulong, c_void};
use kernel::page::PAGE_SIZE;
use kernel::prelude::*;
use kernel::uaccess::UserSlice;

use super::bzimage::{self, BzImage, KernelPlan, Machine};
use super::dbg::dprintk;

/// `KEXEC_FILE_SIZE_MAX`: `min(4 GiB, SSIZE_MAX)`.
const FILE_SIZE_MAX: usize = 4 << 30;

/// A file read whole into vmalloc'd memory by `kernel_read_file_from_fd()`, freed on drop.
///
/// # Invariants
///
/// `ptr` is a vmalloc'd buffer of at least `len` initialised bytes that only this value owns.
pub(crate) struct KernelFile {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the buffer is plain memory owned by the value; nothing ties it to a thread.
unsafe impl Send for KernelFile {}

impl KernelFile {
    /// `kernel_read_file_from_fd()` of the whole file: C's errno for a bad descriptor
    /// (`EBADF`), not a regular file or an empty one (`EINVAL`), one over 4 GiB (`EFBIG`), or
    /// what the LSMs and IMA say.
    fn read(fd: c_int, id: bindings::kernel_read_file_id, what: &str) -> Result<Self> {
        let mut buf: *mut c_void = ptr::null_mut();
        // SAFETY: `buf` is ours to receive the buffer; no file size is asked for.
        let n = unsafe {
            bindings::kernel_read_file_from_fd(fd, 0, &mut buf, FILE_SIZE_MAX, ptr::null_mut(), id)
        };
        if n < 0 {
            pr_err!(
                "kexec_file: cannot read the {} file (fd {}): error {}\n",
                what,
                fd,
                n
            );
            return Err(Error::from_errno(n as c_int));
        }
        let ptr = NonNull::new(buf.cast::<u8>()).ok_or(ENOMEM)?;
        // INVARIANT: on success the function returns the bytes read into the vmalloc'd buffer
        // it stored in `buf`, which is now ours.
        Ok(Self {
            ptr,
            len: n as usize,
        })
    }

    /// The file's bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: by the type invariant `ptr` holds `len` initialised bytes we own; they are
        // only read while `self` is borrowed.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for KernelFile {
    fn drop(&mut self) {
        // SAFETY: by the type invariant the buffer is vmalloc'd and only ours.
        unsafe { bindings::vfree(self.ptr.as_ptr().cast()) };
    }
}

/// What the caller gave, read and checked.
pub(crate) struct Input {
    /// The kernel, a bzImage the probe accepted.
    pub(crate) kernel: KernelFile,
    /// The initrd, unless `KEXEC_FILE_NO_INITRAMFS`.
    pub(crate) initrd: Option<KernelFile>,
    /// The command line with its NUL, empty for none.
    pub(crate) cmdline: KVec<u8>,
    /// Where the kernel goes: `bzImage64_load()`'s sizes.
    pub(crate) plan: KernelPlan,
}

impl Input {
    /// The kernel as a bzImage (probed when it was read).
    pub(crate) fn bzimage(&self) -> Result<BzImage<'_>> {
        bzimage::probe(self.kernel.bytes(), &machine()).map_err(|_| ENOEXEC)
    }
}

/// The machine the probe checks the image against.
fn machine() -> Machine {
    #[cfg(CONFIG_X86_5LEVEL)]
    // SAFETY: set once at boot, read-only after.
    let five_level = unsafe { bindings::__pgtable_l5_enabled } != 0;
    #[cfg(not(CONFIG_X86_5LEVEL))]
    let five_level = false;
    Machine {
        efi_32bit: super::dbg::efi_32bit(),
        five_level,
    }
}

/// A refusal of the bzImage checks, logged with its field and value, as C's errno.
fn refused(r: bzimage::Reason) -> Error {
    pr_err!("{}\n", r);
    Error::from_errno(-r.errno())
}

/// `KEXEC_FILE_NO_INITRAMFS`.
const NO_INITRAMFS: c_ulong = bindings::KEXEC_FILE_NO_INITRAMFS as c_ulong;

/// Reads and checks, in `kimage_file_prepare_segments()`'s order: the kernel file, the probe,
/// the signature, the initrd file, the command line, then `bzImage64_load()`'s header checks.
pub(crate) fn read(
    kernel_fd: c_int,
    initrd_fd: c_int,
    cmdline_len: c_ulong,
    cmdline_ptr: usize,
    flags: c_ulong,
) -> Result<Input> {
    let kernel = KernelFile::read(
        kernel_fd,
        bindings::kernel_read_file_id_READING_KEXEC_IMAGE,
        "kernel",
    )?;
    dprintk!(
        "kernel: {:p} kernel_size: {:#x}\n",
        kernel.ptr.as_ptr(),
        kernel.len
    );
    let bz = bzimage::probe(kernel.bytes(), &machine()).map_err(refused)?;
    #[cfg(CONFIG_KEXEC_SIG)]
    super::sig::validate(kernel.bytes())?;
    let initrd = if flags & NO_INITRAMFS == 0 {
        Some(KernelFile::read(
            initrd_fd,
            bindings::kernel_read_file_id_READING_KEXEC_INITRAMFS,
            "initrd",
        )?)
    } else {
        None
    };
    let cmdline = read_cmdline(kernel_fd, cmdline_len, cmdline_ptr)?;
    let plan = bz
        .plan(cmdline.len() as u64, PAGE_SIZE as u64)
        .map_err(refused)?;
    Ok(Input {
        kernel,
        initrd,
        cmdline,
        plan,
    })
}

/// `memdup_user()` of the command line (`ENOMEM` for one too big to allocate, `EFAULT` for a
/// bad pointer), which must end in a NUL (`EINVAL`), then measured by IMA.
fn read_cmdline(kernel_fd: c_int, len: usize, ptr: usize) -> Result<KVec<u8>> {
    let mut cmdline = KVec::new();
    if len == 0 {
        return Ok(cmdline);
    }
    cmdline.reserve(len, GFP_KERNEL | __GFP_NOWARN)?;
    UserSlice::new(ptr, len)
        .reader()
        .read_raw(cmdline.spare_capacity_mut().get_mut(..len).ok_or(ENOMEM)?)?;
    // SAFETY: `read_raw` filled all `len` bytes, within the capacity reserved above.
    unsafe { cmdline.set_len(len) };
    if let Some(&last) = cmdline.last().filter(|&&c| c != 0) {
        pr_err!(
            "kexec_file: the command line ({} bytes) ends in {:#04x}, not a NUL\n",
            len,
            last
        );
        return Err(EINVAL);
    }
    #[cfg(CONFIG_IMA)]
    // SAFETY: `cmdline` holds `len` bytes; IMA only reads them, for the call.
    unsafe {
        bindings::ima_kexec_cmdline(kernel_fd, cmdline.as_ptr().cast(), (len - 1) as c_int)
    };
    #[cfg(not(CONFIG_IMA))]
    let _ = kernel_fd;
    Ok(cmdline)
}
