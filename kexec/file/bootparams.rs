// SPDX-License-Identifier: GPL-2.0

//! The new kernel's `struct boot_params`, with its command line and setup_data behind it, as
//! `bzImage64_load()` and `setup_boot_parameters()` in
//! [`arch/x86/kernel/kexec-bzimage64.c`](srctree/arch/x86/kernel/kexec-bzimage64.c) write them,
//! byte for byte; and a crash kernel's memory map, as `crash_setup_memmap_entries()` in
//! [`arch/x86/kernel/crash.c`](srctree/arch/x86/kernel/crash.c) builds it.
//!
//! Pure logic over byte buffers, shared with the host crate. What comes from the running
//! kernel (its own `boot_params` and `screen_info`, its memory map, EFI's tables, a random
//! seed) is gathered by the kernel-facing layer and passed in as [`Running`] and [`Inputs`];
//! the buffer is the zeroed one of [`Layout::bufsz`] bytes that becomes the segment.
//!
//! The writes are made in C's order, which matters where they overlap: the setup header the
//! image carries may be up to 0x110 bytes and so run past `hdr` into `edd_mbr_sig_buffer` and
//! `e820_table`, and what is written there afterwards replaces it.

use super::le;

/// `sizeof(struct boot_params)`: the command line follows it.
pub const BOOT_PARAMS: u64 = 0x1000;
/// `E820_MAX_ENTRIES_ZEROPAGE`: memory map entries `boot_params` holds.
pub const E820_MAX: usize = 128;
/// `sizeof(struct boot_e820_entry)`.
pub const E820_ENTRY: usize = 20;
/// `E820_TYPE_RAM`.
pub const E820_RAM: u32 = 1;
/// `E820_TYPE_RESERVED`.
pub const E820_RESERVED: u32 = 2;
/// `E820_TYPE_ACPI`.
pub const E820_ACPI: u32 = 3;
/// `E820_TYPE_NVS`.
pub const E820_NVS: u32 = 4;

const SETUP_DATA: u64 = 16;
const EFI_SETUP_DATA: u64 = 96;
const IMA_SETUP_DATA: u64 = 16;
const RNG_SEED_LENGTH: u64 = 32;
const ELFCOREHDR_ROOM: u64 = 30;
const SETUP_EFI: u32 = 4;
const SETUP_IMA: u32 = 8;
const SETUP_RNG_SEED: u32 = 9;

// Offsets in `struct boot_params`.
const SCREEN_INFO: u64 = 0x000;
const SCREEN_INFO_SIZE: u64 = 0x40;
const EXT_MEM_K: u64 = 0x002;
const APM_BIOS_INFO: u64 = 0x040;
const APM_BIOS_INFO_SIZE: u64 = 0x14;
const ACPI_RSDP_ADDR: u64 = 0x070;
const HD0_INFO: u64 = 0x080;
const HD_INFO_SIZE: u64 = 0x20;
const EXT_RAMDISK_IMAGE: u64 = 0x0c0;
const EXT_RAMDISK_SIZE: u64 = 0x0c4;
const EXT_CMD_LINE_PTR: u64 = 0x0c8;
const EFI_INFO: u64 = 0x1c0;
const ALT_MEM_K: u64 = 0x1e0;
const E820_ENTRIES: u64 = 0x1e8;
const EDDBUF_ENTRIES: u64 = 0x1e9;
const SECURE_BOOT: u64 = 0x1ec;
const HDR: u64 = 0x1f1;
const TYPE_OF_LOADER: u64 = 0x210;
const LOADFLAGS: u64 = 0x211;
const RAMDISK_IMAGE: u64 = 0x218;
const RAMDISK_SIZE: u64 = 0x21c;
const CMD_LINE_PTR: u64 = 0x228;
const HARDWARE_SUBARCH: u64 = 0x23c;
const HDR_SETUP_DATA: u64 = 0x250;
const EDD_MBR_SIG_BUFFER: u64 = 0x290;
const EDD_MBR_SIG_SIZE: u64 = 16 * 4;
const E820_TABLE: u64 = 0x2d0;
const EDDBUF: u64 = 0xd00;
const EDDBUF_SIZE: u64 = 6 * 82;

/// Where the parts of the buffer go. Only [`layout`] makes one, so its offsets and size are
/// consistent and do not overflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    efi_map: u64,
    setup_data: u64,
    bufsz: u64,
}

impl Layout {
    /// Where the EFI runtime memory map's copy goes.
    pub fn efi_map(&self) -> u64 {
        self.efi_map
    }

    /// Where the first setup_data goes (EFI's; then IMA's if built, then the random seed's).
    pub fn setup_data(&self) -> u64 {
        self.setup_data
    }

    /// The whole buffer (`kbuf.bufsz`).
    pub fn bufsz(&self) -> u64 {
        self.bufsz
    }
}

/// `bzImage64_load()`'s sizes for a command line of `cmdline_len` bytes (its NUL included), an
/// EFI runtime map of `efi_map_sz` bytes, and room for IMA's setup_data if `ima` (the kernel is
/// built with `IMA_KEXEC`); `None` if they do not fit in 64 bits.
pub fn layout(cmdline_len: u64, efi_map_sz: u64, ima: bool) -> Option<Layout> {
    let cmdline_sz = align16(
        BOOT_PARAMS
            .checked_add(cmdline_len)?
            .checked_add(ELFCOREHDR_ROOM)?,
    )?;
    let setup_data = cmdline_sz.checked_add(align16(efi_map_sz)?)?;
    let tail = SETUP_DATA + EFI_SETUP_DATA + SETUP_DATA + RNG_SEED_LENGTH;
    let ima_sz = if ima { SETUP_DATA + IMA_SETUP_DATA } else { 0 };
    Some(Layout {
        efi_map: cmdline_sz,
        setup_data,
        bufsz: setup_data.checked_add(tail + ima_sz)?,
    })
}

fn align16(x: u64) -> Option<u64> {
    Some(x.checked_add(15)? & !15)
}

/// What the running kernel hands on: its own `boot_params` (`BOOT_PARAMS` bytes) and
/// `screen_info` (0x40 bytes).
#[derive(Clone, Copy, Debug)]
pub struct Running<'a> {
    /// The running kernel's `boot_params`.
    pub boot_params: &'a [u8],
    /// The running kernel's `screen_info`.
    pub screen_info: &'a [u8],
}

/// The running kernel's EFI state, for a kernel built with `CONFIG_EFI`.
#[derive(Clone, Copy, Debug)]
pub struct Efi<'a> {
    /// `efi.acpi20`, unless `EFI_INVALID_TABLE_ADDR`.
    pub acpi20: Option<u64>,
    /// `efi.acpi`, unless `EFI_INVALID_TABLE_ADDR`.
    pub acpi: Option<u64>,
    /// `efi_enabled(EFI_RUNTIME_SERVICES)`.
    pub runtime: bool,
    /// `efi_get_runtime_map_desc_size()`.
    pub memdesc_size: u32,
    /// The runtime memory map (`efi_runtime_map_copy()`), as many bytes as [`layout`] was
    /// given.
    pub map: &'a [u8],
    /// `efi_fw_vendor`.
    pub fw_vendor: u64,
    /// `efi_config_table`.
    pub tables: u64,
    /// `efi.smbios`.
    pub smbios: u64,
}

/// What the loader decided for this image.
#[derive(Clone, Copy, Debug)]
pub struct Inputs<'a> {
    /// The image's setup header (`BzImage::setup_header()`).
    pub header: &'a [u8],
    /// The command line as userspace gave it, its NUL included (empty for none).
    pub cmdline: &'a [u8],
    /// For a crash image, where its ELF core headers are (`image->elf_load_addr`).
    pub elfcorehdr: Option<u64>,
    /// Where the buffer is loaded.
    pub load_addr: u64,
    /// The initrd's address and length, if there is one.
    pub initrd: Option<(u64, u64)>,
    /// The memory map to hand on, entries of [`E820_ENTRY`] bytes (at most [`E820_MAX`] are
    /// taken).
    pub e820: &'a [u8],
    /// EFI's state, if the kernel is built with EFI.
    pub efi: Option<Efi<'a>>,
    /// If the kernel is built with `IMA_KEXEC`: the IMA buffer's address and size, if any.
    pub ima: Option<Option<(u64, u64)>>,
    /// A random seed, if the running kernel's pool is initialised.
    pub rng: Option<[u8; 32]>,
}

/// The buffer was not the size [`layout`] gave, or an input not the size it must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Misfit;

struct Buf<'a>(&'a mut [u8]);

impl Buf<'_> {
    fn put(&mut self, at: u64, bytes: &[u8]) -> Result<(), Misfit> {
        le::range_mut(self.0, at, bytes.len() as u64)
            .ok_or(Misfit)?
            .copy_from_slice(bytes);
        Ok(())
    }

    fn put_u8(&mut self, at: u64, v: u8) -> Result<(), Misfit> {
        self.put(at, &[v])
    }

    fn put_u16(&mut self, at: u64, v: u16) -> Result<(), Misfit> {
        self.put(at, &v.to_le_bytes())
    }

    fn put_u32(&mut self, at: u64, v: u32) -> Result<(), Misfit> {
        self.put(at, &v.to_le_bytes())
    }

    fn put_u64(&mut self, at: u64, v: u64) -> Result<(), Misfit> {
        self.put(at, &v.to_le_bytes())
    }

    fn get_u64(&self, at: u64) -> Result<u64, Misfit> {
        le::u64_at(self.0, at).ok_or(Misfit)
    }

    /// A setup_data of `kind` with `len` bytes at `at` (`load_addr + at` once loaded), pushed
    /// onto the chain `hdr.setup_data` starts.
    fn push_setup_data(
        &mut self,
        at: u64,
        load_addr: u64,
        kind: u32,
        len: u32,
    ) -> Result<(), Misfit> {
        self.put_u32(at + 8, kind)?;
        self.put_u32(at + 12, len)?;
        let next = self.get_u64(HDR + (HDR_SETUP_DATA - HDR))?;
        self.put_u64(at, next)?;
        self.put_u64(HDR_SETUP_DATA, load_addr.wrapping_add(at))
    }
}

fn field(b: &[u8], at: u64, len: u64) -> Result<&[u8], Misfit> {
    le::range(b, at, len).ok_or(Misfit)
}

/// Writes the boot parameters into `buf` ([`Layout::bufsz`] bytes, zeroed first) as C does: the
/// image's setup header, the initrd, the command line (after `elfcorehdr=0x<addr> ` for a
/// crash image), the loader's id, then `setup_boot_parameters()`.
pub fn build(
    buf: &mut [u8],
    l: &Layout,
    inp: &Inputs<'_>,
    run: &Running<'_>,
) -> Result<(), Misfit> {
    if buf.len() as u64 != l.bufsz || (run.boot_params.len() as u64) < BOOT_PARAMS {
        return Err(Misfit);
    }
    // C's buffer comes from kzalloc(): what is not written stays 0.
    buf.fill(0);
    let mut b = Buf(buf);
    b.put(HDR, inp.header)?;
    if let Some((addr, len)) = inp.initrd {
        b.put_u32(RAMDISK_IMAGE, addr as u32)?;
        b.put_u32(RAMDISK_SIZE, len as u32)?;
        b.put_u32(EXT_RAMDISK_IMAGE, (addr >> 32) as u32)?;
        b.put_u32(EXT_RAMDISK_SIZE, (len >> 32) as u32)?;
    }
    cmdline(&mut b, inp)?;
    b.put_u8(TYPE_OF_LOADER, 0x0d << 4)?;
    b.put_u8(LOADFLAGS, 0)?;
    // setup_boot_parameters()
    b.put(
        HARDWARE_SUBARCH,
        field(run.boot_params, HARDWARE_SUBARCH, 4)?,
    )?;
    b.put(SCREEN_INFO, field(run.screen_info, 0, SCREEN_INFO_SIZE)?)?;
    b.put_u16(SCREEN_INFO + EXT_MEM_K, 0)?;
    b.put_u32(ALT_MEM_K, 0)?;
    b.put(ACPI_RSDP_ADDR, field(run.boot_params, ACPI_RSDP_ADDR, 8)?)?;
    b.put(APM_BIOS_INFO, &[0; APM_BIOS_INFO_SIZE as usize])?;
    b.put(HD0_INFO, &[0; HD_INFO_SIZE as usize])?;
    e820(&mut b, inp.e820)?;
    let mut sd = l.setup_data;
    if let Some(efi) = &inp.efi {
        efi_state(&mut b, l, inp.load_addr, efi, run)?;
        sd += SETUP_DATA + EFI_SETUP_DATA;
    }
    if let Some(ima) = inp.ima {
        // setup_ima_state() adds nothing for an empty buffer.
        if let Some((addr, size)) = ima.filter(|&(_, size)| size != 0) {
            b.put_u64(sd + SETUP_DATA, addr)?;
            b.put_u64(sd + SETUP_DATA + 8, size)?;
            b.push_setup_data(sd, inp.load_addr, SETUP_IMA, IMA_SETUP_DATA as u32)?;
        }
        sd += SETUP_DATA + IMA_SETUP_DATA;
    }
    if let Some(seed) = &inp.rng {
        b.put(sd + SETUP_DATA, seed)?;
        b.push_setup_data(sd, inp.load_addr, SETUP_RNG_SEED, RNG_SEED_LENGTH as u32)?;
    }
    b.put(EDDBUF, field(run.boot_params, EDDBUF, EDDBUF_SIZE)?)?;
    b.put(EDDBUF_ENTRIES, field(run.boot_params, EDDBUF_ENTRIES, 1)?)?;
    b.put(
        EDD_MBR_SIG_BUFFER,
        field(run.boot_params, EDD_MBR_SIG_BUFFER, EDD_MBR_SIG_SIZE)?,
    )
}

/// `setup_cmdline()`: the command line after `boot_params`, its last byte made a NUL (for an
/// empty one on a normal image, that is `boot_params`' last byte, as in C).
fn cmdline(b: &mut Buf<'_>, inp: &Inputs<'_>) -> Result<(), Misfit> {
    let mut len = 0u64;
    if let Some(addr) = inp.elfcorehdr {
        let mut text = Hex::default();
        text.push(b"elfcorehdr=0x");
        text.hex(addr);
        text.push(b" ");
        b.put(BOOT_PARAMS, text.as_bytes())?;
        len = text.len as u64;
    }
    b.put(BOOT_PARAMS + len, inp.cmdline)?;
    len += inp.cmdline.len() as u64;
    b.put_u8((BOOT_PARAMS + len).wrapping_sub(1), 0)?;
    let phys = inp.load_addr.wrapping_add(BOOT_PARAMS);
    b.put_u32(CMD_LINE_PTR, phys as u32)?;
    if phys >> 32 != 0 {
        b.put_u32(EXT_CMD_LINE_PTR, (phys >> 32) as u32)?;
    }
    Ok(())
}

/// `setup_e820_entries()` (or the crash kernel's map) and the memory sizes derived from it.
fn e820(b: &mut Buf<'_>, map: &[u8]) -> Result<(), Misfit> {
    let n = (map.len() / E820_ENTRY).min(E820_MAX);
    let entries = map.get(..n * E820_ENTRY).ok_or(Misfit)?;
    b.put_u8(E820_ENTRIES, n as u8)?;
    b.put(E820_TABLE, entries)?;
    for e in entries.chunks_exact(E820_ENTRY) {
        let (Some(addr), Some(size), Some(kind)) =
            (le::u64_at(e, 0), le::u64_at(e, 8), le::u32_at(e, 16))
        else {
            return Err(Misfit);
        };
        if kind != E820_RAM {
            continue;
        }
        let end = addr.wrapping_add(size).wrapping_sub(1);
        if addr <= 0x10_0000 && end > 0x10_0000 {
            let mem_k = (end >> 10) - (0x10_0000 >> 10);
            b.put_u16(SCREEN_INFO + EXT_MEM_K, mem_k.min(0xfc00) as u16)?;
            b.put_u32(ALT_MEM_K, mem_k.min(0xffff_ffff) as u32)?;
        }
    }
    Ok(())
}

/// `setup_efi_state()`.
fn efi_state(
    b: &mut Buf<'_>,
    l: &Layout,
    load_addr: u64,
    efi: &Efi<'_>,
    run: &Running<'_>,
) -> Result<(), Misfit> {
    if b.get_u64(ACPI_RSDP_ADDR)? == 0 {
        if let Some(addr) = efi.acpi20.or(efi.acpi) {
            b.put_u64(ACPI_RSDP_ADDR, addr)?;
        }
    }
    let cur = field(run.boot_params, EFI_INFO, 32)?;
    let memmap_size = le::u32_at(cur, 20).ok_or(Misfit)?;
    if !efi.runtime || memmap_size == 0 {
        return Ok(());
    }
    b.put(SECURE_BOOT, field(run.boot_params, SECURE_BOOT, 1)?)?;
    // efi_loader_signature, efi_systab, efi_systab_hi, efi_memdesc_version.
    b.put(EFI_INFO, field(cur, 0, 8)?)?;
    b.put(EFI_INFO + 24, field(cur, 24, 4)?)?;
    b.put(EFI_INFO + 12, field(cur, 12, 4)?)?;
    b.put_u32(EFI_INFO + 8, efi.memdesc_size)?;
    // setup_efi_info_memmap()
    if !efi.map.is_empty() {
        b.put(l.efi_map, efi.map)?;
        let phys = load_addr.wrapping_add(l.efi_map);
        b.put_u32(EFI_INFO + 16, phys as u32)?;
        b.put_u32(EFI_INFO + 28, (phys >> 32) as u32)?;
        b.put_u32(EFI_INFO + 20, efi.map.len() as u32)?;
    }
    // prepare_add_efi_setup_data()
    let esd = l.setup_data + SETUP_DATA;
    b.put_u64(esd, efi.fw_vendor)?;
    b.put_u64(esd + 16, efi.tables)?;
    b.put_u64(esd + 24, efi.smbios)?;
    b.push_setup_data(l.setup_data, load_addr, SETUP_EFI, EFI_SETUP_DATA as u32)
}

/// `"elfcorehdr=0x%lx "`, formatted without `core::fmt` into a fixed buffer.
#[derive(Default)]
struct Hex {
    bytes: [u8; 32],
    len: usize,
}

impl Hex {
    fn push(&mut self, s: &[u8]) {
        for &c in s {
            if let Some(slot) = self.bytes.get_mut(self.len) {
                *slot = c;
                self.len += 1;
            }
        }
    }

    fn hex(&mut self, v: u64) {
        let digits = (64 - v.leading_zeros()).div_ceil(4).max(1);
        for i in (0..digits).rev() {
            let d = ((v >> (4 * i)) & 0xf) as u8;
            self.push(&[if d < 10 { b'0' + d } else { b'a' + d - 10 }]);
        }
    }

    fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

/// One memory map entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct E820 {
    /// Its first byte.
    pub addr: u64,
    /// Its size.
    pub size: u64,
    /// `E820_TYPE_*`.
    pub kind: u32,
}

impl E820 {
    /// The entry as `struct boot_e820_entry` lays it out.
    pub fn bytes(&self) -> [u8; E820_ENTRY] {
        let mut b = [0u8; E820_ENTRY];
        b[..8].copy_from_slice(&self.addr.to_le_bytes());
        b[8..16].copy_from_slice(&self.size.to_le_bytes());
        b[16..].copy_from_slice(&self.kind.to_le_bytes());
        b
    }
}

/// The crashkernel region `[start, end]` less the ELF core headers at `[elf, elf + elf_sz - 1]`
/// (`memmap_exclude_ranges()`), as RAM entries of at least a page: what
/// `crash_setup_memmap_entries()` adds after the low 1 MiB, ACPI, NVS, reserved ranges and
/// `crashk_low_res`. C's range list has room for one range, so in C headers in the middle of
/// the region, which split it, fail the load with `ENOMEM`; here they give both pieces (a crash
/// image placed beside a loaded one has its headers there).
pub fn crash_ram(start: u64, end: u64, elf: u64, elf_sz: u64, page: u64) -> [Option<E820>; 2] {
    let (xs, xe) = (elf, elf.wrapping_add(elf_sz).wrapping_sub(1));
    // crash_exclude_mem_range() on the one range.
    let (left, right) = if xe < start || xs > end {
        (Some((start, end)), None)
    } else if xs <= start && xe >= end {
        (None, None)
    } else if xs > start && xe < end {
        (Some((start, xs - 1)), Some((xe + 1, end)))
    } else if xs <= start {
        (Some((xe + 1, end)), None)
    } else {
        (Some((start, xs - 1)), None)
    };
    let ram = |r: Option<(u64, u64)>| {
        r.and_then(|(s, e)| {
            let size = e.wrapping_sub(s).wrapping_add(1);
            (size >= page).then_some(E820 {
                addr: s,
                size,
                kind: E820_RAM,
            })
        })
    };
    [ram(left), ram(right)]
}
