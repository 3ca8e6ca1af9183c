// SPDX-License-Identifier: GPL-2.0

//! The bzImage64 setup header: the checks `bzImage64_probe()` and the start of
//! `bzImage64_load()` make on a kernel file handed to `kexec_file_load`, in
//! [`arch/x86/kernel/kexec-bzimage64.c`](srctree/arch/x86/kernel/kexec-bzimage64.c)'s order
//! and with its errno for each, and where the loader puts the kernel.
//!
//! Pure logic over the file's bytes, with no kernel bindings, shared with the host crate. The
//! file is untrusted: every field is read with a bounds check, and a refusal names the field
//! and the value that made it one. The machine's state the probe depends on (32-bit EFI
//! runtime services, 5-level paging) is passed in.
//!
//! Documentation/arch/x86/boot.rst describes the header; offsets here are from the start of
//! the file, which is where `struct boot_params` puts them.

use super::le;

/// `EINVAL`.
pub const EINVAL: i32 = 22;
/// `ENOEXEC`.
pub const ENOEXEC: i32 = 8;

/// `offsetof(struct boot_params, hdr)`: where the setup header starts.
pub const SETUP_HEADER: usize = 0x1f1;
/// The smallest file the probe looks at: the boot sector and one setup sector.
pub const MIN_LEN: usize = 2 * 512;
/// `MAX_ELFCOREHDR_STR_LEN`: room the loader keeps in the command line for
/// `elfcorehdr=0x<64-bit value> `, for every image (C's check does not ask which kind).
pub const ELFCOREHDR_ROOM: u64 = 30;
/// `MIN_KERNEL_LOAD_ADDR`: the kernel goes no lower than 1 MiB.
pub const MIN_KERNEL_LOAD_ADDR: u64 = 0x10_0000;
/// The oldest boot protocol the loader takes, 2.12 (`xloadflags` came with it).
pub const MIN_VERSION: u16 = 0x020c;

/// `loadflags`: the protected-mode code is loaded at 1 MiB (a bzImage).
pub const LOADED_HIGH: u8 = 1 << 0;
/// `xloadflags`: the kernel has the 64-bit entry point at 0x200.
pub const XLF_KERNEL_64: u16 = 1 << 0;
/// `xloadflags`: the kernel, boot_params, command line and initrd may live above 4 GiB.
pub const XLF_CAN_BE_LOADED_ABOVE_4G: u16 = 1 << 1;
/// `xloadflags`: the kernel can be entered with 5-level paging on.
pub const XLF_5LEVEL: u16 = 1 << 5;

// Field offsets from the start of the file (`struct boot_params`).
const SETUP_SECTS: u64 = 0x1f1;
const BOOT_FLAG: u64 = 0x1fe;
const JUMP_REL8: u64 = 0x201;
const MAGIC: u64 = 0x202;
const VERSION: u64 = 0x206;
const LOADFLAGS: u64 = 0x211;
const KERNEL_ALIGNMENT: u64 = 0x230;
const XLOADFLAGS: u64 = 0x236;
const CMDLINE_SIZE: u64 = 0x238;
const PREF_ADDRESS: u64 = 0x258;
const INIT_SIZE: u64 = 0x260;

/// The machine the probe checks the kernel against.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Machine {
    /// EFI runtime services are on and 32-bit: a kernel above 4 GiB could not use them.
    pub efi_32bit: bool,
    /// The running kernel uses 5-level paging, which the new one is entered with.
    pub five_level: bool,
}

/// What was wrong with the kernel file or the command line, with the values that made it so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Shorter than [`MIN_LEN`].
    TooShort {
        /// The file's length.
        len: u64,
    },
    /// No `HdrS` at 0x202.
    NoMagic {
        /// The four bytes found there, little-endian.
        found: u32,
    },
    /// `boot_flag` is not 0xaa55.
    NoBootFlag {
        /// The value found.
        found: u16,
    },
    /// The boot protocol is older than 2.12.
    OldProtocol {
        /// `version`.
        version: u16,
    },
    /// `loadflags` lacks `LOADED_HIGH`: a zImage.
    NotLoadedHigh {
        /// `loadflags`.
        loadflags: u8,
    },
    /// `xloadflags` lacks `XLF_KERNEL_64`.
    No64BitEntry {
        /// `xloadflags`.
        xloadflags: u16,
    },
    /// `xloadflags` lacks `XLF_CAN_BE_LOADED_ABOVE_4G`.
    NotAbove4G {
        /// `xloadflags`.
        xloadflags: u16,
    },
    /// The machine's EFI runtime is 32-bit, and the kernel is loaded above 4 GiB.
    Efi32,
    /// The machine runs 5-level paging and `xloadflags` lacks `XLF_5LEVEL`.
    No5Level {
        /// `xloadflags`.
        xloadflags: u16,
    },
    /// The file ends inside its real-mode part.
    Truncated {
        /// The file's length.
        len: u64,
        /// The real-mode part's length, `(setup_sects + 1) * 512`.
        setup_len: u64,
    },
    /// The command line (its NUL included) is longer than the kernel takes.
    CmdlineTooLong {
        /// Its length.
        len: u64,
        /// `cmdline_size`.
        max: u32,
    },
    /// The command line leaves no room for `elfcorehdr=`.
    NoRoomForElfcorehdr {
        /// Its length.
        len: u64,
        /// `cmdline_size`.
        max: u32,
    },
}

impl Reason {
    /// The errno C returns for it (positive).
    pub fn errno(&self) -> i32 {
        match self {
            Reason::CmdlineTooLong { .. } | Reason::NoRoomForElfcorehdr { .. } => EINVAL,
            _ => ENOEXEC,
        }
    }
}

impl core::fmt::Display for Reason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            Reason::TooShort { len } => {
                write!(f, "bzImage: file is {len} bytes, at least {MIN_LEN} needed")
            }
            Reason::NoMagic { found } => {
                write!(f, "bzImage: no \"HdrS\" at 0x202 (found {found:#010x})")
            }
            Reason::NoBootFlag { found } => {
                write!(f, "bzImage: boot_flag {found:#06x}, 0xaa55 needed")
            }
            Reason::OldProtocol { version } => {
                write!(f, "bzImage: boot protocol {version:#x}, 2.12 needed")
            }
            Reason::NotLoadedHigh { loadflags } => write!(
                f,
                "bzImage: loadflags {loadflags:#x} lack LOADED_HIGH (a zImage)"
            ),
            Reason::No64BitEntry { xloadflags } => {
                write!(f, "bzImage: xloadflags {xloadflags:#x} lack XLF_KERNEL_64")
            }
            Reason::NotAbove4G { xloadflags } => write!(
                f,
                "bzImage: xloadflags {xloadflags:#x} lack XLF_CAN_BE_LOADED_ABOVE_4G"
            ),
            Reason::Efi32 => write!(
                f,
                "bzImage: EFI runtime services are 32-bit; the kernel cannot be loaded above 4G"
            ),
            Reason::No5Level { xloadflags } => write!(
                f,
                "bzImage: xloadflags {xloadflags:#x} lack XLF_5LEVEL, and 5-level paging is on"
            ),
            Reason::Truncated { len, setup_len } => write!(
                f,
                "bzImage: file is {len} bytes, its setup sectors alone {setup_len}"
            ),
            Reason::CmdlineTooLong { len, max } => write!(
                f,
                "command line is {len} bytes with its NUL, the kernel takes {max}"
            ),
            Reason::NoRoomForElfcorehdr { len, max } => write!(
                f,
                "command line is {len} bytes with its NUL; with {ELFCOREHDR_ROOM} kept for \
                 elfcorehdr= it exceeds the kernel's {max}"
            ),
        }
    }
}

// The fields are inside the header, which is inside any file the probe looks at; outside it
// they read as 0.
fn u8_at(b: &[u8], at: u64) -> u8 {
    le::u8_at(b, at).unwrap_or(0)
}

fn u16_at(b: &[u8], at: u64) -> u16 {
    le::u16_at(b, at).unwrap_or(0)
}

fn u32_at(b: &[u8], at: u64) -> u32 {
    le::u32_at(b, at).unwrap_or(0)
}

fn u64_at(b: &[u8], at: u64) -> u64 {
    le::u64_at(b, at).unwrap_or(0)
}

/// A kernel file the probe accepted: a relocatable 64-bit bzImage this machine can boot.
///
/// # Invariants
///
/// The file is at least [`MIN_LEN`] bytes long, so every setup header field (all below
/// 0x270) is inside it.
#[derive(Clone, Copy, Debug)]
pub struct BzImage<'a> {
    file: &'a [u8],
}

/// `bzImage64_probe()`: whether `file` is a bzImage64 this machine can boot, checked in C's
/// order; every refusal is C's `ENOEXEC`.
pub fn probe<'a>(file: &'a [u8], m: &Machine) -> Result<BzImage<'a>, Reason> {
    if file.len() < MIN_LEN {
        return Err(Reason::TooShort {
            len: file.len() as u64,
        });
    }
    let magic = u32_at(file, MAGIC);
    if magic != u32::from_le_bytes(*b"HdrS") {
        return Err(Reason::NoMagic { found: magic });
    }
    let boot_flag = u16_at(file, BOOT_FLAG);
    if boot_flag != 0xaa55 {
        return Err(Reason::NoBootFlag { found: boot_flag });
    }
    let version = u16_at(file, VERSION);
    if version < MIN_VERSION {
        return Err(Reason::OldProtocol { version });
    }
    let loadflags = u8_at(file, LOADFLAGS);
    if loadflags & LOADED_HIGH == 0 {
        return Err(Reason::NotLoadedHigh { loadflags });
    }
    let xloadflags = u16_at(file, XLOADFLAGS);
    if xloadflags & XLF_KERNEL_64 == 0 {
        return Err(Reason::No64BitEntry { xloadflags });
    }
    if xloadflags & XLF_CAN_BE_LOADED_ABOVE_4G == 0 {
        return Err(Reason::NotAbove4G { xloadflags });
    }
    if m.efi_32bit {
        return Err(Reason::Efi32);
    }
    if xloadflags & XLF_5LEVEL == 0 && m.five_level {
        return Err(Reason::No5Level { xloadflags });
    }
    // INVARIANT: the file is at least `MIN_LEN` bytes long.
    Ok(BzImage { file })
}

/// Where the loader puts the kernel, from its setup header: what `bzImage64_load()` hands
/// `kexec_add_buffer()` for it (before that rounds the size and alignment to pages).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelPlan {
    /// The real-mode part, not loaded: the kernel's bytes start here in the file.
    pub setup_len: u64,
    /// Bytes of the file loaded (`bufsz`).
    pub bufsz: u64,
    /// Bytes the kernel needs in memory, `PAGE_ALIGN(init_size)` (`memsz`), rounded in 32 bits
    /// as C rounds it.
    pub memsz: u64,
    /// `kernel_alignment`, as the header gives it.
    pub align: u64,
    /// The lowest address: `pref_address`, but at least [`MIN_KERNEL_LOAD_ADDR`].
    pub min: u64,
}

impl<'a> BzImage<'a> {
    /// The whole file.
    pub fn file(&self) -> &'a [u8] {
        self.file
    }

    /// `setup_sects`, 0 read as 4 (boot.rst: "for backwards compatibility").
    pub fn setup_sects(&self) -> u64 {
        match u8_at(self.file, SETUP_SECTS) {
            0 => 4,
            n => u64::from(n),
        }
    }

    /// `cmdline_size`: the longest command line the kernel takes, its NUL included.
    pub fn cmdline_size(&self) -> u32 {
        u32_at(self.file, CMDLINE_SIZE)
    }

    /// The setup header's bytes as the loader copies them into `boot_params.hdr`: from 0x1f1 to
    /// the end the jump at 0x200 names (0x202 plus its unsigned 8-bit displacement).
    pub fn setup_header(&self) -> &'a [u8] {
        let end = 0x202 + usize::from(u8_at(self.file, JUMP_REL8));
        // `end` is at most 0x301, inside the file (the type invariant); `get` keeps it so.
        self.file.get(SETUP_HEADER..end).unwrap_or(&[])
    }

    /// The start of `bzImage64_load()`: the file holds its real-mode part, the command line
    /// (`cmdline_len` bytes, its NUL included; 0 for none) fits with room for `elfcorehdr=`,
    /// checked in C's order; and where the kernel goes. `page` is `PAGE_SIZE`.
    pub fn plan(&self, cmdline_len: u64, page: u64) -> Result<KernelPlan, Reason> {
        let len = self.file.len() as u64;
        let setup_len = (self.setup_sects() + 1) * 512;
        if len < setup_len {
            return Err(Reason::Truncated { len, setup_len });
        }
        let max = self.cmdline_size();
        if cmdline_len > u64::from(max) {
            return Err(Reason::CmdlineTooLong {
                len: cmdline_len,
                max,
            });
        }
        if cmdline_len + ELFCOREHDR_ROOM > u64::from(max) {
            return Err(Reason::NoRoomForElfcorehdr {
                len: cmdline_len,
                max,
            });
        }
        // `PAGE_ALIGN()` of the `__u32` field rounds in 32 bits: a size in the last page below
        // 4 GiB becomes 0, and the load then fails in the segment checks (`bufsz > memsz`).
        let mask = (page as u32).wrapping_sub(1);
        let memsz = u64::from(u32_at(self.file, INIT_SIZE).wrapping_add(mask) & !mask);
        let pref = u64_at(self.file, PREF_ADDRESS);
        Ok(KernelPlan {
            setup_len,
            bufsz: len - setup_len,
            memsz,
            align: u64::from(u32_at(self.file, KERNEL_ALIGNMENT)),
            min: pref.max(MIN_KERNEL_LOAD_ADDR),
        })
    }
}
