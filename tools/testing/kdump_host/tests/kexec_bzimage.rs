// SPDX-License-Identifier: GPL-2.0

//! Host tests of the bzImage64 setup-header checks (kexec/file/bzimage.rs).
//!
//! `c_reference` is a line-by-line port of `bzImage64_probe()` and the checks at the start of
//! `bzImage64_load()` from Linux 6.12 (arch/x86/kernel/kexec-bzimage64.c), reading the header
//! as C's `struct setup_header` does; the property test checks that the Rust checks give the
//! same errno, and the same kernel placement, on seeded random files.

use kdump_host::bzimage::{self, KernelPlan, Machine, Reason, EINVAL, ENOEXEC};
use kdump_host::Rng;

const PAGE: u64 = 4096;

fn rd(b: &[u8], at: usize, n: usize) -> u64 {
    let mut v = 0u64;
    for i in (0..n).rev() {
        v = (v << 8) | u64::from(b[at + i]);
    }
    v
}

/// What C returns: the placement, or a positive errno.
fn c_reference(kernel: &[u8], cmdline_len: u64, m: &Machine) -> Result<KernelPlan, i32> {
    // bzImage64_probe()
    let len = kernel.len() as u64;
    if len < 2 * 512 {
        return Err(ENOEXEC);
    }
    if &kernel[0x202..0x206] != b"HdrS" {
        return Err(ENOEXEC);
    }
    if rd(kernel, 0x1fe, 2) != 0xAA55 {
        return Err(ENOEXEC);
    }
    if rd(kernel, 0x206, 2) < 0x020C {
        return Err(ENOEXEC);
    }
    if rd(kernel, 0x211, 1) & 1 == 0 {
        return Err(ENOEXEC);
    }
    let xloadflags = rd(kernel, 0x236, 2);
    if xloadflags & 1 == 0 {
        return Err(ENOEXEC);
    }
    if xloadflags & 2 == 0 {
        return Err(ENOEXEC);
    }
    if m.efi_32bit {
        return Err(ENOEXEC);
    }
    if xloadflags & (1 << 5) == 0 && m.five_level {
        return Err(ENOEXEC);
    }
    // bzImage64_load()
    let mut setup_sects = rd(kernel, 0x1f1, 1) as i32;
    if setup_sects == 0 {
        setup_sects = 4;
    }
    let kern16_size = (setup_sects + 1) * 512;
    if len < kern16_size as u64 {
        return Err(ENOEXEC);
    }
    let cmdline_size = rd(kernel, 0x238, 4);
    if cmdline_len > cmdline_size {
        return Err(EINVAL);
    }
    if cmdline_len + 30 > cmdline_size {
        return Err(EINVAL);
    }
    let pref_address = rd(kernel, 0x258, 8);
    let init_size = rd(kernel, 0x260, 4);
    Ok(KernelPlan {
        setup_len: kern16_size as u64,
        bufsz: len - kern16_size as u64,
        // PAGE_ALIGN() of a __u32
        memsz: u64::from((init_size as u32).wrapping_add(PAGE as u32 - 1) & !(PAGE as u32 - 1)),
        align: rd(kernel, 0x230, 4),
        min: if pref_address < 0x100000 {
            0x100000
        } else {
            pref_address
        },
    })
}

fn rust(kernel: &[u8], cmdline_len: u64, m: &Machine) -> Result<KernelPlan, i32> {
    let b = bzimage::probe(kernel, m).map_err(|r| r.errno())?;
    b.plan(cmdline_len, PAGE).map_err(|r| r.errno())
}

fn put(b: &mut [u8], at: usize, n: usize, v: u64) {
    for i in 0..n {
        b[at + i] = (v >> (8 * i)) as u8;
    }
}

/// A kernel as it comes from `make bzImage`: 2.15, relocatable, 64-bit, 5-level capable.
fn good(len: usize) -> Vec<u8> {
    let mut k = vec![0u8; len];
    put(&mut k, 0x1f1, 1, 27);
    put(&mut k, 0x1fe, 2, 0xaa55);
    put(&mut k, 0x200, 2, 0x6aeb);
    k[0x202..0x206].copy_from_slice(b"HdrS");
    put(&mut k, 0x206, 2, 0x020f);
    put(&mut k, 0x211, 1, 0x01);
    put(&mut k, 0x230, 4, 0x20_0000);
    put(&mut k, 0x236, 2, 0x7f);
    put(&mut k, 0x238, 4, 2047);
    put(&mut k, 0x258, 8, 0x100_0000);
    put(&mut k, 0x260, 4, 0x2c_3000);
    k
}

#[test]
fn a_real_header_is_taken_and_placed() {
    let k = good(16 << 20);
    let m = Machine::default();
    let b = bzimage::probe(&k, &m).unwrap();
    assert_eq!(b.setup_header().len(), 0x202 + 0x6a - 0x1f1);
    let p = b.plan(100, PAGE).unwrap();
    assert_eq!(p.setup_len, 28 * 512);
    assert_eq!(p.bufsz, (16 << 20) - 28 * 512);
    assert_eq!(p.memsz, 0x2c_3000);
    assert_eq!(p.align, 0x20_0000);
    assert_eq!(p.min, 0x100_0000);
    assert_eq!(Ok(p), c_reference(&k, 100, &m));
}

#[test]
fn each_check_names_its_field() {
    let m = Machine::default();
    let mut k = good(4096);
    put(&mut k, 0x206, 2, 0x020b);
    let r = bzimage::probe(&k, &m).unwrap_err();
    assert_eq!(r, Reason::OldProtocol { version: 0x20b });
    assert_eq!(r.to_string(), "bzImage: boot protocol 0x20b, 2.12 needed");
    assert_eq!(r.errno(), ENOEXEC);

    let k = good(64 << 10);
    let b = bzimage::probe(&k, &m).unwrap();
    let r = b.plan(2048, PAGE).unwrap_err();
    assert_eq!(
        r,
        Reason::CmdlineTooLong {
            len: 2048,
            max: 2047
        }
    );
    assert_eq!(r.errno(), EINVAL);
    // Short by less than the elfcorehdr= room: refused for every image, as C does.
    let r = b.plan(2047 - 29, PAGE).unwrap_err();
    assert!(matches!(r, Reason::NoRoomForElfcorehdr { .. }));
    assert!(b.plan(2047 - 30, PAGE).is_ok());
    // 4096 bytes but 28 setup sectors: truncated, before the command line is looked at.
    let k = good(4096);
    let b = bzimage::probe(&k, &m).unwrap();
    assert_eq!(
        b.plan(5000, PAGE),
        Err(Reason::Truncated {
            len: 4096,
            setup_len: 28 * 512
        })
    );
}

#[test]
fn the_machine_decides_two_checks() {
    let mut k = good(32 << 10);
    let five = Machine {
        five_level: true,
        ..Machine::default()
    };
    assert!(bzimage::probe(&k, &five).is_ok());
    put(&mut k, 0x236, 2, 0x03);
    assert_eq!(
        bzimage::probe(&k, &five).unwrap_err(),
        Reason::No5Level { xloadflags: 3 }
    );
    assert!(bzimage::probe(&k, &Machine::default()).is_ok());
    let efi32 = Machine {
        efi_32bit: true,
        ..Machine::default()
    };
    assert_eq!(bzimage::probe(&k, &efi32).unwrap_err(), Reason::Efi32);
}

/// Random files near a good one: each header field left, flipped, zeroed or random, lengths
/// around the boundaries, command lines around `cmdline_size`.
#[test]
fn same_errno_and_placement_as_c() {
    let mut rng = Rng::new(0x627a_496d_6167_6536);
    let fields: [(usize, usize); 11] = [
        (0x1f1, 1),
        (0x1fe, 2),
        (0x201, 1),
        (0x202, 4),
        (0x206, 2),
        (0x211, 1),
        (0x230, 4),
        (0x236, 2),
        (0x238, 4),
        (0x258, 8),
        (0x260, 4),
    ];
    let mut taken = 0;
    for _ in 0..20_000 {
        let len = match rng.below(4) {
            0 => 1023 + rng.below(3) as usize,
            1 => (rng.below(257) as usize) * 512 + rng.below(2) as usize,
            _ => 0x400 + rng.below(0x40000) as usize,
        };
        let mut k = good(len.max(0x270));
        if rng.below(8) == 0 {
            put(&mut k, 0x260, 4, 0xffff_f000 + rng.below(0x1000));
        }
        for &(at, n) in &fields {
            match rng.below(8) {
                0 => put(&mut k, at, n, 0),
                1 => put(&mut k, at, n, rng.next_u64()),
                2 => {
                    let bit = rng.below(8 * n as u64);
                    k[at + (bit / 8) as usize] ^= 1 << (bit % 8);
                }
                _ => {}
            }
        }
        k.truncate(len);
        let m = Machine {
            efi_32bit: rng.below(16) == 0,
            five_level: rng.below(2) == 0,
        };
        let size = if k.len() >= 0x23c {
            rd(&k, 0x238, 4)
        } else {
            2047
        };
        let cmdline_len = match rng.below(4) {
            0 => 0,
            1 => size.saturating_sub(rng.below(40)),
            2 => size + rng.below(3),
            _ => rng.below(4096),
        };
        let c = c_reference(&k, cmdline_len, &m);
        assert_eq!(
            rust(&k, cmdline_len, &m),
            c,
            "len {len} cmdline {cmdline_len} {m:?}"
        );
        taken += usize::from(c.is_ok());
    }
    // The generator reaches acceptance often enough to compare placements.
    assert!(taken > 1000, "only {taken} accepted");
}
