// SPDX-License-Identifier: GPL-2.0

//! A kexec_load call as userspace may make it (any flags, entry and segment list), through the
//! checks the Rust kexec core makes and the crash control-page placement. Nothing may panic;
//! what is accepted must be what the checks promise, and a control-page hole must be one.
//!
//! Input: flags (8 bytes), entry (8), which machine (1), then segments of 24 bytes each
//! (bufsz, mem, memsz), little-endian; at most 20 are read.

#![no_main]

use kdump_host::kexec_call::{self, Build};
use kdump_host::segments::{self, Machine, Segment};
use libfuzzer_sys::fuzz_target;

const PAGE: u64 = 4096;
const BUILD: Build = Build {
    kexec_jump: false,
    arch: kexec_call::KEXEC_ARCH_X86_64,
};

fn u64_at(d: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    if let Some(s) = d.get(at..at + 8) {
        b.copy_from_slice(s);
    }
    u64::from_le_bytes(b)
}

fuzz_target!(|data: &[u8]| {
    let flags = u64_at(data, 0);
    let entry = u64_at(data, 8);
    let which = data.get(16).copied().unwrap_or(0);
    let segs: Vec<Segment> = data
        .get(17..)
        .unwrap_or(&[])
        .chunks_exact(24)
        .take(20)
        .map(|c| Segment {
            bufsz: u64_at(c, 0),
            mem: u64_at(c, 8),
            memsz: u64_at(c, 16),
        })
        .collect();
    // A small and a large machine, each with a crashkernel region.
    let (total_pages, crash) = if which & 1 == 0 {
        (1 << 18, (0x3000_0000, 0x3fff_ffff))
    } else {
        (1 << 26, (0x10_0000_0000, 0x10_ffff_ffff))
    };
    let dest_limit = if which & 2 == 0 {
        (1 << 46) - 1
    } else {
        (1 << 52) - 1
    };
    let is_crash = flags & kexec_call::KEXEC_ON_CRASH != 0;
    let m = Machine {
        page: PAGE,
        dest_limit,
        total_pages,
        crash: is_crash.then_some(crash),
    };
    if kexec_call::check_call(flags, segs.len() as u64, &BUILD).is_err() || segs.is_empty() {
        return;
    }
    if is_crash && segments::check_crash_entry(entry, crash).is_err() {
        return;
    }
    if segments::check_segments(&segs, &m).is_err() {
        return;
    }
    // Accepted: what sanity_check_segment_list() promises.
    let mut total = 0u64;
    for (i, s) in segs.iter().enumerate() {
        let end = s.mem.checked_add(s.memsz).expect("accepted segment wraps");
        assert!(
            s.mem % PAGE == 0 && end % PAGE == 0,
            "accepted unaligned segment {i}"
        );
        assert!(end < dest_limit, "accepted segment {i} beyond the limit");
        assert!(
            s.bufsz <= s.memsz,
            "accepted segment {i} with bufsz > memsz"
        );
        for p in &segs[..i] {
            assert!(
                end <= p.mem || s.mem >= p.mem + p.memsz,
                "accepted overlap at {i}"
            );
        }
        if is_crash {
            assert!(
                s.mem >= crash.0 && end.wrapping_sub(1) <= crash.1,
                "segment {i} outside"
            );
        }
        total += s.memsz.div_ceil(PAGE);
    }
    assert!(total <= total_pages / 2, "accepted more than half of RAM");
    if !is_crash {
        return;
    }
    // Where the control pages would go, from where the loader starts and from anywhere.
    for (from, order) in [
        (crash.0, 0u32),
        (entry & !(PAGE - 1), 1),
        (crash.0 + 0x1000, 2),
    ] {
        let size = PAGE << order;
        if let Some(h) = segments::crash_control_hole(from, size, &segs, crash.1, u64::MAX) {
            assert!(h % size == 0 && h >= from, "hole {h:#x} misplaced");
            assert!(h + size - 1 <= crash.1, "hole {h:#x} past the region");
            for s in &segs {
                let last = (s.mem + s.memsz).wrapping_sub(1);
                assert!(
                    s.memsz == 0 || h + size - 1 < s.mem || h > last,
                    "hole {h:#x} in a segment"
                );
            }
        }
    }
});
