// SPDX-License-Identifier: GPL-2.0

//! ELF notes as the crashed kernel leaves them for its capture kernel (`append_elf_note()`,
//! `final_note()`), and the VMCOREINFO text they carry (`vmcoreinfo_append_str()`).
//!
//! Pure logic with no kernel bindings, shared with the host crate. Everything here may run on
//! the panic path: nothing allocates, and nothing can panic (every access is checked with
//! `get`, every sum is checked or saturating).
//!
//! C side: [`kernel/vmcore_info.c`](srctree/kernel/vmcore_info.c).

/// Size of an ELF note header (`struct elf_note`: namesz, descsz, type).
pub const NOTE_HEAD: usize = 12;

/// Longest line `vmcoreinfo_append_str()` keeps: it formats into `char buf[0x50]`.
pub const LINE_MAX: usize = 0x50 - 1;

/// Copies what fits of `from` to the start of `to`. Unlike `copy_from_slice`, it has no length
/// check that could panic: it may run on the panic path.
fn copy(to: &mut [u8], from: &[u8]) {
    for (t, f) in to.iter_mut().zip(from) {
        *t = *f;
    }
}

/// `n` rounded up to a multiple of four, or `None` if it overflows.
fn word_up(n: usize) -> Option<usize> {
    Some(n.checked_add(3)? & !3)
}

/// Bytes a note with a `name_len`-byte name (without its NUL) and `desc_len` bytes of data
/// takes, padding included.
pub fn note_size(name_len: usize, desc_len: usize) -> Option<usize> {
    NOTE_HEAD
        .checked_add(word_up(name_len.checked_add(1)?)?)?
        .checked_add(word_up(desc_len)?)
}

/// `append_elf_note()`: writes a note of type `ntype` named `name` (a NUL is added) with data
/// `desc` at the start of `buf`, and returns the rest of `buf`, past the note. The padding
/// after name and data is zeroed (C leaves it as it was: zero in every buffer it writes notes
/// into). `None`, with nothing written, if the note does not fit or a size does not fit in 32
/// bits.
pub fn append_note<'a>(
    buf: &'a mut [u8],
    name: &[u8],
    ntype: u32,
    desc: &[u8],
) -> Option<&'a mut [u8]> {
    let namesz = name.len().checked_add(1)?;
    let size = note_size(name.len(), desc.len())?;
    if size > buf.len() {
        return None;
    }
    let head = [
        u32::try_from(namesz).ok()?,
        u32::try_from(desc.len()).ok()?,
        ntype,
    ];
    // In bounds (checked above), so the split has no panic left in it.
    let (note, rest) = buf.split_at_mut(size.min(buf.len()));
    note.fill(0);
    for (out, word) in note.chunks_exact_mut(4).zip(head) {
        copy(out, &word.to_le_bytes());
    }
    let desc_at = NOTE_HEAD.checked_add(word_up(namesz)?)?;
    copy(note.get_mut(NOTE_HEAD..)?, name);
    copy(note.get_mut(desc_at..)?, desc);
    Some(rest)
}

/// `final_note()`: the empty note header that ends a list of notes. `None` if `buf` is
/// shorter than a header.
pub fn final_note(buf: &mut [u8]) -> Option<()> {
    buf.get_mut(..NOTE_HEAD)?.fill(0);
    Some(())
}

/// The VMCOREINFO text: `key=value` lines appended into a fixed buffer (`vmcoreinfo_data`,
/// `VMCOREINFO_BYTES` long) until it is full.
pub struct Text<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> Text<'a> {
    /// The text held in the first `len` bytes of `buf` (`vmcoreinfo_size`); `len` is capped at
    /// the buffer's size.
    pub fn new(buf: &'a mut [u8], len: usize) -> Self {
        let len = len.min(buf.len());
        Text { buf, len }
    }

    /// Bytes of text.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is no text yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The text.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// Appends what fits of `line`, as `vmcoreinfo_append_str()` does with what it formatted
    /// (C keeps at most [`LINE_MAX`] bytes of a line; so does [`Line`]). Returns whether the
    /// text now fills the buffer: C warns then, once, that the rest was cut.
    pub fn append(&mut self, line: &[u8]) -> bool {
        if let Some(to) = self.buf.get_mut(self.len..) {
            let n = to.len().min(line.len());
            copy(to, line);
            self.len = self.len.saturating_add(n);
        }
        self.len == self.buf.len()
    }
}

/// One line being formatted, as `vmcoreinfo_append_str()`'s `vscnprintf()` into `char
/// buf[0x50]` does it: what goes past [`LINE_MAX`] bytes is dropped. Writing never fails and
/// never allocates, so it can be used on the panic path.
pub struct Line {
    buf: [u8; LINE_MAX],
    len: usize,
}

impl Default for Line {
    fn default() -> Self {
        Self::new()
    }
}

impl Line {
    /// An empty line.
    pub const fn new() -> Self {
        Line {
            buf: [0; LINE_MAX],
            len: 0,
        }
    }

    /// The bytes kept.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// Appends what fits of `s`.
    pub fn push(&mut self, s: &[u8]) -> &mut Self {
        if let Some(to) = self.buf.get_mut(self.len..) {
            let n = to.len().min(s.len());
            copy(to, s);
            self.len = self.len.saturating_add(n);
        }
        self
    }

    /// Appends `v` in decimal (`%lld`), with no formatting machinery.
    pub fn push_i64(&mut self, v: i64) -> &mut Self {
        if v < 0 {
            self.push(b"-");
        }
        self.push_digits(v.unsigned_abs(), 10)
    }

    /// Appends `v` in decimal (`%lu`).
    pub fn push_u64(&mut self, v: u64) -> &mut Self {
        self.push_digits(v, 10)
    }

    /// Appends `v` in lower-case hexadecimal without prefix (`%lx`).
    pub fn push_hex(&mut self, v: u64) -> &mut Self {
        self.push_digits(v, 16)
    }

    fn push_digits(&mut self, mut v: u64, base: u64) -> &mut Self {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 20];
        let mut at = out.len();
        loop {
            let d = DIGITS
                .get(v.checked_rem(base).unwrap_or(0) as usize)
                .copied()
                .unwrap_or(b'?');
            at = at.saturating_sub(1);
            if let Some(o) = out.get_mut(at) {
                *o = d;
            }
            v = v.checked_div(base).unwrap_or(0);
            if v == 0 || at == 0 {
                break;
            }
        }
        self.push(out.get(at..).unwrap_or(&[]))
    }
}

impl core::fmt::Write for Line {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.push(s.as_bytes());
        Ok(())
    }
}
