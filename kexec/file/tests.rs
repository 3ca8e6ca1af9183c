// SPDX-License-Identifier: GPL-2.0

//! The `rust_kexec_file_loader` KUnit suite: the Rust loader's kernel-facing pieces beside the
//! C that is still built where they replace C: the crash kernel's memory map against x86's
//! `crash_setup_memmap_entries()` (in `arch/x86/kernel/crash.c`, no longer called).

#[kernel::macros::kunit_tests(rust_kexec_file_loader)]
mod rust_kexec_file_loader {
    use core::ptr;
    use kernel::alloc::flags::GFP_KERNEL;
    use kernel::alloc::KVec;
    use kernel::bindings;
    use kernel::ffi::c_ulong;
    use kernel::kexec::{KexecGuard, KimageKind};
    use kernel::prelude::*;

    use crate::file::bootparams::{E820_ENTRY, E820_MAX};
    use crate::file::bzload::crash_memory_map;
    use crate::image::Building;

    /// Where `e820_entries` and `e820_table` are in `struct boot_params`.
    const E820_ENTRIES: usize = 0x1e8;
    const E820_TABLE: usize = 0x2d0;
    /// A crashkernel region made up for the test: the KUnit guest reserves none.
    const REGION: (u64, u64) = (0x100_0000, 0x4ff_ffff);
    /// The ELF core headers' size as x86's `crash_load_segments()` sizes them with hotplug.
    const HEADERS: u64 = 0x7_1000;

    /// C's map for `image`: its entries' bytes, or its errno.
    fn c_map(image: *mut bindings::kimage) -> Result<KVec<u8>> {
        let mut bp = KVec::from_elem(
            0u8,
            core::mem::size_of::<bindings::boot_params>(),
            GFP_KERNEL,
        )?;
        // SAFETY: `bp` is a zeroed `struct boot_params` (packed: any address is aligned) that C
        // writes the memory map of; `image` is the test's crash image.
        let r = unsafe { bindings::crash_setup_memmap_entries(image, bp.as_mut_ptr().cast()) };
        if r != 0 {
            return Err(Error::from_errno(r));
        }
        let n = usize::from(*bp.get(E820_ENTRIES).ok_or(EINVAL)?).min(E820_MAX);
        let mut out = KVec::new();
        out.extend_from_slice(
            bp.get(E820_TABLE..E820_TABLE + n * E820_ENTRY)
                .ok_or(EINVAL)?,
            GFP_KERNEL,
        )?;
        Ok(out)
    }

    #[test]
    fn the_crash_memory_map_is_cs_and_whole_where_c_fails() -> Result {
        let mut b = Building::new()?;
        let i = b.get();
        i.set_file_mode(true);
        // SAFETY: a fresh image with no pages, only this test knows it.
        unsafe { i.set_kind(KimageKind::Crash) };
        let raw = i.as_raw();
        let lock = KexecGuard::try_lock().ok_or(EBUSY)?;
        // SAFETY: `crashk_res` changes only under the kexec lock, held here; it is put back
        // below, before the lock goes.
        let saved = unsafe {
            let r = &mut *ptr::addr_of_mut!(bindings::crashk_res);
            let saved = (r.start, r.end);
            (r.start, r.end) = REGION;
            saved
        };
        let mut cases = KVec::new();
        // The headers at the start of the region (where a load over an empty region puts them),
        // at its end, and in its middle (where one placed beside a loaded image has them).
        for at in [REGION.0, REGION.1 + 1 - HEADERS, REGION.0 + 0x100_0000] {
            // SAFETY: fields no invariant covers, of an image only this test knows.
            unsafe {
                (*raw).elf_load_addr = at as c_ulong;
                (*raw).elf_headers_sz = HEADERS as c_ulong;
            }
            cases.push((at, c_map(raw), crash_memory_map(b.get())), GFP_KERNEL)?;
        }
        // SAFETY: as above.
        unsafe {
            let r = &mut *ptr::addr_of_mut!(bindings::crashk_res);
            (r.start, r.end) = saved;
        }
        drop(lock);
        for (at, c, r) in &cases {
            let r = r.as_ref().map_err(|e| *e)?;
            if *at == REGION.0 + 0x100_0000 {
                // C keeps room for one RAM range: a split fails. Rust gives C's entries before
                // the region, then both pieces.
                assert_eq!(c.as_ref().err(), Some(&ENOMEM));
                assert_eq!(r.len() % E820_ENTRY, 0);
                let tail = r
                    .get(r.len().saturating_sub(2 * E820_ENTRY)..)
                    .ok_or(EINVAL)?;
                let addr = |k: usize| -> Result<u64> {
                    let b = tail.get(k * E820_ENTRY..k * E820_ENTRY + 8).ok_or(EINVAL)?;
                    Ok(u64::from_le_bytes(b.try_into().map_err(|_| EINVAL)?))
                };
                let (first, second) = (addr(0)?, addr(1)?);
                assert_eq!(first, REGION.0);
                assert_eq!(second, at + HEADERS);
            } else {
                let c = c.as_ref().map_err(|e| *e)?;
                assert!(c[..] == r[..]);
            }
        }
        Ok(())
    }
}
