// SPDX-License-Identifier: GPL-2.0

//! Host tests of the crash path's elfcorehdr builder and range exclusion (crash/elfcore.rs).
//!
//! `c_exclude` and `c_prepare_elf64_headers` are line-by-line ports of
//! `crash_exclude_mem_range()` and `crash_prepare_elf64_headers()` from Linux 6.12, over C's
//! arrays, `memmove`s and struct layouts; the property tests check the Rust code gives the same
//! result and the same bytes on seeded random range lists. Every header built is then read back
//! with the vmcore provider's parser (vmcore/elf.rs, vmcore/layout.rs), which must accept it and
//! find the same notes and ranges.

use kdump_host::crash_elfcore::{
    entries, exclude, headers_size, write_headers, CoreInfo, Full, KernelText, Range, EHDR_SIZE,
    PHDR_SIZE,
};
use kdump_host::elf::{self, Class, PT_LOAD, PT_NOTE};
use kdump_host::layout;
use kdump_host::Rng;

const PAGE_OFFSET: u64 = 0xffff_8880_0000_0000;

/// `crash_exclude_mem_range()`, line by line: `mem` has room for `max_nr_ranges` entries, or
/// for `*nr` if more, of which the first `*nr` are used. Returns 0 or `-ENOMEM`.
fn c_exclude(
    mem: &mut [Range],
    nr: &mut usize,
    max_nr_ranges: usize,
    mstart: u64,
    mend: u64,
) -> i32 {
    let max_nr_ranges = max_nr_ranges as isize;
    let mut nr_ranges = *nr as isize;
    let mut i: isize = 0;
    while i < nr_ranges {
        let start = mem[i as usize].start;
        let end = mem[i as usize].end;
        let mut p_start = mstart;
        let mut p_end = mend;

        if p_start > end {
            i += 1;
            continue;
        }
        if p_end < start {
            break;
        }
        if p_start < start {
            p_start = start;
        }
        if p_end > end {
            p_end = end;
        }
        if p_start == start && p_end == end {
            // memmove(&mem->ranges[i], &mem->ranges[i + 1], (nr - (i + 1)) * size)
            let (from, count) = ((i + 1) as usize, (nr_ranges - (i + 1)) as usize);
            mem.copy_within(from..from + count, i as usize);
            i -= 1;
            nr_ranges -= 1;
        } else if p_start > start && p_end < end {
            if nr_ranges >= max_nr_ranges {
                *nr = nr_ranges as usize;
                return -12;
            }
            // memmove(&mem->ranges[i + 2], &mem->ranges[i + 1], (nr - (i + 1)) * size)
            let (from, count) = ((i + 1) as usize, (nr_ranges - (i + 1)) as usize);
            mem.copy_within(from..from + count, (i + 2) as usize);
            mem[i as usize].end = p_start - 1;
            mem[(i + 1) as usize].start = p_end + 1;
            mem[(i + 1) as usize].end = end;
            i += 1;
            nr_ranges += 1;
        } else if p_start != start {
            mem[i as usize].end = p_start - 1;
        } else {
            mem[i as usize].start = p_end + 1;
        }
        i += 1;
    }
    *nr = nr_ranges as usize;
    0
}

/// `Elf64_Ehdr`, as C lays it out.
#[repr(C)]
#[derive(Default)]
struct Elf64Ehdr {
    e_ident: [u8; 16],
    e_type: u16,
    e_machine: u16,
    e_version: u32,
    e_entry: u64,
    e_phoff: u64,
    e_shoff: u64,
    e_flags: u32,
    e_ehsize: u16,
    e_phentsize: u16,
    e_phnum: u16,
    e_shentsize: u16,
    e_shnum: u16,
    e_shstrndx: u16,
}

/// `Elf64_Phdr`, as C lays it out.
#[repr(C)]
#[derive(Default)]
struct Elf64Phdr {
    p_type: u32,
    p_flags: u32,
    p_offset: u64,
    p_vaddr: u64,
    p_paddr: u64,
    p_filesz: u64,
    p_memsz: u64,
    p_align: u64,
}

fn bytes_of<T>(v: &T) -> &[u8] {
    // SAFETY: both structs are repr(C) with no padding (checked by their sizes in the test).
    unsafe { std::slice::from_raw_parts((v as *const T).cast(), std::mem::size_of::<T>()) }
}

/// `crash_prepare_elf64_headers()`, line by line: the vzalloc'd buffer it returns.
fn c_prepare_elf64_headers(info: &CoreInfo, notes: &[u64], mem: &[Range]) -> Vec<u8> {
    let nr_cpus = notes.len();
    let mut nr_phdr = nr_cpus + 1;
    nr_phdr += mem.len();
    nr_phdr += 1;
    let mut elf_sz = std::mem::size_of::<Elf64Ehdr>() + nr_phdr * std::mem::size_of::<Elf64Phdr>();
    elf_sz = (elf_sz + info.align - 1) & !(info.align - 1);

    let mut ehdr = Elf64Ehdr::default();
    let mut phdrs: Vec<Elf64Phdr> = Vec::new();
    ehdr.e_ident[..4].copy_from_slice(b"\x7fELF");
    ehdr.e_ident[4] = 2;
    ehdr.e_ident[5] = 1;
    ehdr.e_ident[6] = 1;
    ehdr.e_ident[7] = info.osabi;
    ehdr.e_type = 4;
    ehdr.e_machine = info.machine;
    ehdr.e_version = 1;
    ehdr.e_phoff = std::mem::size_of::<Elf64Ehdr>() as u64;
    ehdr.e_ehsize = std::mem::size_of::<Elf64Ehdr>() as u16;
    ehdr.e_phentsize = std::mem::size_of::<Elf64Phdr>() as u16;

    for &notes_addr in notes {
        phdrs.push(Elf64Phdr {
            p_type: 4,
            p_offset: notes_addr,
            p_paddr: notes_addr,
            p_filesz: info.cpu_note_size,
            p_memsz: info.cpu_note_size,
            ..Default::default()
        });
        ehdr.e_phnum = ehdr.e_phnum.wrapping_add(1);
    }
    phdrs.push(Elf64Phdr {
        p_type: 4,
        p_offset: info.vmcoreinfo_note,
        p_paddr: info.vmcoreinfo_note,
        p_filesz: info.vmcoreinfo_size,
        p_memsz: info.vmcoreinfo_size,
        ..Default::default()
    });
    ehdr.e_phnum = ehdr.e_phnum.wrapping_add(1);
    if let Some(t) = info.kernel_text {
        phdrs.push(Elf64Phdr {
            p_type: 1,
            p_flags: 4 | 2 | 1,
            p_vaddr: t.vaddr,
            p_filesz: t.size,
            p_memsz: t.size,
            p_offset: t.paddr,
            p_paddr: t.paddr,
            ..Default::default()
        });
        ehdr.e_phnum = ehdr.e_phnum.wrapping_add(1);
    }
    for r in mem {
        let (mstart, mend) = (r.start, r.end);
        phdrs.push(Elf64Phdr {
            p_type: 1,
            p_flags: 4 | 2 | 1,
            p_offset: mstart,
            p_paddr: mstart,
            p_vaddr: mstart.wrapping_add(PAGE_OFFSET),
            p_filesz: mend.wrapping_sub(mstart).wrapping_add(1),
            p_memsz: mend.wrapping_sub(mstart).wrapping_add(1),
            p_align: 0,
        });
        ehdr.e_phnum = ehdr.e_phnum.wrapping_add(1);
    }
    let mut buf = vec![0u8; elf_sz];
    buf[..64].copy_from_slice(bytes_of(&ehdr));
    for (k, p) in phdrs.iter().enumerate() {
        buf[64 + 56 * k..64 + 56 * (k + 1)].copy_from_slice(bytes_of(p));
    }
    buf
}

/// A random ascending, disjoint list of `n` ranges.
fn random_ranges(rng: &mut Rng, n: usize) -> Vec<Range> {
    let mut out = Vec::with_capacity(n);
    let mut at = rng.below(1 << 20);
    for _ in 0..n {
        let start = at + rng.below(1 << 24);
        let end = start + rng.below(1 << 26);
        out.push(Range { start, end });
        at = end + 1 + rng.below(4);
    }
    out
}

/// A hole to exclude: often at or near a range's ends, sometimes anywhere.
fn random_hole(rng: &mut Rng, ranges: &[Range]) -> (u64, u64) {
    let edge = |rng: &mut Rng| {
        if ranges.is_empty() || rng.below(4) == 0 {
            return rng.below(1 << 32);
        }
        let r = ranges[rng.below(ranges.len() as u64) as usize];
        let base = if rng.below(2) == 0 { r.start } else { r.end };
        base.wrapping_add(rng.below(5)).wrapping_sub(2)
    };
    let (a, b) = (edge(rng), edge(rng));
    (a.min(b), a.max(b))
}

#[test]
fn the_structs_have_cs_layout() {
    assert_eq!(std::mem::size_of::<Elf64Ehdr>(), EHDR_SIZE);
    assert_eq!(std::mem::size_of::<Elf64Phdr>(), PHDR_SIZE);
    assert_eq!(std::mem::size_of::<Range>(), 16);
}

#[test]
fn exclusion_cuts_splits_and_drops_as_c_does() {
    let r = |start, end| Range { start, end };
    let mut mem = [
        r(0x1000, 0x1fff),
        r(0x3000, 0x5fff),
        r(0x8000, 0x8fff),
        r(0, 0),
    ];
    let mut nr = 3;
    // Inside the second range: it splits.
    assert_eq!(exclude(&mut mem, &mut nr, 0x4000, 0x4fff), Ok(()));
    assert_eq!(
        &mem[..nr],
        &[
            r(0x1000, 0x1fff),
            r(0x3000, 0x3fff),
            r(0x5000, 0x5fff),
            r(0x8000, 0x8fff)
        ]
    );
    // Over the first two whole ranges and the start of the third.
    assert_eq!(exclude(&mut mem, &mut nr, 0, 0x3fff), Ok(()));
    assert_eq!(&mem[..nr], &[r(0x5000, 0x5fff), r(0x8000, 0x8fff)]);
    // No room left to split.
    let mut full = [r(0x1000, 0x4fff)];
    let mut n = 1;
    assert_eq!(
        exclude(&mut full, &mut n, 0x2000, 0x2fff),
        Err(Full { max: 1 })
    );
    assert_eq!((n, full[0]), (1, r(0x1000, 0x4fff)));
}

#[test]
fn a_list_whose_room_was_never_set_is_used_as_c_uses_it() {
    // x86's crash_setup_memmap_entries(): one range, max_nr_ranges left 0 by vzalloc().
    assert_eq!(entries(1, 0), 1);
    assert_eq!(entries(3, 8), 8);
    let mut mem = [Range {
        start: 0x2f00_0000,
        end: 0x3eff_ffff,
    }];
    let mut nr = 1;
    // The elfcorehdr at the region's end is cut off; one in its middle cannot be (no room).
    assert_eq!(
        exclude(&mut mem[..entries(1, 0)], &mut nr, 0x3efe_0000, 0x3eff_ffff),
        Ok(())
    );
    assert_eq!(
        (nr, mem[0]),
        (
            1,
            Range {
                start: 0x2f00_0000,
                end: 0x3efd_ffff
            }
        )
    );
    assert_eq!(
        exclude(&mut mem[..entries(1, 0)], &mut nr, 0x3000_0000, 0x3000_0fff),
        Err(Full { max: 1 })
    );
}

#[test]
fn exclusion_matches_c_on_random_lists() {
    let mut rng = Rng::new(0x6372_6173_6865_7863);
    for case in 0..20_000 {
        let n = rng.below(12) as usize;
        // Room as callers set it: often more than the list holds, sometimes never set (0).
        let max = if rng.below(8) == 0 {
            0
        } else {
            n + rng.below(3) as usize
        };
        let mut ranges = random_ranges(&mut rng, n);
        ranges.resize(entries(n as u32, max as u32), Range::default());
        let mut c = ranges.clone();
        let (mut nr_rust, mut nr_c) = (n, n);
        for _ in 0..1 + rng.below(4) {
            let (start, end) = random_hole(&mut rng, &c[..nr_c]);
            let room = entries(nr_rust as u32, max as u32).min(ranges.len());
            let got = exclude(&mut ranges[..room], &mut nr_rust, start, end);
            let want = c_exclude(&mut c, &mut nr_c, max, start, end);
            assert_eq!(
                got.is_err(),
                want != 0,
                "case {case}: excluding {start:#x}-{end:#x}"
            );
            assert_eq!(nr_rust, nr_c, "case {case}: excluding {start:#x}-{end:#x}");
            assert_eq!(
                ranges[..nr_rust],
                c[..nr_c],
                "case {case}: excluding {start:#x}-{end:#x}"
            );
            if want != 0 {
                break;
            }
        }
    }
}

fn random_info(rng: &mut Rng) -> CoreInfo {
    CoreInfo {
        machine: 62,
        osabi: 0,
        cpu_note_size: 0x150 + 4 * rng.below(8),
        vmcoreinfo_note: rng.below(1 << 32) & !0xfff,
        vmcoreinfo_size: 0x1024,
        kernel_text: (rng.below(2) == 0).then(|| KernelText {
            vaddr: 0xffff_ffff_8100_0000 + (rng.below(1 << 8) << 21),
            paddr: rng.below(1 << 10) << 21,
            size: 1 + rng.below(1 << 26),
        }),
        page_offset: PAGE_OFFSET,
        align: 4096,
    }
}

#[test]
fn headers_match_c_byte_for_byte_and_the_vmcore_parser_reads_them_back() {
    let mut rng = Rng::new(0x656c_6663_6f72_6568);
    for case in 0..5_000 {
        let info = random_info(&mut rng);
        let cpus = 1 + rng.below(64) as usize;
        let notes: Vec<u64> = (0..cpus as u64)
            .map(|c| 0x7fe0_0000 + c * 0x1000 + 0x40)
            .collect();
        let n = rng.below(300) as usize;
        let ranges = random_ranges(&mut rng, n);

        let size = headers_size(cpus, ranges.len(), info.align).unwrap();
        let mut buf = vec![0xa5u8; size];
        write_headers(&mut buf, &info, notes.iter().copied(), &ranges).unwrap();
        assert_eq!(
            buf,
            c_prepare_elf64_headers(&info, &notes, &ranges),
            "case {case}"
        );

        // The capture kernel's reading of it.
        let ehdr = elf::parse_ehdr(&buf, elf::EM_X86_64).expect("the vmcore parser accepts it");
        assert_eq!(ehdr.class, Class::Elf64, "case {case}");
        let text = usize::from(info.kernel_text.is_some());
        assert_eq!(
            usize::from(ehdr.phnum),
            cpus + 1 + text + ranges.len(),
            "case {case}"
        );
        assert_eq!(
            layout::count_loads(&buf, Class::Elf64, ehdr.phnum).unwrap(),
            text + ranges.len()
        );
        let phdrs: Vec<_> = (0..ehdr.phnum as usize)
            .map(|k| elf::read_phdr(&buf, Class::Elf64, k).unwrap())
            .collect();
        let found_notes: Vec<u64> = phdrs
            .iter()
            .filter(|p| p.p_type == PT_NOTE)
            .map(|p| p.p_offset)
            .collect();
        let mut want_notes = notes.clone();
        want_notes.push(info.vmcoreinfo_note);
        assert_eq!(found_notes, want_notes, "case {case}");
        let found: Vec<Range> = phdrs
            .iter()
            .filter(|p| p.p_type == PT_LOAD)
            .skip(text)
            .map(|p| Range {
                start: p.p_offset,
                end: p.p_offset + p.p_filesz - 1,
            })
            .collect();
        assert_eq!(found, ranges, "case {case}");
        for p in phdrs.iter().filter(|p| p.p_type == PT_NOTE) {
            layout::check_note(p, u64::MAX).expect("each note header is one the parser takes");
        }
    }
}

#[test]
fn a_buffer_sized_for_fewer_cpus_is_refused_not_overrun() {
    let info = CoreInfo {
        align: 8,
        ..CoreInfo::default()
    };
    let size = headers_size(2, 3, 8).unwrap();
    let mut buf = vec![0u8; size];
    let ranges = [Range {
        start: 0,
        end: 0xfff,
    }; 3];
    assert!(write_headers(&mut buf, &info, [1, 2, 3, 4], &ranges).is_err());
    assert!(write_headers(&mut buf, &info, [1, 2], &ranges).is_ok());
}
