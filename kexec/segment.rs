// SPDX-License-Identifier: GPL-2.0

//! A segment's bytes into the image: into fresh source pages for a normal image, straight into
//! crashkernel memory for a crash image (`kimage_load_segment()`); and the loaded pages of a
//! segment mapped back for IMA (`kimage_map_segment()`).

use core::mem::MaybeUninit;
use core::ptr;
use kernel::alloc::flags::GFP_KERNEL;
use kernel::bindings;
use kernel::ffi::{c_uint, c_ulong, c_void};
use kernel::kexec::{Kimage, KimageKind};
use kernel::page::PAGE_SIZE;
use kernel::prelude::*;
use kernel::uaccess::UserSliceReader;

use crate::arch;
use crate::entries::{self, add_entry, Sources, IND_DESTINATION, IND_SOURCE, PAGE_MASK};
use crate::memmap::{page_addr, page_virt, pfn_page, phys_virt};
use crate::sys;

/// Where a segment's bytes come from.
pub(crate) enum Source<'a> {
    /// `kexec_load`: the caller's buffer.
    User(UserSliceReader),
    /// `kexec_file_load`, and staged crash segments: kernel memory.
    Kernel(&'a [u8]),
}

impl Source<'_> {
    /// Copies the next `out.len()` bytes; on success every byte of `out` has been written.
    #[inline]
    fn read(&mut self, out: &mut [MaybeUninit<u8>]) -> Result {
        match self {
            Source::User(r) => r.read_raw(out),
            Source::Kernel(k) => {
                let from = take(k, out.len()).ok_or(EFAULT)?;
                // SAFETY: `from` is `out.len()` bytes long; a kernel buffer and the page it is
                // copied into do not overlap.
                unsafe {
                    ptr::copy_nonoverlapping(from.as_ptr(), out.as_mut_ptr().cast(), out.len())
                };
                Ok(())
            }
        }
    }
}

/// The first `n` bytes of `k`, which moves past them; `None` if it holds fewer.
pub(crate) fn take<'a>(k: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    let (now, rest) = (k.get(..n)?, k.get(n..)?);
    *k = rest;
    Some(now)
}

/// One page's share of a segment: the destination address it starts at, its offset in the
/// page, how many bytes of the page it covers, and how many of those come from the buffer.
struct Chunk {
    maddr: c_ulong,
    off: usize,
    mchunk: usize,
    uchunk: usize,
}

/// The chunks of `seg`, a page at a time, as both of C's load loops cut them (the segment
/// was checked: `bufsz <= memsz`).
fn chunks(seg: &bindings::kexec_segment) -> impl Iterator<Item = Chunk> {
    let (mut maddr, mut ubytes, mut mbytes) = (seg.mem, seg.bufsz, seg.memsz);
    core::iter::from_fn(move || {
        if mbytes == 0 {
            return None;
        }
        let off = maddr & !PAGE_MASK;
        let mchunk = mbytes.min(PAGE_SIZE - off);
        let uchunk = ubytes.min(mchunk);
        let chunk = Chunk {
            maddr,
            off,
            mchunk,
            uchunk,
        };
        ubytes -= uchunk;
        maddr += mchunk as c_ulong;
        mbytes -= mchunk;
        Some(chunk)
    })
}

/// `kimage_load_normal_segment()`: fills fresh source pages and lists them.
fn load_normal(image: &mut Kimage, seg: &bindings::kexec_segment, src: &mut Source<'_>) -> Result {
    add_entry(image, (seg.mem & PAGE_MASK) | IND_DESTINATION)?;
    let gfp = sys::gfp_highuser();
    for c in chunks(seg) {
        let page = entries::alloc_page(image, gfp, c.maddr);
        if page.is_null() {
            return Err(ENOMEM);
        }
        add_entry(image, page_addr(page) | IND_SOURCE)?;
        // No kmap: x86_64 has no highmem, every page is in the direct map.
        let base = page_virt(page).cast::<u8>();
        // C clears every page before copying into it. A page the buffer fills whole is not
        // cleared: the copy writes each of its bytes, or the load fails and the page is freed
        // unread. Other pages are cleared with clear_page(), as C does: the architecture's
        // page clearing is quicker than a memset of the same bytes (much quicker under
        // emulation).
        if c.uchunk < PAGE_SIZE {
            // SAFETY: `page` is a fresh source page of ours, mapped at `base`.
            unsafe { bindings::clear_page(base.cast()) };
        }
        if c.uchunk > 0 {
            // SAFETY: the mapping covers the page and `off + uchunk <= PAGE_SIZE`; nothing
            // else knows the page.
            let dst = unsafe {
                core::slice::from_raw_parts_mut(base.add(c.off).cast::<MaybeUninit<u8>>(), c.uchunk)
            };
            src.read(dst).map_err(|_| EFAULT)?;
        }
        sys::cond_resched();
    }
    Ok(())
}

/// `kimage_load_crash_segment()`: copies straight into crashkernel memory.
///
/// As in the normal loop, no call is made for what C inlines to nothing on x86_64: the region
/// is in the direct map (no highmem, so no kmap), x86_64 has no `kexec_flush_icache_page()`,
/// and the memory-encryption hooks run only when memory is encrypted.
fn load_crash(seg: &bindings::kexec_segment, src: &mut Source<'_>) -> Result {
    let encrypted = arch::host_mem_encrypted();
    for c in chunks(seg) {
        // The segment was checked to lie in the crashkernel region.
        let vaddr = phys_virt(c.maddr & PAGE_MASK);
        if encrypted {
            // SAFETY: crashkernel memory reserved for the image being loaded.
            unsafe { arch::post_alloc_pages(vaddr, 1, 0) };
        }
        // SAFETY: the page at `vaddr` is crashkernel memory reserved for the image, which
        // nothing else writes while the kexec lock is held; `off + mchunk <= PAGE_SIZE`.
        let bytes = unsafe {
            core::slice::from_raw_parts_mut(
                vaddr.cast::<u8>().add(c.off).cast::<MaybeUninit<u8>>(),
                c.mchunk,
            )
        };
        let (data, rest) = bytes.split_at_mut(c.uchunk);
        if !rest.is_empty() {
            rest.fill(MaybeUninit::new(0));
        }
        let r = if data.is_empty() {
            Ok(())
        } else {
            src.read(data).map_err(|_| EFAULT)
        };
        if encrypted {
            // SAFETY: as above.
            unsafe { arch::pre_free_pages(vaddr, 1) };
        }
        r?;
        sys::cond_resched();
    }
    Ok(())
}

/// `pages` mapped contiguously in kernel memory (`vmap()`), or null; `vunmap()` undoes it.
fn vmap_pages(pages: &mut KVec<*mut bindings::page>) -> *mut c_void {
    // SAFETY: `pages` holds live pages (each caller's pages have `struct page`s: source pages
    // of an image, or crashkernel memory); `vmap()` only reads the array.
    unsafe {
        bindings::vmap(
            pages.as_mut_ptr(),
            pages.len() as c_uint,
            bindings::VM_MAP as c_ulong,
            bindings::PAGE_KERNEL(),
        )
    }
}

/// `kimage_load_crash_segment()` for a crash image built beside the loaded one: the same bytes
/// (`bytes`, then zeroes up to `memsz`) written through a temporary mapping of the destination
/// pages, with no lock held. The direct map of crashkernel memory stays as the loaded image's
/// protection left it (read-only), so a stray write still cannot reach that image; this writes
/// only pages the new image's segments were placed in, clear of the loaded one's.
///
/// Not for encrypted memory, where the pages' encryption is set through the direct map.
#[cfg(CONFIG_KEXEC_FILE_RUST)]
pub(crate) fn load_crash_mapped(seg: &bindings::kexec_segment, bytes: &[u8]) -> Result {
    let page = PAGE_SIZE as c_ulong;
    let first = seg.mem & PAGE_MASK;
    let end = seg.mem.checked_add(seg.memsz as c_ulong).ok_or(EINVAL)?;
    let npages = (end - first).div_ceil(page);
    if npages == 0 {
        return Ok(());
    }
    let mut pages: KVec<*mut bindings::page> = KVec::with_capacity(npages, GFP_KERNEL)?;
    for k in 0..npages {
        pages.push(
            pfn_page((first >> bindings::PAGE_SHIFT) + k as c_ulong),
            GFP_KERNEL,
        )?;
    }
    // The segment was checked to lie in the region: crashkernel memory, with `struct page`s.
    let vaddr = vmap_pages(&mut pages);
    if vaddr.is_null() {
        return Err(ENOMEM);
    }
    let off = seg.mem - first;
    // SAFETY: the mapping is `npages` pages long and `off + memsz` lies within it; the pages
    // belong to the image being built, which only this load knows, and the loaded crash image
    // uses none of them (they were placed clear of it).
    let dst = unsafe { core::slice::from_raw_parts_mut(vaddr.cast::<u8>().add(off), seg.memsz) };
    let r = match bytes.get(..seg.bufsz) {
        // A checked segment has `bufsz <= memsz`.
        Some(data) if data.len() <= dst.len() => {
            let (head, tail) = dst.split_at_mut(data.len());
            head.copy_from_slice(data);
            tail.fill(0);
            Ok(())
        }
        _ => Err(EINVAL),
    };
    // SAFETY: `vaddr` is the mapping made above, no longer used.
    unsafe { bindings::vunmap(vaddr) };
    r
}

/// `kimage_load_segment()` for segment `i` of `image`, its bytes from `src`.
pub(crate) fn load(image: &mut Kimage, i: usize, src: &mut Source<'_>) -> Result {
    let seg = *image.segments().get(i).ok_or(EINVAL)?;
    match image.kind() {
        KimageKind::Normal => load_normal(image, &seg, src),
        KimageKind::Crash => load_crash(&seg, src),
    }
}

/// `kimage_map_segment()`: the source pages that land at `[addr, addr + size)` mapped
/// contiguously, or null if any of them is missing (a shorter mapping would be overrun by a
/// caller copying `size` bytes into it) or the range wraps.
pub(crate) fn map(image: &Kimage, addr: c_ulong, size: c_ulong) -> *mut c_void {
    let page = PAGE_SIZE as c_ulong;
    let Some(eaddr) = addr.checked_add(size) else {
        pr_err!("kimage_map_segment: {addr:#x} + {size:#x} wraps around\n");
        return ptr::null_mut();
    };
    // No overflow: `eaddr / page` rounded up is at least `addr / page`.
    let npages = eaddr / page + c_ulong::from(eaddr % page != 0) - addr / page;
    let mut pages: KVec<*mut bindings::page> = match KVec::with_capacity(npages, GFP_KERNEL) {
        Ok(v) => v,
        Err(_) => {
            pr_err!("Could not allocate ima pages array.\n");
            return ptr::null_mut();
        }
    };
    for s in Sources::new(image) {
        if pages.len() == npages {
            break;
        }
        if s.dest >= addr && s.dest < eaddr {
            // Within the capacity reserved for `npages`: this cannot fail.
            if pages
                .push(pfn_page(s.src >> bindings::PAGE_SHIFT), GFP_KERNEL)
                .is_err()
            {
                return ptr::null_mut();
            }
        }
    }
    if pages.len() < npages {
        pr_err!(
            "kimage_map_segment: {} of {} pages of {addr:#x}-{eaddr:#x} loaded\n",
            pages.len(),
            npages
        );
        return ptr::null_mut();
    }
    let vaddr = vmap_pages(&mut pages);
    if vaddr.is_null() {
        pr_err!("Could not map ima buffer.\n");
    }
    vaddr
}
