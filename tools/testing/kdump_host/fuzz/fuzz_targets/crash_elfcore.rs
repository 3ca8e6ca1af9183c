// SPDX-License-Identifier: GPL-2.0

//! Memory ranges as the crash path gets them (any values, sorted or not, any room), holes cut
//! out of them, and an elfcorehdr built from what is left. Nothing may panic; a range list that
//! was ascending and disjoint stays so, holds no byte of a hole it was cut from, and loses no
//! byte outside it; the header built from it is one the vmcore provider's parser takes, with
//! the same ranges.
//!
//! Input: CPU count (1 byte), room beyond the ranges (1), then ranges of 16 bytes (start, end),
//! then, after a range whose start is all ones, holes of 16 bytes; little-endian.

#![no_main]

use kdump_host::crash_elfcore::{exclude, headers_size, write_headers, CoreInfo, Range};
use kdump_host::elf::{self, Class, PT_LOAD};
use libfuzzer_sys::fuzz_target;

fn u64_at(d: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    if let Some(s) = d.get(at..at + 8) {
        b.copy_from_slice(s);
    }
    u64::from_le_bytes(b)
}

fn ascending(r: &[Range]) -> bool {
    r.iter().all(|x| x.start <= x.end) && r.windows(2).all(|w| w[0].end < w[1].start)
}

/// Whether `addr` is in one of `r`.
fn holds(r: &[Range], addr: u64) -> bool {
    r.iter().any(|x| x.start <= addr && addr <= x.end)
}

fuzz_target!(|data: &[u8]| {
    let cpus = usize::from(data.first().copied().unwrap_or(0) % 16);
    let spare = usize::from(data.get(1).copied().unwrap_or(0) % 4);
    let mut pairs = data
        .get(2..)
        .unwrap_or(&[])
        .chunks_exact(16)
        .map(|c| Range {
            start: u64_at(c, 0),
            end: u64_at(c, 8),
        });
    let mut ranges: Vec<Range> = pairs
        .by_ref()
        .take_while(|r| r.start != u64::MAX)
        .take(64)
        .collect();
    let holes: Vec<Range> = pairs.take(8).collect();
    let mut nr = ranges.len();
    ranges.resize(nr + spare, Range::default());

    for h in &holes {
        let before: Vec<Range> = ranges[..nr].to_vec();
        let r = exclude(&mut ranges, &mut nr, h.start, h.end);
        assert!(nr <= ranges.len());
        if !ascending(&before) || h.start > h.end {
            continue;
        }
        let after = &ranges[..nr];
        assert!(ascending(after), "{before:x?} - {h:x?} = {after:x?}");
        if r.is_err() {
            break;
        }
        // Every end of a range before and after, and the bytes next to them, are where they
        // should be.
        for x in before.iter().chain(after).chain(Some(h)) {
            for a in [
                x.start.wrapping_sub(1),
                x.start,
                x.end,
                x.end.wrapping_add(1),
            ] {
                let want = holds(&before, a) && !(h.start <= a && a <= h.end);
                assert_eq!(
                    holds(after, a),
                    want,
                    "{a:#x}: {before:x?} - {h:x?} = {after:x?}"
                );
            }
        }
    }

    let info = CoreInfo {
        machine: elf::EM_X86_64,
        cpu_note_size: 0x150,
        vmcoreinfo_note: 0x1000,
        vmcoreinfo_size: 0x1024,
        page_offset: 0xffff_8880_0000_0000,
        align: 4096,
        ..CoreInfo::default()
    };
    let used = &ranges[..nr];
    let Some(size) = headers_size(cpus, used.len(), info.align) else {
        return;
    };
    let mut buf = vec![0u8; size];
    write_headers(
        &mut buf,
        &info,
        (0..cpus as u64).map(|c| 0x10_0000 + c * 0x200),
        used,
    )
    .expect("sized for these CPUs and ranges");
    let ehdr = elf::parse_ehdr(&buf, elf::EM_X86_64).expect("the vmcore parser takes it");
    let loads: Vec<Range> = (0..usize::from(ehdr.phnum))
        .map(|k| elf::read_phdr(&buf, Class::Elf64, k).expect("in the table"))
        .filter(|p| p.p_type == PT_LOAD)
        .map(|p| Range {
            start: p.p_offset,
            end: p.p_offset.wrapping_add(p.p_filesz).wrapping_sub(1),
        })
        .collect();
    assert_eq!(loads, used);
});
