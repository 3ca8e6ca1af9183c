// SPDX-License-Identifier: GPL-2.0

//! Reads the running kernel's VMCOREINFO, the text a crash dump carries to makedumpfile and
//! drgn, and logs what a dump of this kernel will say about itself.
//!
//! The parsing is pure logic in `kdump_sample/vmcoreinfo.rs`, shared with the host crate; this
//! file is the thin kernel side and the KUnit suite, which checks the parser on crafted text and
//! the live VMCOREINFO against the kernel's own symbols.

use kernel::{bindings, prelude::*};

#[allow(unreachable_pub, dead_code)]
#[path = "kdump_sample/vmcoreinfo.rs"]
mod vmcoreinfo;

use vmcoreinfo::VmcoreInfo;

module! {
    type: RustKdumpSample,
    name: "rust_kdump_sample",
    author: "Rust kdump tree developers",
    description: "Logs the running kernel's VMCOREINFO as a crash dump will carry it",
    license: "GPL",
}

/// The kernel's VMCOREINFO text as it stands now.
fn live_vmcoreinfo() -> &'static [u8] {
    // SAFETY: `vmcoreinfo_data` and `vmcoreinfo_size` are set once by the subsys_initcall
    // `crash_save_vmcoreinfo_init()`, before any module or device initcall runs; they are read
    // here as plain values.
    let (data, size) = unsafe { (bindings::vmcoreinfo_data, bindings::vmcoreinfo_size) };
    if data.is_null() {
        return &[];
    }
    // SAFETY: `vmcoreinfo_data` points to a never-freed buffer of `VMCOREINFO_BYTES` bytes of
    // which the first `vmcoreinfo_size` are written; later appends only add bytes after them.
    unsafe { core::slice::from_raw_parts(data, size) }
}

struct RustKdumpSample;

impl kernel::Module for RustKdumpSample {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let info = VmcoreInfo::parse(live_vmcoreinfo()).map_err(|e| {
            pr_err!("VMCOREINFO is malformed: {}\n", e);
            EINVAL
        })?;
        pr_info!(
            "VMCOREINFO: {} entries, OSRELEASE={}, PAGESIZE={}\n",
            info.len(),
            info.get("OSRELEASE").unwrap_or("(none)"),
            info.get("PAGESIZE").unwrap_or("(none)"),
        );
        Ok(RustKdumpSample)
    }
}

#[kernel::macros::kunit_tests(rust_kdump_sample)]
mod tests {
    use super::*;
    use vmcoreinfo::Error;

    const SAMPLE: &[u8] =
        b"OSRELEASE=6.12.0\nPAGESIZE=4096\nSYMBOL(init_uts_ns)=ffffffff82a0b5a0\n\
SIZE(page)=64\nOFFSET(page.flags)=0\nNUMBER(PG_slab)=-1\n\0\0\0";

    #[test]
    fn parses_every_kind_of_key() {
        let parsed = VmcoreInfo::parse(SAMPLE);
        assert!(parsed.is_ok());
        let Ok(info) = parsed else {
            return;
        };
        assert_eq!(info.len(), 6);
        assert_eq!(info.get("OSRELEASE"), Some("6.12.0"));
        assert_eq!(info.symbol("init_uts_ns"), Some(0xffff_ffff_82a0_b5a0));
        assert_eq!(info.size("page"), Some(64));
        assert_eq!(info.offset("page.flags"), Some(0));
        assert_eq!(info.number("PG_slab"), Some(-1));
        assert_eq!(info.get("MISSING"), None);
    }

    #[test]
    fn refuses_malformed_text() {
        assert_eq!(
            VmcoreInfo::parse(b"A=1\nnoequals\n").err(),
            Some(Error::MissingEquals { line: 2 })
        );
        assert_eq!(
            VmcoreInfo::parse(b"=1\n").err(),
            Some(Error::EmptyKey { line: 1 })
        );
        assert_eq!(
            VmcoreInfo::parse(b"A=\x01\n").err(),
            Some(Error::NotText { offset: 2 })
        );
        assert_eq!(VmcoreInfo::parse(b"A=1").err(), Some(Error::Unterminated));
    }

    #[test]
    fn live_vmcoreinfo_is_well_formed() {
        let parsed = VmcoreInfo::parse(live_vmcoreinfo());
        assert!(parsed.is_ok());
        if let Ok(info) = parsed {
            assert!(info.len() > 20);
        }
    }

    #[test]
    fn live_vmcoreinfo_matches_this_kernel() -> Result {
        let info = VmcoreInfo::parse(live_vmcoreinfo()).map_err(|_| EINVAL)?;
        let page_size = u64::try_from(kernel::page::PAGE_SIZE).ok();
        assert_eq!(
            info.get("PAGESIZE").and_then(|v| v.parse::<u64>().ok()),
            page_size
        );

        // With KASLR on, VMCOREINFO carries the relocated address, the one this code sees.
        #[allow(unused_unsafe)]
        // SAFETY: only the address of the static is taken.
        let uts = unsafe { core::ptr::addr_of!(bindings::init_uts_ns) } as u64;
        assert_eq!(info.symbol("init_uts_ns"), Some(uts));

        #[allow(unused_unsafe)]
        // SAFETY: only the address of the array is taken.
        let release = unsafe { core::ptr::addr_of!(bindings::init_uts_ns.name.release) };
        // SAFETY: `init_uts_ns.name.release` is a NUL-terminated array set at build time and
        // not changed after boot.
        let release = unsafe { CStr::from_char_ptr(release.cast()) };
        assert_eq!(
            info.get("OSRELEASE").map(str::as_bytes),
            Some(release.as_bytes())
        );
        Ok(())
    }
}

/// Proves the KUnit plumbing: these cases must be reported as failed (never on in `make check`).
#[cfg(CONFIG_SAMPLE_RUST_KDUMP_KUNIT_FAILING)]
#[kernel::macros::kunit_tests(rust_kdump_sample_failing)]
mod failing {
    use kernel::prelude::*;

    #[test]
    fn fails_on_purpose() {
        assert_eq!(1 + 1, 3);
    }

    #[test]
    fn fails_by_returning_an_error() -> Result {
        Err(EINVAL)
    }
}
