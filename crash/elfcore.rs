// SPDX-License-Identifier: GPL-2.0

//! The elfcorehdr a crashed kernel hands its capture kernel, built from memory ranges
//! (`crash_prepare_elf64_headers()`), and the removal of a range from such a list
//! (`crash_exclude_mem_range()`).
//!
//! Pure logic with no kernel bindings, shared with the host crate, which checks both against a
//! line-by-line port of C on thousands of random range lists, and parses every header built here
//! with the vmcore provider's parser.
//!
//! C side: [`kernel/crash_core.c`](srctree/kernel/crash_core.c). Both run when a crash kernel is
//! loaded with `kexec_file_load` and on crash hotplug, never on the panic path.

use crate::elf::{self, Class, Phdr, ELFMAG, ET_CORE, EV_CURRENT, PT_LOAD, PT_NOTE};

/// Size of an ELF64 header.
pub const EHDR_SIZE: usize = Class::Elf64.ehdr_size();
/// Size of an ELF64 program header.
pub const PHDR_SIZE: usize = Class::Elf64.phdr_size();
/// `PF_R | PF_W | PF_X`.
const PF_RWX: u32 = 7;

/// A range of physical memory, both ends included: C's `struct range` in `struct crash_mem`,
/// with its layout.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Range {
    /// First byte.
    pub start: u64,
    /// Last byte.
    pub end: u64,
}

/// Splitting a range needs one more entry than the list has room for: C's `-ENOMEM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full {
    /// Entries the list has room for.
    pub max: usize,
}

/// How many entries of a `struct crash_mem` hold or may hold ranges: C trusts `nr_ranges`
/// entries to be there whatever `max_nr_ranges` says, and reads `max_nr_ranges` only to refuse
/// a split (x86's `crash_setup_memmap_entries()` leaves it 0 for its one-range list).
pub fn entries(nr_ranges: u32, max_nr_ranges: u32) -> usize {
    nr_ranges.max(max_nr_ranges) as usize
}

/// `crash_exclude_mem_range()`: removes `[mstart, mend]` from the ascending, disjoint ranges
/// `ranges[..*nr]`, in place, as C does: a range it covers goes, one it cuts is shortened, one
/// it falls inside is split in two. `ranges.len()` is the room the list has (C's
/// `max_nr_ranges`); a split without room is refused with [`Full`], after the ranges before it
/// have been cut (as C leaves them).
pub fn exclude(ranges: &mut [Range], nr: &mut usize, mstart: u64, mend: u64) -> Result<(), Full> {
    let max = ranges.len();
    let mut n = (*nr).min(max);
    let mut i = 0;
    let mut result = Ok(());
    while let Some(&Range { start, end }) = ranges.get(i).filter(|_| i < n) {
        if mstart > end {
            i += 1;
            continue;
        }
        // The ranges ascend: none after this one can meet the hole either.
        if mend < start {
            break;
        }
        let (p_start, p_end) = (mstart.max(start), mend.min(end));
        if p_start == start && p_end == end {
            // Covered: the later ranges move down over it, and the same index is seen again.
            if let Some(rest) = ranges.get_mut(i..n) {
                rest.rotate_left(1);
            }
            n -= 1;
            continue;
        }
        if p_start > start && p_end < end {
            // Inside: the range becomes two, the later ones move up. The cut ends lie strictly
            // inside the range, so the sums below cannot wrap.
            if n >= max {
                result = Err(Full { max });
                break;
            }
            if let Some(rest) = ranges.get_mut(i + 1..n + 1) {
                rest.rotate_right(1);
            }
            if let Some([low, high]) = ranges.get_mut(i..i + 2) {
                low.end = p_start.wrapping_sub(1);
                *high = Range {
                    start: p_end.wrapping_add(1),
                    end,
                };
            }
            n += 1;
            i += 2;
            continue;
        }
        // The sums cannot wrap: a cut end lies strictly inside the range.
        if let Some(r) = ranges.get_mut(i) {
            if p_start != start {
                r.end = p_start.wrapping_sub(1);
            } else {
                r.start = p_end.wrapping_add(1);
            }
        }
        i += 1;
    }
    *nr = n;
    result
}

/// The kernel-text mapping an elfcorehdr may carry besides the direct map of each range, so
/// that tools that look at kernel text by its link address (gdb) find it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelText {
    /// `_text`.
    pub vaddr: u64,
    /// `__pa_symbol(_text)`.
    pub paddr: u64,
    /// `_end - _text`.
    pub size: u64,
}

/// What an elfcorehdr says besides the memory ranges: where the notes are and how the memory
/// is mapped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CoreInfo {
    /// `e_machine` (`ELF_ARCH`).
    pub machine: u16,
    /// `e_ident[EI_OSABI]` (`ELF_OSABI`).
    pub osabi: u8,
    /// Size of a CPU's crash note buffer (`sizeof(note_buf_t)`).
    pub cpu_note_size: u64,
    /// Physical address of the vmcoreinfo note (`paddr_vmcoreinfo_note()`).
    pub vmcoreinfo_note: u64,
    /// Its size (`VMCOREINFO_NOTE_SIZE`).
    pub vmcoreinfo_size: u64,
    /// The kernel-text PT_LOAD, when the caller asks for it (`need_kernel_map`).
    pub kernel_text: Option<KernelText>,
    /// Where the direct map puts physical address 0 (`__va(0)`, `PAGE_OFFSET`).
    pub page_offset: u64,
    /// What the header's size is rounded up to (`ELF_CORE_HEADER_ALIGN`), a power of two.
    pub align: usize,
}

/// The size of the elfcorehdr for `cpus` CPUs and `ranges` memory ranges: the ELF header and a
/// program header for each CPU's note, the vmcoreinfo note, the kernel text (counted whether
/// or not it is asked for, as C counts it) and each range, rounded up to `align`. `None` if it
/// overflows.
pub fn headers_size(cpus: usize, ranges: usize, align: usize) -> Option<usize> {
    let phdrs = cpus.checked_add(ranges)?.checked_add(2)?;
    let size = phdrs.checked_mul(PHDR_SIZE)?.checked_add(EHDR_SIZE)?;
    let mask = align.checked_sub(1)?;
    Some(size.checked_add(mask)? & !mask)
}

/// The buffer cannot hold the program headers: it was sized for fewer CPUs or ranges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooSmall {
    /// Program headers written before room ran out.
    pub written: usize,
}

/// `crash_prepare_elf64_headers()` into `buf`, which [`headers_size`] sized: zeroes it, then
/// writes the ELF header and, in C's order, a PT_NOTE for each of `cpu_notes` (the physical
/// address of each possible CPU's note buffer), one for the vmcoreinfo note, the kernel text's
/// PT_LOAD if asked for, and a PT_LOAD for each range, mapped where the direct map has it.
/// Like C, `e_phnum` counts the headers written and wraps past 65535.
pub fn write_headers(
    buf: &mut [u8],
    info: &CoreInfo,
    cpu_notes: impl IntoIterator<Item = u64>,
    ranges: &[Range],
) -> Result<(), TooSmall> {
    buf.fill(0);
    let notes = cpu_notes
        .into_iter()
        .map(|paddr| note(paddr, info.cpu_note_size));
    let vmcoreinfo = note(info.vmcoreinfo_note, info.vmcoreinfo_size);
    let text = info.kernel_text.map(|t| Phdr {
        p_type: PT_LOAD,
        p_flags: PF_RWX,
        p_offset: t.paddr,
        p_vaddr: t.vaddr,
        p_paddr: t.paddr,
        p_filesz: t.size,
        p_memsz: t.size,
        p_align: 0,
    });
    let loads = ranges.iter().map(|r| {
        let size = r.end.wrapping_sub(r.start).wrapping_add(1);
        Phdr {
            p_type: PT_LOAD,
            p_flags: PF_RWX,
            p_offset: r.start,
            p_vaddr: r.start.wrapping_add(info.page_offset),
            p_paddr: r.start,
            p_filesz: size,
            p_memsz: size,
            p_align: 0,
        }
    });
    let mut written = 0usize;
    for p in notes.chain(Some(vmcoreinfo)).chain(text).chain(loads) {
        if elf::write_phdr(buf, Class::Elf64, written, &p).is_err() {
            return Err(TooSmall { written });
        }
        written += 1;
    }
    write_ehdr(buf, info, written as u16).ok_or(TooSmall { written })
}

/// A PT_NOTE for `size` bytes of notes at physical address `paddr`.
fn note(paddr: u64, size: u64) -> Phdr {
    Phdr {
        p_type: PT_NOTE,
        p_offset: paddr,
        p_paddr: paddr,
        p_filesz: size,
        p_memsz: size,
        ..Phdr::default()
    }
}

/// The ELF header of an elfcorehdr with `phnum` program headers right after it.
fn write_ehdr(buf: &mut [u8], info: &CoreInfo, phnum: u16) -> Option<()> {
    let h = buf.get_mut(..EHDR_SIZE)?;
    let fields: [(usize, &[u8]); 11] = [
        (0, &ELFMAG),
        (4, &[2]), // EI_CLASS: ELFCLASS64
        (5, &[1]), // EI_DATA: ELFDATA2LSB
        (6, &[EV_CURRENT]),
        (7, &[info.osabi]),
        (16, &ET_CORE.to_le_bytes()),
        (18, &info.machine.to_le_bytes()),
        (20, &u32::from(EV_CURRENT).to_le_bytes()),
        (32, &(EHDR_SIZE as u64).to_le_bytes()), // e_phoff
        (52, &(EHDR_SIZE as u16).to_le_bytes()), // e_ehsize
        (54, &(PHDR_SIZE as u16).to_le_bytes()), // e_phentsize
    ];
    for (at, bytes) in fields {
        h.get_mut(at..at + bytes.len())?.copy_from_slice(bytes);
    }
    elf::write_phnum(buf, Class::Elf64, phnum).ok()
}
