// SPDX-License-Identifier: GPL-2.0

//! The layout of `/proc/vmcore`, computed from an elfcorehdr exactly as
//! [`fs/proc/vmcore.c`](srctree/fs/proc/vmcore.c) lays it out:
//!
//! ```text
//! [ ELF header | merged PT_NOTE | PT_LOAD ... ]  page-rounded    (elfcorebuf_sz)
//! [ every note segment, real sizes, back to back ]  page-rounded    (elfnotes_sz)
//! [ PT_LOAD 0 memory, page-aligned ][ PT_LOAD 1 memory ] ...        (vmcore_list)
//! ```
//!
//! Pure logic over byte slices; no allocation (callers pass the buffers), shared with the host
//! crate.

use crate::elf::{self, Class, Error, Phdr, PT_LOAD, PT_NOTE};

/// Size of an ELF note header (`Elf{32,64}_Nhdr` are both three `u32`s).
const NHDR_SIZE: u64 = 12;

/// The largest PT_NOTE `p_memsz` accepted. C reads each note segment into one `kmalloc()`
/// buffer and so cannot take more than `KMALLOC_MAX_SIZE` (4 MiB on x86_64); a bigger value is
/// a corrupt header (a real one holds a few KiB of notes per CPU).
pub const NOTE_MAX: u64 = 4 << 20;

/// Checks a PT_NOTE header before its segment is read: `p_memsz` within [`NOTE_MAX`], the
/// segment's end representable and, when it has bytes, below `mem_limit` (one past the highest
/// physical address the old kernel can have had), so that reading it never asks the kernel to
/// map an address no memory can be at.
pub fn check_note(p: &Phdr, mem_limit: u64) -> Result<(), Error> {
    if p.p_memsz > NOTE_MAX {
        return Err(Error::BadField {
            field: "PT_NOTE p_memsz",
            value: p.p_memsz,
        });
    }
    let end = p.p_offset.checked_add(p.p_memsz).ok_or(Error::Overflow {
        what: "PT_NOTE p_offset + p_memsz",
    })?;
    if p.p_memsz != 0 && end > mem_limit {
        return Err(Error::BeyondMemory {
            what: "PT_NOTE",
            offset: p.p_offset,
            size: p.p_memsz,
            limit: mem_limit,
        });
    }
    Ok(())
}

/// What [`note_segment_size`] found in one PT_NOTE segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoteSize {
    /// Bytes of whole notes before the terminator (`n_namesz == 0`) or the end.
    pub real: u64,
    /// The `(n_namesz, n_descsz)` of a note dropped because it ran past `p_memsz`, as C warns.
    pub dropped: Option<(u32, u32)>,
}

/// The real size of a note segment whose `p_memsz` bytes are `notes`, as
/// `update_note_header_size_elf64()` computes it: whole notes up to a zero `n_namesz`; a note
/// that would run past the segment is dropped with everything after it.
pub fn note_segment_size(notes: &[u8]) -> NoteSize {
    let max = notes.len() as u64;
    let mut real: u64 = 0;
    // Fewer than a header's bytes left ends the segment: C would read past its buffer there
    // and then find the note too big, with the same result.
    while let Some((namesz, descsz)) = note_header_at(notes, real) {
        if namesz == 0 {
            break;
        }
        let sz = NHDR_SIZE + align4(namesz) + align4(descsz);
        if real + sz > max {
            return NoteSize {
                real,
                dropped: Some((namesz, descsz)),
            };
        }
        real += sz;
    }
    NoteSize {
        real,
        dropped: None,
    }
}

/// `(n_namesz, n_descsz)` of the note header at `at`, if a whole header is there.
fn note_header_at(notes: &[u8], at: u64) -> Option<(u32, u32)> {
    let at = usize::try_from(at).ok()?;
    Some((
        elf::u32_at(notes, at).ok()?,
        elf::u32_at(notes, at.checked_add(4)?).ok()?,
    ))
}

fn align4(v: u32) -> u64 {
    (u64::from(v) + 3) & !3
}

/// Rounds `v` up to a multiple of `page` (a power of two).
pub fn page_up(v: u64, page: u64) -> Result<u64, Error> {
    v.checked_add(page - 1)
        .map(|x| x & !(page - 1))
        .ok_or(Error::Overflow {
            what: "page rounding",
        })
}

/// The PT_NOTE segments of a header table: how many, where their data is in the old kernel's
/// memory, and how large `p_memsz` says they are.
pub fn for_each_note(
    headers: &[u8],
    ehdr: &elf::Ehdr,
    mut f: impl FnMut(usize, &Phdr) -> Result<(), Error>,
) -> Result<usize, Error> {
    let mut n = 0;
    for i in 0..usize::from(ehdr.phnum) {
        let p = elf::read_phdr(headers, ehdr.class, i)?;
        if p.p_type == PT_NOTE {
            f(i, &p)?;
            n += 1;
        }
    }
    Ok(n)
}

/// Sizes of the parts of `/proc/vmcore` before the memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Merged {
    /// `elfcorebuf_sz`: header + program headers after merging, page-rounded.
    pub elf_size: u64,
    /// The real size of all notes together (`p_filesz` of the merged PT_NOTE).
    pub notes_real: u64,
    /// `elfnotes_sz`: `notes_real` page-rounded.
    pub notes_size: u64,
    /// `e_phnum` after merging.
    pub phnum: u16,
}

/// Replaces every PT_NOTE of the header table in `headers` by one PT_NOTE that describes all
/// notes copied back to back (`merge_note_headers_elf64()`), drops the others, and zeroes
/// what the table no longer uses. `real_sizes[k]` is the real size of the k-th PT_NOTE.
///
/// `headers` must hold the ELF header and the whole table, and be zeroed beyond it.
pub fn merge_notes(
    headers: &mut [u8],
    ehdr: &elf::Ehdr,
    real_sizes: &[u64],
    page: u64,
) -> Result<Merged, Error> {
    let class = ehdr.class;
    let phnum = usize::from(ehdr.phnum);
    let mut notes_real: u64 = 0;
    let nr_notes = for_each_note(headers, ehdr, |_, _| Ok(()))?;
    if nr_notes == 0 {
        return Err(Error::BadField {
            field: "PT_NOTE count",
            value: 0,
        });
    }
    if real_sizes.len() != nr_notes {
        return Err(Error::NoRoom {
            what: "note sizes",
            need: nr_notes as u64,
        });
    }
    for s in real_sizes {
        notes_real = notes_real.checked_add(*s).ok_or(Error::Overflow {
            what: "total note size",
        })?;
    }
    if notes_real == 0 {
        return Err(Error::BadField {
            field: "total note size",
            value: 0,
        });
    }
    let new_phnum = phnum - nr_notes + 1;
    let note_off = (class.ehdr_size() + new_phnum * class.phdr_size()) as u64;
    let merged = Phdr {
        p_type: PT_NOTE,
        p_flags: 0,
        p_offset: page_up(note_off, page)?,
        p_vaddr: 0,
        p_paddr: 0,
        p_filesz: notes_real,
        p_memsz: notes_real,
        p_align: 4,
    };

    // Compact the non-note headers towards the front, keeping their order, then put the
    // merged note first. Reading index `i` before writing index `out` <= `i` is safe in place.
    let mut out = 1;
    for i in 0..phnum {
        let p = elf::read_phdr(headers, class, i)?;
        if p.p_type != PT_NOTE {
            elf::write_phdr(headers, class, out, &p)?;
            out += 1;
        }
    }
    elf::write_phdr(headers, class, 0, &merged)?;
    let used = class.ehdr_size() + new_phnum * class.phdr_size();
    let orig = ehdr.headers_size();
    if let Some(tail) = headers.get_mut(used..orig) {
        tail.fill(0);
    }
    let new_phnum_u16 =
        u16::try_from(new_phnum).map_err(|_| Error::Overflow { what: "e_phnum" })?;
    elf::write_phnum(headers, class, new_phnum_u16)?;
    Ok(Merged {
        elf_size: page_up(used as u64, page)?,
        notes_real,
        notes_size: page_up(notes_real, page)?,
        phnum: new_phnum_u16,
    })
}

/// One contiguous range of old memory in `/proc/vmcore` (C's `struct vmcore`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Chunk {
    /// Physical address of the first page.
    pub paddr: u64,
    /// Bytes, a whole number of pages.
    pub size: u64,
    /// Where the chunk starts in `/proc/vmcore`.
    pub offset: u64,
}

/// How many PT_LOAD headers the (merged) table has: the number of chunks to allocate.
pub fn count_loads(headers: &[u8], class: Class, phnum: u16) -> Result<usize, Error> {
    let mut n = 0;
    for i in 0..usize::from(phnum) {
        if elf::read_phdr(headers, class, i)?.p_type == PT_LOAD {
            n += 1;
        }
    }
    Ok(n)
}

/// The old-memory range a PT_LOAD maps, as [`place_loads`] sorts them to find overlaps.
///
/// Callers provide one per PT_LOAD ([`count_loads`]); the contents are scratch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadSpan {
    /// `p_vaddr - p_offset`: which mapping the range belongs to.
    delta: u64,
    /// `p_offset`.
    start: u64,
    /// `p_offset + p_memsz`.
    end: u64,
    /// Index of the PT_LOAD among the PT_LOADs, to name the earlier of two.
    index: usize,
}

/// Turns each PT_LOAD of the merged table into a page-aligned chunk placed after the notes,
/// and rewrites its `p_offset` to where its bytes now are in `/proc/vmcore`
/// (`process_ptload_program_headers_elf64()` and `set_vmcore_list_offsets()`).
///
/// Before changing anything, refuses a PT_LOAD whose end overflows or passes `mem_limit` (one
/// past the highest physical address the old kernel can have had; an empty PT_LOAD at a page
/// boundary may, as it is never read), and two PT_LOADs that map
/// some of the same old memory (`p_offset` to `p_offset + p_memsz`, what the provider reads)
/// through the same mapping (equal `p_vaddr - p_offset`); see [`check_overlaps`]. `chunks` and
/// `spans` need one entry per PT_LOAD. Returns the size of the whole file.
pub fn place_loads(
    headers: &mut [u8],
    class: Class,
    merged: &Merged,
    page: u64,
    mem_limit: u64,
    chunks: &mut [Chunk],
    spans: &mut [LoadSpan],
) -> Result<u64, Error> {
    let mut n = 0;
    for i in 0..usize::from(merged.phnum) {
        let p = elf::read_phdr(headers, class, i)?;
        if p.p_type != PT_LOAD {
            continue;
        }
        let end = p.p_offset.checked_add(p.p_memsz).ok_or(Error::Overflow {
            what: "PT_LOAD p_offset + p_memsz",
        })?;
        // An empty PT_LOAD at a page boundary adds no byte to the file and is never read:
        // C serves it wherever it points, and so does this.
        let empty = p.p_memsz == 0 && p.p_offset % page == 0;
        if end > mem_limit && !empty {
            return Err(Error::BeyondMemory {
                what: "PT_LOAD",
                offset: p.p_offset,
                size: p.p_memsz,
                limit: mem_limit,
            });
        }
        *spans.get_mut(n).ok_or(Error::NoRoom {
            what: "PT_LOAD spans",
            need: n as u64 + 1,
        })? = LoadSpan {
            delta: p.p_vaddr.wrapping_sub(p.p_offset),
            start: p.p_offset,
            end,
            index: n,
        };
        n += 1;
    }
    check_overlaps(spans.get_mut(..n).unwrap_or_default())?;

    let mut off = merged
        .elf_size
        .checked_add(merged.notes_size)
        .ok_or(Error::Overflow {
            what: "vmcore offset",
        })?;
    let mut n = 0;
    for i in 0..usize::from(merged.phnum) {
        let mut p = elf::read_phdr(headers, class, i)?;
        if p.p_type != PT_LOAD {
            continue;
        }
        // Checked in the first pass.
        let end = p.p_offset.saturating_add(p.p_memsz);
        let paddr = p.p_offset;
        let start = paddr & !(page - 1);
        let size = page_up(end, page)? - start;
        let chunk = chunks.get_mut(n).ok_or(Error::NoRoom {
            what: "PT_LOAD chunks",
            need: n as u64 + 1,
        })?;
        *chunk = Chunk {
            paddr: start,
            size,
            offset: off,
        };
        p.p_offset = off + (paddr - start);
        elf::write_phdr(headers, class, i, &p)?;
        off = off.checked_add(size).ok_or(Error::Overflow {
            what: "vmcore size",
        })?;
        n += 1;
    }
    Ok(off)
}

/// Errors if two non-empty spans with the same delta share a byte: a duplicated or
/// contradictory range. The kernel text segment kexec-tools adds maps some of the same
/// physical bytes as the direct-map RAM segment, but with another delta, and is accepted (as
/// C accepts everything here).
///
/// Sorts `spans` by (delta, start) and keeps, within each delta, the span that reaches
/// furthest: O(n log n) where comparing every pair was quadratic in `e_phnum` (up to 65534).
/// Does not allocate.
pub fn check_overlaps(spans: &mut [LoadSpan]) -> Result<(), Error> {
    spans.sort_unstable_by_key(|s| (s.delta, s.start));
    let mut reach: Option<LoadSpan> = None;
    for s in spans.iter().filter(|s| s.start < s.end) {
        match reach {
            Some(r) if r.delta == s.delta && s.start < r.end => {
                let (first, second) = if r.index < s.index { (r, *s) } else { (*s, r) };
                return Err(Error::Overlap {
                    first: first.start,
                    second: second.start,
                });
            }
            Some(r) if r.delta == s.delta && s.end <= r.end => {}
            _ => reach = Some(*s),
        }
    }
    Ok(())
}
