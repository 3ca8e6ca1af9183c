// SPDX-License-Identifier: GPL-2.0

//! ELF core headers as the crashed kernel (or kexec-tools) wrote them: the ELF header and the
//! program header table of an elfcorehdr, for both ELF64 and ELF32, read from and written back
//! to byte slices.
//!
//! Pure logic with no kernel bindings, shared with the host crate. Everything read here came
//! through a crash and is untrusted: every field is checked before it is used, and every error
//! names the field and its value.
//!
//! C side: [`fs/proc/vmcore.c`](srctree/fs/proc/vmcore.c), `parse_crash_elf{64,32}_headers()`.

use core::fmt;

/// `\x7fELF`.
pub const ELFMAG: [u8; 4] = *b"\x7fELF";
/// `e_type` of a core file.
pub const ET_CORE: u16 = 4;
/// `e_machine` of x86_64; the x86_64 kernel accepts it for ELF32 and ELF64 headers alike.
pub const EM_X86_64: u16 = 62;
/// `EV_CURRENT`.
pub const EV_CURRENT: u8 = 1;
/// A loadable segment: a range of old memory.
pub const PT_LOAD: u32 = 1;
/// A note segment.
pub const PT_NOTE: u32 = 4;
/// Size of `e_ident`.
pub const EI_NIDENT: usize = 16;
const EI_CLASS: usize = 4;
const EI_DATA: usize = 5;
const EI_VERSION: usize = 6;
const ELFDATA2LSB: u8 = 1;

/// Most program headers an elfcorehdr may have: the kernel reads the whole table into one
/// buffer, and `e_phnum` is a `u16` whose top value `PN_XNUM` means "more elsewhere".
pub const MAX_PHNUM: u16 = 0xfffe;

/// What is wrong with an elfcorehdr.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The buffer ends before the structure it should hold.
    Truncated {
        /// The structure.
        what: &'static str,
        /// Bytes it needs.
        need: u64,
        /// Bytes present.
        have: u64,
    },
    /// `e_ident[0..4]` is not `\x7fELF`.
    BadMagic([u8; 4]),
    /// A field holds a value this kernel does not accept.
    BadField {
        /// The field's name.
        field: &'static str,
        /// Its value.
        value: u64,
    },
    /// Adding or multiplying sizes and offsets from the header overflows.
    Overflow {
        /// What was being computed.
        what: &'static str,
    },
    /// Two PT_LOAD segments map some of the same bytes of old memory (`p_offset` ranges)
    /// through the same mapping (equal `p_vaddr - p_offset`).
    Overlap {
        /// `p_offset` of the segment earlier in the table.
        first: u64,
        /// `p_offset` of the later one.
        second: u64,
    },
    /// A segment reaches beyond the old memory the capture kernel can address.
    BeyondMemory {
        /// `"PT_LOAD"` or `"PT_NOTE"`.
        what: &'static str,
        /// Its `p_offset`: where it is in old memory.
        offset: u64,
        /// Its `p_memsz`.
        size: u64,
        /// One past the highest address accepted.
        limit: u64,
    },
    /// A caller-provided output buffer is too small.
    NoRoom {
        /// The buffer.
        what: &'static str,
        /// Entries or bytes it needs.
        need: u64,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::Truncated { what, need, have } => {
                write!(f, "{what} is truncated: needs {need} bytes, has {have}")
            }
            Error::BadMagic(m) => write!(f, "bad ELF magic {m:02x?}"),
            Error::BadField { field, value } => write!(f, "bad {field} {value:#x}"),
            Error::Overflow { what } => write!(f, "{what} overflows"),
            Error::Overlap { first, second } => write!(
                f,
                "PT_LOAD p_offset {second:#x} overlaps PT_LOAD at p_offset {first:#x}"
            ),
            Error::BeyondMemory {
                what,
                offset,
                size,
                limit,
            } => write!(
                f,
                "{what} p_offset {offset:#x} p_memsz {size:#x} is beyond old memory \
                 (ends at {limit:#x})"
            ),
            Error::NoRoom { what, need } => write!(f, "no room for {what} (needs {need})"),
        }
    }
}

/// ELF class of an elfcorehdr.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// `ELFCLASS32`, from `kexec --elf32-core-headers`.
    Elf32,
    /// `ELFCLASS64`.
    Elf64,
}

impl Class {
    /// `sizeof(Elf{32,64}_Ehdr)`.
    pub const fn ehdr_size(self) -> usize {
        match self {
            Class::Elf32 => 52,
            Class::Elf64 => 64,
        }
    }

    /// `sizeof(Elf{32,64}_Phdr)`.
    pub const fn phdr_size(self) -> usize {
        match self {
            Class::Elf32 => 32,
            Class::Elf64 => 56,
        }
    }
}

/// Reads `e_ident` and says which class of header follows.
pub fn parse_ident(ident: &[u8]) -> Result<Class, Error> {
    let ident = take(ident, 0, EI_NIDENT, "e_ident")?;
    let mut magic = [0; 4];
    magic.copy_from_slice(take(ident, 0, 4, "e_ident")?);
    if magic != ELFMAG {
        return Err(Error::BadMagic(magic));
    }
    match byte(ident, EI_CLASS)? {
        1 => Ok(Class::Elf32),
        2 => Ok(Class::Elf64),
        c => Err(Error::BadField {
            field: "EI_CLASS",
            value: c.into(),
        }),
    }
}

/// The fields of an ELF header the capture kernel uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ehdr {
    /// ELF32 or ELF64.
    pub class: Class,
    /// `e_phoff`: where the program header table starts.
    pub phoff: u64,
    /// `e_phnum`: how many program headers there are.
    pub phnum: u16,
}

impl Ehdr {
    /// Bytes of the ELF header and the program header table, as the kernel reads them
    /// (`elfcorebuf_sz_orig`): the table is taken to follow the header.
    pub fn headers_size(&self) -> usize {
        self.class.ehdr_size() + usize::from(self.phnum) * self.class.phdr_size()
    }
}

/// Checks an ELF header as `parse_crash_elf{64,32}_headers()` do, plus what they leave
/// unchecked (`e_phoff` must point right after the header, `e_phnum` within bounds, data
/// little-endian), and returns its fields.
pub fn parse_ehdr(buf: &[u8], machine: u16) -> Result<Ehdr, Error> {
    let class = parse_ident(buf)?;
    let h = take(buf, 0, class.ehdr_size(), "ELF header")?;
    if byte(h, EI_DATA)? != ELFDATA2LSB {
        return bad("EI_DATA", byte(h, EI_DATA)?.into());
    }
    if byte(h, EI_VERSION)? != EV_CURRENT {
        return bad("EI_VERSION", byte(h, EI_VERSION)?.into());
    }
    let e_type = u16_at(h, 16)?;
    if e_type != ET_CORE {
        return bad("e_type", e_type.into());
    }
    let e_machine = u16_at(h, 18)?;
    if e_machine != machine {
        return bad("e_machine", e_machine.into());
    }
    let e_version = u32_at(h, 20)?;
    if e_version != u32::from(EV_CURRENT) {
        return bad("e_version", e_version.into());
    }
    // Offsets of e_phoff, e_ehsize, e_phentsize, e_phnum in each class.
    let (phoff, at) = match class {
        Class::Elf32 => (u64::from(u32_at(h, 28)?), 40),
        Class::Elf64 => (u64_at(h, 32)?, 52),
    };
    let ehsize = u16_at(h, at)?;
    if usize::from(ehsize) != class.ehdr_size() {
        return bad("e_ehsize", ehsize.into());
    }
    let phentsize = u16_at(h, at + 2)?;
    if usize::from(phentsize) != class.phdr_size() {
        return bad("e_phentsize", phentsize.into());
    }
    let phnum = u16_at(h, at + 4)?;
    if phnum == 0 || phnum > MAX_PHNUM {
        return bad("e_phnum", phnum.into());
    }
    if phoff != class.ehdr_size() as u64 {
        return bad("e_phoff", phoff);
    }
    Ok(Ehdr {
        class,
        phoff,
        phnum,
    })
}

/// A program header, widened to 64 bits whatever its class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Phdr {
    /// `p_type`.
    pub p_type: u32,
    /// `p_flags`.
    pub p_flags: u32,
    /// `p_offset`: for PT_LOAD in an elfcorehdr, the physical address of the memory.
    pub p_offset: u64,
    /// `p_vaddr`.
    pub p_vaddr: u64,
    /// `p_paddr`.
    pub p_paddr: u64,
    /// `p_filesz`.
    pub p_filesz: u64,
    /// `p_memsz`.
    pub p_memsz: u64,
    /// `p_align`.
    pub p_align: u64,
}

/// Reads program header `index` of the table in `headers` (ELF header + table).
pub fn read_phdr(headers: &[u8], class: Class, index: usize) -> Result<Phdr, Error> {
    let off = phdr_offset(class, index)?;
    let p = take(headers, off, class.phdr_size(), "program header table")?;
    Ok(match class {
        Class::Elf64 => Phdr {
            p_type: u32_at(p, 0)?,
            p_flags: u32_at(p, 4)?,
            p_offset: u64_at(p, 8)?,
            p_vaddr: u64_at(p, 16)?,
            p_paddr: u64_at(p, 24)?,
            p_filesz: u64_at(p, 32)?,
            p_memsz: u64_at(p, 40)?,
            p_align: u64_at(p, 48)?,
        },
        Class::Elf32 => Phdr {
            p_type: u32_at(p, 0)?,
            p_offset: u32_at(p, 4)?.into(),
            p_vaddr: u32_at(p, 8)?.into(),
            p_paddr: u32_at(p, 12)?.into(),
            p_filesz: u32_at(p, 16)?.into(),
            p_memsz: u32_at(p, 20)?.into(),
            p_flags: u32_at(p, 24)?,
            p_align: u32_at(p, 28)?.into(),
        },
    })
}

/// Writes `phdr` as program header `index`; for ELF32 the values must fit in 32 bits.
pub fn write_phdr(
    headers: &mut [u8],
    class: Class,
    index: usize,
    phdr: &Phdr,
) -> Result<(), Error> {
    let off = phdr_offset(class, index)?;
    let end = off.checked_add(class.phdr_size()).ok_or(Error::Overflow {
        what: "program header offset",
    })?;
    let have = headers.len() as u64;
    let p = headers.get_mut(off..end).ok_or(Error::Truncated {
        what: "program header table",
        need: end as u64,
        have,
    })?;
    match class {
        Class::Elf64 => {
            put(p, 0, &phdr.p_type.to_le_bytes());
            put(p, 4, &phdr.p_flags.to_le_bytes());
            put(p, 8, &phdr.p_offset.to_le_bytes());
            put(p, 16, &phdr.p_vaddr.to_le_bytes());
            put(p, 24, &phdr.p_paddr.to_le_bytes());
            put(p, 32, &phdr.p_filesz.to_le_bytes());
            put(p, 40, &phdr.p_memsz.to_le_bytes());
            put(p, 48, &phdr.p_align.to_le_bytes());
        }
        Class::Elf32 => {
            put(p, 0, &phdr.p_type.to_le_bytes());
            put(p, 4, &narrow(phdr.p_offset, "p_offset")?.to_le_bytes());
            put(p, 8, &narrow(phdr.p_vaddr, "p_vaddr")?.to_le_bytes());
            put(p, 12, &narrow(phdr.p_paddr, "p_paddr")?.to_le_bytes());
            put(p, 16, &narrow(phdr.p_filesz, "p_filesz")?.to_le_bytes());
            put(p, 20, &narrow(phdr.p_memsz, "p_memsz")?.to_le_bytes());
            put(p, 24, &phdr.p_flags.to_le_bytes());
            put(p, 28, &narrow(phdr.p_align, "p_align")?.to_le_bytes());
        }
    }
    Ok(())
}

/// Writes `e_phnum` into the ELF header at the start of `headers`.
pub fn write_phnum(headers: &mut [u8], class: Class, phnum: u16) -> Result<(), Error> {
    let at = match class {
        Class::Elf32 => 44,
        Class::Elf64 => 56,
    };
    let have = headers.len() as u64;
    let p = headers.get_mut(at..at + 2).ok_or(Error::Truncated {
        what: "ELF header",
        need: at as u64 + 2,
        have,
    })?;
    p.copy_from_slice(&phnum.to_le_bytes());
    Ok(())
}

fn phdr_offset(class: Class, index: usize) -> Result<usize, Error> {
    index
        .checked_mul(class.phdr_size())
        .and_then(|o| o.checked_add(class.ehdr_size()))
        .ok_or(Error::Overflow {
            what: "program header offset",
        })
}

fn narrow(v: u64, field: &'static str) -> Result<u32, Error> {
    u32::try_from(v).map_err(|_| Error::BadField { field, value: v })
}

fn bad<T>(field: &'static str, value: u64) -> Result<T, Error> {
    Err(Error::BadField { field, value })
}

/// `len` bytes of `buf` from `off`, or a `Truncated` error naming `what`.
pub(crate) fn take<'a>(
    buf: &'a [u8],
    off: usize,
    len: usize,
    what: &'static str,
) -> Result<&'a [u8], Error> {
    off.checked_add(len)
        .and_then(|end| buf.get(off..end))
        .ok_or(Error::Truncated {
            what,
            need: off as u64 + len as u64,
            have: buf.len() as u64,
        })
}

fn put(dst: &mut [u8], off: usize, bytes: &[u8]) {
    if let Some(d) = dst.get_mut(off..off + bytes.len()) {
        d.copy_from_slice(bytes);
    }
}

fn byte(b: &[u8], off: usize) -> Result<u8, Error> {
    b.get(off).copied().ok_or(Error::Truncated {
        what: "ELF header",
        need: off as u64 + 1,
        have: b.len() as u64,
    })
}

fn array<const N: usize>(b: &[u8], off: usize) -> Result<[u8; N], Error> {
    let mut a = [0; N];
    a.copy_from_slice(take(b, off, N, "ELF structure")?);
    Ok(a)
}

pub(crate) fn u16_at(b: &[u8], off: usize) -> Result<u16, Error> {
    Ok(u16::from_le_bytes(array(b, off)?))
}

pub(crate) fn u32_at(b: &[u8], off: usize) -> Result<u32, Error> {
    Ok(u32::from_le_bytes(array(b, off)?))
}

pub(crate) fn u64_at(b: &[u8], off: usize) -> Result<u64, Error> {
    Ok(u64::from_le_bytes(array(b, off)?))
}
