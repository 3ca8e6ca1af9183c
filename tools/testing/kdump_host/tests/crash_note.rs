// SPDX-License-Identifier: GPL-2.0

//! Host tests of the crash path's notes and VMCOREINFO text (crash/note.rs).
//!
//! `c_append_elf_note` is a line-by-line port of `append_elf_note()` and `final_note()` from
//! Linux 6.12 over a zeroed word buffer (as every buffer C writes notes into is); the notes the
//! Rust code writes must be the same bytes, and the vmcore provider's note reader must find
//! them. The text and line buffers must cut where `vmcoreinfo_append_str()` cuts.

use kdump_host::crash_note::{append_note, final_note, note_size, Line, Text, LINE_MAX, NOTE_HEAD};
use kdump_host::layout;
use kdump_host::Rng;
use std::fmt::Write;

/// `append_elf_note()` then `final_note()`, line by line, into `buf` (u32 words).
fn c_append_elf_note(buf: &mut [u32], name: &[u8], ntype: u32, data: &[u8]) -> usize {
    let div_round_up = |n: usize, d: usize| n.div_ceil(d);
    let mut at = 0;
    let n_namesz = name.len() + 1;
    buf[0] = n_namesz as u32;
    buf[1] = data.len() as u32;
    buf[2] = ntype;
    at += div_round_up(12, 4);
    let mut name_nul = name.to_vec();
    name_nul.push(0);
    write_bytes(&mut buf[at..], &name_nul);
    at += div_round_up(n_namesz, 4);
    write_bytes(&mut buf[at..], data);
    at += div_round_up(data.len(), 4);
    // final_note()
    buf[at..at + 3].fill(0);
    at
}

fn write_bytes(words: &mut [u32], bytes: &[u8]) {
    for (k, b) in bytes.iter().enumerate() {
        let w = &mut words[k / 4];
        let mut le = w.to_le_bytes();
        le[k % 4] = *b;
        *w = u32::from_le_bytes(le);
    }
}

#[test]
fn notes_are_the_bytes_c_writes() {
    let mut rng = Rng::new(0x6e6f_7465);
    for case in 0..2_000 {
        let name: Vec<u8> = (0..rng.below(12))
            .map(|_| b'A' + rng.below(26) as u8)
            .collect();
        let data: Vec<u8> = (0..rng.below(600)).map(|_| rng.below(256) as u8).collect();
        let ntype = rng.below(8) as u32;
        let size = note_size(name.len(), data.len()).unwrap();

        let mut words = vec![0u32; size / 4 + 3];
        let end_words = c_append_elf_note(&mut words, &name, ntype, &data);
        let want: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();

        let mut got = vec![0xa5u8; size + NOTE_HEAD];
        let rest = append_note(&mut got, &name, ntype, &data).unwrap();
        assert_eq!(rest.len(), NOTE_HEAD, "case {case}");
        final_note(rest).unwrap();
        assert_eq!(end_words * 4, size, "case {case}");
        assert_eq!(got, want, "case {case}");

        // The capture kernel's note reader takes the whole note, then sees the end.
        let found = layout::note_segment_size(&got);
        assert_eq!(
            (found.real, found.dropped),
            (size as u64, None),
            "case {case}"
        );
    }
}

#[test]
fn a_note_that_does_not_fit_writes_nothing() {
    let mut buf = [0x5au8; 40];
    assert!(append_note(&mut buf, b"CORE", 1, &[1; 24]).is_none());
    assert_eq!(buf, [0x5a; 40]);
    assert!(append_note(&mut buf, b"CORE", 1, &[1; 20]).is_some());
    assert!(final_note(&mut buf[..11]).is_none());
}

#[test]
fn text_is_cut_where_the_buffer_ends() {
    let mut buf = [0u8; 64];
    let mut text = Text::new(&mut buf, 0);
    for k in 0..7 {
        let full = text.append(b"KEY=value\n");
        assert_eq!(full, k == 6, "after line {k}");
    }
    assert_eq!(text.len(), 64);
    assert!(text.append(b"MORE=1\n"));
    assert_eq!(&text.as_bytes()[60..], b"KEY=");
}

#[test]
fn lines_format_and_cut_as_vscnprintf_into_0x50_bytes() {
    let mut rng = Rng::new(0x6c69_6e65);
    for _ in 0..10_000 {
        let v = rng.next_u64();
        let s = v as i64;
        let mut line = Line::new();
        line.push(b"CRASHTIME=")
            .push_i64(s)
            .push(b" ")
            .push_u64(v)
            .push(b" ")
            .push_hex(v);
        assert_eq!(
            line.as_bytes(),
            format!("CRASHTIME={s} {v} {v:x}").as_bytes()
        );
    }
    let mut line = Line::new();
    writeln!(line, "SYMBOL({})={:x}", "a".repeat(100), 0xffffu32).unwrap();
    assert_eq!(line.as_bytes().len(), LINE_MAX);
    let mut line = Line::new();
    line.push_i64(i64::MIN);
    assert_eq!(line.as_bytes(), i64::MIN.to_string().as_bytes());
}
