// SPDX-License-Identifier: GPL-2.0

//! Where the bytes of `/proc/vmcore` come from: a file range is split into pieces of the
//! merged ELF headers, the merged notes, and old memory, in the order the file holds them
//! (`__read_vmcore()` and `mmap_vmcore()` in [`fs/proc/vmcore.c`](srctree/fs/proc/vmcore.c)).
//!
//! Pure logic, shared with the host crate. The kernel side copies or maps each piece; with
//! this split it can map old memory in large runs instead of one page at a time.

use crate::layout::Chunk;

/// Where a piece of the file is read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The merged ELF header buffer, from this offset (zero-filled past the headers).
    Headers(u64),
    /// The merged notes buffer, from this offset (zero-filled past the notes).
    Notes(u64),
    /// Old memory, from this physical address.
    OldMem(u64),
}

/// A run of bytes of the file from one source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    /// Where the bytes come from.
    pub source: Source,
    /// How many bytes.
    pub len: u64,
}

/// The file as laid out by [`crate::layout`]: header and notes sizes, and the memory chunks.
#[derive(Clone, Copy, Debug)]
pub struct File<'a> {
    /// `elfcorebuf_sz`.
    pub elf_size: u64,
    /// `elfnotes_sz`.
    pub notes_size: u64,
    /// The PT_LOAD chunks, back to back after the notes.
    pub chunks: &'a [Chunk],
}

impl<'a> File<'a> {
    /// The size of the file (`vmcore_size`).
    pub fn size(&self) -> u64 {
        self.chunks
            .last()
            .map_or(self.elf_size + self.notes_size, |c| c.offset + c.size)
    }

    /// The physical range to map for reading old memory at `paddr`: the `size`-aligned block
    /// (`size` a power of two) that holds `paddr`, cut to the chunk that holds it, so the range
    /// never leaves memory the header describes. `None` if no chunk holds `paddr`.
    pub fn window(&self, paddr: u64, size: u64) -> Option<(u64, u64)> {
        let c = self
            .chunks
            .iter()
            .find(|c| c.paddr <= paddr && paddr - c.paddr < c.size)?;
        let block = paddr & !(size - 1);
        let end = block.saturating_add(size).min(c.paddr + c.size);
        Some((block.max(c.paddr), end))
    }

    /// The pieces that hold `len` bytes from `pos`, cut at the end of the file.
    pub fn pieces(&self, pos: u64, len: u64) -> Pieces<'a> {
        let end = pos.saturating_add(len).min(self.size());
        Pieces {
            file: *self,
            pos,
            end,
            chunk: 0,
        }
    }
}

/// Iterator over the pieces of a file range; see [`File::pieces`].
#[derive(Clone, Debug)]
pub struct Pieces<'a> {
    file: File<'a>,
    pos: u64,
    end: u64,
    chunk: usize,
}

impl Iterator for Pieces<'_> {
    type Item = Piece;

    fn next(&mut self) -> Option<Piece> {
        if self.pos >= self.end {
            return None;
        }
        let f = &self.file;
        let notes_end = f.elf_size + f.notes_size;
        let (source, stop) = if self.pos < f.elf_size {
            (Source::Headers(self.pos), f.elf_size)
        } else if self.pos < notes_end {
            (Source::Notes(self.pos - f.elf_size), notes_end)
        } else {
            // Chunks are sorted by offset; skip those that end before `pos`.
            let mut found = None;
            while let Some(c) = f.chunks.get(self.chunk) {
                if self.pos < c.offset + c.size {
                    found = Some(c);
                    break;
                }
                self.chunk += 1;
            }
            let c = found?;
            (
                Source::OldMem(c.paddr + (self.pos - c.offset)),
                c.offset + c.size,
            )
        };
        let len = stop.min(self.end) - self.pos;
        self.pos += len;
        Some(Piece { source, len })
    }
}

/// Why an mmap of `/proc/vmcore` is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MmapError {
    /// The range passes the end of the file (`EINVAL`).
    Range,
    /// Writable or executable mappings are not allowed (`EPERM`).
    Access,
}

/// Checks an mmap request in the order `mmap_vmcore()` does: range first, then access.
pub fn check_mmap(
    start: u64,
    size: u64,
    file_size: u64,
    write: bool,
    exec: bool,
) -> Result<(), MmapError> {
    let end = start.checked_add(size).ok_or(MmapError::Range)?;
    if size > file_size || end > file_size {
        return Err(MmapError::Range);
    }
    if write || exec {
        return Err(MmapError::Access);
    }
    Ok(())
}
