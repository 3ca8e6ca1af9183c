// SPDX-License-Identifier: GPL-2.0

//! Host tests of how /proc/vmcore file ranges map to headers, notes and old memory.

use kdump_host::layout::Chunk;
use kdump_host::read::{check_mmap, File, MmapError, Piece, Source};
use kdump_host::Rng;

fn chunks() -> Vec<Chunk> {
    vec![
        Chunk {
            paddr: 0x860_0000,
            size: 0xc2_0000,
            offset: 0x2000,
        },
        Chunk {
            paddr: 0x10_0000,
            size: 0x2ef0_0000,
            offset: 0xc2_2000,
        },
        Chunk {
            paddr: 0x3f00_0000,
            size: 0x100_0000,
            offset: 0x2fb2_2000,
        },
    ]
}

/// Where byte `pos` of the file comes from, by the definition of the layout.
fn model(file: &File<'_>, pos: u64) -> Source {
    if pos < file.elf_size {
        return Source::Headers(pos);
    }
    if pos < file.elf_size + file.notes_size {
        return Source::Notes(pos - file.elf_size);
    }
    let c = file
        .chunks
        .iter()
        .find(|c| c.offset <= pos && pos < c.offset + c.size)
        .unwrap();
    Source::OldMem(c.paddr + pos - c.offset)
}

fn advance(s: Source, by: u64) -> Source {
    match s {
        Source::Headers(o) => Source::Headers(o + by),
        Source::Notes(o) => Source::Notes(o + by),
        Source::OldMem(p) => Source::OldMem(p + by),
    }
}

#[test]
fn a_whole_read_walks_every_part_in_order() {
    let c = chunks();
    let file = File {
        elf_size: 0x1000,
        notes_size: 0x1000,
        chunks: &c,
    };
    assert_eq!(file.size(), 0x2000 + 0xc2_0000 + 0x2ef0_0000 + 0x100_0000);
    let got: Vec<Piece> = file.pieces(0, u64::MAX).collect();
    assert_eq!(
        got,
        vec![
            Piece {
                source: Source::Headers(0),
                len: 0x1000
            },
            Piece {
                source: Source::Notes(0),
                len: 0x1000
            },
            Piece {
                source: Source::OldMem(0x860_0000),
                len: 0xc2_0000
            },
            Piece {
                source: Source::OldMem(0x10_0000),
                len: 0x2ef0_0000
            },
            Piece {
                source: Source::OldMem(0x3f00_0000),
                len: 0x100_0000
            },
        ]
    );
}

#[test]
fn reads_at_and_past_the_end_are_empty() {
    let c = chunks();
    let file = File {
        elf_size: 0x1000,
        notes_size: 0x1000,
        chunks: &c,
    };
    assert_eq!(file.pieces(file.size(), 10).count(), 0);
    assert_eq!(file.pieces(file.size() + 1, 10).count(), 0);
    assert_eq!(file.pieces(5, 0).count(), 0);
    let last: Vec<Piece> = file.pieces(file.size() - 3, 100).collect();
    assert_eq!(
        last,
        vec![Piece {
            source: Source::OldMem(0x3f00_0000 + 0x100_0000 - 3),
            len: 3
        }]
    );
}

#[test]
fn a_file_without_memory_is_headers_and_notes() {
    let file = File {
        elf_size: 0x1000,
        notes_size: 0x2000,
        chunks: &[],
    };
    assert_eq!(file.size(), 0x3000);
    assert_eq!(file.pieces(0xfff, 2).count(), 2);
}

/// Property: for random ranges, the pieces are contiguous, cover exactly the range cut at the
/// end of the file, and each byte's source is what the layout says it is.
#[test]
fn random_ranges_match_the_layout() {
    let c = chunks();
    let file = File {
        elf_size: 0x1000,
        notes_size: 0x1000,
        chunks: &c,
    };
    let size = file.size();
    for seed in 1..=20_000u64 {
        let mut rng = Rng::new(seed);
        let pos = match rng.below(3) {
            0 => rng.below(0x3000),
            1 => rng.below(size + 0x1000),
            _ => c[rng.below(3) as usize].offset - rng.below(3),
        };
        let len = if rng.below(4) == 0 {
            rng.below(0x10)
        } else {
            rng.below(0x400_0000)
        };
        let want = pos.saturating_add(len).min(size).saturating_sub(pos);
        let mut at = pos;
        for p in file.pieces(pos, len) {
            assert!(p.len > 0, "seed {seed}: empty piece");
            assert_eq!(p.source, model(&file, at), "seed {seed}: source at {at:#x}");
            let last = at + p.len - 1;
            assert_eq!(
                advance(p.source, p.len - 1),
                model(&file, last),
                "seed {seed}: {last:#x}"
            );
            at += p.len;
        }
        assert_eq!(at - pos, want, "seed {seed}: covered length");
    }
}

#[test]
fn mmap_checks_range_then_access_as_c_does() {
    assert_eq!(check_mmap(0, 0x1000, 0x2000, false, false), Ok(()));
    assert_eq!(check_mmap(0x1000, 0x1000, 0x2000, false, false), Ok(()));
    assert_eq!(
        check_mmap(0x1000, 0x2000, 0x2000, false, false),
        Err(MmapError::Range)
    );
    assert_eq!(
        check_mmap(0, 0x3000, 0x2000, true, false),
        Err(MmapError::Range)
    );
    assert_eq!(
        check_mmap(u64::MAX, 2, 0x2000, false, false),
        Err(MmapError::Range)
    );
    assert_eq!(
        check_mmap(0, 0x1000, 0x2000, true, false),
        Err(MmapError::Access)
    );
    assert_eq!(
        check_mmap(0, 0x1000, 0x2000, false, true),
        Err(MmapError::Access)
    );
}

#[test]
fn windows_stay_inside_the_chunk_that_holds_the_address() {
    let chunks = chunks();
    let file = File {
        elf_size: 0x1000,
        notes_size: 0x1000,
        chunks: &chunks,
    };
    let mut rng = Rng::new(0x3);
    for _ in 0..5000 {
        let c = chunks[rng.below(chunks.len() as u64) as usize];
        let paddr = c.paddr + rng.below(c.size);
        let size = 1u64 << (12 + rng.below(14));
        let (s, e) = file.window(paddr, size).expect("a chunk holds paddr");
        assert!(s <= paddr && paddr < e, "{paddr:#x} outside {s:#x}-{e:#x}");
        assert!(e - s <= size);
        // Inside some chunk as a whole (chunks may overlap physically).
        assert!(chunks.iter().any(|c| c.paddr <= s && e <= c.paddr + c.size));
    }
    assert_eq!(file.window(0, 1 << 20), None);
}
