// SPDX-License-Identifier: GPL-2.0

//! The purgatory: the small relocatable ELF object the kernel carries (`kexec_purgatory[]`),
//! laid out, copied, relocated for the address it is loaded at, and its symbols read and set,
//! as [`kernel/kexec_file.c`](srctree/kernel/kexec_file.c) (`kexec_load_purgatory()` and the
//! symbol functions) and x86's `arch_kexec_apply_relocations_add()` do.
//!
//! Pure logic over the object's bytes, shared with the host crate. C trusts the object (it is
//! built into the kernel) and reads it unchecked; here every header, section, symbol and
//! relocation is read with a bounds check, and one outside the object or the buffer is
//! refused with `ENOEXEC` (or `EINVAL` where C's symbol functions fail) instead of being read
//! or written past an end. For the object the kernel builds, every answer is C's.
//!
//! C keeps a changed copy of the section headers (`purgatory_info.sechdrs`); here that copy is
//! [`Placed`]: where each section went, in memory and in the buffer.

use super::hole::align_up;
use super::le;

/// `EINVAL`.
pub const EINVAL: i32 = 22;
/// `ENOEXEC`.
pub const ENOEXEC: i32 = 8;

const SHT_SYMTAB: u32 = 2;
const SHT_RELA: u32 = 4;
const SHT_NOBITS: u32 = 8;
const SHT_REL: u32 = 9;
const SHF_ALLOC: u64 = 0x2;
const SHF_EXECINSTR: u64 = 0x4;
const SHN_UNDEF: u16 = 0;
const SHN_ABS: u16 = 0xfff1;
const SHN_COMMON: u16 = 0xfff2;
const STB_GLOBAL: u8 = 1;

const EHDR_SIZE: u64 = 64;
const SHDR_SIZE: u64 = 64;
const SYM_SIZE: u64 = 24;
const RELA_SIZE: u64 = 24;

/// x86_64 relocation types (`R_X86_64_*`).
const R_NONE: u32 = 0;
const R_64: u32 = 1;
const R_PC32: u32 = 2;
const R_PLT32: u32 = 4;
const R_32: u32 = 10;
const R_32S: u32 = 11;

/// What was wrong with the object, or with a symbol asked of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// No object at all (C: `kexec_purgatory_size` is 0).
    Empty,
    /// Not a little-endian 64-bit ELF object with 64-byte section headers inside it (C reads
    /// the kernel's object unchecked).
    NotElf,
    /// Section `index`'s bytes (or its header) lie outside the object.
    SectionOutside {
        /// The section.
        index: u64,
    },
    /// A relocation section names a section or symbol table past the last one.
    BadRelocationLinks {
        /// The relocation section.
        index: u64,
    },
    /// `SHT_REL` relocations, which x86_64 does not have.
    RelUnsupported,
    /// A relocation's symbol lies outside the object.
    SymbolOutside {
        /// The relocation section.
        index: u64,
        /// The symbol's index.
        symbol: u64,
    },
    /// A relocation against an undefined symbol.
    Undefined {
        /// The symbol's index.
        symbol: u64,
    },
    /// A relocation against a common symbol.
    Common {
        /// The symbol's index.
        symbol: u64,
    },
    /// A relocation against a symbol in a section past the last one.
    BadSection {
        /// The symbol's index.
        symbol: u64,
        /// Its section.
        shndx: u16,
    },
    /// A relocation of a type x86_64's loader does not know.
    UnknownType {
        /// `ELF64_R_TYPE`.
        kind: u32,
    },
    /// A relocated value does not fit its field.
    Overflow {
        /// `ELF64_R_TYPE`.
        kind: u32,
        /// The value.
        value: u64,
    },
    /// A relocation writes outside the purgatory's buffer.
    LocationOutside {
        /// The relocated section.
        section: u64,
        /// `r_offset`.
        offset: u64,
    },
    /// No global symbol of that name with a section.
    NoSymbol,
    /// The symbol's size is not the size asked for.
    SizeMismatch {
        /// `st_size`.
        expected: u64,
        /// The size asked for.
        actual: u64,
    },
    /// The symbol is in a section with no bytes in the buffer (bss).
    InBss,
    /// The symbol's bytes lie outside the buffer.
    SymbolBytesOutside,
}

impl Reason {
    /// The errno C returns for it (positive).
    pub fn errno(&self) -> i32 {
        match self {
            Reason::Empty
            | Reason::NoSymbol
            | Reason::SizeMismatch { .. }
            | Reason::InBss
            | Reason::SymbolBytesOutside => EINVAL,
            _ => ENOEXEC,
        }
    }
}

impl core::fmt::Display for Reason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            Reason::Empty => write!(f, "purgatory: the kernel carries none"),
            Reason::NotElf => write!(f, "purgatory: not a 64-bit little-endian ELF object"),
            Reason::SectionOutside { index } => {
                write!(f, "purgatory: section {index} lies outside the object")
            }
            Reason::BadRelocationLinks { index } => write!(
                f,
                "purgatory: relocation section {index} names a section past the last"
            ),
            Reason::RelUnsupported => write!(f, "REL relocation unsupported."),
            Reason::SymbolOutside { index, symbol } => write!(
                f,
                "purgatory: relocation section {index}: symbol {symbol} outside the object"
            ),
            Reason::Undefined { symbol } => write!(f, "Undefined symbol: {symbol}"),
            Reason::Common { symbol } => write!(f, "symbol {symbol} in common section"),
            Reason::BadSection { symbol, shndx } => {
                write!(f, "Invalid section {shndx} for symbol {symbol}")
            }
            Reason::UnknownType { kind } => write!(f, "Unknown rela relocation: {kind}"),
            Reason::Overflow { kind, value } => {
                write!(f, "Overflow in relocation type {kind} value {value:#x}")
            }
            Reason::LocationOutside { section, offset } => write!(
                f,
                "purgatory: relocation at {offset:#x} of section {section} outside the buffer"
            ),
            Reason::NoSymbol => write!(f, "purgatory: no such symbol"),
            Reason::SizeMismatch { expected, actual } => write!(
                f,
                "symbol size mismatch: expected {expected} actual {actual}"
            ),
            Reason::InBss => write!(f, "symbol is in a bss section"),
            Reason::SymbolBytesOutside => write!(f, "purgatory: symbol outside the buffer"),
        }
    }
}

/// One section header, as read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Shdr {
    kind: u32,
    flags: u64,
    addr: u64,
    offset: u64,
    size: u64,
    link: u32,
    info: u32,
    align: u64,
}

impl Shdr {
    fn alloc(&self) -> bool {
        self.flags & SHF_ALLOC != 0
    }
}

/// One symbol, as read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Symbol {
    name: u32,
    info: u8,
    /// `st_shndx`.
    pub shndx: u16,
    /// `st_value`: its offset in its section.
    pub value: u64,
    /// `st_size`.
    pub size: u64,
}

/// Where a section went (C's changed `sh_addr` and `sh_offset`): its address once loaded and
/// its offset in the buffer. Sections that take no memory keep their header's values, and
/// bss sections' offsets too, as in C.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Placed {
    /// The address.
    pub addr: u64,
    /// The offset in the buffer.
    pub offset: u64,
}

/// What `kexec_purgatory_setup_kbuf()` asks `kexec_add_buffer()` for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Bytes of the buffer: the sections with bytes, aligned, then rounded to bss's alignment.
    pub bufsz: u64,
    /// Bytes in memory: the buffer and the bss sections after it.
    pub memsz: u64,
    /// The largest alignment of any section.
    pub align: u64,
}

/// The purgatory object.
///
/// # Invariants
///
/// `elf` holds a 64-bit little-endian ELF header, and its `shnum` section headers of 64
/// bytes each at `shoff` are inside `elf`.
#[derive(Clone, Copy, Debug)]
pub struct Purgatory<'a> {
    elf: &'a [u8],
    shoff: u64,
    shnum: u64,
    entry: u64,
}

/// Reads the object's ELF header and checks its section header table is inside it.
pub fn parse(elf: &[u8]) -> Result<Purgatory<'_>, Reason> {
    if elf.is_empty() {
        return Err(Reason::Empty);
    }
    if (elf.len() as u64) < EHDR_SIZE {
        return Err(Reason::NotElf);
    }
    // ELFMAG, ELFCLASS64, ELFDATA2LSB.
    if elf.get(..6) != Some(&[0x7f, b'E', b'L', b'F', 2, 1][..]) {
        return Err(Reason::NotElf);
    }
    // The header is inside `elf`: these read.
    let field16 = |at| le::u16_at(elf, at).unwrap_or(0);
    let entry = le::u64_at(elf, 24).unwrap_or(0);
    let shoff = le::u64_at(elf, 40).unwrap_or(0);
    let (shentsize, shnum) = (field16(58), field16(60));
    let shnum = u64::from(shnum);
    if u64::from(shentsize) != SHDR_SIZE || le::range(elf, shoff, shnum * SHDR_SIZE).is_none() {
        return Err(Reason::NotElf);
    }
    // INVARIANT: the header and the section header table are inside `elf`.
    Ok(Purgatory {
        elf,
        shoff,
        shnum,
        entry,
    })
}

impl<'a> Purgatory<'a> {
    /// The number of sections: how many [`Placed`] [`Purgatory::place`] fills.
    pub fn sections(&self) -> usize {
        self.shnum as usize
    }

    /// `e_entry`.
    pub fn entry(&self) -> u64 {
        self.entry
    }

    /// Section header `i`, or the zeroed header C would never read past the table.
    fn shdr(&self, i: u64) -> Shdr {
        if i >= self.shnum {
            return Shdr::default();
        }
        let at = self.shoff + i * SHDR_SIZE;
        // Inside the table, which is inside the object (the type invariant).
        let u32f = |o| le::u32_at(self.elf, at + o).unwrap_or(0);
        let u64f = |o| le::u64_at(self.elf, at + o).unwrap_or(0);
        Shdr {
            kind: u32f(4),
            flags: u64f(8),
            addr: u64f(16),
            offset: u64f(24),
            size: u64f(32),
            link: u32f(40),
            info: u32f(44),
            align: u64f(48),
        }
    }

    /// Symbol `k` of the table in section `table`, if it is inside the object (C reads past the
    /// table's end unchecked, and so does this, as far as the object goes).
    fn symbol_at(&self, table: &Shdr, k: u64) -> Option<Symbol> {
        let at = table.offset.checked_add(k.checked_mul(SYM_SIZE)?)?;
        let e = le::range(self.elf, at, SYM_SIZE)?;
        Some(Symbol {
            name: le::u32_at(e, 0)?,
            info: le::u8_at(e, 4)?,
            shndx: le::u16_at(e, 6)?,
            value: le::u64_at(e, 8)?,
            size: le::u64_at(e, 16)?,
        })
    }

    /// Whether the NUL-terminated string at `at` is `name`.
    fn name_is(&self, at: u64, name: &[u8]) -> bool {
        le::range(self.elf, at, name.len() as u64 + 1)
            .is_some_and(|s| s.get(..name.len()) == Some(name) && s.last() == Some(&0))
    }

    /// `kexec_purgatory_find_symbol()`: the first global symbol called `name` in a symbol table
    /// whose string table exists, if its section is one of the object's.
    pub fn find_symbol(&self, name: &[u8]) -> Option<Symbol> {
        for i in 0..self.shnum {
            let table = self.shdr(i);
            if table.kind != SHT_SYMTAB || u64::from(table.link) >= self.shnum {
                continue;
            }
            let strtab = self.shdr(u64::from(table.link)).offset;
            for k in 0..table.size / SYM_SIZE {
                // C reads the table unchecked; one that leaves the object ends here.
                let sym = self.symbol_at(&table, k)?;
                if sym.info >> 4 != STB_GLOBAL {
                    continue;
                }
                if !self.name_is(strtab.wrapping_add(u64::from(sym.name)), name) {
                    continue;
                }
                if sym.shndx == SHN_UNDEF || u64::from(sym.shndx) >= self.shnum {
                    return None;
                }
                return Some(sym);
            }
        }
        None
    }

    /// `kexec_purgatory_setup_kbuf()`'s sizes.
    pub fn layout(&self) -> Layout {
        let (mut align, mut bss_align) = (1u64, 1u64);
        let (mut bufsz, mut bss_sz) = (0u64, 0u64);
        for i in 0..self.shnum {
            let s = self.shdr(i);
            if !s.alloc() {
                continue;
            }
            if s.kind != SHT_NOBITS {
                align = align.max(s.align);
                bufsz = align_up(bufsz, s.align).wrapping_add(s.size);
            } else {
                bss_align = bss_align.max(s.align);
                bss_sz = align_up(bss_sz, s.align).wrapping_add(s.size);
            }
        }
        let bufsz = align_up(bufsz, bss_align);
        Layout {
            bufsz,
            memsz: bufsz.wrapping_add(bss_sz),
            align: align.max(bss_align),
        }
    }

    /// `kexec_purgatory_setup_sechdrs()`: copies the sections with bytes into `buf` (the
    /// zeroed buffer of [`Layout::bufsz`] bytes, to be loaded at `mem`), records in `placed`
    /// (one per section) where each went, and returns the entry point (`image->start`):
    /// `purgatory_start` if the object has it in an executable section, else `e_entry` moved
    /// with the executable section that holds it.
    pub fn place(&self, mem: u64, buf: &mut [u8], placed: &mut [Placed]) -> Result<u64, Reason> {
        let bss_start = mem.wrapping_add(buf.len() as u64);
        let mut bss_addr = bss_start;
        let mut offset = 0u64;
        let mut start = self.entry;
        let entry_sym = self.find_symbol(b"purgatory_start");
        let mut start_fixed = false;
        for i in 0..self.shnum {
            let s = self.shdr(i);
            let p = placed
                .get_mut(i as usize)
                .ok_or(Reason::SectionOutside { index: i })?;
            *p = Placed {
                addr: s.addr,
                offset: s.offset,
            };
            if !s.alloc() {
                continue;
            }
            if s.kind == SHT_NOBITS {
                bss_addr = align_up(bss_addr, s.align);
                p.addr = bss_addr;
                bss_addr = bss_addr.wrapping_add(s.size);
                continue;
            }
            offset = align_up(offset, s.align);
            let exec = s.flags & SHF_EXECINSTR != 0;
            if let Some(sym) = entry_sym.filter(|e| !start_fixed && u64::from(e.shndx) == i) {
                if exec && sym.value < s.size {
                    start = mem.wrapping_add(offset).wrapping_add(sym.value);
                    start_fixed = true;
                }
            }
            if !start_fixed
                && exec
                && self.entry >= s.addr
                && self.entry < s.addr.wrapping_add(s.size)
                && start == self.entry
            {
                start = start
                    .wrapping_sub(s.addr)
                    .wrapping_add(mem.wrapping_add(offset));
                start_fixed = true;
            }
            let src =
                le::range(self.elf, s.offset, s.size).ok_or(Reason::SectionOutside { index: i })?;
            let dst =
                le::range_mut(buf, offset, s.size).ok_or(Reason::SectionOutside { index: i })?;
            dst.copy_from_slice(src);
            p.addr = mem.wrapping_add(offset);
            p.offset = offset;
            offset = offset.wrapping_add(s.size);
        }
        Ok(start)
    }

    /// `kexec_apply_relocations()`: every `SHT_RELA` section's relocations applied to the
    /// sections [`Purgatory::place`] put in `buf`, for where they will be loaded.
    pub fn relocate(&self, placed: &[Placed], buf: &mut [u8]) -> Result<(), Reason> {
        for i in 0..self.shnum {
            let rel = self.shdr(i);
            if rel.kind != SHT_RELA && rel.kind != SHT_REL {
                continue;
            }
            let (info, link) = (u64::from(rel.info), u64::from(rel.link));
            if info >= self.shnum || link >= self.shnum {
                return Err(Reason::BadRelocationLinks { index: i });
            }
            let target = self.shdr(info);
            let symtab = self.shdr(link);
            if !target.alloc() || u64::from(symtab.link) >= self.shnum {
                continue;
            }
            if rel.kind == SHT_REL {
                return Err(Reason::RelUnsupported);
            }
            self.apply_rela(i, &rel, &symtab, placed, buf)?;
        }
        Ok(())
    }

    /// x86_64's `arch_kexec_apply_relocations_add()` for relocation section `index`, whose
    /// symbol table is `symtab`.
    fn apply_rela(
        &self,
        index: u64,
        rel: &Shdr,
        symtab: &Shdr,
        placed: &[Placed],
        buf: &mut [u8],
    ) -> Result<(), Reason> {
        let section = u64::from(rel.info);
        let at = placed.get(section as usize).copied().unwrap_or_default();
        for k in 0..rel.size / RELA_SIZE {
            let e = rel
                .offset
                .checked_add(k * RELA_SIZE)
                .and_then(|o| le::range(self.elf, o, RELA_SIZE))
                .ok_or(Reason::SectionOutside { index })?;
            let (r_offset, r_info) = (le::u64_at(e, 0), le::u64_at(e, 8));
            let (Some(r_offset), Some(r_info), Some(addend)) =
                (r_offset, r_info, le::u64_at(e, 16))
            else {
                return Err(Reason::SectionOutside { index });
            };
            let symbol = r_info >> 32;
            let kind = r_info as u32;
            let sym = self
                .symbol_at(symtab, symbol)
                .ok_or(Reason::SymbolOutside { index, symbol })?;
            let sec_base = match sym.shndx {
                SHN_UNDEF => return Err(Reason::Undefined { symbol }),
                SHN_COMMON => return Err(Reason::Common { symbol }),
                SHN_ABS => 0,
                n if u64::from(n) >= self.shnum => {
                    return Err(Reason::BadSection { symbol, shndx: n })
                }
                n => placed.get(usize::from(n)).map_or(0, |p| p.addr),
            };
            let value = sym.value.wrapping_add(sec_base).wrapping_add(addend);
            let address = at.addr.wrapping_add(r_offset);
            let (bytes, width): ([u8; 8], u64) = match kind {
                R_NONE => continue,
                R_64 => (value.to_le_bytes(), 8),
                R_32 => {
                    if value != u64::from(value as u32) {
                        return Err(Reason::Overflow { kind, value });
                    }
                    (value.to_le_bytes(), 4)
                }
                R_32S => {
                    if value as i64 != i64::from(value as i32) {
                        return Err(Reason::Overflow { kind, value });
                    }
                    (value.to_le_bytes(), 4)
                }
                R_PC32 | R_PLT32 => (value.wrapping_sub(address).to_le_bytes(), 4),
                _ => return Err(Reason::UnknownType { kind }),
            };
            let outside = Reason::LocationOutside {
                section,
                offset: r_offset,
            };
            let loc = at.offset.checked_add(r_offset).ok_or(outside)?;
            let dst = le::range_mut(buf, loc, width).ok_or(outside)?;
            dst.copy_from_slice(bytes.get(..width as usize).ok_or(outside)?);
        }
        Ok(())
    }

    /// `kexec_purgatory_get_symbol_addr()`: where symbol `name` will be once loaded.
    pub fn symbol_addr(&self, placed: &[Placed], name: &[u8]) -> Result<u64, Reason> {
        let sym = self.find_symbol(name).ok_or(Reason::NoSymbol)?;
        let sec = placed.get(usize::from(sym.shndx)).ok_or(Reason::NoSymbol)?;
        Ok(sec.addr.wrapping_add(sym.value))
    }

    /// `kexec_purgatory_get_set_symbol()`: the `size` bytes of symbol `name` in `buf`, to read
    /// or to set.
    pub fn symbol_bytes<'b>(
        &self,
        placed: &[Placed],
        buf: &'b mut [u8],
        name: &[u8],
        size: u64,
    ) -> Result<&'b mut [u8], Reason> {
        let sym = self.find_symbol(name).ok_or(Reason::NoSymbol)?;
        if sym.size != size {
            return Err(Reason::SizeMismatch {
                expected: sym.size,
                actual: size,
            });
        }
        if self.shdr(u64::from(sym.shndx)).kind == SHT_NOBITS {
            return Err(Reason::InBss);
        }
        let sec = placed.get(usize::from(sym.shndx)).ok_or(Reason::NoSymbol)?;
        let at = sec
            .offset
            .checked_add(sym.value)
            .ok_or(Reason::SymbolBytesOutside)?;
        le::range_mut(buf, at, size).ok_or(Reason::SymbolBytesOutside)
    }
}
