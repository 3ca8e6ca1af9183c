// SPDX-License-Identifier: GPL-2.0

//! `vmcore_init()`: reads the elfcorehdr the crashed kernel left, checks it, merges its notes,
//! lays out the file and creates the proc entry.

use kernel::prelude::*;

use crate::dump::{self, Vmcore};
use crate::elf;
use crate::layout::{self, Chunk, LoadSpan};
use crate::sys;
use crate::vbuf::VBuf;
use crate::PAGE;

/// `ELF_ARCH`: this architecture's `e_machine`, the one C's `vmcore_elf64_check_arch()`
/// accepts (bindgen has no `ELF_ARCH` for arm64).
#[cfg(CONFIG_X86_64)]
const ELF_ARCH: u16 = kernel::bindings::EM_X86_64 as u16;
#[cfg(CONFIG_ARM64)]
const ELF_ARCH: u16 = kernel::bindings::EM_AARCH64 as u16;

/// Why the elfcorehdr was not turned into a dump. Logged once, by [`init`].
enum Failure {
    /// The header itself is wrong: the error names the field and its value.
    Header(elf::Error),
    /// The kernel could not do something: what, and the error.
    Kernel(&'static str, Error),
}

impl From<elf::Error> for Failure {
    fn from(e: elf::Error) -> Self {
        Failure::Header(e)
    }
}

/// Maps a kernel error to a [`Failure`] saying what failed.
fn failed<E: Into<Error>>(what: &'static str) -> impl FnOnce(E) -> Failure {
    move |e| Failure::Kernel(what, e.into())
}

/// A buffer length for `v` bytes, page-rounded.
fn page_len(v: u64) -> Result<usize, Failure> {
    let v = layout::page_up(v.max(1), PAGE)?;
    usize::try_from(v).map_err(|_| {
        elf::Error::Overflow {
            what: "buffer size",
        }
        .into()
    })
}

/// `n` zeroed entries in a fallibly allocated vector.
fn zeroed<T: Default + Clone>(n: usize, what: &'static str) -> Result<KVec<T>, Failure> {
    let mut v = KVec::with_capacity(n, GFP_KERNEL).map_err(failed(what))?;
    for _ in 0..n {
        v.push(T::default(), GFP_KERNEL).map_err(failed(what))?;
    }
    Ok(v)
}

/// Reads and checks the elfcorehdr at `addr` (`size` bytes if known, else 0) and lays out the
/// dump (`parse_crash_elf_headers()`). Nothing outside the header is read before the header
/// says where it is and that it lies in old memory.
fn parse(addr: u64, size: u64) -> Result<Vmcore, Failure> {
    let limit = sys::phys_limit();
    let mut ident = [0u8; elf::EI_NIDENT];
    sys::elfcorehdr_read(&mut ident, addr).map_err(failed("reading e_ident"))?;
    let class = elf::parse_ident(&ident)?;
    let mut eh = [0u8; 64];
    let eh = eh
        .get_mut(..class.ehdr_size())
        .ok_or(elf::Error::Overflow { what: "e_ehsize" })?;
    sys::elfcorehdr_read(eh, addr).map_err(failed("reading the ELF header"))?;
    let ehdr = elf::parse_ehdr(eh, ELF_ARCH)?;
    let hsize = ehdr.headers_size();
    if size != 0 && hsize as u64 > size {
        return Err(elf::Error::Truncated {
            what: "program header table",
            need: hsize as u64,
            have: size,
        }
        .into());
    }

    let mut headers = VBuf::new(page_len(hsize as u64)?).map_err(failed("header buffer"))?;
    let table = headers
        .as_mut_slice()
        .get_mut(..hsize)
        .ok_or(elf::Error::Overflow { what: "headers" })?;
    sys::elfcorehdr_read(table, addr).map_err(failed("reading the program headers"))?;

    // The note segments, checked before any is read and kept before merging rewrites the table.
    let nr_notes = layout::for_each_note(headers.as_slice(), &ehdr, |_, _| Ok(()))?;
    let mut notes_ph = KVec::with_capacity(nr_notes, GFP_KERNEL).map_err(failed("notes"))?;
    let mut max_memsz = 0;
    layout::for_each_note(headers.as_slice(), &ehdr, |_, p| {
        layout::check_note(p, limit)?;
        max_memsz = max_memsz.max(p.p_memsz);
        notes_ph
            .push(*p, GFP_KERNEL)
            .map_err(|_| elf::Error::NoRoom {
                what: "note headers",
                need: nr_notes as u64,
            })
    })?;

    // The real size of each note segment (`update_note_header_size_elf64()`).
    let mut real = KVec::with_capacity(nr_notes, GFP_KERNEL).map_err(failed("notes"))?;
    let mut scratch = VBuf::new(page_len(max_memsz)?).map_err(failed("note buffer"))?;
    for p in notes_ph.iter() {
        let buf = usize::try_from(p.p_memsz)
            .ok()
            .and_then(|n| scratch.as_mut_slice().get_mut(..n))
            .ok_or(elf::Error::Overflow { what: "p_memsz" })?;
        sys::elfcorehdr_read_notes(buf, p.p_offset).map_err(failed("reading a PT_NOTE segment"))?;
        let ns = layout::note_segment_size(buf);
        if let Some((namesz, descsz)) = ns.dropped {
            pr_warn!(
                "Warning: Exceeded p_memsz, dropping PT_NOTE entry \
                 n_namesz=0x{:x}, n_descsz=0x{:x}\n",
                namesz,
                descsz
            );
        }
        real.push(ns.real, GFP_KERNEL).map_err(failed("notes"))?;
    }
    drop(scratch);

    let merged = layout::merge_notes(headers.as_mut_slice(), &ehdr, &real, PAGE)?;
    let mut notes = VBuf::new(page_len(merged.notes_size)?).map_err(failed("notes buffer"))?;
    let mut off = 0usize;
    for (p, r) in notes_ph.iter().zip(real.iter()) {
        let buf = usize::try_from(*r)
            .ok()
            .and_then(|r| notes.as_mut_slice().get_mut(off..off.checked_add(r)?))
            .ok_or(elf::Error::Overflow { what: "notes" })?;
        off += buf.len();
        sys::elfcorehdr_read_notes(buf, p.p_offset).map_err(failed("copying notes"))?;
    }

    let nr_loads = layout::count_loads(headers.as_slice(), class, merged.phnum)?;
    let mut chunks = zeroed::<Chunk>(nr_loads, "chunks")?;
    let mut spans = zeroed::<LoadSpan>(nr_loads, "PT_LOAD spans")?;
    let slice = headers.as_mut_slice();
    layout::place_loads(slice, class, &merged, PAGE, limit, &mut chunks, &mut spans)?;

    Ok(Vmcore {
        headers,
        elf_size: merged.elf_size,
        notes,
        notes_size: merged.notes_size,
        chunks,
        encrypted: sys::mem_encrypted(),
    })
}

/// Parses the elfcorehdr and creates the proc entry (`vmcore_init()`). A refused header is
/// logged here, once, with what was wrong.
pub(crate) fn init() -> Result {
    #[cfg(CONFIG_PROC_VMCORE_RUST)]
    sys::elfcorehdr_alloc()?;
    if !sys::is_vmcore_usable() {
        return Ok(());
    }
    let (addr, size) = sys::elfcorehdr();
    let parsed = parse(addr, size);
    #[cfg(CONFIG_PROC_VMCORE_RUST)]
    sys::elfcorehdr_free(addr);
    let vm = match parsed {
        Ok(vm) => vm,
        Err(Failure::Header(e)) => {
            pr_err!("elfcorehdr at {:#x}: {}\n", addr, e);
            pr_err!("Kdump: vmcore not initialized\n");
            return Err(EINVAL);
        }
        Err(Failure::Kernel(what, e)) => {
            pr_err!(
                "elfcorehdr at {:#x}: {} failed: errno {}\n",
                addr,
                what,
                e.to_errno()
            );
            pr_err!("Kdump: vmcore not initialized\n");
            return Err(e);
        }
    };
    #[cfg(CONFIG_PROC_VMCORE_RUST)]
    sys::vmcore_unusable();

    let size = vm.file().size();
    let Ok(vm) = KBox::new(vm, GFP_KERNEL) else {
        pr_err!("no memory for the dump's description\n");
        pr_err!("Kdump: vmcore not initialized\n");
        return Err(ENOMEM);
    };
    dump::publish(vm);
    // As vmcore_init(), a failure to create the entry is not reported.
    if let Ok(pde) = crate::proc_file::create(size) {
        dump::set_entry(pde);
    }
    Ok(())
}
