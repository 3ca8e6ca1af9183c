// SPDX-License-Identifier: GPL-2.0

//! A purgatory object, any bytes, through the loader: layout, placement at an address, the
//! relocations, the symbols the bzImage loader reads and sets. The kernel's own object is
//! trusted, but the loader reads it with bounds checks all the same: nothing may panic, and
//! what it places must stay inside the buffer it was given.
//!
//! Input: the load address's page number (4 bytes, little-endian), then the object.

#![no_main]

use kdump_host::purgatory::{self, Placed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((head, elf)) = data.split_at_checked(4) else {
        return;
    };
    let mem = u64::from(u32::from_le_bytes([head[0], head[1], head[2], head[3]])) << 12;
    let Ok(p) = purgatory::parse(elf) else {
        return;
    };
    let l = p.layout();
    // The kernel's object is a few KiB; a layout this large would be refused by vzalloc().
    if l.bufsz > 1 << 20 || p.sections() > 1 << 12 {
        return;
    }
    let mut buf = vec![0u8; l.bufsz as usize];
    let mut placed = vec![Placed::default(); p.sections()];
    let Ok(_start) = p.place(mem, &mut buf, &mut placed) else {
        return;
    };
    assert_eq!(buf.len() as u64, l.bufsz);
    if p.relocate(&placed, &mut buf).is_err() {
        return;
    }
    for (name, size) in [
        (&b"entry64_regs"[..], 136u64),
        (b"purgatory_sha_regions", 256),
        (b"purgatory_sha256_digest", 32),
    ] {
        if let Ok(bytes) = p.symbol_bytes(&placed, &mut buf, name, size) {
            assert_eq!(bytes.len() as u64, size);
        }
        let _ = p.symbol_addr(&placed, name);
    }
});
