// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `rust_vmcore`: the kernel-facing layer, as built into this kernel. The pure
//! header checks and layout are tested on the host (`tools/testing/kdump_host`), over thousands
//! of random headers against a port of C; these cases cover what only a kernel has.

#[kernel::macros::kunit_tests(rust_vmcore)]
mod tests {
    use crate::cb::ReadGuard;
    use crate::elf::{self, Phdr, PT_NOTE};
    use crate::layout;
    use crate::sys;
    use crate::vbuf::VBuf;
    use crate::PAGE;

    /// The limit every PT_LOAD and PT_NOTE is checked against is this CPU's physical address
    /// width: at least 4 GiB, at most 5-level paging's 57 bits.
    #[test]
    fn the_physical_limit_is_the_cpus() {
        let limit = sys::phys_limit();
        assert!((1 << 32..=1 << 57).contains(&limit));
        assert!(limit.is_power_of_two());
    }

    /// A PT_NOTE past that limit is refused before anything reads it, naming `p_offset`.
    #[test]
    fn a_note_beyond_this_cpus_memory_is_refused() {
        let limit = sys::phys_limit();
        let p = Phdr {
            p_type: PT_NOTE,
            p_offset: limit,
            p_memsz: 0x400,
            ..Phdr::default()
        };
        assert_eq!(
            layout::check_note(&p, limit),
            Err(elf::Error::BeyondMemory {
                what: "PT_NOTE",
                offset: limit,
                size: 0x400,
                limit
            })
        );
    }

    /// Header and note buffers come zeroed and page-aligned, as mmap() needs them.
    #[test]
    fn buffers_are_zeroed_and_page_aligned() {
        let b = VBuf::new(3 * PAGE as usize);
        assert!(b.is_ok());
        if let Ok(b) = b {
            assert!(b.as_slice().iter().all(|&x| x == 0));
            assert_eq!(b.as_slice().as_ptr() as usize % PAGE as usize, 0);
            assert!(b.mmap_addr(PAGE, 2 * PAGE).is_some());
            assert!(b.mmap_addr(PAGE, 2 * PAGE + 1).is_none());
            assert!(b.mmap_addr(u64::MAX, 1).is_none());
        }
    }

    /// With no vmcore callback registered (none in this kernel) every page is RAM and the
    /// window may be used; read sections nest, as readers inside `read_from_oldmem()` do.
    #[test]
    fn without_callbacks_every_page_is_ram() {
        let outer = ReadGuard::new();
        assert!(!outer.any());
        let inner = ReadGuard::new();
        assert!(inner.pfn_is_ram(0) && inner.pfn_is_ram(1 << 20));
        drop(inner);
        assert!(outer.pfn_is_ram(u64::MAX));
    }

    /// A registered callback is seen through the read section: the window is off and the pages
    /// it calls not RAM read as zeros (`register_vmcore_cb()` is the Rust flavour's, in glue.c).
    #[test]
    fn a_registered_callback_is_asked_about_each_page() {
        #[cfg(CONFIG_PROC_VMCORE_RUST)]
        {
            use kernel::bindings;
            use kernel::ffi::c_ulong;

            /// Says even page frames are RAM and odd ones are not.
            ///
            /// # Safety
            ///
            /// Called by glue.c's `vmcore_cb_pfn_is_ram()`; `_cb` is not used.
            unsafe extern "C" fn even_is_ram(_cb: *mut bindings::vmcore_cb, pfn: c_ulong) -> bool {
                pfn & 1 == 0
            }
            // SAFETY: all-zero is a valid `vmcore_cb` (no callbacks, an unlinked list head).
            let mut cb: bindings::vmcore_cb = unsafe { core::mem::zeroed() };
            cb.pfn_is_ram = Some(even_is_ram);
            // SAFETY: `cb` outlives its registration: it is unregistered below, and
            // `unregister_vmcore_cb()` waits for every reader before returning.
            unsafe { bindings::register_vmcore_cb(&mut cb) };
            {
                let g = ReadGuard::new();
                assert!(g.any());
                assert!(g.pfn_is_ram(2));
                assert!(!g.pfn_is_ram(3));
            }
            // SAFETY: `cb` was registered above.
            unsafe { bindings::unregister_vmcore_cb(&mut cb) };
            assert!(!ReadGuard::new().any());
        }
    }
}
