// SPDX-License-Identifier: GPL-2.0

//! The `rust_kexec_file` KUnit suite: the pure cores beside C's `kernel/kexec_file.c` and
//! `arch/x86/kernel/kexec-bzimage64.c`, on the same inputs in the same kernel.

#[kernel::macros::kunit_tests(rust_kexec_file)]
mod rust_kexec_file {
    use core::ptr::{self, NonNull};
    use kernel::alloc::flags::GFP_KERNEL;
    use kernel::alloc::KVec;
    use kernel::bindings;
    use kernel::ffi::{c_int, c_ulong, c_void};
    use kernel::kexec::Kimage;
    use kernel::page::PAGE_SIZE;
    use kernel::prelude::*;

    use crate::file::bzimage::{self, Machine};
    use crate::file::hole::{self, InRange, Request};
    use crate::file::purgatory::{self, Placed};
    use crate::image;

    const PAGE: u64 = PAGE_SIZE as u64;
    /// `MIN_PURGATORY_ADDR`.
    const MIN_PURGATORY_ADDR: u64 = 0x3000;

    /// An empty image in file mode, as `kimage_file_alloc_init()` starts one; freed on drop.
    struct FileImage(NonNull<bindings::kimage>);

    impl FileImage {
        fn new() -> Result<Self> {
            let mut i = FileImage(image::alloc()?);
            i.get().set_file_mode(true);
            Ok(i)
        }

        fn get(&mut self) -> &mut Kimage {
            // SAFETY: an image of this core (`image::alloc()`) that only this test knows, borrowed
            // uniquely with `self`.
            unsafe { Kimage::from_raw_mut(self.0.as_ptr()) }
        }
    }

    impl Drop for FileImage {
        fn drop(&mut self) {
            // SAFETY: nothing else knows the image; `free` takes C's file buffers with it.
            unsafe { image::free(self.0.as_ptr()) };
        }
    }

    /// What a walk of System RAM gave the Rust search.
    struct Walk {
        req: Request,
        image: *const bindings::kimage,
        found: Option<InRange>,
    }

    /// `locate_mem_hole_callback()`'s place in `walk_system_ram_res_rev()`, with the Rust search.
    ///
    /// # Safety
    ///
    /// `res` is a resource the walk hands over and `arg` the `Walk` the test passed.
    unsafe extern "C" fn each_range(res: *mut bindings::resource, arg: *mut c_void) -> c_int {
        // SAFETY: `arg` is the test's `Walk`, which it does not touch during the walk, and
        // `res` a resource the walk holds for the call (this function's `# Safety`).
        let (w, r) = unsafe { (&mut *arg.cast::<Walk>(), &*res) };
        let managed = r.flags & bindings::IORESOURCE_SYSRAM_DRIVER_MANAGED as c_ulong != 0;
        // SAFETY: `w.image` is the test's image, which nothing changes during the walk.
        let image = unsafe { Kimage::from_raw(w.image) };
        let busy = |a: u64, b: u64| image.is_destination(a as c_ulong, b as c_ulong);
        match hole::in_range(r.start, r.end, managed, &w.req, PAGE, busy) {
            InRange::Next => 0,
            found => {
                w.found = Some(found);
                1
            }
        }
    }

    #[test]
    fn the_purgatory_is_placed_laid_out_and_relocated_as_c_does_it() -> Result {
        let p = purgatory::parse(super::super::purgatory_object()).map_err(|_| EINVAL)?;
        let l = p.layout();
        let mut i = FileImage::new()?;
        // Where Rust would put it, asked before C's buffer is there.
        let req = Request {
            memsz: l.memsz,
            align: l.align,
            min: MIN_PURGATORY_ADDR,
            max: u64::MAX,
            top_down: true,
        }
        .rounded(PAGE);
        let mut walk = Walk {
            req,
            image: i.get().as_raw(),
            found: None,
        };
        // SAFETY: `each_range` is a walk callback whose `arg` is `walk`, live for the call.
        unsafe {
            bindings::walk_system_ram_res_rev(
                0,
                u64::MAX,
                ptr::addr_of_mut!(walk).cast(),
                Some(each_range),
            )
        };
        let mut kbuf = bindings::kexec_buf {
            image: i.get().as_raw(),
            buf_min: MIN_PURGATORY_ADDR as c_ulong,
            buf_max: c_ulong::MAX,
            top_down: true,
            ..Default::default()
        };
        // SAFETY: a file-mode image with no control pages yet, and a request as
        // bzImage64_load() makes it.
        let loaded = unsafe { bindings::kexec_load_purgatory(i.get().as_raw(), &mut kbuf) };
        assert_eq!(loaded, 0);
        assert_eq!(kbuf.bufsz as u64, l.bufsz);
        assert_eq!(kbuf.memsz as u64, req.memsz);
        assert_eq!(kbuf.buf_align as u64, req.align);
        assert_eq!(walk.found, Some(InRange::Found(kbuf.mem as u64)));

        let mut buf = KVec::<u8>::from_elem(0, l.bufsz as usize, GFP_KERNEL)?;
        let mut placed = KVec::<Placed>::from_elem(Placed::default(), p.sections(), GFP_KERNEL)?;
        let start = p
            .place(kbuf.mem as u64, &mut buf, &mut placed)
            .map_err(|_| EINVAL)?;
        p.relocate(&placed, &mut buf).map_err(|_| EINVAL)?;

        let image = i.get();
        assert_eq!(start, image.start() as u64);
        // SAFETY: C's loader left its buffer of `kbuf.bufsz` bytes (equal to `l.bufsz`: asserted
        // above, and a failed KUnit assertion ends the test) and its copy of the section
        // headers (one per section) in the image, until the image is freed.
        let (c_buf, c_sechdrs) = unsafe {
            let pi = &(*image.as_raw()).purgatory_info;
            (
                core::slice::from_raw_parts(pi.purgatory_buf.cast::<u8>(), l.bufsz as usize),
                core::slice::from_raw_parts(pi.sechdrs, p.sections()),
            )
        };
        assert!(buf[..] == c_buf[..]);
        for (r, c) in placed.iter().zip(c_sechdrs) {
            assert_eq!((r.addr, r.offset), (c.sh_addr, c.sh_offset));
        }
        for name in [c"stack_end", c"purgatory_start", c"entry64_regs"] {
            // SAFETY: the image's purgatory is loaded; `name` is a C string.
            let c_addr = unsafe {
                bindings::kexec_purgatory_get_symbol_addr(image.as_raw(), name.as_ptr().cast())
            };
            let r_addr = p.symbol_addr(&placed, name.to_bytes());
            assert_eq!(r_addr, Ok(c_addr as u64));
        }
        Ok(())
    }

    /// A header as `make bzImage` writes one: protocol 2.15, 64-bit, relocatable, 5-level.
    fn header(len: usize) -> Result<KVec<u8>> {
        let mut k = KVec::<u8>::from_elem(0, len, GFP_KERNEL)?;
        let put = |k: &mut KVec<u8>, at: usize, bytes: &[u8]| {
            if let Some(d) = k.get_mut(at..at + bytes.len()) {
                d.copy_from_slice(bytes);
            }
        };
        put(&mut k, 0x1f1, &[27]);
        put(&mut k, 0x1fe, &0xaa55u16.to_le_bytes());
        put(&mut k, 0x202, b"HdrS");
        put(&mut k, 0x206, &0x020fu16.to_le_bytes());
        put(&mut k, 0x211, &[1]);
        put(&mut k, 0x236, &0x7fu16.to_le_bytes());
        put(&mut k, 0x238, &2047u32.to_le_bytes());
        Ok(k)
    }

    #[test]
    fn the_probe_takes_and_refuses_what_c_does() -> Result {
        // The KUnit kernel has no EFI; 5-level paging is on only where it is built in.
        #[cfg(CONFIG_X86_5LEVEL)]
        // SAFETY: set at boot, read-only after.
        let five_level = unsafe { bindings::__pgtable_l5_enabled } != 0;
        #[cfg(not(CONFIG_X86_5LEVEL))]
        let five_level = false;
        let m = Machine {
            efi_32bit: false,
            five_level,
        };
        // (offset, value): each check of bzImage64_probe() failed once, and a good header.
        let cases: [(usize, &[u8]); 8] = [
            (0, &[]),
            (0x202, b"HdrT"),
            (0x1fe, &[0x55, 0xab]),
            (0x206, &[0x0b, 0x02]),
            (0x211, &[0]),
            (0x236, &[0x7e]),
            (0x236, &[0x7d]),
            (0x236, &[0x1f]),
        ];
        let mut i = FileImage::new()?;
        for len in [1023usize, 1024, 64 << 10] {
            for (at, bytes) in cases {
                let mut k = header(len)?;
                if let Some(d) = k.get_mut(at..at + bytes.len()) {
                    d.copy_from_slice(bytes);
                }
                // SAFETY: `k` is `len` bytes long; the probe only reads it.
                let c = unsafe {
                    bindings::kexec_image_probe_default(
                        i.get().as_raw(),
                        k.as_mut_ptr().cast(),
                        k.len() as c_ulong,
                    )
                };
                let r = bzimage::probe(&k, &m)
                    .map(|_| 0)
                    .unwrap_or_else(|e| -e.errno());
                assert_eq!(r, c);
            }
        }
        Ok(())
    }
}
