// SPDX-License-Identifier: GPL-2.0

//! The `rust_kexec` KUnit suite: images built from kernel buffers, as a load builds them.

#[kernel::macros::kunit_tests(rust_kexec)]
mod rust_kexec {
    use core::ptr;
    use kernel::alloc::flags::GFP_KERNEL;
    use kernel::bindings;
    use kernel::ffi::{c_int, c_ulong};
    use kernel::kexec::{ImageSlot, KexecGuard, Kimage};
    use kernel::page::PAGE_SIZE;
    use kernel::prelude::*;

    use crate::arch;
    use crate::crashkres::CrashRegion;
    use crate::entries::Sources;
    use crate::image::alloc_init;
    use crate::load::{replace_crash, CrashBytes};
    use crate::memmap::{lru_page, page_addr, page_lru, page_pfn, page_virt, pfn_page, phys_virt};
    use crate::pages::{alloc_pages, free_pages};
    use crate::segment::{self, Source};
    use crate::sys;

    const MIB: c_ulong = 1 << 20;
    /// `kernel::error::code` has no `EADDRNOTAVAIL` in 6.12.
    const EADDRNOTAVAIL: c_int = -(bindings::EADDRNOTAVAIL as c_int);
    const PAGE: usize = PAGE_SIZE;

    fn seg(mem: c_ulong, memsz: usize, bufsz: usize) -> bindings::kexec_segment {
        bindings::kexec_segment {
            __bindgen_anon_1: bindings::kexec_segment__bindgen_ty_1 {
                buf: ptr::null_mut(),
            },
            bufsz,
            mem,
            memsz,
        }
    }

    /// Runs `f` on the page's bytes `[off, off + len)`, mapped.
    fn with_mapped(
        page: *mut bindings::page,
        off: usize,
        len: usize,
        f: impl FnOnce(&mut [u8]) -> Result,
    ) -> Result {
        match off.checked_add(len) {
            Some(end) if end <= PAGE_SIZE => {}
            _ => return Err(EINVAL),
        }
        // SAFETY: `page` is a page we own or crashkernel memory reserved for the image.
        let base = unsafe { bindings::kmap_local_page(page) }.cast::<u8>();
        // SAFETY: the mapping covers the whole page and `off + len <= PAGE_SIZE`; nothing else
        // writes the page while it is being filled.
        let r = f(unsafe { core::slice::from_raw_parts_mut(base.add(off), len) });
        // SAFETY: `base` was returned by `kmap_local_page()` above and is unmapped once.
        unsafe { bindings::kunmap_local(base.cast()) };
        r
    }

    /// The (destination, source) pages of a terminated image's entry list, in order.
    fn pages_of(image: &Kimage) -> Result<KVec<(c_ulong, c_ulong)>> {
        let mut out = KVec::new();
        for s in Sources::new(image) {
            out.push((s.dest, s.src), GFP_KERNEL)?;
        }
        Ok(out)
    }

    #[test]
    fn a_normal_image_lists_every_page_with_its_bytes() {
        // Two segments: three pages with two and a bit of data, and two pages of zeros.
        let segs = [
            seg(16 * MIB, 3 * PAGE, 2 * PAGE + 100),
            seg(32 * MIB, 2 * PAGE, 0),
        ];
        let mut data = KVec::new();
        for i in 0..segs[0].bufsz {
            assert!(data.push((i % 251) as u8, GFP_KERNEL).is_ok());
        }
        let b = alloc_init(16 * MIB, &segs, None);
        assert!(b.is_ok());
        let Ok(mut b) = b else { return };
        let i = b.get();
        assert!(!i.control_code_page().is_null() && !i.swap_page().is_null());
        // SAFETY: `alloc_init` made `i` a checked image with its control pages.
        assert!(unsafe { arch::prepare(i) }.is_ok());
        #[cfg(CONFIG_X86_64)]
        assert!(!i.arch().pgd.is_null());
        assert!(segment::load(i, 0, &mut Source::Kernel(&data)).is_ok());
        assert!(segment::load(i, 1, &mut Source::Kernel(&[])).is_ok());
        i.terminate();
        let pages = pages_of(i);
        assert!(pages.is_ok());
        let Ok(pages) = pages else { return };
        let dests: [c_ulong; 5] = [
            16 * MIB,
            16 * MIB + PAGE as c_ulong,
            16 * MIB + 2 * PAGE as c_ulong,
            32 * MIB,
            32 * MIB + PAGE as c_ulong,
        ];
        assert_eq!(pages.len(), dests.len());
        for (n, (&(dest, src), want)) in pages.iter().zip(dests.iter()).enumerate() {
            assert_eq!(dest, *want);
            // No source page may be another page's destination unless it is its own.
            assert!(src == dest || !i.is_destination(src, src + PAGE as c_ulong - 1));
            let page = pfn_page(src >> bindings::PAGE_SHIFT);
            let off = n * PAGE;
            let same = with_mapped(page, 0, PAGE, |p| {
                let ok = p.iter().enumerate().all(|(k, &v)| {
                    let want = if n < 3 {
                        data.get(off + k).copied().unwrap_or(0)
                    } else {
                        0
                    };
                    v == want
                });
                if ok {
                    Ok(())
                } else {
                    Err(EINVAL)
                }
            });
            assert!(same.is_ok());
        }
        // Dropping `b` frees the image: pages, control pages and transition tables.
    }

    #[test]
    fn pages_that_are_destinations_land_in_place() {
        // Take pages from the allocator and give them back: its per-CPU lists hand the last
        // freed pages out first, so an image whose destinations are those pages meets its own
        // destinations while it loads (the dest_pages list and the swap of kimage_alloc_page).
        let gfp = sys::gfp_highuser();
        let mut segs = [seg(0, PAGE, PAGE); 16];
        let mut taken = [ptr::null_mut(); 16];
        for (s, t) in segs.iter_mut().zip(taken.iter_mut()) {
            *t = alloc_pages(gfp, 0);
            assert!(!t.is_null());
            s.mem = page_addr(*t);
        }
        for t in taken {
            // SAFETY: our fresh pages, each freed once.
            unsafe { free_pages(t) };
        }
        let b = alloc_init(segs[0].mem, &segs, None);
        assert!(b.is_ok());
        let Ok(mut b) = b else { return };
        let i = b.get();
        for n in 0..segs.len() {
            let data = [n as u8 + 1; PAGE];
            assert!(segment::load(i, n, &mut Source::Kernel(&data)).is_ok());
        }
        i.terminate();
        let pages = pages_of(i);
        assert!(pages.is_ok());
        let Ok(pages) = pages else { return };
        assert_eq!(pages.len(), segs.len());
        let mut in_place = 0;
        for (n, &(dest, src)) in pages.iter().enumerate() {
            assert_eq!(dest, segs[n].mem);
            assert!(src == dest || !i.is_destination(src, src + PAGE as c_ulong - 1));
            in_place += usize::from(src == dest);
            assert!(page_holds(src, n as u8 + 1));
        }
        pr_info!(
            "{} of {} pages loaded at their own destination\n",
            in_place,
            segs.len()
        );
        assert!(in_place > 0);
    }

    /// Whether every byte of the page at `addr` is `v`.
    fn page_holds(addr: c_ulong, v: u8) -> bool {
        let page = pfn_page(addr >> bindings::PAGE_SHIFT);
        with_mapped(page, 0, PAGE, |p| {
            if p.iter().all(|&b| b == v) {
                Ok(())
            } else {
                Err(EINVAL)
            }
        })
        .is_ok()
    }

    #[test]
    fn a_filled_page_moves_to_its_destination_when_that_comes_free() {
        // The swap in kimage_alloc_page: segment 0's destination page is held elsewhere while
        // segment 0 loads, so its bytes go to some other page; then it is freed, and the
        // allocator (last freed, first out) hands it out for segment 1. The loader must move
        // segment 0's bytes into it and give segment 1 the page they were in. The allocator
        // may hand out another page (the test moved to another CPU in between), so it tries a
        // few times: every image must be right, and at least one must have taken the swap.
        const TRIES: usize = 8;
        let gfp = sys::gfp_highuser();
        let mut swapped = 0;
        for _ in 0..TRIES {
            let held = alloc_pages(gfp, 0);
            // Segment 1's destination, held throughout, so segment 1 cannot land in place.
            let busy = alloc_pages(gfp, 0);
            assert!(!held.is_null() && !busy.is_null());
            let segs = [
                seg(page_addr(held), PAGE, PAGE),
                seg(page_addr(busy), PAGE, PAGE),
            ];
            let b = alloc_init(segs[0].mem, &segs, None);
            assert!(b.is_ok());
            let Ok(mut b) = b else { return };
            let i = b.get();
            assert!(segment::load(i, 0, &mut Source::Kernel(&[1; PAGE])).is_ok());
            // SAFETY: our page, unused, freed once.
            unsafe { free_pages(held) };
            assert!(segment::load(i, 1, &mut Source::Kernel(&[2; PAGE])).is_ok());
            i.terminate();
            let pages = pages_of(i);
            assert!(pages.is_ok());
            let Ok(pages) = pages else { return };
            assert_eq!(pages.len(), 2);
            for (n, &(dest, src)) in pages.iter().enumerate() {
                assert_eq!(dest, segs[n].mem);
                assert!(src == dest || !i.is_destination(src, src + PAGE as c_ulong - 1));
                assert!(page_holds(src, n as u8 + 1));
            }
            swapped += usize::from(pages.first().is_some_and(|&(d, s)| d == s));
            drop(b);
            // SAFETY: our page, unused, freed once.
            unsafe { free_pages(busy) };
        }
        pr_info!("{swapped} of {TRIES} images moved a filled page to its destination\n");
        assert!(swapped > 0);
    }

    #[test]
    fn a_segment_maps_only_when_every_page_is_loaded() {
        // kimage_map_segment() for IMA: two loaded pages map, with their bytes; asking for a
        // third, which no source page holds, must give null rather than a shorter mapping the
        // caller would copy the full size into.
        let segs = [seg(16 * MIB, 2 * PAGE, 2 * PAGE)];
        let b = alloc_init(16 * MIB, &segs, None);
        assert!(b.is_ok());
        let Ok(mut b) = b else { return };
        let i = b.get();
        assert!(segment::load(i, 0, &mut Source::Kernel(&[7; 2 * PAGE])).is_ok());
        i.terminate();
        let two = (2 * PAGE) as c_ulong;
        let m = segment::map(i, 16 * MIB, two);
        assert!(!m.is_null());
        if !m.is_null() {
            // SAFETY: `m` maps the two pages.
            let bytes = unsafe { core::slice::from_raw_parts(m.cast::<u8>(), 2 * PAGE) };
            assert!(bytes.iter().all(|&v| v == 7));
            // SAFETY: from kimage_map_segment().
            unsafe { bindings::vunmap(m) };
        }
        let short = segment::map(i, 16 * MIB, two + PAGE as c_ulong);
        assert!(short.is_null());
        if !short.is_null() {
            // SAFETY: from kimage_map_segment().
            unsafe { bindings::vunmap(short) };
        }
        // A range that wraps around maps nothing.
        let wraps = segment::map(i, c_ulong::MAX - PAGE as c_ulong + 1, two);
        assert!(wraps.is_null());
    }

    #[test]
    fn refused_images_give_c_errno() {
        let cases: [(&[bindings::kexec_segment], c_int); 4] = [
            (&[seg(16 * MIB + 1, PAGE, 0)], EADDRNOTAVAIL),
            (&[seg(16 * MIB, PAGE + 1, 0)], EADDRNOTAVAIL),
            (
                &[
                    seg(16 * MIB, 2 * PAGE, 0),
                    seg(16 * MIB + PAGE as c_ulong, PAGE, 0),
                ],
                EINVAL.to_errno(),
            ),
            (&[seg(16 * MIB, PAGE, 2 * PAGE)], EINVAL.to_errno()),
        ];
        for (segs, errno) in cases {
            assert_eq!(
                alloc_init(16 * MIB, segs, None).err().map(|e| e.to_errno()),
                Some(errno)
            );
        }
        // More than half of RAM.
        let half = sys::totalram_pages() as usize / 2 + 1;
        let big = [seg(16 * MIB, half * PAGE, 0)];
        assert_eq!(
            alloc_init(16 * MIB, &big, None).err().map(|e| e.to_errno()),
            Some(EINVAL.to_errno())
        );
    }

    #[test]
    fn page_arithmetic_is_what_the_c_inlines_compute() {
        // Pages from the allocator, and frames across memory: the first, one at 1 MiB, and
        // two below the count of RAM pages (frames that have a `struct page`).
        let last = sys::totalram_pages() as c_ulong;
        let mut pages = KVec::new();
        for order in [0, 3] {
            let p = alloc_pages(bindings::GFP_KERNEL, order);
            assert!(!p.is_null());
            assert!(pages.push(p, GFP_KERNEL).is_ok());
        }
        for pfn in [0, 256, last / 2, last - 1] {
            // SAFETY: address arithmetic.
            let c = unsafe { bindings::kexec_test_boot_pfn_to_page(pfn) };
            assert_eq!(pfn_page(pfn), c);
            assert!(pages.push(c, GFP_KERNEL).is_ok());
        }
        for &p in pages.iter() {
            // SAFETY: `p` is a `struct page` of existing memory; the helpers compute only.
            unsafe {
                let pfn = bindings::kexec_test_page_to_boot_pfn(p);
                assert_eq!(page_pfn(p), pfn);
                assert_eq!(page_addr(p), pfn << bindings::PAGE_SHIFT);
                assert_eq!(pfn_page(pfn), p);
                assert_eq!(page_virt(p), bindings::kexec_test_page_address(p));
                assert_eq!(
                    phys_virt(pfn << bindings::PAGE_SHIFT),
                    bindings::kexec_test_boot_phys_to_virt(pfn << bindings::PAGE_SHIFT)
                );
                assert_eq!(page_lru(p), bindings::kexec_test_page_lru(p));
                assert_eq!(lru_page(page_lru(p)), p);
            }
        }
        for &p in pages.iter().take(2) {
            // SAFETY: the two allocations above, unused.
            unsafe { free_pages(p) };
        }
    }

    /// A `kexec -p` whose checks saw another crashkernel region than the one read under the
    /// lock (`crash_shrink_memory()` ran in between) is refused with `EBUSY`, and the crash
    /// slot keeps what it held.
    #[test]
    fn a_crash_load_checked_against_another_region_is_refused() {
        let lock = KexecGuard::try_lock();
        assert!(lock.is_some());
        let Some(lock) = lock else { return };
        let live = CrashRegion::read(&lock);
        let checked = CrashRegion {
            start: live.start,
            end: live.end.wrapping_add(PAGE as u64),
        };
        let before = ImageSlot::Crash.get(&lock).map(Kimage::as_raw);
        let segs = [seg(16 * MIB, PAGE, 0)];
        let r = replace_crash(
            16 * MIB,
            &segs,
            0,
            Some((checked, CrashBytes::Staged(&[]))),
            &lock,
        );
        assert_eq!(r, Err(EBUSY));
        assert_eq!(ImageSlot::Crash.get(&lock).map(Kimage::as_raw), before);
    }
}
