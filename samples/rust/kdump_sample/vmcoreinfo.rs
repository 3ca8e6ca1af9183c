// SPDX-License-Identifier: GPL-2.0

//! Reading the VMCOREINFO text: the `KEY=VALUE` lines the kernel publishes in
//! `/sys/kernel/vmcoreinfo` and in the crash dump's `VMCOREINFO` ELF note, from which
//! makedumpfile and drgn learn symbol addresses, structure sizes and field offsets.
//!
//! Pure logic over a byte slice, with no kernel bindings: the same file is compiled into the
//! kernel and into the host crate under `tools/testing/kdump_host/` for `cargo test`.
//!
//! C side: [`kernel/vmcore_info.c`](srctree/kernel/vmcore_info.c) writes these lines with
//! `vmcoreinfo_append_str()`; keys look like `OSRELEASE`, `PAGESIZE`, `SYMBOL(init_uts_ns)`,
//! `SIZE(page)`, `OFFSET(page.flags)`, `NUMBER(NR_FREE_PAGES)`, `LENGTH(zone.free_area)`.

use core::fmt;

/// Why a VMCOREINFO text was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// A line has no `=`; `line` counts from 1.
    MissingEquals { line: usize },
    /// A line starts with `=`.
    EmptyKey { line: usize },
    /// A byte that is not printable ASCII (nor the `\n` that ends a line) at `offset`.
    NotText { offset: usize },
    /// The text does not end with `\n` (the last line is cut).
    Unterminated,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::MissingEquals { line } => write!(f, "line {line} has no '='"),
            Error::EmptyKey { line } => write!(f, "line {line} has an empty key"),
            Error::NotText { offset } => write!(f, "byte at offset {offset} is not printable text"),
            Error::Unterminated => write!(f, "last line does not end with a newline"),
        }
    }
}

/// One `KEY=VALUE` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// What stands before the first `=`.
    pub key: &'a [u8],
    /// What stands after it, up to the end of the line.
    pub value: &'a [u8],
}

/// A checked VMCOREINFO text.
///
/// # Invariants
///
/// `text` is printable ASCII split into lines that each end with `\n` and each hold a `=`
/// after a non-empty key. Trailing NUL bytes (ELF note padding) are not part of `text`.
#[derive(Clone, Copy, Debug)]
pub struct VmcoreInfo<'a> {
    text: &'a [u8],
}

impl<'a> VmcoreInfo<'a> {
    /// Checks `data` and returns a view of it, or the first thing wrong with it.
    pub fn parse(data: &'a [u8]) -> Result<Self, Error> {
        let end = data.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        let text = data.get(..end).unwrap_or(&[]);
        if let Some(offset) = text
            .iter()
            .position(|&b| b != b'\n' && !(0x20..0x7f).contains(&b))
        {
            return Err(Error::NotText { offset });
        }
        if !text.is_empty() && text.last() != Some(&b'\n') {
            return Err(Error::Unterminated);
        }
        for (i, line) in Lines(text).enumerate() {
            match line.iter().position(|&b| b == b'=') {
                None => return Err(Error::MissingEquals { line: i + 1 }),
                Some(0) => return Err(Error::EmptyKey { line: i + 1 }),
                Some(_) => {}
            }
        }
        // INVARIANT: every byte, line ending and `=` was checked above.
        Ok(Self { text })
    }

    /// The entries in the order the kernel wrote them.
    pub fn entries(&self) -> impl Iterator<Item = Entry<'a>> + 'a {
        Lines(self.text).filter_map(|line| {
            let eq = line.iter().position(|&b| b == b'=')?;
            Some(Entry {
                key: line.get(..eq)?,
                value: line.get(eq + 1..)?,
            })
        })
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        Lines(self.text).count()
    }

    /// Whether there is no entry at all.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The value of the first entry whose key is `key`.
    pub fn get(&self, key: &str) -> Option<&'a str> {
        let e = self.entries().find(|e| e.key == key.as_bytes())?;
        // The invariant makes every value ASCII, so this never fails.
        core::str::from_utf8(e.value).ok()
    }

    /// `SYMBOL(name)`: an address, written in hex without `0x`.
    pub fn symbol(&self, name: &str) -> Option<u64> {
        self.get_wrapped("SYMBOL", name)
            .and_then(|v| u64::from_str_radix(v, 16).ok())
    }

    /// `SIZE(name)`: a structure size in bytes, in decimal.
    pub fn size(&self, name: &str) -> Option<u64> {
        self.get_wrapped("SIZE", name).and_then(|v| v.parse().ok())
    }

    /// `OFFSET(name)`: a field offset in bytes, in decimal.
    pub fn offset(&self, name: &str) -> Option<u64> {
        self.get_wrapped("OFFSET", name)
            .and_then(|v| v.parse().ok())
    }

    /// `NUMBER(name)`: a constant, in decimal, possibly negative.
    pub fn number(&self, name: &str) -> Option<i64> {
        self.get_wrapped("NUMBER", name)
            .and_then(|v| v.parse().ok())
    }

    /// The value of `KIND(name)`, found without building the key in an allocated string.
    fn get_wrapped(&self, kind: &str, name: &str) -> Option<&'a str> {
        let e = self.entries().find(|e| {
            let k = e.key;
            k.len() == kind.len() + name.len() + 2
                && k.starts_with(kind.as_bytes())
                && k.get(kind.len()) == Some(&b'(')
                && k.get(kind.len() + 1..k.len() - 1) == Some(name.as_bytes())
                && k.last() == Some(&b')')
        })?;
        core::str::from_utf8(e.value).ok()
    }
}

/// The lines of a text, without their `\n`; a last line without `\n` is yielded too.
struct Lines<'a>(&'a [u8]);

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.0.is_empty() {
            return None;
        }
        let (line, rest) = match self.0.iter().position(|&b| b == b'\n') {
            Some(nl) => (self.0.get(..nl)?, self.0.get(nl + 1..)?),
            None => (self.0, &[][..]),
        };
        self.0 = rest;
        Some(line)
    }
}
