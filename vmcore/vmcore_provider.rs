// SPDX-License-Identifier: GPL-2.0

//! The capture kernel's `/proc/vmcore`, in Rust.
//!
//! Replaces [`fs/proc/vmcore.c`](srctree/fs/proc/vmcore.c) under `CONFIG_PROC_VMCORE_RUST`
//! (or serves `/proc/vmcore-rust` beside it under the test-only
//! `CONFIG_PROC_VMCORE_RUST_TWIN`). At boot it reads the elfcorehdr the crashed kernel left,
//! checks it ([`elf`]), merges its notes and lays the file out as C does ([`layout`]); reads
//! and mmaps are split into header, note and old-memory pieces by [`read`]. This file is the
//! kernel-facing layer: reading old memory, the proc entry, `read_iter` and `mmap`.
//!
//! Old memory is read through an `ioremap_cache()` window of up to [`WINDOW`] bytes kept per
//! open file, instead of mapping and unmapping every 4 KiB page as `copy_oldmem_page()` does.
//! Where the window cannot be used (a `vmcore_cb` is registered, memory is encrypted, the
//! mapping fails, or another reader of the same file holds the window) the page-at-a-time path
//! that C uses is taken, so the bytes are the same either way.

use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use kernel::ffi::{c_int, c_ulong, c_void};

use kernel::bindings;
use kernel::page::PAGE_SIZE;
use kernel::prelude::*;

pub mod elf;
pub mod layout;
pub mod read;

use layout::Chunk;
use read::{File, MmapError, Source};

/// Prefix of this crate's kernel log lines (`pr_*!` read it as the module name).
const __LOG_PREFIX: &[u8] = b"vmcore\0";

/// The page size as the pure layer takes it.
const PAGE: u64 = PAGE_SIZE as u64;

/// Bytes of old memory one window maps (a power of two; 2 MiB-aligned so it can use huge
/// pages).
const WINDOW: u64 = 16 << 20;

#[cfg(CONFIG_PROC_VMCORE_RUST)]
const PROC_NAME: &CStr = kernel::c_str!("vmcore");
#[cfg(CONFIG_PROC_VMCORE_RUST_TWIN)]
const PROC_NAME: &CStr = kernel::c_str!("vmcore-rust");

// The vmcore_cb registry, kept in C (glue.c).
extern "C" {
    fn vmcore_cb_mark_opened();
    fn vmcore_cb_read_lock() -> c_int;
    fn vmcore_cb_read_unlock(idx: c_int);
    fn vmcore_cb_any() -> bool;
    fn vmcore_cb_pfn_is_ram(pfn: c_ulong) -> bool;
}

/// A zeroed `vmalloc_user()` buffer: the merged headers or notes, which `mmap()` hands to user
/// space with `remap_vmalloc_range_partial()`.
struct VBuf {
    ptr: NonNull<u8>,
    len: usize,
}

impl VBuf {
    /// A buffer of `len` bytes (> 0), zeroed.
    fn new(len: usize) -> Result<Self> {
        // SAFETY: `vmalloc_user_noprof()` (what `vmalloc_user()` expands to) takes any size; it
        // returns null or a zeroed, page-aligned allocation of `len` bytes that we own.
        let p = unsafe { bindings::vmalloc_user_noprof(len as c_ulong) };
        let ptr = NonNull::new(p.cast::<u8>()).ok_or(ENOMEM)?;
        Ok(VBuf { ptr, len })
    }

    fn as_slice(&self) -> &[u8] {
        // SAFETY: `ptr` points to `len` initialised (zeroed at allocation) bytes we own.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_slice`, and `&mut self` makes this the only reference.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for VBuf {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from `vmalloc_user()` and is freed only here.
        unsafe { bindings::vfree(self.ptr.as_ptr().cast()) };
    }
}

// SAFETY: a `VBuf` owns its memory; it is written only before it is shared and only read after.
unsafe impl Send for VBuf {}
// SAFETY: see `Send`: shared `VBuf`s are only read.
unsafe impl Sync for VBuf {}

/// The parsed dump: what `/proc/vmcore` serves.
struct Vmcore {
    /// ELF header and program headers after merging, `elf_size` bytes used.
    headers: VBuf,
    elf_size: u64,
    /// Every note back to back, `notes_size` (page-rounded) bytes.
    notes: VBuf,
    notes_size: u64,
    /// The PT_LOAD ranges of old memory, in file order.
    chunks: KVec<Chunk>,
    /// Whether old memory must be mapped encrypted (`CC_ATTR_MEM_ENCRYPT`).
    encrypted: bool,
    /// The proc entry, once created.
    pde: *mut bindings::proc_dir_entry,
}

// SAFETY: after `init` publishes it, a `Vmcore` is only read. `pde` is written once by `init`
// right after publishing, at initcall time, before any user process exists that could read the
// file; only `cleanup` reads it.
unsafe impl Send for Vmcore {}
// SAFETY: see `Send`.
unsafe impl Sync for Vmcore {}

impl Vmcore {
    fn file(&self) -> File<'_> {
        File {
            elf_size: self.elf_size,
            notes_size: self.notes_size,
            chunks: &self.chunks,
        }
    }
}

/// The published dump; null before init succeeds and after `vmcore_cleanup()`.
static VMCORE: AtomicPtr<Vmcore> = AtomicPtr::new(ptr::null_mut());

/// Why the elfcorehdr was not turned into a dump.
enum Failure {
    /// The header itself is wrong.
    Header(elf::Error),
    /// The kernel could not do something: what, and the error.
    Kernel(&'static str, Error),
}

impl From<elf::Error> for Failure {
    fn from(e: elf::Error) -> Self {
        Failure::Header(e)
    }
}

fn kernel(what: &'static str) -> impl FnOnce(Error) -> Failure {
    move |e| Failure::Kernel(what, e)
}

fn alloc_err(what: &'static str) -> impl FnOnce(kernel::alloc::AllocError) -> Failure {
    move |_| Failure::Kernel(what, ENOMEM)
}

/// Reads `buf.len()` bytes of the elfcorehdr at physical `pos`.
fn read_elfcorehdr(buf: &mut [u8], pos: u64) -> Result {
    let mut pos = pos;
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes; `pos` is a valid `u64`.
    let r = unsafe { bindings::elfcorehdr_read(buf.as_mut_ptr().cast(), buf.len(), &mut pos) };
    if r < 0 {
        return Err(Error::from_errno(r as c_int));
    }
    Ok(())
}

/// Reads `buf.len()` bytes of a note segment at physical `pos`.
fn read_notes(buf: &mut [u8], pos: u64) -> Result {
    let mut pos = pos;
    // SAFETY: as in `read_elfcorehdr`.
    let r =
        unsafe { bindings::elfcorehdr_read_notes(buf.as_mut_ptr().cast(), buf.len(), &mut pos) };
    if r < 0 {
        return Err(Error::from_errno(r as c_int));
    }
    Ok(())
}

fn page_len(v: u64) -> Result<usize, Failure> {
    let v = layout::page_up(v.max(1), PAGE)?;
    usize::try_from(v).map_err(|_| {
        Failure::Header(elf::Error::Overflow {
            what: "buffer size",
        })
    })
}

/// One past the highest physical address this CPU can have: PT_LOADs must end below it.
fn phys_limit() -> u64 {
    // SAFETY: `boot_cpu_data` is set up long before initcalls run and not written after.
    let bits = unsafe { bindings::boot_cpu_data.x86_phys_bits };
    1u64.checked_shl(bits.into()).unwrap_or(u64::MAX)
}

/// Reads and checks the elfcorehdr at `addr` (`size` bytes if known, else 0) and lays out the
/// dump (`parse_crash_elf_headers()`).
fn parse(addr: u64, size: u64) -> Result<Vmcore, Failure> {
    let mut ident = [0u8; elf::EI_NIDENT];
    read_elfcorehdr(&mut ident, addr).map_err(kernel("reading e_ident"))?;
    let class = elf::parse_ident(&ident)?;
    let mut eh = [0u8; 64];
    let eh = eh
        .get_mut(..class.ehdr_size())
        .ok_or(elf::Error::Overflow { what: "e_ehsize" })?;
    read_elfcorehdr(eh, addr).map_err(kernel("reading the ELF header"))?;
    let ehdr = elf::parse_ehdr(eh, elf::EM_X86_64)?;
    let hsize = ehdr.headers_size();
    if size != 0 && hsize as u64 > size {
        return Err(elf::Error::Truncated {
            what: "program header table",
            need: hsize as u64,
            have: size,
        }
        .into());
    }

    let mut headers = VBuf::new(page_len(hsize as u64)?).map_err(kernel("header buffer"))?;
    let table = headers
        .as_mut_slice()
        .get_mut(..hsize)
        .ok_or(elf::Error::Overflow { what: "headers" })?;
    read_elfcorehdr(table, addr).map_err(kernel("reading the program headers"))?;

    // The note segments, before merging rewrites the table.
    let nr_notes = layout::for_each_note(headers.as_slice(), &ehdr, |_, _| Ok(()))?;
    let mut notes_ph = KVec::with_capacity(nr_notes, GFP_KERNEL).map_err(alloc_err("notes"))?;
    let mut max_memsz = 0;
    layout::for_each_note(headers.as_slice(), &ehdr, |_, p| {
        layout::check_note(p)?;
        max_memsz = max_memsz.max(p.p_memsz);
        notes_ph
            .push(*p, GFP_KERNEL)
            .map_err(|_| elf::Error::NoRoom {
                what: "note headers",
                need: nr_notes as u64,
            })
    })?;

    // The real size of each note segment (`update_note_header_size_elf64()`).
    let mut real = KVec::with_capacity(nr_notes, GFP_KERNEL).map_err(alloc_err("notes"))?;
    let mut scratch = VBuf::new(page_len(max_memsz)?).map_err(kernel("note buffer"))?;
    for p in notes_ph.iter() {
        let buf = scratch
            .as_mut_slice()
            .get_mut(..p.p_memsz as usize)
            .ok_or(elf::Error::Overflow { what: "p_memsz" })?;
        read_notes(buf, p.p_offset).map_err(kernel("reading a PT_NOTE segment"))?;
        let ns = layout::note_segment_size(buf);
        if let Some((namesz, descsz)) = ns.dropped {
            pr_warn!(
                "Warning: Exceeded p_memsz, dropping PT_NOTE entry n_namesz=0x{:x}, n_descsz=0x{:x}\n",
                namesz,
                descsz
            );
        }
        real.push(ns.real, GFP_KERNEL).map_err(alloc_err("notes"))?;
    }
    drop(scratch);

    let merged = layout::merge_notes(headers.as_mut_slice(), &ehdr, &real, PAGE)?;
    let mut notes = VBuf::new(page_len(merged.notes_size)?).map_err(kernel("notes buffer"))?;
    let mut off = 0usize;
    for (p, r) in notes_ph.iter().zip(real.iter()) {
        let r = *r as usize;
        let buf = notes
            .as_mut_slice()
            .get_mut(off..off + r)
            .ok_or(elf::Error::Overflow { what: "notes" })?;
        read_notes(buf, p.p_offset).map_err(kernel("copying notes"))?;
        off += r;
    }

    let nr_loads = layout::count_loads(headers.as_slice(), class, merged.phnum)?;
    let mut chunks = KVec::with_capacity(nr_loads, GFP_KERNEL).map_err(alloc_err("chunks"))?;
    for _ in 0..nr_loads {
        chunks
            .push(Chunk::default(), GFP_KERNEL)
            .map_err(alloc_err("chunks"))?;
    }
    layout::place_loads(
        headers.as_mut_slice(),
        class,
        &merged,
        PAGE,
        phys_limit(),
        &mut chunks,
    )?;

    Ok(Vmcore {
        headers,
        elf_size: merged.elf_size,
        notes,
        notes_size: merged.notes_size,
        chunks,
        // SAFETY: `cc_platform_has()` only reads platform flags.
        encrypted: unsafe { bindings::vmcore_mem_encrypted() },
        pde: ptr::null_mut(),
    })
}

/// Copies `len` bytes of old memory at `paddr` into `iter`, one page at a time, zeroes for
/// pages a `vmcore_cb` says are not RAM (`read_from_oldmem()`). Returns the bytes copied or
/// `EFAULT`.
///
/// # Safety
///
/// `iter` must be a valid iov_iter with room for `len` bytes, not used concurrently.
unsafe fn copy_pages(
    iter: *mut bindings::iov_iter,
    mut len: usize,
    paddr: u64,
    encrypted: bool,
) -> Result<usize> {
    let mut pfn = (paddr / PAGE) as c_ulong;
    let mut offset = (paddr % PAGE) as usize;
    let mut done = 0;
    // SAFETY: paired with the unlock below; SRCU read sections may sleep.
    let idx = unsafe { vmcore_cb_read_lock() };
    while len > 0 {
        let n = len.min(PAGE_SIZE - offset);
        // SAFETY: inside the SRCU read section; `iter` is valid per the caller, and the copy
        // functions write at most `n` bytes into it.
        let got = unsafe {
            if !vmcore_cb_pfn_is_ram(pfn) {
                bindings::iov_iter_zero(n, iter)
            } else if encrypted {
                bindings::copy_oldmem_page_encrypted(iter, pfn, n, offset as c_ulong) as usize
            } else {
                bindings::copy_oldmem_page(iter, pfn, n, offset as c_ulong) as usize
            }
        };
        if got != n {
            // SAFETY: paired with the lock above.
            unsafe { vmcore_cb_read_unlock(idx) };
            return Err(EFAULT);
        }
        len -= n;
        done += n;
        pfn += 1;
        offset = 0;
    }
    // SAFETY: paired with the lock above.
    unsafe { vmcore_cb_read_unlock(idx) };
    Ok(done)
}

/// Reads old memory for the rest of the kernel (`elfcorehdr_read()` on x86_64 and the weak
/// defaults in glue.c), as `fs/proc/vmcore.c` exports it.
///
/// # Safety
///
/// `iter` must be a valid iov_iter with room for `count` bytes and `ppos` a valid pointer.
#[cfg(CONFIG_PROC_VMCORE_RUST)]
#[no_mangle]
pub unsafe extern "C" fn read_from_oldmem(
    iter: *mut bindings::iov_iter,
    count: usize,
    ppos: *mut u64,
    encrypted: bool,
) -> isize {
    if count == 0 {
        return 0;
    }
    // SAFETY: the caller passes a valid `ppos`.
    let pos = unsafe { *ppos };
    // SAFETY: the caller passes a valid `iter` with room for `count` bytes.
    match unsafe { copy_pages(iter, count, pos, encrypted) } {
        Ok(n) => {
            // SAFETY: as above.
            unsafe { *ppos = pos.wrapping_add(n as u64) };
            n as isize
        }
        Err(e) => e.to_errno() as isize,
    }
}

/// A mapped window of old memory, kept by an open file between reads.
struct Window {
    /// Physical range mapped; empty when nothing is.
    start: u64,
    end: u64,
    vaddr: *mut u8,
}

impl Window {
    const EMPTY: Window = Window {
        start: 0,
        end: 0,
        vaddr: ptr::null_mut(),
    };

    fn unmap(&mut self) {
        if !self.vaddr.is_null() {
            // SAFETY: `vaddr` came from `ioremap_cache()` and is unmapped once.
            unsafe { bindings::iounmap(self.vaddr.cast()) };
        }
        *self = Window::EMPTY;
    }

    /// Maps `[start, end)`; false if the kernel refuses (the caller reads page by page).
    fn map(&mut self, start: u64, end: u64) -> bool {
        self.unmap();
        // SAFETY: maps a physical range of old memory the header describes; checked by
        // `ioremap_cache()` against the capture kernel's own RAM.
        let v = unsafe { bindings::ioremap_cache(start, (end - start) as c_ulong) };
        if v.is_null() {
            return false;
        }
        *self = Window {
            start,
            end,
            vaddr: v.cast(),
        };
        true
    }
}

/// What an open `/proc/vmcore` keeps: its window, and whether a reader is using it.
struct Reader {
    busy: AtomicBool,
    window: core::cell::UnsafeCell<Window>,
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.window.get_mut().unmap();
    }
}

/// Copies `len` bytes of old memory at `paddr` into `iter` through the reader's window, or
/// page by page where the window cannot be used.
///
/// # Safety
///
/// `iter` must be valid with room for `len` bytes; `reader`, if any, belongs to this file.
unsafe fn copy_oldmem(
    vm: &Vmcore,
    reader: Option<&Reader>,
    iter: *mut bindings::iov_iter,
    mut len: u64,
    mut paddr: u64,
) -> Result {
    let fast = match reader {
        // SAFETY: reading whether a callback exists needs no lock: one registered while we
        // copy is as late as one registered right after (C has the same window).
        Some(r) if !vm.encrypted && !unsafe { vmcore_cb_any() } => r
            .busy
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
            .then_some(r),
        _ => None,
    };
    let Some(r) = fast else {
        // SAFETY: per this function's contract.
        unsafe { copy_pages(iter, len as usize, paddr, vm.encrypted)? };
        return Ok(());
    };
    // SAFETY: `busy` is ours, so nobody else touches the window until we release it.
    let win = unsafe { &mut *r.window.get() };
    let mut res = Ok(());
    while len > 0 {
        if !(win.start <= paddr && paddr < win.end) {
            let mapped = match vm.file().window(paddr, WINDOW) {
                Some((s, e)) => win.map(s, e),
                None => false,
            };
            if !mapped {
                // SAFETY: per this function's contract.
                res = unsafe { copy_pages(iter, len as usize, paddr, vm.encrypted) }.map(|_| ());
                break;
            }
        }
        let n = len.min(win.end - paddr) as usize;
        // SAFETY: `[paddr, paddr + n)` lies inside the mapped window.
        let src = unsafe { win.vaddr.add((paddr - win.start) as usize) };
        // SAFETY: `src` is valid for `n` bytes; `iter` per this function's contract.
        let got = unsafe { bindings::copy_to_iter(src.cast::<c_void>(), n, iter) };
        if got != n {
            res = Err(EFAULT);
            break;
        }
        len -= n as u64;
        paddr += n as u64;
        // SAFETY: may sleep; we are in process context in read().
        unsafe { bindings::cond_resched() };
    }
    r.busy.store(false, Ordering::Release);
    res
}

fn published() -> Option<&'static Vmcore> {
    // SAFETY: a non-null pointer in `VMCORE` is a leaked `KBox<Vmcore>` that stays alive
    // until `vmcore_cleanup()`, which first removes the proc entry and waits for its users.
    unsafe { VMCORE.load(Ordering::Acquire).as_ref() }
}

/// Copies `src` into `iter`.
///
/// # Safety
///
/// `iter` must be valid with room for `src.len()` bytes.
unsafe fn copy_buf(src: Option<&[u8]>, iter: *mut bindings::iov_iter) -> Result {
    let src = src.ok_or(EFAULT)?;
    // SAFETY: `src` is a valid slice; `iter` per this function's contract.
    let got = unsafe { bindings::copy_to_iter(src.as_ptr().cast(), src.len(), iter) };
    if got != src.len() {
        return Err(EFAULT);
    }
    Ok(())
}

fn span(off: u64, len: u64) -> Option<core::ops::Range<usize>> {
    let start = usize::try_from(off).ok()?;
    Some(start..start.checked_add(usize::try_from(len).ok()?)?)
}

/// `proc_read_iter`: `__read_vmcore()`.
unsafe extern "C" fn vmcore_read_iter(
    iocb: *mut bindings::kiocb,
    iter: *mut bindings::iov_iter,
) -> isize {
    let Some(vm) = published() else {
        return EIO.to_errno() as isize;
    };
    // SAFETY: the VFS passes a valid kiocb whose file is open on our entry; its
    // `private_data` is the `Reader` our open() stored, or null.
    let (pos, reader) = unsafe {
        let file = (*iocb).ki_filp;
        (
            (*iocb).ki_pos,
            ((*file).private_data as *const Reader).as_ref(),
        )
    };
    // SAFETY: `iter` is the VFS's valid iov_iter.
    let count = unsafe { bindings::iov_iter_count(iter) } as u64;
    let Ok(start) = u64::try_from(pos) else {
        return EINVAL.to_errno() as isize;
    };
    let mut done: u64 = 0;
    for piece in vm.file().pieces(start, count) {
        // SAFETY: each piece is at most what is left of `count`, so `iter` has room.
        let r = unsafe {
            match piece.source {
                Source::Headers(off) => copy_buf(
                    span(off, piece.len).and_then(|s| vm.headers.as_slice().get(s)),
                    iter,
                ),
                Source::Notes(off) => copy_buf(
                    span(off, piece.len).and_then(|s| vm.notes.as_slice().get(s)),
                    iter,
                ),
                Source::OldMem(paddr) => copy_oldmem(vm, reader, iter, piece.len, paddr),
            }
        };
        if let Err(e) = r {
            return e.to_errno() as isize;
        }
        done += piece.len;
        // SAFETY: we own `ki_pos` during the call, as `__read_vmcore()` does.
        unsafe { (*iocb).ki_pos = (start + done) as i64 };
    }
    done as isize
}

/// `proc_open`: gives the file its window.
unsafe extern "C" fn vmcore_open(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    // SAFETY: takes a spinlock in glue.c.
    unsafe { vmcore_cb_mark_opened() };
    let reader = KBox::new(
        Reader {
            busy: AtomicBool::new(false),
            window: core::cell::UnsafeCell::new(Window::EMPTY),
        },
        GFP_KERNEL,
    );
    match reader {
        Ok(r) => {
            // SAFETY: `file` is the file being opened; nobody else uses it yet.
            unsafe { (*file).private_data = KBox::into_raw(r).cast() };
            0
        }
        Err(_) => ENOMEM.to_errno(),
    }
}

/// `proc_release`: drops the file's window.
unsafe extern "C" fn vmcore_release(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: `file` is being released; its `private_data` is the `KBox<Reader>` from open.
    unsafe {
        let r = (*file).private_data as *mut Reader;
        if !r.is_null() {
            drop(KBox::from_raw(r));
            (*file).private_data = ptr::null_mut();
        }
    }
    0
}

/// Maps old memory into `vma`, the zero page for pages a `vmcore_cb` says are not RAM
/// (`vmcore_remap_oldmem_pfn()`).
///
/// # Safety
///
/// `vma` must be the VMA being set up by our mmap, `[from, from + size)` inside it.
unsafe fn remap_oldmem(
    vma: *mut bindings::vm_area_struct,
    from: u64,
    pfn: u64,
    size: u64,
) -> c_int {
    // SAFETY: paired with the unlock below.
    let idx = unsafe { vmcore_cb_read_lock() };
    // SAFETY: `vma` is valid per the contract; remap_oldmem_pfn_range() checks its arguments.
    let prot = unsafe { (*vma).vm_page_prot };
    // SAFETY: inside the SRCU read section.
    let ret = if !unsafe { vmcore_cb_any() } {
        // SAFETY: per the contract.
        unsafe {
            bindings::remap_oldmem_pfn_range(
                vma,
                from as c_ulong,
                pfn as c_ulong,
                size as c_ulong,
                prot,
            )
        }
    } else {
        // SAFETY: per the contract.
        unsafe { remap_checked(vma, from, pfn, size, prot) }
    };
    // SAFETY: paired with the lock above.
    unsafe { vmcore_cb_read_unlock(idx) };
    ret
}

/// `remap_oldmem_pfn_checked()`: runs of RAM mapped as they are, other pages as the zero page.
///
/// # Safety
///
/// As [`remap_oldmem`], inside the vmcore_cb SRCU read section.
unsafe fn remap_checked(
    vma: *mut bindings::vm_area_struct,
    from: u64,
    pfn: u64,
    size: u64,
    prot: bindings::pgprot_t,
) -> c_int {
    // SAFETY: reads the zero page's pfn.
    let zero = unsafe { bindings::my_zero_pfn(0) };
    let end = pfn + size / PAGE;
    let mut run = pfn;
    let mut len: u64 = 0;
    let map = |p: u64, bytes: u64, len: &mut u64| -> bool {
        // SAFETY: `[from + len, from + len + bytes)` is inside `vma` per the contract.
        let r = unsafe {
            bindings::remap_oldmem_pfn_range(
                vma,
                (from + *len) as c_ulong,
                p as c_ulong,
                bytes as c_ulong,
                prot,
            )
        };
        *len += bytes;
        r == 0
    };
    let mut ok = true;
    for p in pfn..end {
        // SAFETY: inside the SRCU read section per the contract.
        if !unsafe { vmcore_cb_pfn_is_ram(p as c_ulong) } {
            if p > run {
                ok = ok && map(run, (p - run) * PAGE, &mut len);
            }
            ok = ok && map(zero as u64, PAGE, &mut len);
            run = p + 1;
        }
        if !ok {
            break;
        }
    }
    if ok && end > run {
        ok = map(run, (end - run) * PAGE, &mut len);
    }
    if ok {
        return 0;
    }
    // SAFETY: unmaps what this call mapped, as C does.
    unsafe { bindings::do_munmap((*vma).vm_mm, from as c_ulong, len as usize, ptr::null_mut()) };
    EAGAIN.to_errno()
}

/// A fault on a vmcore mapping: every page was mapped up front, so there is nothing to fill.
unsafe extern "C" fn vmcore_fault(_vmf: *mut bindings::vm_fault) -> bindings::vm_fault_t {
    bindings::vm_fault_reason_VM_FAULT_SIGBUS as bindings::vm_fault_t
}

static VMCORE_VM_OPS: bindings::vm_operations_struct = bindings::vm_operations_struct {
    fault: Some(vmcore_fault),
    // SAFETY: all-zero is a valid `vm_operations_struct` (no further callbacks).
    ..unsafe { core::mem::zeroed() }
};

/// `proc_mmap`: `mmap_vmcore()`.
unsafe extern "C" fn vmcore_mmap(
    _file: *mut bindings::file,
    vma: *mut bindings::vm_area_struct,
) -> c_int {
    let Some(vm) = published() else {
        return EIO.to_errno();
    };
    // SAFETY: the VFS passes the VMA being created for this file.
    let (vm_start, vm_end, pgoff, flags) = unsafe {
        let v = &*vma;
        (
            v.__bindgen_anon_1.__bindgen_anon_1.vm_start as u64,
            v.__bindgen_anon_1.__bindgen_anon_1.vm_end as u64,
            v.vm_pgoff as u64,
            v.__bindgen_anon_2.vm_flags,
        )
    };
    let size = vm_end - vm_start;
    let file = vm.file();
    let Some(start) = pgoff.checked_mul(PAGE) else {
        return EINVAL.to_errno();
    };
    let write = flags & bindings::VM_WRITE as c_ulong != 0;
    let exec = flags & bindings::VM_EXEC as c_ulong != 0;
    match read::check_mmap(start, size, file.size(), write, exec) {
        Err(MmapError::Range) => return EINVAL.to_errno(),
        Err(MmapError::Access) => return EPERM.to_errno(),
        Ok(()) => {}
    }
    // SAFETY: we are setting up `vma` under the mmap lock, as mmap_vmcore() does.
    unsafe {
        bindings::vm_flags_mod(
            vma,
            bindings::VM_MIXEDMAP as c_ulong,
            (bindings::VM_MAYWRITE | bindings::VM_MAYEXEC) as c_ulong,
        );
        (*vma).vm_ops = &VMCORE_VM_OPS;
    }
    let mut len: u64 = 0;
    for piece in file.pieces(start, size) {
        let uaddr = (vm_start + len) as c_ulong;
        // SAFETY: each piece maps `[uaddr, uaddr + piece.len)`, inside `vma`; the buffers are
        // `vmalloc_user()` memory of at least the pieces' extent (page-rounded sizes).
        let r = unsafe {
            match piece.source {
                Source::Headers(off) => bindings::remap_vmalloc_range_partial(
                    vma,
                    uaddr,
                    vm.headers.ptr.as_ptr().add(off as usize).cast(),
                    0,
                    piece.len as c_ulong,
                ),
                Source::Notes(off) => bindings::remap_vmalloc_range_partial(
                    vma,
                    uaddr,
                    vm.notes.ptr.as_ptr().add(off as usize).cast(),
                    0,
                    piece.len as c_ulong,
                ),
                Source::OldMem(paddr) => remap_oldmem(vma, uaddr as u64, paddr / PAGE, piece.len),
            }
        };
        if r != 0 {
            if len > 0 {
                // SAFETY: unmaps what this call mapped, as mmap_vmcore() does.
                unsafe {
                    bindings::do_munmap(
                        (*vma).vm_mm,
                        vm_start as c_ulong,
                        len as usize,
                        ptr::null_mut(),
                    )
                };
            }
            return EAGAIN.to_errno();
        }
        len += piece.len;
    }
    0
}

static VMCORE_PROC_OPS: bindings::proc_ops = bindings::proc_ops {
    proc_open: Some(vmcore_open),
    proc_release: Some(vmcore_release),
    proc_read_iter: Some(vmcore_read_iter),
    proc_lseek: Some(bindings::default_llseek),
    proc_mmap: Some(vmcore_mmap),
    // SAFETY: all-zero is a valid `proc_ops` (no flags, no further callbacks).
    ..unsafe { core::mem::zeroed() }
};

/// Parses the elfcorehdr and creates the proc entry (`vmcore_init()`).
fn init() -> Result {
    #[cfg(CONFIG_PROC_VMCORE_RUST)]
    {
        // SAFETY: the arch hook may set up the header; it takes pointers to the globals.
        let rc = unsafe {
            bindings::elfcorehdr_alloc(
                ptr::addr_of_mut!(bindings::elfcorehdr_addr),
                ptr::addr_of_mut!(bindings::elfcorehdr_size),
            )
        };
        if rc != 0 {
            return Err(Error::from_errno(rc));
        }
    }
    // SAFETY: reads the elfcorehdr= globals, set by early boot code.
    if unsafe { bindings::is_vmcore_usable() } == 0 {
        return Ok(());
    }
    // SAFETY: as above.
    let (addr, size) = unsafe { (bindings::elfcorehdr_addr, bindings::elfcorehdr_size) };
    let parsed = parse(addr, size);
    #[cfg(CONFIG_PROC_VMCORE_RUST)]
    // SAFETY: the arch hook frees what elfcorehdr_alloc() set up; C frees it here too.
    unsafe {
        bindings::elfcorehdr_free(addr)
    };
    let vm = match parsed {
        Ok(vm) => vm,
        Err(Failure::Header(e)) => {
            pr_err!("elfcorehdr at {:#x}: {}\n", addr, e);
            pr_err!("Kdump: vmcore not initialized\n");
            return Err(EINVAL);
        }
        Err(Failure::Kernel(what, e)) => {
            pr_err!("elfcorehdr at {:#x}: {} failed: {:?}\n", addr, what, e);
            pr_err!("Kdump: vmcore not initialized\n");
            return Err(e);
        }
    };
    #[cfg(CONFIG_PROC_VMCORE_RUST)]
    // SAFETY: marks the header consumed, as vmcore_init() does.
    unsafe {
        bindings::vmcore_unusable()
    };

    let size = vm.file().size();
    let vm = match KBox::new(vm, GFP_KERNEL) {
        Ok(b) => KBox::into_raw(b),
        Err(_) => {
            pr_err!("no memory for the dump's description\n");
            pr_err!("Kdump: vmcore not initialized\n");
            return Err(ENOMEM);
        }
    };
    VMCORE.store(vm, Ordering::Release);
    // SAFETY: `VMCORE_PROC_OPS` is static; the name is a NUL-terminated static string.
    let pde = unsafe {
        bindings::proc_create(
            PROC_NAME.as_char_ptr(),
            0o400,
            ptr::null_mut(),
            &VMCORE_PROC_OPS,
        )
    };
    if !pde.is_null() {
        // SAFETY: `pde` was just created; `vm` is ours until published readers appear, and
        // only `cleanup` reads `pde`.
        unsafe {
            bindings::proc_set_size(pde, size as i64);
            (*vm).pde = pde;
        }
    }
    Ok(())
}

/// Removes `/proc/vmcore` and frees the dump (`vmcore_cleanup()`). The twin is never cleaned up.
#[cfg_attr(CONFIG_PROC_VMCORE_RUST_TWIN, allow(dead_code))]
fn cleanup() {
    let vm = VMCORE.load(Ordering::Acquire);
    if vm.is_null() {
        return;
    }
    // SAFETY: `vm` is the published box; `pde` is its proc entry or null.
    let pde = unsafe { (*vm).pde };
    if !pde.is_null() {
        // SAFETY: removes our entry; returns once no read or mmap runs in it any more.
        unsafe { bindings::proc_remove(pde) };
    }
    VMCORE.store(ptr::null_mut(), Ordering::Release);
    // SAFETY: no user of the entry is left; the box was leaked by `init`.
    drop(unsafe { KBox::from_raw(vm) });
}

/// Frees the dump for a kernel that no longer needs it (powerpc fadump calls this).
#[cfg(CONFIG_PROC_VMCORE_RUST)]
#[no_mangle]
pub extern "C" fn vmcore_cleanup() {
    cleanup();
}

#[no_mangle]
extern "C" fn vmcore_rust_init() -> c_int {
    match init() {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Puts `vmcore_rust_init` in an initcall section (a 32-bit relative entry, as x86_64's
/// `CONFIG_HAVE_ARCH_PREL32_RELOCATIONS` initcalls are).
macro_rules! initcall {
    ($section:literal) => {
        core::arch::global_asm!(concat!(
            ".section \"",
            $section,
            "\", \"a\"\nvmcore_rust_initcall:\n.long vmcore_rust_init - .\n.previous"
        ));
    };
}

// fs_initcall like vmcore_init(); the twin runs earlier (subsys_initcall_sync) so it parses the
// elfcorehdr before the C provider marks it consumed.
#[cfg(CONFIG_PROC_VMCORE_RUST)]
initcall!(".initcall5.init");
#[cfg(CONFIG_PROC_VMCORE_RUST_TWIN)]
initcall!(".initcall4s.init");

/// The header checks and the layout, as built into this kernel: one case per class of corrupt
/// elfcorehdr the provider refuses, and a valid header laid out as C lays it out. (The host
/// crate runs the same code over thousands of random headers; see
/// `tools/testing/kdump_host/tests/vmcore_layout.rs`.)
#[kernel::macros::kunit_tests(rust_vmcore)]
mod tests {
    use super::*;
    use elf::{Class, Error as E, Phdr, PT_NOTE};

    const BUF: usize = 1024;

    fn note(p_offset: u64, p_memsz: u64) -> Phdr {
        Phdr::note(p_offset, p_memsz)
    }

    fn load(paddr: u64, size: u64, vaddr: u64) -> Phdr {
        Phdr::load(paddr, size, vaddr)
    }

    /// An elfcorehdr with `phdrs` in a zeroed buffer.
    fn header(class: Class, phdrs: &[Phdr]) -> Result<[u8; BUF], E> {
        let mut h = [0u8; BUF];
        let n = u16::try_from(phdrs.len()).map_err(|_| E::Overflow { what: "test" })?;
        elf::write_ehdr(&mut h, class, n)?;
        for (i, p) in phdrs.iter().enumerate() {
            elf::write_phdr(&mut h, class, i, p)?;
        }
        Ok(h)
    }

    /// The provider's pipeline after the notes are read: merge with `real` note sizes, place
    /// the loads below `limit`. Returns the file size and the first chunk.
    fn lay_out(h: &mut [u8], real: &[u64], limit: u64) -> Result<(u64, Chunk), E> {
        let ehdr = elf::parse_ehdr(h, elf::EM_X86_64)?;
        let merged = layout::merge_notes(h, &ehdr, real, PAGE)?;
        let mut chunks = [Chunk::default(); 8];
        let size = layout::place_loads(h, ehdr.class, &merged, PAGE, limit, &mut chunks)?;
        Ok((size, chunks[0]))
    }

    fn typical() -> [Phdr; 5] {
        [
            note(0x7f00_0000, 0x400),
            note(0x7f01_0000, 0x400),
            load(0x10_0000, 0x7f0_0000, 0xffff_8880_0010_0000),
            load(0x100_0000, 0x20_0000, 0xffff_ffff_8100_0000),
            load(0x1_0000_0000, 0x4000_0000, 0xffff_8881_0000_0000),
        ]
    }

    #[test]
    fn a_valid_header_is_laid_out_as_c_does() {
        for class in [Class::Elf64, Class::Elf32] {
            let phdrs = typical();
            let phdrs = if class == Class::Elf32 {
                // ELF32 holds 32-bit values: drop the load above 4 GiB, truncate addresses.
                let mut p = [phdrs[0], phdrs[1], phdrs[2], phdrs[3], phdrs[3]];
                for q in p.iter_mut() {
                    q.p_vaddr &= 0xffff_ffff;
                }
                p[4] = load(0x2000_0000, 0x1000, 0x2000_0000);
                p
            } else {
                phdrs
            };
            let h = header(class, &phdrs);
            assert!(h.is_ok());
            let Ok(mut h) = h else { return };
            let r = lay_out(&mut h, &[0x3c8, 0x3c8], phys_limit());
            assert!(r.is_ok());
            let Ok((size, first)) = r else { return };
            // One page of headers, one of notes, then the first load page-aligned.
            assert_eq!(first.offset, 2 * PAGE);
            assert_eq!(first.paddr, 0x10_0000);
            assert!(size > first.offset + first.size);
            let p0 = elf::read_phdr(&h, class, 0);
            assert_eq!(p0.map(|p| (p.p_type, p.p_filesz)), Ok((PT_NOTE, 0x790)));
        }
    }

    #[test]
    fn bad_magic_and_class_are_named() {
        let Ok(mut h) = header(Class::Elf64, &typical()) else {
            assert!(false);
            return;
        };
        h[0] = 0x7e;
        assert_eq!(
            elf::parse_ehdr(&h, elf::EM_X86_64),
            Err(E::BadMagic([0x7e, b'E', b'L', b'F']))
        );
        h[0] = 0x7f;
        h[4] = 3;
        assert_eq!(
            elf::parse_ehdr(&h, elf::EM_X86_64),
            Err(E::BadField {
                field: "EI_CLASS",
                value: 3
            })
        );
    }

    #[test]
    fn e_phnum_past_the_limit_is_refused() {
        let Ok(mut h) = header(Class::Elf64, &typical()) else {
            assert!(false);
            return;
        };
        assert_eq!(elf::write_phnum(&mut h, Class::Elf64, 0xffff), Ok(()));
        assert_eq!(
            elf::parse_ehdr(&h, elf::EM_X86_64),
            Err(E::BadField {
                field: "e_phnum",
                value: 0xffff
            })
        );
    }

    #[test]
    fn a_table_cut_short_is_refused() {
        let Ok(h) = header(Class::Elf64, &typical()) else {
            assert!(false);
            return;
        };
        // The header says five entries; only four and a half arrived.
        let cut = &h[..64 + 4 * 56 + 28];
        assert_eq!(
            elf::read_phdr(cut, Class::Elf64, 4),
            Err(E::Truncated {
                what: "program header table",
                need: 64 + 5 * 56,
                have: 64 + 4 * 56 + 28
            })
        );
    }

    #[test]
    fn note_sizes_that_overflow_are_refused() {
        assert!(layout::check_note(&note(0x1000, 0x400)).is_ok());
        assert_eq!(
            layout::check_note(&note(0x1000, u64::MAX)),
            Err(E::BadField {
                field: "PT_NOTE p_memsz",
                value: u64::MAX
            })
        );
        assert_eq!(
            layout::check_note(&note(u64::MAX - 8, 0x400)),
            Err(E::Overflow {
                what: "PT_NOTE p_offset + p_memsz"
            })
        );
        // A note whose n_namesz runs past its segment is dropped, as C drops it.
        let mut seg = [0u8; 64];
        seg[..4].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
        let ns = layout::note_segment_size(&seg);
        assert_eq!(ns.real, 0);
        assert_eq!(ns.dropped, Some((0xffff_fff0, 0)));
        // ... and notes that are all dropped leave nothing to merge.
        let Ok(mut h) = header(Class::Elf64, &typical()) else {
            assert!(false);
            return;
        };
        assert_eq!(
            lay_out(&mut h, &[0, 0], phys_limit()),
            Err(E::BadField {
                field: "total note size",
                value: 0
            })
        );
    }

    #[test]
    fn overlapping_loads_are_refused() {
        let mut p = typical();
        // The same direct-map range twice.
        p[3] = load(0x40_0000, 0x10_0000, 0xffff_8880_0040_0000);
        let Ok(mut h) = header(Class::Elf64, &p) else {
            assert!(false);
            return;
        };
        assert_eq!(
            lay_out(&mut h, &[0x3c8, 0x3c8], phys_limit()),
            Err(E::Overlap {
                first: 0x10_0000,
                second: 0x40_0000
            })
        );
    }

    #[test]
    fn loads_beyond_memory_are_refused() {
        let limit = phys_limit();
        assert!(limit >= 1 << 32 && limit <= 1 << 57);
        let mut p = typical();
        p[4] = load(limit - 0x1000, 0x2000, 0);
        let Ok(mut h) = header(Class::Elf64, &p) else {
            assert!(false);
            return;
        };
        assert_eq!(
            lay_out(&mut h, &[0x3c8, 0x3c8], limit),
            Err(E::BeyondMemory {
                paddr: limit - 0x1000,
                end: limit + 0x1000,
                limit
            })
        );
    }

    #[test]
    fn headers_without_notes_are_refused() {
        let p = typical();
        let Ok(mut h) = header(Class::Elf64, &p[2..]) else {
            assert!(false);
            return;
        };
        assert_eq!(
            lay_out(&mut h, &[], phys_limit()),
            Err(E::BadField {
                field: "PT_NOTE count",
                value: 0
            })
        );
    }
}
