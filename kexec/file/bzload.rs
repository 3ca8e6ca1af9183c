// SPDX-License-Identifier: GPL-2.0

//! The bzImage64 loader's kernel side: `bzImage64_load()` and `kexec_load_purgatory()` place
//! their buffers with [`place`], the pure cores lay out and fill them, and
//! `kexec_calculate_store_digests()` hashes the segments for the purgatory to check.

use core::ptr;
use kernel::alloc::flags::GFP_KERNEL;
use kernel::alloc::KVec;
use kernel::bindings;
use kernel::error::to_result;
use kernel::ffi::{c_int, c_ulong, c_void};
use kernel::kexec::{Kimage, KimageKind};
use kernel::page::PAGE_SIZE;
use kernel::prelude::*;

use super::bootparams::{
    self, Efi, Inputs, Running, BOOT_PARAMS, E820, E820_ACPI, E820_ENTRY, E820_MAX, E820_NVS,
    E820_RAM, E820_RESERVED,
};
use super::dbg::dprintk;
use super::digest;
use super::hole::Request;
use super::input::Input;
use super::place;
use super::purgatory::{self, Placed, Purgatory};

const PAGE: u64 = PAGE_SIZE as u64;
const MIN_PURGATORY_ADDR: u64 = 0x3000;
const MIN_BOOTPARAM_ADDR: u64 = 0x3000;
const MIN_INITRD_LOAD_ADDR: u64 = 0x100_0000;
const MAX_ADDR: u64 = c_ulong::MAX as u64;
/// The purgatory's `entry64_regs`, and where the registers the loader sets are in it.
type Regs = bindings::kexec_entry64_regs;
const REGS_SIZE: u64 = core::mem::size_of::<Regs>() as u64;
const REG_RBX: usize = core::mem::offset_of!(Regs, rbx);
const REG_RSI: usize = core::mem::offset_of!(Regs, rsi);
const REG_RSP: usize = core::mem::offset_of!(Regs, rsp);
const REG_RIP: usize = core::mem::offset_of!(Regs, rip);

/// The buffers the image's segments point into (besides the files and, for a crash image,
/// the ELF core headers the image holds), until the segments are copied into the image.
pub(crate) struct Buffers {
    purgatory: Purgatory<'static>,
    placed: KVec<Placed>,
    pbuf: KVec<u8>,
    /// The boot parameters, which only their segment reads.
    _params: KVec<u8>,
}

/// A purgatory fault as C's errno, logged.
fn purgatory_err(r: purgatory::Reason) -> Error {
    pr_err!("purgatory: {}\n", r);
    Error::from_errno(-r.errno())
}

/// `kexec_load_purgatory()`: the purgatory placed, laid out and relocated; sets the image's
/// entry point.
fn load_purgatory(i: &mut Kimage) -> Result<(Purgatory<'static>, KVec<Placed>, KVec<u8>)> {
    let p = purgatory::parse(super::purgatory_object()).map_err(purgatory_err)?;
    let l = p.layout();
    let mut pbuf = KVec::from_elem(0u8, l.bufsz as usize, GFP_KERNEL)?;
    let mut placed = KVec::from_elem(Placed::default(), p.sections(), GFP_KERNEL)?;
    let req = Request {
        memsz: l.memsz,
        align: l.align,
        min: MIN_PURGATORY_ADDR,
        max: MAX_ADDR,
        top_down: true,
    };
    let mem = place::add_buffer(i, pbuf.as_ptr().cast(), pbuf.len(), req, None)?;
    let entry = p
        .place(mem, &mut pbuf, &mut placed)
        .map_err(purgatory_err)?;
    p.relocate(&placed, &mut pbuf).map_err(purgatory_err)?;
    i.set_start(entry as c_ulong);
    dprintk!("Loaded purgatory at {:#x}\n", mem);
    Ok((p, placed, pbuf))
}

/// `bzImage64_load()` after its header checks (made when the input was read): the crash
/// image's ELF core headers, the purgatory, the boot parameters with the command line, the
/// kernel and the initrd, each placed and added as a segment, then the purgatory's registers
/// and the boot parameters filled in.
pub(crate) fn load(i: &mut Kimage, input: &Input) -> Result<Buffers> {
    let bz = input.bzimage()?;
    let plan = input.plan;
    let crash = i.kind() == KimageKind::Crash;
    if crash {
        // SAFETY: a file-mode crash image being built, with no control pages yet: C's
        // function adds its segment through kexec_add_buffer() and records it in the image.
        to_result(unsafe { bindings::crash_load_segments(i.as_raw()) })?;
    }
    let (purgatory, placed, mut pbuf) = load_purgatory(i).inspect_err(|_| {
        pr_err!("Loading purgatory failed\n");
    })?;

    let efi_map_sz = efi_map_size();
    let layout = bootparams::layout(
        input.cmdline.len() as u64,
        efi_map_sz as u64,
        cfg!(CONFIG_IMA_KEXEC),
    )
    .ok_or(EINVAL)?;
    let mut params = KVec::from_elem(0u8, layout.bufsz() as usize, GFP_KERNEL)?;
    let req = Request {
        memsz: layout.bufsz(),
        align: 16,
        min: MIN_BOOTPARAM_ADDR,
        max: MAX_ADDR,
        top_down: true,
    };
    let bp_addr = place::add_buffer(i, params.as_ptr().cast(), params.len(), req, None)?;
    dprintk!(
        "Loaded boot_param, command line and misc at {:#x} bufsz={:#x}\n",
        bp_addr,
        params.len()
    );

    let body = input
        .kernel
        .bytes()
        .get(plan.setup_len as usize..)
        .ok_or(ENOEXEC)?;
    let req = Request {
        memsz: plan.memsz,
        align: plan.align,
        min: plan.min,
        max: MAX_ADDR,
        top_down: true,
    };
    let k_addr = place::add_buffer(i, body.as_ptr().cast(), body.len(), req, None)?;
    dprintk!(
        "Loaded 64bit kernel at {:#x} bufsz={:#x} memsz={:#x}\n",
        k_addr,
        body.len(),
        plan.memsz
    );

    let initrd = match &input.initrd {
        Some(f) => {
            let b = f.bytes();
            let req = Request {
                memsz: b.len() as u64,
                align: PAGE,
                min: MIN_INITRD_LOAD_ADDR,
                max: MAX_ADDR,
                top_down: true,
            };
            let at = place::add_buffer(i, b.as_ptr().cast(), b.len(), req, None)?;
            dprintk!("Loaded initrd at {:#x} bufsz={:#x}\n", at, b.len());
            Some((at, b.len() as u64))
        }
        None => None,
    };

    let regs = purgatory
        .symbol_bytes(&placed, &mut pbuf, b"entry64_regs", REGS_SIZE)
        .map_err(|_| EINVAL)?;
    let stack = match purgatory.symbol_addr(&placed, b"stack_end") {
        // C tests the address with IS_ERR().
        Ok(a) if a < (-(bindings::MAX_ERRNO as i64)) as u64 => a,
        _ => {
            pr_err!("Could not find address of symbol stack_end\n");
            return Err(EINVAL);
        }
    };
    for (at, v) in [
        (REG_RBX, 0),
        (REG_RSI, bp_addr),
        (REG_RIP, k_addr.wrapping_add(0x200)),
        (REG_RSP, stack),
    ] {
        regs.get_mut(at..at + 8)
            .ok_or(EINVAL)?
            .copy_from_slice(&v.to_le_bytes());
    }

    let e820 = memory_map(i)?;
    let mut efi_map = KVec::from_elem(0u8, efi_map_sz, GFP_KERNEL)?;
    let inputs = Inputs {
        header: bz.setup_header(),
        cmdline: &input.cmdline,
        elfcorehdr: crash.then(|| i.elf_load_addr() as u64),
        load_addr: bp_addr,
        initrd,
        e820: &e820,
        efi: efi(&mut efi_map),
        ima: ima(i),
        rng: rng_seed(),
    };
    bootparams::build(&mut params, &layout, &inputs, &running()).map_err(|_| EINVAL)?;
    if super::dbg::debug() {
        // The command line as the new kernel gets it (C's "Final command line is").
        let text = params.get(BOOT_PARAMS as usize..).unwrap_or(&[]);
        let end = text.iter().position(|&c| c == 0).unwrap_or(0);
        if let Some(Ok(s)) = text.get(..end).map(core::str::from_utf8) {
            pr_info!("Final command line is: {}\n", s);
        }
    }
    Ok(Buffers {
        purgatory,
        placed,
        pbuf,
        _params: params,
    })
}

/// The running kernel's `boot_params` and `screen_info`, which the new kernel's copy starts
/// from.
fn running() -> Running<'static> {
    // SAFETY: both are statics set up at boot; the loader only reads them, and the fields it
    // copies do not change after boot.
    unsafe {
        Running {
            boot_params: core::slice::from_raw_parts(
                bindings::kexec_rust_boot_params().cast::<u8>(),
                core::mem::size_of::<bindings::boot_params>(),
            ),
            screen_info: core::slice::from_raw_parts(
                ptr::addr_of!(bindings::screen_info).cast::<u8>(),
                core::mem::size_of::<bindings::screen_info>(),
            ),
        }
    }
}

/// The memory map the new kernel gets: `e820_table_kexec` for a normal image; for a crash
/// image, [`crash_memory_map`].
fn memory_map(i: &Kimage) -> Result<KVec<u8>> {
    if i.kind() == KimageKind::Crash {
        return crash_memory_map(i);
    }
    // SAFETY: `e820_table_kexec` is set up at boot; its `nr_entries` entries are plain packed
    // records, changed only by early boot code.
    let table = unsafe {
        let t = bindings::e820_table_kexec;
        let n = ((*t).nr_entries as usize).min(E820_MAX);
        core::slice::from_raw_parts(ptr::addr_of!((*t).entries).cast::<u8>(), n * E820_ENTRY)
    };
    let mut out = KVec::new();
    out.extend_from_slice(table, GFP_KERNEL)?;
    Ok(out)
}

/// The memory map being built for a crash image, as `add_e820_entry()` fills one: entries past
/// [`E820_MAX`] are dropped.
struct MapBuilder {
    bytes: KVec<u8>,
    kind: u32,
    failed: bool,
}

impl MapBuilder {
    fn push(&mut self, e: E820) {
        if self.bytes.len() / E820_ENTRY < E820_MAX
            && self
                .bytes
                .extend_from_slice(&e.bytes(), GFP_KERNEL)
                .is_err()
        {
            self.failed = true;
        }
    }
}

/// `memmap_entry_callback()`: a resource of the walk as an entry of the builder's kind.
///
/// # Safety
///
/// `res` is a resource the walk holds for the call, and `arg` the `MapBuilder` it was given.
unsafe extern "C" fn map_entry(res: *mut bindings::resource, arg: *mut c_void) -> c_int {
    // SAFETY: as this function's `# Safety` says; the builder is not otherwise used during the
    // walk.
    let (m, r) = unsafe { (&mut *arg.cast::<MapBuilder>(), &*res) };
    m.push(E820 {
        addr: r.start,
        size: r.end.wrapping_sub(r.start).wrapping_add(1),
        kind: m.kind,
    });
    0
}

/// `crash_setup_memmap_entries()`: the capture kernel's memory map, in C's order: RAM below
/// 1 MiB, ACPI tables, ACPI NVS and reserved ranges as the resource tree has them,
/// `crashk_low_res`, then the crashkernel region less the ELF core headers (both pieces where
/// they split it: a crash image placed beside a loaded one has them there; C fails that).
pub(crate) fn crash_memory_map(i: &Kimage) -> Result<KVec<u8>> {
    let mut m = MapBuilder {
        bytes: KVec::new(),
        kind: E820_RAM,
        failed: false,
    };
    let busy = bindings::IORESOURCE_BUSY as c_ulong;
    let mem = bindings::IORESOURCE_MEM as c_ulong;
    let walks = [
        (
            bindings::IORES_DESC_NONE,
            bindings::IORESOURCE_SYSTEM_RAM as c_ulong | busy,
            0,
            (1 << 20) - 1,
            E820_RAM,
        ),
        (
            bindings::IORES_DESC_ACPI_TABLES,
            mem | busy,
            0,
            u64::MAX,
            E820_ACPI,
        ),
        (
            bindings::IORES_DESC_ACPI_NV_STORAGE,
            mem | busy,
            0,
            u64::MAX,
            E820_NVS,
        ),
        (
            bindings::IORES_DESC_RESERVED,
            mem,
            0,
            u64::MAX,
            E820_RESERVED,
        ),
    ];
    for (desc, flags, start, end, kind) in walks {
        m.kind = kind;
        // SAFETY: `map_entry` is a walk callback whose `arg` is `m`, live for the call and not
        // otherwise used during it.
        unsafe {
            bindings::walk_iomem_res_desc(
                desc as c_ulong,
                flags,
                start,
                end,
                ptr::addr_of_mut!(m).cast(),
                Some(map_entry),
            )
        };
    }
    // SAFETY: both regions are set at boot and change only under the kexec lock (shrinking),
    // which a crash image's load compares with what it placed against before publishing.
    let (low, high) = unsafe {
        (
            (bindings::crashk_low_res.start, bindings::crashk_low_res.end),
            (bindings::crashk_res.start, bindings::crashk_res.end),
        )
    };
    if low.1 != 0 {
        m.push(E820 {
            addr: low.0,
            size: low.1.wrapping_sub(low.0).wrapping_add(1),
            kind: E820_RAM,
        });
    }
    let ram = bootparams::crash_ram(
        high.0,
        high.1,
        i.elf_load_addr() as u64,
        i.elf_headers_sz() as u64,
        PAGE,
    );
    for e in ram.into_iter().flatten() {
        m.push(e);
    }
    if m.failed {
        return Err(ENOMEM);
    }
    Ok(m.bytes)
}

/// `efi_get_runtime_map_size()`, 0 without UEFI.
fn efi_map_size() -> usize {
    #[cfg(CONFIG_EFI)]
    // SAFETY: a read of UEFI state set up at boot.
    return unsafe { bindings::kexec_rust_efi_runtime_map_size() } as usize;
    #[cfg(not(CONFIG_EFI))]
    0
}

/// The UEFI state `setup_efi_state()` hands on, with the runtime map copied into `map`.
fn efi(map: &mut KVec<u8>) -> Option<Efi<'_>> {
    #[cfg(CONFIG_EFI)]
    {
        let mut s = bindings::kexec_rust_efi_state::default();
        // SAFETY: `s` is ours to fill; `map` is `map.len()` writable bytes, the size the map
        // had when it was asked for.
        unsafe {
            bindings::kexec_rust_efi_state(&mut s, map.as_mut_ptr().cast(), map.len() as c_ulong)
        };
        Some(Efi {
            acpi20: s.acpi20_valid.then_some(s.acpi20),
            acpi: s.acpi_valid.then_some(s.acpi),
            runtime: s.runtime,
            memdesc_size: s.memdesc_size,
            map: &map[..],
            fw_vendor: s.fw_vendor,
            tables: s.tables,
            smbios: s.smbios,
        })
    }
    #[cfg(not(CONFIG_EFI))]
    {
        let _ = map;
        None
    }
}

/// IMA's measurement buffer for the new kernel (`IMA_KEXEC`).
fn ima(i: &Kimage) -> Option<Option<(u64, u64)>> {
    #[cfg(CONFIG_IMA_KEXEC)]
    {
        // SAFETY: IMA set these fields, if at all, when it added its buffer to this image,
        // which only this load knows.
        let (addr, size) = unsafe {
            let r = &*i.as_raw();
            (r.ima_buffer_addr as u64, r.ima_buffer_size as u64)
        };
        Some(Some((addr, size)))
    }
    #[cfg(not(CONFIG_IMA_KEXEC))]
    {
        let _ = i;
        None
    }
}

/// A seed for the new kernel's random pool, if this kernel's is initialised.
fn rng_seed() -> Option<[u8; 32]> {
    // SAFETY: a query of the random pool's state.
    if !unsafe { bindings::rng_is_initialized() } {
        return None;
    }
    let mut seed = [0u8; 32];
    // SAFETY: `seed` is 32 writable bytes.
    unsafe { bindings::get_random_bytes(seed.as_mut_ptr().cast(), seed.len()) };
    Some(seed)
}

/// Zeroes hashed for the part of a segment past its buffer.
static ZEROES: [u8; 4096] = [0; 4096];

/// The bytes of segment `s` of an image being built by this loader.
///
/// # Safety
///
/// The segment's `kbuf` points at `bufsz` bytes that stay live and unchanged while the slice
/// is used: every segment of an image this loader builds points into a file or buffer of the
/// load (held by the caller) or at the ELF core headers the image holds.
pub(crate) unsafe fn segment_bytes(s: &bindings::kexec_segment) -> &[u8] {
    if s.bufsz == 0 {
        return &[];
    }
    // SAFETY: as this function's `# Safety` says; `kexec_file_load` segments hold kernel
    // pointers in `kbuf`.
    unsafe { core::slice::from_raw_parts(s.__bindgen_anon_1.kbuf.cast::<u8>(), s.bufsz) }
}

/// `kexec_calculate_store_digests()`: the SHA-256 of every segment but the purgatory's own
/// (and, for a crash image, the ELF core headers, which hotplug rewrites), and the regions it
/// covers, written into the purgatory for it to check before it jumps.
pub(crate) fn store_digests(i: &Kimage, b: &mut Buffers) -> Result {
    let mut st = bindings::sha256_state::default();
    // SAFETY: `st` is ours to initialise.
    unsafe { bindings::sha256_init(&mut st) };
    let mut segs = [digest::Segment {
        bufsz: 0,
        mem: 0,
        memsz: 0,
        skip: true,
    }; digest::REGIONS];
    let pbuf = b.pbuf.as_ptr().cast::<c_void>();
    for ((n, s), d) in i.segments().iter().enumerate().zip(segs.iter_mut()) {
        // SAFETY: `kbuf` is the union's member for kexec_file_load segments.
        let kbuf = unsafe { s.__bindgen_anon_1.kbuf }.cast_const();
        #[cfg(CONFIG_CRASH_HOTPLUG)]
        let elfcorehdr = i.elfcorehdr_index() == n as i32;
        #[cfg(not(CONFIG_CRASH_HOTPLUG))]
        let elfcorehdr = {
            let _ = n;
            false
        };
        *d = digest::Segment {
            bufsz: s.bufsz as u64,
            mem: s.mem as u64,
            memsz: s.memsz as u64,
            skip: elfcorehdr || ptr::eq(kbuf, pbuf),
        };
        if d.skip {
            continue;
        }
        // SAFETY: a segment of the image this loader is building, which `b` and the caller's
        // input keep alive.
        let bytes = unsafe { segment_bytes(s) };
        sha256(&mut st, bytes);
        let mut zeroes = digest::zero_tail(d);
        while zeroes != 0 {
            let n = zeroes.min(ZEROES.len() as u64);
            sha256(&mut st, &ZEROES[..n as usize]);
            zeroes -= n;
        }
    }
    let mut out = [0u8; 32];
    // SAFETY: `st` was initialised above; `out` is the 32 bytes of a SHA-256 digest.
    unsafe { bindings::sha256_final(&mut st, out.as_mut_ptr()) };
    let n = i.segments().len().min(digest::REGIONS);
    let regions = digest::regions(&segs[..n]);
    for (name, bytes) in [
        (&b"purgatory_sha_regions"[..], &regions[..]),
        (&b"purgatory_sha256_digest"[..], &out[..]),
    ] {
        b.purgatory
            .symbol_bytes(&b.placed, &mut b.pbuf, name, bytes.len() as u64)
            .map_err(purgatory_err)?
            .copy_from_slice(bytes);
    }
    Ok(())
}

/// `sha256_update()`, whose length is an `unsigned int`, over any length.
fn sha256(st: &mut bindings::sha256_state, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        let (now, rest) = bytes.split_at(bytes.len().min(1 << 30));
        // SAFETY: `st` is initialised; `now` is readable for its length, which fits a u32.
        unsafe { bindings::sha256_update(st, now.as_ptr(), now.len() as u32) };
        bytes = rest;
    }
}
