// SPDX-License-Identifier: GPL-2.0

//! A kernel file as userspace may hand `kexec_file_load` one, through the bzImage64 probe and
//! the loader's first checks. Nothing may panic; what is accepted must be what the checks
//! promise: the header inside the file, a placement inside it, a page-rounded size.
//!
//! Input: the command line's length (2 bytes, little-endian), which machine (1), then the file.

#![no_main]

use kdump_host::bzimage::{self, Machine};
use libfuzzer_sys::fuzz_target;

const PAGE: u64 = 4096;

fuzz_target!(|data: &[u8]| {
    let Some((head, file)) = data.split_at_checked(3) else {
        return;
    };
    let cmdline_len = u64::from(u16::from_le_bytes([head[0], head[1]]));
    let m = Machine {
        efi_32bit: head[2] & 1 != 0,
        five_level: head[2] & 2 != 0,
    };
    let Ok(b) = bzimage::probe(file, &m) else {
        return;
    };
    assert!(file.len() >= bzimage::MIN_LEN);
    let hdr = b.setup_header();
    assert!((0x11..=0x110).contains(&hdr.len()), "setup header of {}", hdr.len());
    let Ok(p) = b.plan(cmdline_len, PAGE) else {
        return;
    };
    assert_eq!(p.setup_len + p.bufsz, file.len() as u64);
    assert_eq!(p.setup_len % 512, 0);
    assert_eq!(p.memsz % PAGE, 0);
    assert!(p.min >= bzimage::MIN_KERNEL_LOAD_ADDR);
    assert!(cmdline_len + bzimage::ELFCOREHDR_ROOM <= u64::from(b.cmdline_size()));
});
