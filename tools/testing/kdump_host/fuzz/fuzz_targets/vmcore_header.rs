// SPDX-License-Identifier: GPL-2.0

//! An elfcorehdr as it may arrive after a crash (any bytes), through everything the /proc/vmcore
//! provider does with it: header checks, note sizing, note merging, PT_LOAD placement, and
//! the read and mmap splits of the resulting file. Nothing may panic; what is accepted must
//! be a consistent file.
//!
//! Input: the elfcorehdr bytes, then the contents of the note segments back to back (each
//! PT_NOTE takes its `p_memsz` bytes from there, zero-padded when the input runs out).

#![no_main]

use kdump_host::elf;
use kdump_host::layout::{self, Chunk, LoadSpan};
use kdump_host::read::{self, File, Source};
use libfuzzer_sys::fuzz_target;

const PAGE: u64 = 4096;
const MEM_LIMIT: u64 = 1 << 46;

fuzz_target!(|data: &[u8]| {
    let Ok(ehdr) = elf::parse_ehdr(data, elf::EM_X86_64) else {
        return;
    };
    let hsize = ehdr.headers_size();
    if data.len() < hsize {
        return;
    }
    let mut headers = vec![0u8; hsize.next_multiple_of(PAGE as usize)];
    headers[..hsize].copy_from_slice(&data[..hsize]);
    let mut rest = &data[hsize..];

    let mut real = Vec::new();
    let res = layout::for_each_note(&headers, &ehdr, |_, p| {
        layout::check_note(p, MEM_LIMIT)?;
        let mut seg = vec![0u8; p.p_memsz as usize];
        let n = seg.len().min(rest.len());
        seg[..n].copy_from_slice(&rest[..n]);
        rest = &rest[n..];
        let ns = layout::note_segment_size(&seg);
        assert!(ns.real <= p.p_memsz);
        real.push(ns.real);
        Ok(())
    });
    if res.is_err() {
        return;
    }
    let Ok(merged) = layout::merge_notes(&mut headers, &ehdr, &real, PAGE) else {
        return;
    };
    assert_eq!(merged.notes_real, real.iter().sum::<u64>());
    assert!(merged.phnum <= ehdr.phnum);
    let Ok(n) = layout::count_loads(&headers, ehdr.class, merged.phnum) else {
        return;
    };
    let mut chunks = vec![Chunk::default(); n];
    let mut spans = vec![LoadSpan::default(); n];
    let Ok(size) = layout::place_loads(
        &mut headers,
        ehdr.class,
        &merged,
        PAGE,
        MEM_LIMIT,
        &mut chunks,
        &mut spans,
    ) else {
        return;
    };

    // The accepted file: chunks back to back after the notes, page-aligned, inside memory
    // (an empty one, which nothing reads, may point anywhere).
    let file = File {
        elf_size: merged.elf_size,
        notes_size: merged.notes_size,
        chunks: &chunks,
    };
    assert_eq!(file.size(), size);
    let mut off = merged.elf_size + merged.notes_size;
    for c in &chunks {
        assert_eq!(c.offset, off);
        assert_eq!(c.paddr % PAGE, 0);
        assert_eq!(c.size % PAGE, 0);
        assert!(c.size == 0 || c.paddr + c.size <= MEM_LIMIT.next_multiple_of(PAGE));
        off += c.size;
    }

    // Reads from a few places cover exactly the bytes asked for, within the file.
    let probes = [
        0,
        1,
        merged.elf_size,
        size / 2,
        size.saturating_sub(1),
        size,
    ];
    for &pos in &probes {
        let len = (size - pos.min(size)).min(3 << 20);
        let mut got = 0;
        for p in file.pieces(pos, len) {
            assert!(p.len > 0);
            match p.source {
                Source::Headers(o) => assert!(o + p.len <= merged.elf_size),
                Source::Notes(o) => assert!(o + p.len <= merged.notes_size),
                Source::OldMem(a) => {
                    let (s, e) = file.window(a, 16 << 20).expect("a chunk holds every read");
                    assert!(s <= a && a < e);
                }
            }
            got += p.len;
        }
        assert_eq!(got, len);
        let _ = read::check_mmap(pos, len, size, false, false);
    }
});
