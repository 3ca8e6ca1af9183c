// SPDX-License-Identifier: GPL-2.0

//! Host tests of the elfcorehdr reader and the /proc/vmcore layout.
//!
//! `c_reference` below is a line-by-line port of what fs/proc/vmcore.c does to a valid header
//! (merge_note_headers_elf64/32, process_ptload_program_headers_elf64/32); the property tests
//! check that the Rust layout matches it byte for byte on seeded random headers.

// The C reference keeps C's arithmetic as written (roundup as add-and-divide, counters).
#![allow(clippy::manual_div_ceil, clippy::explicit_counter_loop)]

use kdump_host::elf::{self, Class, Error, Phdr, EM_X86_64, PT_LOAD, PT_NOTE};
use kdump_host::elfcorehdr;
use kdump_host::layout::{self, Chunk, LoadSpan};
use kdump_host::Rng;

const PAGE: u64 = 4096;

/// An elfcorehdr as kexec-tools writes one: ELF header, PT_NOTEs first, then PT_LOADs.
fn build_header(class: Class, phdrs: &[Phdr]) -> Vec<u8> {
    elfcorehdr::build(class, phdrs)
}

fn note(p_offset: u64, p_memsz: u64) -> Phdr {
    elfcorehdr::note(p_offset, p_memsz)
}

fn load(paddr: u64, size: u64, vaddr: u64) -> Phdr {
    elfcorehdr::load(paddr, size, vaddr)
}

/// The merged table's PT_LOADs placed below `limit`, with scratch as the kernel allocates it.
fn place(
    h: &mut [u8],
    class: Class,
    merged: &layout::Merged,
    limit: u64,
) -> Result<(Vec<Chunk>, u64), Error> {
    let n = layout::count_loads(h, class, merged.phnum)?;
    let mut chunks = vec![Chunk::default(); n];
    let mut spans = vec![LoadSpan::default(); n];
    let size = layout::place_loads(h, class, merged, PAGE, limit, &mut chunks, &mut spans)?;
    Ok((chunks, size))
}

/// A note segment of `count` notes with the given desc sizes, then a terminator and slack.
fn notes_bytes(descs: &[u32], slack: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for (i, d) in descs.iter().enumerate() {
        let name: &[u8] = if i % 2 == 0 {
            b"CORE\0"
        } else {
            b"VMCOREINFO\0"
        };
        v.extend_from_slice(&(name.len() as u32).to_le_bytes());
        v.extend_from_slice(&d.to_le_bytes());
        v.extend_from_slice(&1u32.to_le_bytes());
        v.extend_from_slice(name);
        v.resize((v.len() + 3) & !3, 0);
        v.extend((0..*d).map(|x| x as u8 | 1));
        v.resize((v.len() + 3) & !3, 0);
    }
    v.resize(v.len() + slack, 0);
    v
}

/// What the Rust side computes: merged headers, notes real sizes, chunks, file size.
fn rust_layout(
    mut h: Vec<u8>,
    segs: &[Vec<u8>],
) -> Result<(Vec<u8>, layout::Merged, Vec<Chunk>, u64), Error> {
    let ehdr = elf::parse_ehdr(&h, EM_X86_64)?;
    let mut sizes = Vec::new();
    let mut k = 0;
    layout::for_each_note(&h, &ehdr, |_, p| {
        let seg = &segs[k];
        k += 1;
        sizes.push(layout::note_segment_size(&seg[..p.p_memsz as usize]).real);
        Ok(())
    })?;
    let merged = layout::merge_notes(&mut h, &ehdr, &sizes, PAGE)?;
    let (chunks, size) = place(&mut h, ehdr.class, &merged, 1 << 52)?;
    h.truncate(ehdr.class.ehdr_size() + merged.phnum as usize * ehdr.class.phdr_size());
    Ok((h, merged, chunks, size))
}

/// fs/proc/vmcore.c, for a header whose PT_NOTEs come first (as every producer writes).
fn c_reference(h: &[u8], class: Class, segs: &[Vec<u8>]) -> (Vec<u8>, u64, u64, Vec<Chunk>, u64) {
    let phnum = h[if class == Class::Elf64 { 56 } else { 44 }] as usize
        | (h[if class == Class::Elf64 { 57 } else { 45 }] as usize) << 8;
    let mut phdrs: Vec<Phdr> = (0..phnum)
        .map(|i| elf::read_phdr(h, class, i).unwrap())
        .collect();
    // update_note_header_size
    let mut k = 0;
    for p in phdrs.iter_mut().filter(|p| p.p_type == PT_NOTE) {
        let seg = &segs[k];
        k += 1;
        let max = p.p_memsz;
        let mut real = 0u64;
        loop {
            let at = real as usize;
            if at + 12 > seg.len() {
                break;
            }
            let namesz = u32::from_le_bytes(seg[at..at + 4].try_into().unwrap()) as u64;
            let descsz = u32::from_le_bytes(seg[at + 4..at + 8].try_into().unwrap()) as u64;
            if namesz == 0 {
                break;
            }
            let sz = 12 + ((namesz + 3) & !3) + ((descsz + 3) & !3);
            if real + sz > max {
                break;
            }
            real += sz;
        }
        p.p_memsz = real;
    }
    let nr = phdrs.iter().filter(|p| p.p_type == PT_NOTE).count();
    let phdr_sz: u64 = phdrs
        .iter()
        .filter(|p| p.p_type == PT_NOTE)
        .map(|p| p.p_memsz)
        .sum();
    let notes_sz = (phdr_sz + PAGE - 1) / PAGE * PAGE;
    let note_off = (class.ehdr_size() + (phnum - nr + 1) * class.phdr_size()) as u64;
    let merged = Phdr {
        p_type: PT_NOTE,
        p_offset: (note_off + PAGE - 1) / PAGE * PAGE,
        p_filesz: phdr_sz,
        p_memsz: phdr_sz,
        p_align: 4,
        ..Phdr::default()
    };
    let mut table = vec![merged];
    table.extend(phdrs[nr..].iter().copied());
    let elfsz_unrounded = (class.ehdr_size() + table.len() * class.phdr_size()) as u64;
    let elfsz = (elfsz_unrounded + PAGE - 1) / PAGE * PAGE;
    let mut off = elfsz + notes_sz;
    let mut chunks = Vec::new();
    for p in table.iter_mut().filter(|p| p.p_type == PT_LOAD) {
        let paddr = p.p_offset;
        let start = paddr / PAGE * PAGE;
        let end = (paddr + p.p_memsz + PAGE - 1) / PAGE * PAGE;
        chunks.push(Chunk {
            paddr: start,
            size: end - start,
            offset: off,
        });
        p.p_offset = off + (paddr - start);
        off += end - start;
    }
    let mut out = h[..class.ehdr_size()].to_vec();
    let at = if class == Class::Elf64 { 56 } else { 44 };
    out[at..at + 2].copy_from_slice(&(table.len() as u16).to_le_bytes());
    out.resize(class.ehdr_size() + table.len() * class.phdr_size(), 0);
    for (i, p) in table.iter().enumerate() {
        elf::write_phdr(&mut out, class, i, p).unwrap();
    }
    (out, elfsz, notes_sz, chunks, off)
}

/// A header like the ones kexec-tools wrote in this tree's QEMU runs (2 CPUs, 1 GiB).
fn typical(class: Class) -> (Vec<u8>, Vec<Vec<u8>>) {
    let segs = vec![
        notes_bytes(&[336], 100),
        notes_bytes(&[336], 100),
        notes_bytes(&[2900], 16),
    ];
    let mut phdrs: Vec<Phdr> = segs
        .iter()
        .enumerate()
        .map(|(i, s)| note(0x3f00_0000 + i as u64 * 0x1000, s.len() as u64))
        .collect();
    let text_vaddr = if class == Class::Elf64 {
        0xffff_ffff_8360_0000
    } else {
        0x8360_0000
    };
    let dmap = if class == Class::Elf64 {
        0xffff_8dc7_c000_0000
    } else {
        0xc000_0000
    };
    phdrs.push(load(0x0860_0000, 0xc2_0000, text_vaddr));
    phdrs.push(load(0x10_0000, 0x2ef0_0000, dmap + 0x10_0000));
    phdrs.push(load(0x3f00_0000, 0x100_0000, dmap + 0x3f00_0000));
    (build_header(class, &phdrs), segs)
}

#[test]
fn typical_headers_match_c_in_both_classes() {
    for class in [Class::Elf64, Class::Elf32] {
        let (h, segs) = typical(class);
        let (rh, merged, chunks, size) = rust_layout(h.clone(), &segs).unwrap();
        let (ch, elfsz, notes_sz, cchunks, csize) = c_reference(&h, class, &segs);
        assert_eq!(rh, ch, "{class:?}: merged headers differ");
        assert_eq!(
            (merged.elf_size, merged.notes_size),
            (elfsz, notes_sz),
            "{class:?}"
        );
        assert_eq!(chunks, cchunks, "{class:?}");
        assert_eq!(size, csize, "{class:?}");
        assert_eq!(merged.phnum, 4);
        assert_eq!(elf::read_phdr(&rh, class, 0).unwrap().p_offset, 0x1000);
    }
}

#[test]
fn the_real_file_size_of_a_1gib_guest() {
    let (h, segs) = typical(Class::Elf64);
    let (_, merged, chunks, size) = rust_layout(h, &segs).unwrap();
    assert_eq!(merged.elf_size, 0x1000);
    assert_eq!(merged.notes_size, 0x1000);
    assert_eq!(chunks[0].offset, 0x2000);
    assert_eq!(size, 0x2000 + 0xc2_0000 + 0x2ef0_0000 + 0x100_0000);
}

#[test]
fn unaligned_loads_are_widened_to_pages_and_offsets_point_inside() {
    let segs = vec![notes_bytes(&[8], 0)];
    let h = build_header(
        Class::Elf64,
        &[
            note(0x1000, segs[0].len() as u64),
            load(0x1234, 0x10, 0x1234),
        ],
    );
    let (rh, _, chunks, _) = rust_layout(h, &segs).unwrap();
    assert_eq!(chunks[0].paddr, 0x1000);
    assert_eq!(chunks[0].size, 0x1000);
    assert_eq!(
        elf::read_phdr(&rh, Class::Elf64, 1).unwrap().p_offset,
        chunks[0].offset + 0x234
    );
}

#[test]
fn a_note_past_p_memsz_is_dropped_as_c_does() {
    let seg = notes_bytes(&[16, 400], 0);
    let cut = 12 + 8 + 16 + 10; // the second note's header and a little of it
    let s = layout::note_segment_size(&seg[..cut]);
    assert_eq!(s.real, 12 + 8 + 16);
    assert_eq!(s.dropped, Some((11, 400)));
    assert_eq!(layout::note_segment_size(&[]).real, 0);
    assert_eq!(layout::note_segment_size(&[1, 0, 0]).real, 0);
}

#[test]
fn note_sizes_near_u32_max_do_not_overflow() {
    let mut seg = vec![0u8; 64];
    seg[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
    seg[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    let s = layout::note_segment_size(&seg);
    assert_eq!(s.real, 0);
    assert_eq!(s.dropped, Some((u32::MAX, u32::MAX)));
}

#[test]
fn corrupt_headers_name_the_field() {
    let (h, _) = typical(Class::Elf64);
    let mut bad = h.clone();
    bad[0] = 0;
    assert_eq!(
        elf::parse_ehdr(&bad, EM_X86_64),
        Err(Error::BadMagic([0, b'E', b'L', b'F']))
    );
    let mut bad = h.clone();
    bad[4] = 3;
    assert_eq!(
        elf::parse_ehdr(&bad, EM_X86_64),
        Err(Error::BadField {
            field: "EI_CLASS",
            value: 3
        })
    );
    let mut bad = h.clone();
    bad[16] = 2;
    assert_eq!(
        elf::parse_ehdr(&bad, EM_X86_64),
        Err(Error::BadField {
            field: "e_type",
            value: 2
        })
    );
    let mut bad = h.clone();
    bad[18] = 3;
    assert_eq!(
        elf::parse_ehdr(&bad, EM_X86_64),
        Err(Error::BadField {
            field: "e_machine",
            value: 3
        })
    );
    let mut bad = h.clone();
    bad[56..58].copy_from_slice(&0u16.to_le_bytes());
    assert_eq!(
        elf::parse_ehdr(&bad, EM_X86_64),
        Err(Error::BadField {
            field: "e_phnum",
            value: 0
        })
    );
    let mut bad = h.clone();
    bad[56..58].copy_from_slice(&0xffffu16.to_le_bytes());
    assert_eq!(
        elf::parse_ehdr(&bad, EM_X86_64),
        Err(Error::BadField {
            field: "e_phnum",
            value: 0xffff
        })
    );
    let mut bad = h.clone();
    bad[54..56].copy_from_slice(&55u16.to_le_bytes());
    assert_eq!(
        elf::parse_ehdr(&bad, EM_X86_64),
        Err(Error::BadField {
            field: "e_phentsize",
            value: 55
        })
    );
    assert!(matches!(
        elf::parse_ehdr(&h[..40], EM_X86_64),
        Err(Error::Truncated { .. })
    ));
    // A header cut in the middle of its program header table.
    let ehdr = elf::parse_ehdr(&h, EM_X86_64).unwrap();
    let cut = &h[..ehdr.headers_size() - 30];
    assert!(matches!(
        elf::read_phdr(cut, Class::Elf64, 5),
        Err(Error::Truncated { .. })
    ));
}

#[test]
fn loads_that_overflow_or_pass_memory_are_refused() {
    let segs = vec![notes_bytes(&[8], 0)];
    let n = note(0x1000, segs[0].len() as u64);
    let h = build_header(Class::Elf64, &[n, load(u64::MAX - 0x10, 0x100, 0)]);
    assert_eq!(
        rust_layout(h, &segs).err(),
        Some(Error::Overflow {
            what: "PT_LOAD p_offset + p_memsz"
        })
    );
    let h = build_header(Class::Elf64, &[n, load(1 << 52, 0x1000, 0)]);
    assert!(matches!(
        rust_layout(h, &segs),
        Err(Error::BeyondMemory { .. })
    ));
}

/// An empty PT_LOAD past memory adds nothing and is never read: served as C serves it, unless
/// its offset is inside a page, which C rounds out to a page of memory that is not there.
#[test]
fn an_empty_load_past_memory_is_served_as_c_serves_it() {
    let segs = vec![notes_bytes(&[8], 0)];
    let n = note(0x1000, segs[0].len() as u64);
    let ram = load(0x100000, 0x200000, 0xffff888000100000);
    for (offset, served) in [((1 << 52) + 0x1000, true), ((1 << 52) + 0x1010, false)] {
        let h = build_header(Class::Elf64, &[n, ram, load(offset, 0, 0)]);
        let (c_hdr, _, _, c_chunks, c_size) = c_reference(&h, Class::Elf64, &segs);
        match rust_layout(h, &segs) {
            Ok((r_hdr, _, r_chunks, r_size)) => {
                assert!(served, "offset {offset:#x} was served");
                assert_eq!((r_hdr, r_chunks, r_size), (c_hdr, c_chunks, c_size));
            }
            Err(e) => {
                assert!(!served, "offset {offset:#x} refused: {e}");
                assert!(matches!(
                    e,
                    Error::BeyondMemory {
                        what: "PT_LOAD",
                        ..
                    }
                ));
            }
        }
    }
}

#[test]
fn duplicated_ranges_are_refused_but_the_kernel_text_alias_is_not() {
    let segs = vec![notes_bytes(&[8], 0)];
    let n = note(0x1000, segs[0].len() as u64);
    let h = build_header(
        Class::Elf64,
        &[
            n,
            load(0x10_0000, 0x10_0000, 0xffff_8880_0010_0000),
            load(0x18_0000, 0x10_0000, 0xffff_8880_0018_0000),
        ],
    );
    assert_eq!(
        rust_layout(h, &segs).err(),
        Some(Error::Overlap {
            first: 0x10_0000,
            second: 0x18_0000
        })
    );
    let (h, segs) = typical(Class::Elf64);
    assert!(rust_layout(h, &segs).is_ok());
}

#[test]
fn headers_without_notes_are_refused() {
    let h = build_header(Class::Elf64, &[load(0x10_0000, 0x1000, 0)]);
    assert_eq!(
        rust_layout(h, &[]).err(),
        Some(Error::BadField {
            field: "PT_NOTE count",
            value: 0
        })
    );
}

/// Property: on random valid headers (1..8 note segments with random notes and slack, up to
/// 40 PT_LOADs at random page-unaligned places), the Rust layout equals C's, both classes.
#[test]
fn random_valid_headers_match_c() {
    for seed in 1..=3000u64 {
        let mut rng = Rng::new(seed);
        let class = if rng.below(2) == 0 {
            Class::Elf64
        } else {
            Class::Elf32
        };
        let nseg = 1 + rng.below(8) as usize;
        let segs: Vec<Vec<u8>> = (0..nseg)
            .map(|_| {
                let descs: Vec<u32> = (0..1 + rng.below(4))
                    .map(|_| rng.below(600) as u32)
                    .collect();
                notes_bytes(&descs, rng.below(64) as usize)
            })
            .collect();
        let mut phdrs: Vec<Phdr> = segs
            .iter()
            .map(|s| {
                // Sometimes p_memsz cuts the last note: C then drops it.
                let cut = rng.below(3) == 0;
                let len = s.len() as u64
                    - if cut {
                        rng.below(40).min(s.len() as u64)
                    } else {
                        0
                    };
                note(0x1000 * rng.below(1000), len)
            })
            .collect();
        let mut addr = rng.below(0x10_0000);
        for _ in 0..rng.below(40) {
            let size = 1 + rng.below(0x100_0000);
            let vaddr = 0xc000_0000u64 + addr; // same delta for all: so no overlap allowed
            phdrs.push(load(addr, size, vaddr));
            addr += size + rng.below(0x10_0000);
        }
        if class == Class::Elf32 && addr > 0x3000_0000 {
            continue;
        }
        let h = build_header(class, &phdrs);
        let expected = c_reference(&h, class, &segs);
        if expected.2 == 0 {
            // All notes dropped: C fails with ENOMEM (vmalloc of zero), Rust with EINVAL.
            assert!(rust_layout(h, &segs).is_err(), "seed {seed}");
            continue;
        }
        let (rh, merged, chunks, size) =
            rust_layout(h, &segs).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert_eq!(rh, expected.0, "seed {seed}: headers");
        assert_eq!(merged.elf_size, expected.1, "seed {seed}");
        assert_eq!(merged.notes_size, expected.2, "seed {seed}");
        assert_eq!(chunks, expected.3, "seed {seed}");
        assert_eq!(size, expected.4, "seed {seed}");
    }
}

/// Property: random corruption of a valid header never panics, and whatever is accepted has
/// chunks that are page-aligned and laid out back to back.
#[test]
fn corrupted_headers_never_panic() {
    let (orig, segs) = typical(Class::Elf64);
    for seed in 1..=5000u64 {
        let mut rng = Rng::new(seed);
        let mut h = orig.clone();
        for _ in 0..1 + rng.below(6) {
            let at = rng.below(h.len() as u64) as usize;
            h[at] = rng.next_u64() as u8;
        }
        if rng.below(10) == 0 {
            h.truncate(rng.below(h.len() as u64) as usize);
        }
        let Ok(ehdr) = elf::parse_ehdr(&h, EM_X86_64) else {
            continue;
        };
        if h.len() < ehdr.headers_size() {
            assert!(elf::read_phdr(&h, ehdr.class, usize::from(ehdr.phnum) - 1).is_err());
            continue;
        }
        let mut sizes = Vec::new();
        let mut k = 0;
        let walked = layout::for_each_note(&h, &ehdr, |_, p| {
            let seg = segs.get(k % segs.len()).unwrap();
            k += 1;
            let len = (p.p_memsz as usize).min(seg.len());
            sizes.push(layout::note_segment_size(&seg[..len]).real);
            Ok(())
        });
        if walked.is_err() {
            continue;
        }
        let Ok(merged) = layout::merge_notes(&mut h, &ehdr, &sizes, PAGE) else {
            continue;
        };
        if let Ok((chunks, size)) = place(&mut h, ehdr.class, &merged, 1 << 46) {
            let mut off = merged.elf_size + merged.notes_size;
            for c in &chunks {
                assert_eq!(c.offset, off, "seed {seed}");
                assert_eq!(c.paddr % PAGE, 0, "seed {seed}");
                assert_eq!(c.size % PAGE, 0, "seed {seed}");
                off += c.size;
            }
            assert_eq!(size, off, "seed {seed}");
        }
    }
}

const LIMIT: u64 = 1 << 46;

#[test]
fn note_headers_are_checked_before_reading() {
    assert_eq!(
        layout::check_note(&note(0x1000, layout::NOTE_MAX), LIMIT),
        Ok(())
    );
    assert_eq!(
        layout::check_note(&note(0x1000, layout::NOTE_MAX + 1), LIMIT),
        Err(Error::BadField {
            field: "PT_NOTE p_memsz",
            value: layout::NOTE_MAX + 1
        })
    );
    assert_eq!(
        layout::check_note(&note(u64::MAX, 1), LIMIT),
        Err(Error::Overflow {
            what: "PT_NOTE p_offset + p_memsz"
        })
    );
}

/// A PT_NOTE must be refused before its segment is read when it lies past the physical
/// limit: reading it would ask ioremap_cache() for an address no memory can be at (a kernel
/// WARNING, fatal under panic_on_warn). The message names the field and its value.
#[test]
fn a_note_beyond_old_memory_is_refused_with_its_p_offset() {
    let e = layout::check_note(&note(1 << 52, 0x400), LIMIT);
    assert_eq!(
        e,
        Err(Error::BeyondMemory {
            what: "PT_NOTE",
            offset: 1 << 52,
            size: 0x400,
            limit: LIMIT
        })
    );
    assert_eq!(
        e.unwrap_err().to_string(),
        "PT_NOTE p_offset 0x10000000000000 p_memsz 0x400 is beyond old memory \
         (ends at 0x400000000000)"
    );
    // Ending exactly at the limit is fine; one byte past it is not.
    assert_eq!(
        layout::check_note(&note(LIMIT - 0x400, 0x400), LIMIT),
        Ok(())
    );
    assert!(layout::check_note(&note(LIMIT - 0x3ff, 0x400), LIMIT).is_err());
    // A note with no bytes is never read.
    assert_eq!(layout::check_note(&note(1 << 52, 0), LIMIT), Ok(()));
}

/// Two PT_LOADs whose `p_paddr` ranges are disjoint but whose `p_offset` ranges (what the
/// provider maps) overlap with the same mapping describe the same bytes twice: refused.
#[test]
fn loads_overlapping_in_p_offset_are_refused_whatever_p_paddr_says() {
    let segs = vec![notes_bytes(&[8], 0)];
    let n = note(0x1000, segs[0].len() as u64);
    let a = load(0x10_0000, 0x10_0000, 0xffff_8880_0010_0000);
    let mut b = load(0x18_0000, 0x10_0000, 0xffff_8880_0018_0000);
    b.p_paddr = 0x9000_0000;
    let h = build_header(Class::Elf64, &[n, a, b]);
    let e = rust_layout(h, &segs).err();
    assert_eq!(
        e,
        Some(Error::Overlap {
            first: 0x10_0000,
            second: 0x18_0000
        })
    );
    assert_eq!(
        e.unwrap().to_string(),
        "PT_LOAD p_offset 0x180000 overlaps PT_LOAD at p_offset 0x100000"
    );
}

/// The reverse: `p_paddr` ranges overlap with the same `p_vaddr - p_paddr`, but the
/// `p_offset` ranges are disjoint. C serves it (it never looks at `p_paddr`), so do we, with
/// the same layout.
#[test]
fn loads_overlapping_only_in_p_paddr_are_served_as_c_serves_them() {
    let segs = vec![notes_bytes(&[8], 0)];
    let n = note(0x1000, segs[0].len() as u64);
    let a = load(0x10_0000, 0x10_0000, 0xffff_8880_0010_0000);
    let mut b = load(0x18_0000, 0x10_0000, 0xffff_8880_0018_0000);
    b.p_offset = 0x4000_0000;
    for class in [Class::Elf64, Class::Elf32] {
        let (mut a, mut b) = (a, b);
        if class == Class::Elf32 {
            a.p_vaddr &= 0xffff_ffff;
            b.p_vaddr &= 0xffff_ffff;
        }
        let h = build_header(class, &[n, a, b]);
        let (rh, _, chunks, size) = rust_layout(h.clone(), &segs).unwrap();
        let (ch, _, _, cchunks, csize) = c_reference(&h, class, &segs);
        assert_eq!((rh, chunks, size), (ch, cchunks, csize), "{class:?}");
    }
}

/// The quadratic check the provider had, on `p_offset`: does any later non-empty range share
/// a byte with an earlier one of the same delta?
fn overlaps_by_pairs(r: &[(u64, u64, u64)]) -> bool {
    (0..r.len()).any(|i| {
        (0..i).any(|j| {
            let ((d, s, e), (qd, qs, qe)) = (r[i], r[j]);
            s < e && qs < qe && d == qd && s < qe && qs < e
        })
    })
}

/// Property: the sorting overlap check finds an overlap exactly when comparing every pair
/// does, and the pair it names really overlaps, on random range lists dense enough that
/// about half overlap.
#[test]
fn the_sorting_overlap_check_agrees_with_comparing_every_pair() {
    let mut refused = 0;
    for seed in 1..=5000u64 {
        let mut rng = Rng::new(seed);
        let ranges: Vec<(u64, u64, u64)> = (0..rng.below(12))
            .map(|_| {
                let d = rng.below(3) * 0x1000_0000;
                let s = rng.below(24) * 0x1000;
                (d, s, s + rng.below(6) * 0x800)
            })
            .collect();
        let phdrs: Vec<Phdr> = std::iter::once(note(0x1000, 0x100))
            .chain(
                ranges
                    .iter()
                    .map(|&(d, s, e)| load(s, e - s, s.wrapping_add(d))),
            )
            .collect();
        let mut h = build_header(Class::Elf64, &phdrs);
        let ehdr = elf::parse_ehdr(&h, EM_X86_64).unwrap();
        let merged = layout::merge_notes(&mut h, &ehdr, &[0x100], PAGE).unwrap();
        let got = place(&mut h, Class::Elf64, &merged, LIMIT);
        assert_eq!(got.is_err(), overlaps_by_pairs(&ranges), "seed {seed}");
        if let Err(e) = got {
            let Error::Overlap { first, second } = e else {
                panic!("seed {seed}: {e}");
            };
            let n = ranges.len();
            let found = (0..n).any(|i| {
                (i + 1..n).any(|j| {
                    ranges[i].1 == first
                        && ranges[j].1 == second
                        && overlaps_by_pairs(&[ranges[i], ranges[j]])
                })
            });
            assert!(found, "seed {seed}: {e} names no overlapping pair");
            refused += 1;
        }
    }
    assert!((1000..4000).contains(&refused), "{refused} of 5000 refused");
}

/// A table of 65534 PT_LOADs (the most `e_phnum` allows) is checked at once: sorting, not
/// comparing every pair (two thousand million header reads at initcall time).
#[test]
fn the_largest_table_is_checked_quickly() {
    let mut phdrs = vec![note(0x1000, 0x100)];
    // Disjoint, in descending order, so a sort has work to do.
    for i in (0..u64::from(elf::MAX_PHNUM) - 1).rev() {
        phdrs.push(load(
            0x10_0000 + i * 0x2000,
            0x1000,
            0xffff_8880_0000_0000 + i,
        ));
    }
    let mut h = build_header(Class::Elf64, &phdrs);
    let ehdr = elf::parse_ehdr(&h, EM_X86_64).unwrap();
    let merged = layout::merge_notes(&mut h, &ehdr, &[0x100], PAGE).unwrap();
    let t = std::time::Instant::now();
    let (chunks, _) = place(&mut h, Class::Elf64, &merged, LIMIT).unwrap();
    assert_eq!(chunks.len(), usize::from(elf::MAX_PHNUM) - 1);
    assert!(t.elapsed().as_secs() < 5, "took {:?}", t.elapsed());
}
