// SPDX-License-Identifier: GPL-2.0

//! Building elfcorehdrs for tests, as kexec-tools writes them. Only tests need this, so it lives
//! here and not in the kernel's `vmcore/elf.rs`.

use crate::elf::{self, Class, Error, Phdr, PT_LOAD, PT_NOTE};

/// A PT_NOTE header for `size` bytes of notes at physical address `offset`.
pub fn note(offset: u64, size: u64) -> Phdr {
    Phdr {
        p_type: PT_NOTE,
        p_offset: offset,
        p_memsz: size,
        p_filesz: size,
        ..Phdr::default()
    }
}

/// A PT_LOAD header for `size` bytes of memory at physical address `paddr`, mapped at `vaddr`.
pub fn load(paddr: u64, size: u64, vaddr: u64) -> Phdr {
    Phdr {
        p_type: PT_LOAD,
        p_flags: 7,
        p_offset: paddr,
        p_vaddr: vaddr,
        p_paddr: paddr,
        p_filesz: size,
        p_memsz: size,
        p_align: 0,
    }
}

/// Writes an elfcorehdr's ELF header (core file, x86_64, little-endian, the table right after
/// the header, `phnum` entries) at the start of `headers`.
pub fn write_ehdr(headers: &mut [u8], class: Class, phnum: u16) -> Result<(), Error> {
    let have = headers.len() as u64;
    let h = headers
        .get_mut(..class.ehdr_size())
        .ok_or(Error::Truncated {
            what: "ELF header",
            need: class.ehdr_size() as u64,
            have,
        })?;
    h.fill(0);
    let mut put = |off: usize, bytes: &[u8]| h[off..off + bytes.len()].copy_from_slice(bytes);
    put(0, &elf::ELFMAG);
    put(4, &[if class == Class::Elf64 { 2 } else { 1 }]); // EI_CLASS
    put(5, &[1]); // EI_DATA: ELFDATA2LSB
    put(6, &[elf::EV_CURRENT]); // EI_VERSION
    put(16, &elf::ET_CORE.to_le_bytes());
    put(18, &elf::EM_X86_64.to_le_bytes());
    put(20, &u32::from(elf::EV_CURRENT).to_le_bytes());
    let at = match class {
        Class::Elf64 => {
            put(32, &(class.ehdr_size() as u64).to_le_bytes());
            52
        }
        Class::Elf32 => {
            put(28, &(class.ehdr_size() as u32).to_le_bytes());
            40
        }
    };
    put(at, &(class.ehdr_size() as u16).to_le_bytes());
    put(at + 2, &(class.phdr_size() as u16).to_le_bytes());
    put(at + 4, &phnum.to_le_bytes());
    Ok(())
}

/// An elfcorehdr with `phdrs`, as kexec-tools writes one: ELF header, then the table.
pub fn build(class: Class, phdrs: &[Phdr]) -> Vec<u8> {
    let mut h = vec![0u8; class.ehdr_size() + phdrs.len() * class.phdr_size()];
    write_ehdr(&mut h, class, phdrs.len() as u16).expect("buffer sized for the header");
    for (i, p) in phdrs.iter().enumerate() {
        elf::write_phdr(&mut h, class, i, p).expect("buffer sized for the table");
    }
    h
}
